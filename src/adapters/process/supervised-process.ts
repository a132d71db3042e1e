/**
 * One service of the process adapter: an argv the daemon runs as a child in its own process group, and/or a
 * process found by its pid file. It knows its state from the child's exit event and the process table, stops
 * with SIGTERM to the group and SIGKILL after the stop timeout, and never lets two of its operations overlap
 * (a restart racing a stop would leave two children).
 */
import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { CompiledProcess, CompiledService } from '../../config/compiled.js';
import type { ServiceStatus } from '../../core/ports.js';
import { FoundProcess } from './found-process.js';
import { findExecutable, isDirectory, launchOptions } from './launch-options.js';
import { captureStream, LogWriter } from './log-capture.js';
import { removePidFileOf, writePidFile } from './pid-file.js';
import { processStatus, type ProcessEnd, type ProcessSnapshot } from './process-status.js';
import { groupExists, processLiveness, sendSignal, signalNumber, zombieExit } from './process-table.js';
import { settlesWithin, waitUntil } from './wait.js';

/** Starts a program: node's spawn, or a test's stand-in. */
export type SpawnFunction = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

/** A child counts as starting (activating) for this long after it was spawned. */
export const STARTING_MS = 1_000;
/** How long a SIGKILLed child may take to be reaped before a stop reports it as stuck. */
const KILL_WAIT_MS = 5_000;

/** Why the program could not be started at all (CommandResult.spawnError): ENOENT, EACCES ... */
export class SpawnFailure {
  constructor(
    readonly message: string,
    readonly code: string,
  ) {}
}

/** What went wrong with an operation, as text for a human (or a SpawnFailure); undefined when it worked. */
export type Problem = string | SpawnFailure | undefined;

export interface SupervisedProcessOptions {
  service: CompiledService;
  logFile: string;
  now: () => number;
  monotonic: () => number;
  spawn?: SpawnFunction;
  /** Called when the child starts or exits (the adapter's watch). */
  onChange: () => void;
}

export class SupervisedProcess {
  readonly service: CompiledService;
  private readonly spec: CompiledProcess;
  private readonly found: FoundProcess | undefined;
  private readonly writer: LogWriter;
  private child: ChildProcess | undefined;
  private pid = 0;
  private startedAt: number | null = null;
  private startedMonotonic = 0;
  private end: ProcessEnd | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stopping = false;
  private spawnError: { code: string; message: string } | undefined;
  private starts = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly reapTimers = new Set<NodeJS.Timeout>();
  /** Set by shutdown: nothing is started any more. */
  private closed = false;

  constructor(private readonly options: SupervisedProcessOptions) {
    this.service = options.service;
    this.spec = options.service.process!;
    this.found = this.spec.pidFile ? new FoundProcess(this.spec.pidFile) : undefined;
    this.writer = new LogWriter(options.logFile, options.now);
  }

  /** Whether the daemon can start it (it has an argv, not only a pid file). */
  get startable(): boolean {
    return this.spec.argv !== undefined;
  }

  status(): ServiceStatus {
    return processStatus(this.snapshot());
  }

  private snapshot(): ProcessSnapshot {
    const base = { name: this.service.unit, restarts: Math.max(0, this.starts - 1), mainPid: 0, activeSince: this.startedAt, end: this.end };
    if (this.child && !this.end) {
      const liveness = processLiveness(this.pid);
      if (liveness === 'alive') {
        const starting = this.options.monotonic() - this.startedMonotonic < STARTING_MS;
        return { ...base, state: starting ? 'starting' : 'running', mainPid: this.pid };
      }
      // It has exited and the exit event is on its way: the zombie's wait status says how, when it is still there.
      const exit = liveness === 'zombie' ? zombieExit(this.pid) : undefined;
      const end = { code: exit?.code ?? null, signalNumber: exit?.signalNumber ?? null, byAdapter: this.stopping };
      return { ...base, state: this.stopping ? 'stopped' : 'failed', end: exit && end, unknownEnd: !exit };
    }
    if (this.found) {
      const seen = this.found.observe();
      if (seen.state === 'running') return { ...base, state: 'running', mainPid: seen.pid, activeSince: seen.startedAt, end: undefined };
      if (seen.state === 'failed') return { ...base, state: 'failed', end: undefined, unknownEnd: true };
      if (!this.spec.argv) return { ...base, state: seen.state };
    }
    // Missing is judged by what is there now, so a program installed after a failed start is started again.
    const launch = launchOptions(this.spec, this.service.name);
    const searchPath = 'env' in launch ? launch.env.PATH! : (process.env.PATH ?? '');
    if (!findExecutable(this.spec.argv![0]!, searchPath, this.spec.cwd) || (this.spec.cwd && !isDirectory(this.spec.cwd))) return { ...base, state: 'missing' };
    if (this.spawnError) return { ...base, state: 'failed', spawnFailed: true };
    if (this.end && !this.end.byAdapter && (this.end.signalNumber !== null || this.end.code !== 0)) return { ...base, state: 'failed' };
    return { ...base, state: 'stopped' };
  }

