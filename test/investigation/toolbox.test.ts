/** The toolbox of one diagnosis: tools by name with validated and scoped input, budgets of calls and bytes, never a throw. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod/v4';
import { parseConfigText } from '../../src/config/load.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import type { LogQuery } from '../../src/core/ports.js';
import { ProcessCommandRunner } from '../../src/runtime/command-runner.js';
import { nodeProbes } from '../../src/adapters/host/node-probes.js';
import { MemoryAdapter } from '../support/memory-adapter.js';
import type { ExecutionScope } from '../../src/actions/scope.js';
import { MAX_CALLS, TaskToolbox, toolboxFactory } from '../../src/investigation/toolbox.js';
import { INVESTIGATION_TOOLS } from '../../src/investigation/index.js';
import { TOOL_NAMES } from '../../src/investigation/tool.js';

/** Counts what reaches the service manager, so a refused call can be shown never to run. */
class CountingAdapter extends MemoryAdapter {
  readonly reads: string[] = [];
  override async statusMany(names: readonly string[]) {
    this.reads.push(...names.map((name) => `status ${name}`));
    return super.statusMany(names);
  }
  // Optional parameters: MemoryAdapter's own logs() takes none.
  override async logs(name?: string, query?: LogQuery) {
    this.reads.push(`logs ${name}`);
    if (name === 'broken.service') throw new Error('journalctl exited with status 1: no such file');
    return Array.from({ length: query?.lines ?? 0 }, (_, index) => `${name} line ${index} ${'y'.repeat(150)}`);
  }
}

let directory: string;
let config: CompiledConfig;
const signal = new AbortController().signal;

function toolbox(adapter = new CountingAdapter(), options: ConstructorParameters<typeof TaskToolbox>[1] = {}) {
  const service = config.services[0]!;
  const scope: ExecutionScope = { service, dependencyUnits: ['db.service', 'broken.service'], runtimeDirectories: [], configTestFor: () => undefined };
  return new TaskToolbox({ service, scope, adapter, runner: new ProcessCommandRunner(), probes: nodeProbes, config }, options);
}

beforeAll(() => {
  directory = mkdtempSync(path.join(tmpdir(), 'toolbox-'));
  config = parseConfigText(
    `dataDir: ${directory}/data\nservices:\n  - name: web\n    unit: web.service\n    profile: nginx\n    configTest: [/bin/true]\n    dependsOn: [db.service]\n    configPaths: [${directory}/web.conf]\n    checks: [{ type: tcp, port: 18080 }]\n`,
    'toolbox-test',
  );
});

afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('TaskToolbox', () => {
  it('offers every tool with a description and an input schema a model can be given as JSON Schema', () => {
    const box = toolbox();
    expect(box.tools.map((tool) => tool.name)).toEqual([...TOOL_NAMES]);
    expect(INVESTIGATION_TOOLS.map((tool) => tool.name).sort()).toEqual([...TOOL_NAMES].sort());
    for (const tool of box.tools) {
      expect(tool.description.length).toBeGreaterThan(40);
      const schema = z.toJSONSchema(tool.input) as { type: string; additionalProperties?: boolean };
      expect(schema.type).toBe('object');
      expect(schema.additionalProperties).toBe(false);
    }
  });

  it('runs a tool by name and records the call; refuses unknown tools and out-of-scope input without running them', async () => {
    const adapter = new CountingAdapter();
    const box = toolbox(adapter);
    expect((await box.run('dependency_state', { unit: 'db.service' }, signal)).text).toContain('db.service: running');
    expect((await box.run('run_shell', { command: 'reboot' }, signal)).text).toMatch(/^unknown tool "run_shell"; the tools are: listeners, path_info/);
    for (const [name, input] of [
      ['unit_properties', { unit: 'sshd.service' }],
      ['journal', { unit: 'ssh.service', lines: 10 }],
      ['dependency_state', { unit: 'web.service' }],
    ] as const) {
      const result = await box.run(name, input, signal);
      expect(result.refused, name).toBe(true);
      expect(result.text).toMatch(/refused: /);
    }
    expect(adapter.reads).toEqual(['status db.service']);
    expect(box.calls.map((entry) => [entry.name, entry.refused])).toEqual([
      ['dependency_state', false],
      ['run_shell', true],
      ['unit_properties', true],
      ['journal', true],
      ['dependency_state', true],
    ]);
  });

  it(`stops after ${MAX_CALLS} calls, also when they come in parallel, and counts refused calls`, async () => {
    const adapter = new CountingAdapter();
    const box = toolbox(adapter);
    await box.run('listeners', { port: 'not a port' }, signal);
    const results = await Promise.all(Array.from({ length: 12 }, () => box.run('dependency_state', { unit: 'db.service' }, signal)));
    expect(results.filter((result) => !result.refused)).toHaveLength(MAX_CALLS - 1);
    expect(results.filter((result) => result.refused).map((result) => result.text)).toEqual(
      Array(5).fill(`dependency_state not run: the budget of ${MAX_CALLS} probes for this diagnosis is spent; decide with what you have`),
    );
    expect(adapter.reads).toHaveLength(MAX_CALLS - 1);
    expect(box.calls).toHaveLength(13);
  });

  it('caps each result and the total output, then refuses', async () => {
    const box = toolbox(new CountingAdapter(), { maxTotalBytes: 6000 });
    const first = await box.run('journal', { unit: 'web.service', lines: 200 }, signal);
    expect(Buffer.byteLength(first.text)).toBeLessThanOrEqual(4096);
    expect(first.text).toContain('web.service line 199 ');
    const second = await box.run('journal', { unit: 'db.service', lines: 200 }, signal);
    expect(Buffer.byteLength(second.text)).toBeLessThanOrEqual(6000 - Buffer.byteLength(first.text));
    expect(second.text).toMatch(/cut to \d+\]$/);
    const third = await box.run('dependency_state', { unit: 'db.service' }, signal);
    expect(third).toMatchObject({ refused: true, text: expect.stringMatching(/6000-byte output budget for this diagnosis is spent/) });
  });

  it('never throws: an adapter error and an aborted signal come back as text', async () => {
    const box = toolbox();
    const failed = await box.run('journal', { unit: 'broken.service' }, signal);
    expect(failed).toMatchObject({ failed: true, text: 'journal failed: journalctl exited with status 1: no such file' });
    const controller = new AbortController();
    controller.abort();
    expect((await box.run('config_test', {}, controller.signal)).text).toBe('config_test not run: the investigation was aborted');
  });

  it('lists the default probes of the task, most telling first, within what the budget still allows', async () => {
    const box = toolbox();
    expect(await box.defaultCalls(signal)).toEqual([
      { name: 'unit_properties', input: { unit: 'web.service' } },
      { name: 'config_test', input: {} },
      { name: 'listeners', input: { port: 80 } },
      { name: 'listeners', input: { port: 18080 } },
      { name: 'dependency_state', input: { unit: 'db.service' } },
      { name: 'dependency_state', input: { unit: 'broken.service' } },
      { name: 'path_info', input: { path: '/var/lib/nginx' } },
      { name: 'path_info', input: { path: `${directory}/web.conf` } },
    ]);
    await box.run('config_test', {}, signal);
    await box.run('config_test', {}, signal);
    expect(await box.defaultCalls(signal)).toHaveLength(MAX_CALLS - 2);
  });

  it('gives every diagnosis its own budget', async () => {
    const make = toolboxFactory({ adapter: new CountingAdapter(), runner: new ProcessCommandRunner(), probes: nodeProbes, config });
    const service = config.services[0]!;
    const scope: ExecutionScope = { service, dependencyUnits: ['db.service'], runtimeDirectories: [], configTestFor: () => undefined };
    const first = make({ service, scope });
    for (let index = 0; index < MAX_CALLS; index++) await first.run('dependency_state', { unit: 'db.service' }, signal);
    expect((await first.run('dependency_state', { unit: 'db.service' }, signal)).refused).toBe(true);
    expect((await make({ service, scope }).run('dependency_state', { unit: 'db.service' }, signal)).refused).toBeUndefined();
  });
});
