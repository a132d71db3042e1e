/**
 * A process the daemon did not start but finds by its pid file: running while the pid it names is alive,
 * failed once a pid seen running is gone (unless the adapter stopped it), stopped when the file is stale and
 * nothing was seen, missing when there is no pid file at all. A live pid whose process started after the pid
 * file was written is a reused pid, not the service, and is never signalled.
 */
import { statSync } from 'node:fs';
import { pidFileExists, readPidFile } from './pid-file.js';
import { processLiveness, processStartedAt, sendSignal } from './process-table.js';
import { waitUntil } from './wait.js';

/** Tolerance between a process's start time (10 ms ticks, boot time in seconds) and its pid file's mtime. */
const START_TIME_SLACK_MS = 2_000;
/** How long a SIGKILLed process may take to disappear. */
const KILL_WAIT_MS = 5_000;

export interface FoundObservation {
  state: 'running' | 'failed' | 'stopped' | 'missing';
  pid: number;
  startedAt: number | null;
}

export class FoundProcess {
  private seenPid: number | undefined;
  private stoppedByAdapter = false;

  constructor(readonly pidFile: string) {}

  /** The live process the pid file names, or undefined (no file, a dead pid, a reused pid). */
  livePid(): { pid: number; startedAt: number | null } | undefined {
    const pid = readPidFile(this.pidFile);
    if (pid === undefined || pid === process.pid || processLiveness(pid) !== 'alive') return undefined;
    const startedAt = processStartedAt(pid);
    const writtenAt = modifiedAt(this.pidFile);
    if (startedAt !== null && writtenAt !== undefined && startedAt > writtenAt + START_TIME_SLACK_MS) return undefined;
    return { pid, startedAt };
  }

  observe(): FoundObservation {
    const live = this.livePid();
    if (live) {
      this.seenPid = live.pid;
      this.stoppedByAdapter = false;
      return { state: 'running', pid: live.pid, startedAt: live.startedAt };
    }
    if (this.seenPid !== undefined && !this.stoppedByAdapter) return { state: 'failed', pid: 0, startedAt: null };
    return { state: pidFileExists(this.pidFile) || this.stoppedByAdapter ? 'stopped' : 'missing', pid: 0, startedAt: null };
  }

  /** Whether a process found earlier is gone without the adapter stopping it. */
  get failed(): boolean {
    return this.seenPid !== undefined && !this.stoppedByAdapter && this.livePid() === undefined;
  }

  /** A child the daemon starts owns the pid file from now on: what was seen before no longer counts. */
  forget(): void {
    this.seenPid = undefined;
    this.stoppedByAdapter = false;
  }

  /** Sends a signal to the found process; the error text when there is none or it cannot be signalled. */
  signal(signal: 'SIGKILL' | 'SIGCONT' | 'SIGTERM'): string | undefined {
    const live = this.livePid();
    if (!live) return `no live process is named by ${this.pidFile}`;
    const error = sendSignal(live.pid, signal);
    return error && `cannot send ${signal} to pid ${live.pid}: ${error}`;
  }

  /** SIGTERM, SIGKILL after `timeoutMs` (or at once when `abort` fires); the error text when it outlives both. */
  async stop(timeoutMs: number, abort?: AbortSignal): Promise<string | undefined> {
    const live = this.livePid();
    this.stoppedByAdapter = true;
    if (!live) return undefined;
    const gone = () => processLiveness(live.pid) !== 'alive';
    sendSignal(live.pid, 'SIGTERM');
    sendSignal(live.pid, 'SIGCONT');
    if (await waitUntil(gone, timeoutMs, abort)) return undefined;
    sendSignal(live.pid, 'SIGKILL');
    return (await waitUntil(gone, KILL_WAIT_MS)) ? undefined : `pid ${live.pid} (from ${this.pidFile}) is still alive ${KILL_WAIT_MS} ms after SIGKILL`;
  }
}

function modifiedAt(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}
