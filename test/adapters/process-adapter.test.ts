/** The adapter conformance suite against the process adapter: real child processes, no root needed. */
import { describe } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../src/config/load.js';
import { ProcessAdapter } from '../../src/adapters/process/process-adapter.js';
import { adapterConformance } from './conformance.js';

describe('process adapter conformance', () => {
  adapterConformance(async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'orchestrator-process-'));
    const pidFile = path.join(directory, 'gone.pid');
    writeFileSync(pidFile, '999999\n');
    const marker = `conformance-${process.pid}`;
    const config = parseConfigText(
      `services:
  - name: ticker
    process: { argv: [${process.execPath}, -e, "setInterval(() => console.log('${marker}'), 200)"] }
  - name: gone
    process: { pidFile: ${pidFile} }
`,
      'conformance',
    );
    const adapter = new ProcessAdapter({ services: config.services, logDirectory: path.join(directory, 'logs') });
    await adapter.startAll();
    return {
      adapter,
      service: 'ticker',
      marker,
      killMain: async (pid) => void process.kill(pid, 'SIGKILL'),
      stalePidService: 'gone',
      unsupported: { type: 'reset_failed', params: {}, capability: 'reset-failed' },
      cleanup: async () => {
        await adapter.close();
        rmSync(directory, { recursive: true, force: true });
      },
    };
  });
});
