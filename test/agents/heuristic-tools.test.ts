/**
 * The heuristic agent with the task's real toolbox: the address-in-use rule asks who listens on the port the bind
 * error names (a real socket of this process, a real orphan, or nobody), the permission rule asks for owner and
 * mode of the path that was denied (a real file with chmod).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { HeuristicAgent } from '../../src/agents/heuristic/heuristic-agent.js';
import type { AgentContext, CatalogEntry } from '../../src/agents/agent.js';
import { parseConfigText } from '../../src/config/load.js';
import { ProcessCommandRunner } from '../../src/runtime/command-runner.js';
import { nodeProbes } from '../../src/adapters/host/node-probes.js';
import { listenersOn } from '../../src/adapters/host/listeners.js';
import { freePort } from '../../src/adapters/host/free-port.js';
import { TaskToolbox } from '../../src/investigation/toolbox.js';
import { MemoryAdapter } from '../support/memory-adapter.js';
import { processGone, waitUntil } from '../support/processes.js';

const agent = new HeuristicAgent();
const signal = new AbortController().signal;
let directory: string;
let ownServer: Server;
let ownPort: number;

const CATALOG: CatalogEntry[] = [
  { type: 'restart_unit', description: 'restart web.service', params: { unit: 'web.service' } },
  { type: 'kill_stray_listener', description: 'kill a stray listener on a port of web', params: { port: 'TCP port', pid: 'pid of the listener' } },
  { type: 'escalate', description: 'hand the task to a human', params: { reason: 'why' } },
];

function context(logs: string[], options: { findings?: string[]; catalog?: CatalogEntry[] } = {}): AgentContext {
  return {
    service: { name: 'web', unit: 'web.service', dependencies: [], runtimeFiles: [], runtimeDirectories: [], configPaths: [] },
    task: { id: 't-tools', symptom: 'unit_failed', signature: 'unit_failed:exit-code', message: 'web.service failed' },
    unit: { activeState: 'failed', subState: 'failed', result: 'exit-code', execMainStatus: 1, execMainCode: 'exited', unitFileState: 'enabled' },
    checks: [],
    logs,
    attempts: [],
    drift: [],
    findings: options.findings ?? [],
    learned: [],
    knownSignatures: [],
    catalog: options.catalog ?? CATALOG,
  };
}

function toolbox(port: number): TaskToolbox {
  const config = parseConfigText(`services:\n  - name: web\n    unit: web.service\n    checks: [{ type: tcp, port: ${port} }]\n`, 'heuristic-tools-test');
  const service = config.services[0]!;
  return new TaskToolbox({
    service,
    scope: { service, dependencyUnits: [], runtimeDirectories: [], configTestFor: () => undefined },
    adapter: new MemoryAdapter(),
    runner: new ProcessCommandRunner(),
    probes: nodeProbes,
    config,
  });
}

const bindError = (port: number) => `2026-12-02T08:00:00+0000 host web[812]: bind() to 0.0.0.0:${port} failed (98: Address already in use)`;

beforeAll(async () => {
  directory = mkdtempSync(path.join(tmpdir(), 'heuristic-tools-'));
  ownServer = createServer();
  await new Promise<void>((resolve) => ownServer.listen(0, '127.0.0.1', resolve));
  ownPort = (ownServer.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((resolve) => ownServer.close(resolve));
  rmSync(directory, { recursive: true, force: true });
});

describe('HeuristicAgent with a toolbox', () => {
  it('kills a stray it finds on the port a bind error names', async () => {
    const port = await freePort();
    const starter = spawn(
      '/bin/sh',
      ['-c', `"${process.execPath}" -e "require('net').createServer().listen(${port}); setInterval(() => {}, 1000)" >/dev/null 2>&1 </dev/null & echo $!`],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    let output = '';
    starter.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise((resolve) => starter.once('exit', resolve));
    const pid = Number(output.trim());
    try {
      await waitUntil('the stray to listen', async () => ((await listenersOn(port)).length > 0 ? true : undefined));
      const tools = toolbox(port);
      const verdict = await agent.diagnose(context([bindError(port)]), 'general', signal, tools);
      expect(tools.calls.map((call) => [call.name, call.input])).toEqual([['listeners', { port }]]);
      // Inside a systemd service the orphan stays in the tests' cgroup, and then it belongs to that unit.
      if (/\.service\s*$/m.test(readFileSync(`/proc/${pid}/cgroup`, 'utf8'))) return;
      expect(verdict.action).toEqual({ type: 'kill_stray_listener', params: { port, pid } });
      expect(verdict.rationale).toMatch(/listeners probe found pid \d+ .* a stray/);
      expect(verdict.confidence).toBeCloseTo(0.8, 5); // 0.7, +0.1 for logs and probes agreeing
    } finally {
      if (pid > 1) process.kill(pid, 'SIGKILL');
      await waitUntil('the stray to end', async () => (processGone(pid) ? true : undefined));
    }
  });

  it('escalates, naming the owner, when something managed holds the port (here: the orchestrator itself)', async () => {
    const tools = toolbox(ownPort);
    const verdict = await agent.diagnose(context([bindError(ownPort)]), 'general', signal, tools);
    expect(verdict.action.type).toBe('escalate');
    expect(String(verdict.action.params.reason)).toMatch(new RegExp(`port ${ownPort} of web.service is held by pid ${process.pid}: pid ${process.pid} is the orchestrator itself`));
    expect(verdict.action.params.reason).toMatch(/not a stray to kill/);
  });

  it('restarts when the probe finds the port free now', async () => {
    const port = await freePort();
    const verdict = await agent.diagnose(context([bindError(port)]), 'general', signal, toolbox(port));
    expect(verdict.action).toEqual({ type: 'restart_unit', params: { unit: 'web.service' } });
    expect(verdict.rationale).toContain(`found port ${port} free now`);
  });

  it('does not probe when an earlier phase already named the listener, nor for logs that need no probe', async () => {
    const tools = toolbox(ownPort);
    const verdict = await agent.diagnose(context([bindError(ownPort)], { findings: [`port ${ownPort} is held by users:(("apache2",pid=812,fd=4))`] }), 'general', signal, tools);
    expect(verdict.action).toEqual({ type: 'kill_stray_listener', params: { port: ownPort, pid: 812 } });
    await agent.diagnose(context(['app.service: Main process exited, code=killed, status=9/KILL']), 'general', signal, tools);
    expect(tools.calls).toEqual([]);
  });

  it('names owner and mode of the path a permission-denied line names', async () => {
    const file = path.join(directory, 'db');
    writeFileSync(file, 'data');
    chmodSync(file, 0o000);
    const tools = toolbox(ownPort);
    const verdict = await agent.diagnose(context([`web[9]: open ${file}: EACCES: permission denied`]), 'general', signal, tools);
    expect(tools.calls.map((call) => call.name)).toEqual(['path_info']);
    expect(verdict.action.type).toBe('escalate');
    const me = userInfo().username;
    expect(String(verdict.action.params.reason)).toContain(`is denied access to ${file} (file, owner ${me}:`);
    expect(String(verdict.action.params.reason)).toContain('mode 0000)');
    expect(verdict.confidence).toBeGreaterThanOrEqual(0.85);
  });

  it('decides without probes when every probe is refused (a spent budget)', async () => {
    const tools = toolbox(ownPort);
    for (let index = 0; index < 8; index++) await tools.run('config_test', {}, signal);
    const verdict = await agent.diagnose(context([bindError(ownPort)]), 'general', signal, tools);
    expect(verdict.action.type).toBe('escalate');
    expect(verdict.action.params.reason).toMatch(/whose pid is not known/);
  });
});
