/**
 * The data directory on a real, full filesystem (a 2 MiB tmpfs, so root is needed): detection goes on and says
 * why once, nothing is acted on that could not be recorded first, a task whose remediation the full disk stopped
 * is not left `running`, and once space returns the fault is fixed and recorded. The instance lock of a full data
 * directory is taken without an uncaught ENOSPC.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, writeSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../src/config/load.js';
import { createDaemon } from '../../src/main.js';
import { nodeFileSystem } from '../../src/adapters/host/node-file-system.js';
import { nodeProbes } from '../../src/adapters/host/node-probes.js';
import { systemClock } from '../../src/runtime/clock.js';
import { ProcessCommandRunner } from '../../src/runtime/command-runner.js';
import { acquireInstanceLock } from '../../src/runtime/instance-lock.js';
import { openStores } from '../../src/store/stores.js';
import type { Logger } from '../../src/core/logger.js';
import { MemoryAdapter } from '../support/memory-adapter.js';

const ROOT = process.getuid?.() === 0;
if (!ROOT) console.warn('hostile disk full: not root: cannot mount the small tmpfs, the disk-full cases are skipped');

let base: string;
let dataDir: string;
let filler: string;

function recordingLogger(lines: string[]): Logger {
  const method = (object: unknown, message?: string) => void lines.push(typeof object === 'string' ? object : `${message ?? ''} ${JSON.stringify(object)}`);
  return { debug: () => {}, info: method, warn: method, error: method };
}

/** Writes until the filesystem says ENOSPC. */
function fill(): void {
  const fd = openSync(filler, 'a');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

describe.skipIf(!ROOT)('a full data directory', () => {
  beforeEach(() => {
    base = mkdtempSync(path.join(tmpdir(), 'orchestrator-full-'));
    dataDir = path.join(base, 'data');
    mkdirSync(dataDir, { mode: 0o700 });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2M,mode=0700', 'tmpfs', dataDir]);
    filler = path.join(dataDir, 'filler');
  });
  afterEach(() => {
    execFileSync('umount', ['-l', dataDir]);
    rmSync(base, { recursive: true, force: true });
  });

  function daemonFor(adapter: MemoryAdapter, lines: string[]) {
    const config = parseConfigText(
      `dataDir: ${dataDir}\ncycle: { watchFailedUnits: false }\nverification: { settle: 10ms }\nphases: { quickFix: { backoff: 10ms } }\nbackup: { enabled: false }\nweb: { enabled: false }\nhost: { disk: { enabled: false }, inodes: { enabled: false }, memory: { enabled: false } }\nservices:\n  - { name: app, unit: app.service }\n`,
      'disk-full',
    );
    return createDaemon({
      config,
      logger: recordingLogger(lines),
      adapters: { adapter, runner: new ProcessCommandRunner(), probes: nodeProbes, files: nodeFileSystem, clock: systemClock },
    });
  }

  it('keeps detecting while full, acts on nothing it cannot record, and fixes the fault once space returns', async () => {
    const adapter = new MemoryAdapter();
    const lines: string[] = [];
    const daemon = daemonFor(adapter, lines);
    try {
      fill();
      adapter.states.set('app.service', 'failed');
      for (let cycle = 0; cycle < 3; cycle++) await expect(daemon.orchestrator.runCycle('watch')).resolves.toBeUndefined();
      await daemon.orchestrator.idle();
      expect(adapter.actions).toHaveLength(0);
      expect(lines.filter((line) => /filesystem of the data directory is full/.test(line))).toHaveLength(1);
      rmSync(filler);
      await daemon.orchestrator.runCycle('watch');
      await daemon.orchestrator.idle();
      expect(adapter.states.get('app.service')).toBe('running');
      const [task] = daemon.stores.tasks.list({ limit: 10 });
      expect(task).toMatchObject({ service: 'app', status: 'fixed', fixSuccessful: true });
      expect(lines.some((line) => /can be written again/.test(line))).toBe(true);
    } finally {
      daemon.stores.close();
    }
  });

  it('does not leave a task running when the disk fills in the middle of its remediation', async () => {
    const adapter = new MemoryAdapter();
    const lines: string[] = [];
    const daemon = daemonFor(adapter, lines);
    try {
      adapter.onAction = () => {
        adapter.onAction = () => {};
        fill();
      };
      adapter.states.set('app.service', 'failed');
      await daemon.orchestrator.runCycle('watch');
      await daemon.orchestrator.idle();
      expect(adapter.actions).toHaveLength(1);
      rmSync(filler);
      await daemon.orchestrator.runCycle('watch');
      await daemon.orchestrator.idle();
      const tasks = daemon.stores.tasks.list({ limit: 10 });
      expect(tasks.filter((task) => task.status === 'running' || task.status === 'open')).toHaveLength(0);
      expect(tasks[0]!.status).toMatch(/recovered|fixed/);
      expect(adapter.actions).toHaveLength(1);
    } finally {
      daemon.stores.close();
    }
  });

  it('takes the instance lock of a full data directory without an uncaught ENOSPC', () => {
    const stores = openStores(dataDir);
    stores.close();
    acquireInstanceLock(dataDir).release();
    fill();
    const lock = acquireInstanceLock(dataDir);
    lock.release();
    rmSync(path.join(dataDir, 'daemon.lock'));
    expect(() => acquireInstanceLock(dataDir)).toThrow(/full|cannot take the instance lock/);
  });
});