  /** Starts the child unless it runs; the reason as text when it cannot (no argv, user, program, spawn error). */
  start(): Promise<Problem> {
    return this.serially(() => this.startNow());
  }

  /** SIGTERM to the group, SIGKILL after the stop timeout (at once when `abort` fires); resolves once it is gone. */
  stop(abort?: AbortSignal, timeoutMs = this.spec.stopTimeoutMs): Promise<string | undefined> {
    return this.serially(() => this.stopNow(abort, timeoutMs));
  }

  restart(abort?: AbortSignal): Promise<Problem> {
    if (!this.startable) return Promise.resolve(this.notStartable('restart'));
    return this.serially(async () => (await this.stopNow(abort, this.spec.stopTimeoutMs)) ?? (await this.startNow()));
  }

  /** Sends a signal to every process of the service: the child's process group, or the process found by pid file. */
  signal(signal: 'SIGKILL' | 'SIGCONT' | 'SIGTERM'): string | undefined {
    // The main process alive, or what is left of its group once it has been reaped (a zombie main is not running).
    const mainAlive = this.child !== undefined && !this.end && processLiveness(this.pid) === 'alive';
    if (mainAlive || (this.child && this.end && groupExists(this.pid))) {
      const error = sendSignal(-this.pid, signal);
      return error && `cannot send ${signal} to the process group ${this.pid} of ${this.service.name}: ${error}`;
    }
    if (this.found) return this.found.signal(signal);
    return `${this.service.name} has no running process`;
  }

