/**
 * A reload (SIGHUP) rebuilds the dashboard only when it must: its web section changed, or the Alertmanager receiver
 * came or went (the dashboard is built with the daemon's intake or without one). Through reloadConfiguration with
 * a real configuration file and a daemon double that takes the new configuration.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { reloadConfiguration } from '../../src/cli/config-reload.js';
import { configFor } from '../../src/cli/context.js';
import { silentLogger } from '../../src/core/logger.js';
import type { CompiledConfig } from '../../src/config/compiled.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'orchestrator-reload-'));
  file = path.join(dir, 'config.yaml');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ALERTMANAGER = 'alertmanager: { auth: { bearerTokenFile: /etc/ao/am-token } }\n';

async function reloadTo(before: string, after: string): Promise<{ restarted: number; applied: CompiledConfig[] }> {
  const globals = { config: file, dataDir: path.join(dir, 'data') };
  writeFileSync(file, before);
  let config = configFor(globals);
  const applied: CompiledConfig[] = [];
  const daemon = {
    get current() {
      return { config, daemon: {} };
    },
    replace: async (next: CompiledConfig) => {
      applied.push(next);
      config = next;
    },
  };
  writeFileSync(file, after);
  let restarted = 0;
  await reloadConfiguration({
    globals,
    strict: false,
    logger: silentLogger,
    daemon: daemon as never,
    runner: { run: async () => ({ argv: [], exitCode: 0, signal: null, stdout: '', stderr: '', timedOut: false, truncated: false, durationMs: 0 }) },
    restartDashboard: async () => void restarted++,
  });
  return { restarted, applied };
}

describe('a reload and the dashboard', () => {
  it('rebuilds the dashboard when the Alertmanager receiver is added or removed', async () => {
    const services = 'services: []\n';
    expect(await reloadTo(services, `${ALERTMANAGER}${services}`)).toMatchObject({ restarted: 1, applied: [expect.anything()] });
    expect(await reloadTo(`${ALERTMANAGER}${services}`, services)).toMatchObject({ restarted: 1 });
  });

  it('leaves it running when neither the web section nor the receiver changed, and rebuilds it for a new port', async () => {
    expect(await reloadTo('services: []\n', 'logLevel: debug\nservices: []\n')).toMatchObject({ restarted: 0, applied: [expect.anything()] });
    expect(await reloadTo('services: []\n', 'web: { port: 8899 }\nservices: []\n')).toMatchObject({ restarted: 1 });
  });
});
