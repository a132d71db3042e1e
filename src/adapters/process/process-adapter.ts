/**
 * The process adapter, for hosts without systemd and for `orchestrator demo`: each service is an argv the daemon
 * supervises as a child in its own process group, or an existing process found by its pid file. State comes from
 * the child's exit event and the process table, logs from its captured output and the files it names. It
 * declares what it can do (signals, runtime paths), so actions that need more (reset-failed, reload) are never
 * proposed and the executor refuses them.
 *
 * It starts nothing by itself: a supervised service reads `stopped` until the orchestrator's first watch sees
 * it and phase 1 starts it, or until someone calls `startAll()` (the demo does, before its first cycle).
 */
import path from 'node:path';
import type { CompiledService } from '../../config/compiled.js';
import type { AdapterCapability, CommandResult, LogQuery, ServiceAdapter, ServiceStatus, StateListener } from '../../core/ports.js';
import { tailLines, shareLines, withinWindow } from './log-tail.js';
import { SpawnFailure, SupervisedProcess, type Problem, type SpawnFunction } from './supervised-process.js';

export interface ProcessAdapterOptions {
  /** The services it manages (those with a process: block). */
  services: readonly CompiledService[];
  /** Where captured stdout and stderr are kept: DATA/process-logs/<service>.log (created 0700). */
  logDirectory: string;
  /** Wall time in ms, for log timestamps and activeSince (default Date.now). */
  now?: () => number;
  /** Monotonic ms, for the starting window (default performance.now). */
  monotonic?: () => number;
  /** Starts a child (default node's spawn): tests can wrap it. */
  spawn?: SpawnFunction;
}

/** How long close() lets children go after SIGTERM before SIGKILL: Ctrl-C should not wait 10 s per service. */
const CLOSE_DEADLINE_MS = 3_000;

export class ProcessAdapter implements ServiceAdapter {
  readonly kind = 'process';
  readonly capabilities: ReadonlySet<AdapterCapability> = new Set<AdapterCapability>(['signal', 'runtime-paths']);
  private readonly processes = new Map<string, SupervisedProcess>();
  private readonly listeners = new Set<{ names: ReadonlySet<string>; listener: StateListener }>();
  private readonly now: () => number;

  constructor(readonly options: ProcessAdapterOptions) {
    this.now = options.now ?? Date.now;
    for (const service of options.services) {
      if (!service.process) continue;
      const name = service.unit;
      this.processes.set(
        name,
        new SupervisedProcess({
          service,
          logFile: this.logFileOf(service),
          now: this.now,
          monotonic: options.monotonic ?? (() => performance.now()),
          spawn: options.spawn,
          onChange: () => this.changed(name),
        }),
      );
    }
  }

  /**
   * Starts every supervised service that is not running, in configuration order, and resolves with what could
   * not be started (service → reason). The composition root leaves starting to the orchestrator; the demo and a
   * container's entrypoint call this once so the services are up before the first cycle.
   */
  async startAll(): Promise<Map<string, string>> {
    const problems = new Map<string, string>();
    for (const [name, supervised] of this.processes) {
      if (!supervised.startable) continue;
      const problem = await supervised.start();
      if (problem) problems.set(name, typeof problem === 'string' ? problem : problem.message);
    }
    return problems;
  }

  async statusMany(names: readonly string[]): Promise<Map<string, ServiceStatus>> {
    const statuses = new Map<string, ServiceStatus>();
    for (const name of names) {
      const supervised = this.processes.get(name);
      if (supervised) statuses.set(name, supervised.status());
    }
    return statuses;
  }

  start(name: string): Promise<CommandResult> {
    return this.act(['start'], name, (supervised) => supervised.start());
  }

  stop(name: string, signal?: AbortSignal): Promise<CommandResult> {
    return this.act(['stop'], name, (supervised) => supervised.stop(signal));
  }

  restart(name: string, signal?: AbortSignal): Promise<CommandResult> {
    return this.act(['restart'], name, (supervised) => supervised.restart(signal));
  }

  /** signal: to the child's whole process group (or the process its pid file names). */
  kill(name: string, killSignal: 'SIGKILL' | 'SIGCONT' | 'SIGTERM'): Promise<CommandResult> {
    return this.act(['kill', `--signal=${killSignal}`], name, async (supervised) => supervised.signal(killSignal));
  }

  /** runtime-paths: the pid file's directory, where a service's stale state lives. */
  async runtimePaths(name: string): Promise<{ directories: string[]; pidFile?: string }> {
    const pidFile = this.processes.get(name)?.service.process?.pidFile;
    return pidFile ? { directories: [path.dirname(pidFile)], pidFile } : { directories: [] };
  }

  /**
   * The newest lines of the captured output (with its rotated file when the current one is short) and of each
   * of the service's log files, `query.lines` in all, shared between them. With `sinceMs`, a line counts by its
   * own timestamp, and a log file's lines without one only when the file changed inside the window.
   */
  async logs(name: string, query: LogQuery): Promise<string[]> {
    const supervised = this.processes.get(name);
    if (!supervised || query.lines <= 0) return [];
    const since = query.sinceMs === undefined ? undefined : this.now() - query.sinceMs;
    const captureFile = this.logFileOf(supervised.service);
    let captured = withinWindow(tailLines(captureFile, query.lines), since);
    if (captured.length < query.lines) captured = [...withinWindow(tailLines(`${captureFile}.1`, query.lines - captured.length), since), ...captured];
    const files = supervised.service.process!.logFiles.map((file) => withinWindow(tailLines(file, query.lines), since));
    return shareLines([captured, ...files], query.lines);
  }

  /** Pushes a change when a supervised child starts or exits; a process found by pid file is seen by polling. */
  watch(names: readonly string[], listener: StateListener): () => void {
    const entry = { names: new Set(names), listener };
    this.listeners.add(entry);
    return () => void this.listeners.delete(entry);
  }

  describeWatching(): string {
    return 'a supervised child’s exit is pushed; a process found by pid file is polled';
  }

  /** Stops every child the daemon started (SIGTERM, SIGKILL after a short deadline), so Ctrl-C leaves nothing behind. */
  async close(): Promise<void> {
    await Promise.all([...this.processes.values()].map((supervised) => supervised.shutdown(CLOSE_DEADLINE_MS)));
    this.listeners.clear();
  }

  private logFileOf(service: CompiledService): string {
    return path.join(this.options.logDirectory, `${service.name}.log`);
  }

  private changed(name: string): void {
    for (const { names, listener } of this.listeners) {
      if (!names.has(name)) continue;
      try {
        listener(name);
      } catch {
        // A listener's failure is its own; the child's exit is recorded either way.
      }
    }
  }

  private async act(verb: readonly string[], name: string, work: (supervised: SupervisedProcess) => Promise<Problem>): Promise<CommandResult> {
    const argv = ['process', ...verb, name];
    const started = performance.now();
    const supervised = this.processes.get(name);
    let problem: Problem;
    try {
      problem = supervised ? await work(supervised) : `${name} is not a service of the process adapter`;
    } catch (unexpected) {
      problem = (unexpected as Error).message;
    }
    const stderr = problem instanceof SpawnFailure ? problem.message : (problem ?? '');
    return {
      argv,
      exitCode: problem === undefined ? 0 : 1,
      signal: null,
      stdout: '',
      stderr,
      timedOut: false,
      truncated: false,
      ...(problem instanceof SpawnFailure && { spawnError: problem.code }),
      durationMs: performance.now() - started,
    };
  }
}
