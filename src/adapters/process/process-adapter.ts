/**
 * The process adapter, for hosts without systemd and for `orchestrator demo`: each service is an argv the daemon
 * supervises as a child in its own process group, or an existing process found by its pid file. State comes from
 * the child's exit and the process table, logs from its captured output and the files it names. It declares
 * what it can do (signals, runtime paths), so actions that need more (reset-failed, reload) are never proposed.
 */
import path from 'node:path';
import type { CompiledService } from '../../config/compiled.js';
import type { AdapterCapability, CommandResult, LogQuery, ServiceAdapter, ServiceStatus, StateListener } from '../../core/ports.js';
import { SupervisedProcess } from './supervised-process.js';
import { lineTime, tailLines } from './log-capture.js';

export interface ProcessAdapterOptions {
  /** The services it manages (those with a process: block). */
  services: readonly CompiledService[];
  /** Where captured stdout and stderr are kept: DATA/process-logs/<service>.log. */
  logDirectory: string;
  /** Wall time in ms (tests may pass their own). */
  now?: () => number;
}

const CLOSE_DEADLINE_MS = 5_000;

export class ProcessAdapter implements ServiceAdapter {
  readonly kind = 'process';
  readonly capabilities: ReadonlySet<AdapterCapability> = new Set<AdapterCapability>(['signal', 'runtime-paths']);
  private readonly processes = new Map<string, SupervisedProcess>();
  private readonly listeners = new Set<{ names: ReadonlySet<string>; listener: StateListener }>();

  constructor(readonly options: ProcessAdapterOptions) {
    const now = options.now ?? Date.now;
    for (const service of options.services) {
      if (!service.process) continue;
      const name = service.unit;
      this.processes.set(name, new SupervisedProcess(service, path.join(options.logDirectory, `${service.name}.log`), now, () => this.changed(name)));
    }
  }

  /** Starts every supervised service that is not running (the demo and a container's entrypoint call it once). */
  async startAll(): Promise<void> {
    for (const supervised of this.processes.values()) {
      const state = (await supervised.status()).state;
      if (state !== 'running' && state !== 'starting' && supervised.service.process?.argv) await supervised.start();
    }
  }

  async statusMany(names: readonly string[]): Promise<Map<string, ServiceStatus>> {
    const statuses = new Map<string, ServiceStatus>();
    for (const name of names) {
      const supervised = this.processes.get(name);
      if (supervised) statuses.set(name, await supervised.status());
    }
    return statuses;
  }

  start(name: string): Promise<CommandResult> {
    return this.act('start', name, (supervised) => supervised.start());
  }

  stop(name: string): Promise<CommandResult> {
    return this.act('stop', name, (supervised) => supervised.stop());
  }

  restart(name: string): Promise<CommandResult> {
    return this.act('restart', name, async (supervised) => (await supervised.stop()) ?? (await supervised.start()));
  }

  kill(name: string, killSignal: 'SIGKILL' | 'SIGCONT' | 'SIGTERM'): Promise<CommandResult> {
    return this.act(`kill --signal=${killSignal}`, name, async (supervised) => supervised.signalGroup(killSignal));
  }

  async runtimePaths(name: string): Promise<{ directories: string[]; pidFile?: string }> {
    const supervised = this.processes.get(name);
    return { directories: supervised?.runtimeDirectories() ?? [], pidFile: supervised?.service.process?.pidFile };
  }

  async logs(name: string, query: LogQuery): Promise<string[]> {
    const supervised = this.processes.get(name);
    if (!supervised) return [];
    const since = query.sinceMs === undefined ? undefined : (this.options.now ?? Date.now)() - query.sinceMs;
    const captured = tailLines(path.join(this.options.logDirectory, `${supervised.service.name}.log`), query.lines).lines.filter(
      (line) => since === undefined || (lineTime(line) ?? 0) >= since,
    );
    const files = supervised.service.process!.logFiles.flatMap((file) => {
      const tail = tailLines(file, query.lines);
      return since === undefined || tail.mtimeMs >= since ? tail.lines : [];
    });
    return [...files, ...captured].slice(-query.lines);
  }

  watch(names: readonly string[], listener: StateListener): () => void {
    const entry = { names: new Set(names), listener };
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  /** Stops every supervised child, so nothing outlives the daemon (SIGKILL after a short deadline). */
  async close(): Promise<void> {
    await Promise.race([
      Promise.all([...this.processes.values()].map((supervised) => supervised.stop())),
      new Promise((resolve) => setTimeout(resolve, CLOSE_DEADLINE_MS).unref()),
    ]);
    for (const supervised of this.processes.values()) supervised.killChild();
  }

  private changed(name: string): void {
    for (const { names, listener } of this.listeners) if (names.has(name)) listener(name);
  }

  private async act(verb: string, name: string, work: (supervised: SupervisedProcess) => Promise<string | undefined>): Promise<CommandResult> {
    const argv = ['process', ...verb.split(' '), name];
    const started = performance.now();
    const supervised = this.processes.get(name);
    const error = supervised ? await work(supervised) : `${name} is not a service of the process adapter`;
    return { argv, exitCode: error ? 1 : 0, signal: null, stdout: '', stderr: error ?? '', timedOut: false, truncated: false, durationMs: performance.now() - started };
  }
}