  /** Stops a child the daemon started (never a process it only found), within `deadlineMs`; SIGKILL after that. */
  async shutdown(deadlineMs: number): Promise<void> {
    this.closed = true;
    const stopped = this.serially(async () => (this.child && !this.end ? this.stopNow(undefined, Math.min(deadlineMs, this.spec.stopTimeoutMs)) : undefined));
    if (!(await settlesWithin(stopped, deadlineMs + KILL_WAIT_MS)) && this.child && !this.end) sendSignal(-this.pid, 'SIGKILL');
    for (const timer of this.reapTimers) clearTimeout(timer);
    this.reapTimers.clear();
    this.writer.close();
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    // A failed operation must not keep the next one from running.
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private notStartable(verb: string): string {
    return `${this.service.name} is a process found by its pid file ${this.spec.pidFile}: the daemon cannot ${verb} it (give the service a process.argv to let it)`;
  }

  private async startNow(): Promise<Problem> {
    const { argv, cwd, pidFile } = this.spec;
    if (!argv) return this.notStartable('start');
    if (this.closed) return `${this.service.name} is not started: the process adapter is shutting down`;
    if (this.child && !this.end) {
      if (processLiveness(this.pid) === 'alive') return undefined;
      await this.exited;
    }
    if (this.found?.livePid()) return undefined; // Already running, started by someone else: systemctl start is a no-op too.
    const launch = launchOptions(this.spec, this.service.name);
    if ('error' in launch) return launch.error;
    if (!findExecutable(argv[0]!, launch.env.PATH!, cwd)) {
      const where = argv[0]!.includes('/') ? (cwd ?? 'the working directory') : `PATH=${launch.env.PATH}`;
      return new SpawnFailure(`${argv[0]} is not an executable file (looked in ${where})`, 'ENOENT');
    }
    if (cwd && !isDirectory(cwd)) return new SpawnFailure(`the working directory ${cwd} of ${this.service.name} is not a directory`, 'ENOENT');
    this.writer.close(); // Reopened by the first line: a log file removed meanwhile is created again.
    const child = (this.options.spawn ?? nodeSpawn)(argv[0]!, argv.slice(1), {
      cwd,
      env: launch.env,
      uid: launch.uid,
      gid: launch.gid,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const failure = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', resolve);
    });
    if (failure) {
      this.spawnError = { code: failure.code ?? 'UNKNOWN', message: failure.message };
      this.options.onChange();
      return new SpawnFailure(`${argv[0]} could not be started: ${failure.message}`, this.spawnError.code);
    }
    child.on('error', () => undefined); // A later error (a failed kill) must not crash the daemon.
    this.child = child;
    this.pid = child.pid!;
    this.end = undefined;
    this.stopping = false;
    this.spawnError = undefined;
    this.startedAt = this.options.now();
    this.startedMonotonic = this.options.monotonic();
    this.starts++;
    this.found?.forget();
    void captureStream(child.stdout!, this.writer, 'out');
    void captureStream(child.stderr!, this.writer, 'err');
    const pid = this.pid;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.end = { code, signalNumber: signal ? signalNumber(signal) : null, byAdapter: this.stopping };
        if (!this.stopping) this.reapGroup(pid);
        if (pidFile) removePidFileOf(pidFile, pid);
        resolve();
        this.options.onChange();
      });
    });
    if (pidFile) {
      // The daemon publishes its child's pid; a program that keeps its own pid file names it in runtimeFiles instead
      // (one that daemonizes and overwrites this file is then found by it once the launcher exits).
      const error = writePidFile(pidFile, pid);
      if (error) this.writer.writeLines('err', [`orchestrator: cannot write the pid file ${pidFile}: ${error}`]);
    }
    this.options.onChange();
    return undefined;
  }

  private async stopNow(abort: AbortSignal | undefined, timeoutMs: number): Promise<string | undefined> {
    if (!this.child || this.end) {
      // Nothing of ours runs. A failure is acknowledged (the process adapter has no reset-failed), what is left of
      // the old group is killed, and a process found by its pid file is stopped.
      const acknowledged = (this.end !== undefined && !this.end.byAdapter) || this.spawnError !== undefined;
      this.spawnError = undefined;
      if (this.end) this.end = { ...this.end, byAdapter: true };
      if (this.child && groupExists(this.pid)) sendSignal(-this.pid, 'SIGKILL');
      const error = this.found && (!this.child || this.found.livePid()) ? await this.found.stop(timeoutMs, abort) : undefined;
      if (acknowledged || this.found) this.options.onChange();
      return error;
    }
    this.stopping = true;
    const pgid = this.pid;
    sendSignal(-pgid, 'SIGTERM');
    sendSignal(-pgid, 'SIGCONT'); // A stopped (SIGSTOP) process cannot act on SIGTERM until it continues.
    const started = performance.now();
    const exitedInTime = await settlesWithin(this.exited, timeoutMs, abort);
    // The main process is gone; the rest of its group gets what is left of the stop timeout.
    const groupGone = exitedInTime && (await waitUntil(() => !groupExists(pgid), Math.max(0, timeoutMs - (performance.now() - started)), abort));
    if (!groupGone) sendSignal(-pgid, 'SIGKILL');
    if (!exitedInTime && !(await settlesWithin(this.exited, KILL_WAIT_MS))) {
      return `${this.service.name} (pid ${pgid}) has not exited ${KILL_WAIT_MS} ms after SIGKILL (stuck in the kernel?)`;
    }
    return undefined;
  }

  /** After the main process ended on its own, the rest of its group is stopped too (systemd's KillMode=control-group). */
  private reapGroup(pgid: number): void {
    if (!groupExists(pgid)) return;
    sendSignal(-pgid, 'SIGTERM');
    sendSignal(-pgid, 'SIGCONT');
    const timer = setTimeout(() => {
      this.reapTimers.delete(timer);
      if (this.pid === pgid && groupExists(pgid)) sendSignal(-pgid, 'SIGKILL');
    }, this.spec.stopTimeoutMs);
    timer.unref();
    this.reapTimers.add(timer);
  }
}
