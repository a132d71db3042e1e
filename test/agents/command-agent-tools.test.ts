/**
 * The command agent with a toolbox: it cannot call tools back, so the default probes run first (for real:
 * listeners on the service's port, its config test, its unit, its dependency, owner and mode of its paths) and
 * their results reach the program's stdin as a fenced investigation section.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AgentContext } from '../../src/agents/agent.js';
import { CommandAgent } from '../../src/agents/command-agent.js';
import { AgentError } from '../../src/agents/verdict-schema.js';
import { ProcessCommandRunner } from '../../src/runtime/command-runner.js';
import { parseConfigText } from '../../src/config/load.js';
import { nodeProbes } from '../../src/adapters/host/node-probes.js';
import { TaskToolbox } from '../../src/investigation/toolbox.js';
import { MemoryAdapter } from '../support/memory-adapter.js';

const VERDICT = { diagnosis: 'port held', symptomClass: 'address_in_use', action: { type: 'escalate', params: {} }, confidence: 0.7, rationale: 'probes' };

const context: AgentContext = {
  service: { name: 'web', unit: 'web.service', dependencies: ['db.service'], runtimeFiles: [], runtimeDirectories: [], configPaths: [] },
  task: { id: 'task-cmd-tools', symptom: 'unit_failed', signature: 'unit_failed:exit-code', message: 'web.service failed' },
  checks: [],
  logs: ['bind() to 0.0.0.0:80 failed (98: Address already in use)'],
  attempts: [],
  findings: [],
  drift: [],
  learned: [],
  knownSignatures: [],
  catalog: [{ type: 'restart_unit', description: 'restart the unit', params: {} }],
};

const runner = new ProcessCommandRunner();
let directory: string;
let listener: Server;
let port: number;
let program: string;

function toolbox(): TaskToolbox {
  const configFile = path.join(directory, 'web.conf');
  const config = parseConfigText(
    [
      `dataDir: ${directory}/data`,
      'services:',
      '  - name: web',
      '    unit: web.service',
      '    dependsOn: [db.service]',
      `    configTest: [/bin/sh, -c, "echo 'web: syntax is ok' >&2"]`,
      `    configPaths: [${configFile}]`,
      `    checks: [{ type: tcp, port: ${port} }]`,
      '',
    ].join('\n'),
    'command-tools-test',
  );
  const service = config.services[0]!;
  const adapter = new MemoryAdapter();
  adapter.states.set('db.service', 'failed');
  return new TaskToolbox({
    service,
    scope: { service, dependencyUnits: ['db.service'], runtimeDirectories: [], configTestFor: () => undefined },
    adapter,
    runner,
    probes: nodeProbes,
    config,
  });
}

beforeAll(async () => {
  directory = mkdtempSync(path.join(tmpdir(), 'command-agent-tools-'));
  writeFileSync(path.join(directory, 'web.conf'), 'listen 80;\n');
  chmodSync(path.join(directory, 'web.conf'), 0o600);
  listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as { port: number }).port;
  program = path.join(directory, 'agent.sh');
  writeFileSync(program, `#!/bin/sh\ncat > "$AGENT_TEST_DIR/stdin.txt"\necho '${JSON.stringify(VERDICT)}'\n`);
  chmodSync(program, 0o755);
});

afterAll(async () => {
  await new Promise((resolve) => listener.close(resolve));
  rmSync(directory, { recursive: true, force: true });
});

describe('CommandAgent with a toolbox', () => {
  it('runs the default probes and puts their results on stdin as a fenced investigation section', async () => {
    const tools = toolbox();
    const agent = new CommandAgent({ name: 'command:test', argv: [program], timeoutMs: 10_000, runner, env: { AGENT_TEST_DIR: directory } });
    expect(await agent.diagnose(context, 'systems', new AbortController().signal, tools)).toEqual(VERDICT);
    const stdin = readFileSync(path.join(directory, 'stdin.txt'), 'utf8');
    const nonce = /<<<HOST-DATA ([0-9a-f]{16})>>>/.exec(stdin)![1]!;
    expect(stdin).toContain('6. The investigation section holds the output of read-only probes the orchestrator ran');
    const section = stdin.slice(stdin.indexOf('# Investigation (read-only probes run for this diagnosis'));
    expect(section).toMatch(new RegExp(`^# Investigation .*\\n<<<HOST-DATA ${nonce}>>>\\n## unit_properties \\{"unit":"web.service"\\}\\nweb.service: running`));
    expect(section).toContain("## config_test {}\nconfig test `/bin/sh -c echo 'web: syntax is ok' >&2` passed (exit status 0)\nstderr:\nweb: syntax is ok");
    expect(section).toContain(`## listeners {"port":${port}}\nport ${port} (a port of web): 1 listener(s)\n- pid ${process.pid} `);
    expect(section).toContain('## dependency_state {"unit":"db.service"}\ndb.service: failed');
    expect(section).toMatch(new RegExp(`## path_info \\{"path":"${directory}/web.conf"\\}\\n${directory}/web.conf: file, owner \\S+, group \\S+, mode 0600 \\(-rw-------\\)`));
    expect(section).not.toContain('listen 80;');
    expect(section.trimEnd().endsWith(`<<<END HOST-DATA ${nonce}>>>`)).toBe(true);
    expect(tools.calls.map((call) => call.name)).toEqual(['unit_properties', 'config_test', 'listeners', 'dependency_state', 'path_info']);
  });

  it('does not start the program when it is aborted while probing', async () => {
    const controller = new AbortController();
    const tools = toolbox();
    const probing = tools.run.bind(tools);
    tools.run = async (name, input, signal) => {
      const result = await probing(name, input, signal);
      controller.abort();
      return result;
    };
    rmSync(path.join(directory, 'stdin.txt'), { force: true });
    const agent = new CommandAgent({ name: 'command:test', argv: [program], timeoutMs: 10_000, runner, env: { AGENT_TEST_DIR: directory } });
    const error = await agent.diagnose(context, 'general', controller.signal, tools).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(AgentError);
    expect((error as AgentError).kind).toBe('timeout');
    expect(tools.calls).toHaveLength(1);
    expect(() => readFileSync(path.join(directory, 'stdin.txt'))).toThrow(/ENOENT/);
  });
});
