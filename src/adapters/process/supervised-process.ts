/**
 * One service of the process adapter: a child the daemon starts in its own process group (argv), or a process
 * found by its pid file. Knows its state from the child's exit and the process table, and stops it with SIGTERM
 * to the group, then SIGKILL after the service's stop timeout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CompiledService } from '../../config/compiled.js';
import type { ServiceState, ServiceStatus } from '../../core/ports.js';
import { captureLines } from './log-capture.js';
import { lookupUser, processState, readPidFile } from './process-table.js';

/** A child counts as starting for this long after it was spawned. */
const STARTING_MS = 500;
const SAFE_ENV_KEYS = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ'];

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The adapter stopped it (a stop or restart), so it is stopped, not failed. */
  byUs: boolean;
}

export class SupervisedProcess {
  private child: ChildProcess | undefined;
  private pid = 0;
  private startedAt: number | null = null;
  private ended: Ended | undefined;
  private stopping = false;
  private spawnError: string | undefined;
  private restarts = 0;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly service: CompiledService,
    private readonly logFile: string,
    private readonly now: () => number,
    private readonly onChange: () => void,
  ) {}

  private get spec() {
    return this.service.process!;
  }

  /** The pid of the service's main process: the child, or the one its pid file names. */
  mainPid(): number {
    if (this.child) return this.pid;
    const fromFile = this.spec.pidFile ? readPidFile(this.spec.pidFile) : undefined;
    return fromFile ?? 0;
  }

  /** The status; a child that is gone but whose exit was not handled yet is waited for (briefly) first. */
  async status(): Promise<ServiceStatus> {
    if (this.child && !this.ended && processState(this.pid) !== 'alive') {
      await Promise.race([this.exited, new Promise((resolve) => setTimeout(resolve, 250))]);
    }
    const state = this.state();
    const words: Record<ServiceState, [string, string]> = {
      running: ['active', 'running'],
      starting: ['activating', 'start'],
      stopped: ['inactive', 'dead'],
      failed: ['failed', 'failed'],
      missing: ['inactive', 'dead'],
    };
    const [activeState, subState] = words[state];
    const ended = this.ended;
    const killed = ended?.signal ? (ended.signal === 'SIGQUIT' || ended.signal === 'SIGABRT' || ended.signal === 'SIGSEGV' ? 'dumped' : 'killed') : ended ? 'exited' : '';
    return {
      name: this.service.unit,
      state,
      loadState: state === 'missing' ? 'not-found' : 'loaded',
      activeState,
      subState,
      unitFileState: '',
      mainPid: state === 'running' || state === 'starting' ? this.mainPid() : 0,
      result: !ended || ended.byUs ? 'success' : ended.signal ? 'signal' : ended.code === 0 ? 'success' : 'exit-code',
      execMainStatus: ended ? (ended.signal ? signalNumber(ended.signal) : (ended.code ?? 0)) : 0,
      execMainCode: killed,
      restarts: this.restarts,
      serviceType: 'simple',
      activeSince: this.startedAt,
    };
  }

  private state(): ServiceState {
    const { argv, pidFile } = this.spec;
    if (this.child && !this.ended) {
      const table = processState(this.pid);
      if (table === 'alive') return this.startedAt !== null && this.now() - this.startedAt < STARTING_MS ? 'starting' : 'running';
      // Gone before its exit event was handled: it ended on its own unless it is being stopped.
      return this.stopping ? 'stopped' : 'failed';
    }
    if (this.spawnError) return 'missing';
    if (argv && !executable(argv[0]!, this.spec.cwd)) return 'missing';
    if (!this.child && pidFile) {
      const pid = readPidFile(pidFile);
      if (pid !== undefined && processState(pid) === 'alive') return 'running';
      if (!argv && pid === undefined) return 'missing';
      return pid !== undefined ? 'failed' : 'stopped';
    }
    if (!this.ended || this.ended.byUs) return 'stopped';
    return this.ended.signal || this.ended.code !== 0 ? 'failed' : 'stopped';
  }

  /** Starts the child; an error is returned as text (no argv, cannot change user, cannot spawn). */
  async start(): Promise<string | undefined> {
    const { argv, cwd, env, user, pidFile } = this.spec;
    if (!argv) return `${this.service.name} has only a pid file: the daemon cannot start it (give it process.argv)`;
    if (this.child && !this.ended) return undefined;
    let ids: { uid: number; gid: number } | undefined;
    if (user) {
      if (process.getuid?.() !== 0) return `${this.service.name} runs as ${user}: the daemon must be root to change user`;
      ids = lookupUser(user);
      if (!ids) return `${this.service.name}: no user named ${user}`;
    }
    const safeEnv = Object.fromEntries(SAFE_ENV_KEYS.flatMap((key) => (process.env[key] !== undefined ? [[key, process.env[key]!]] : [])));
    this.ended = undefined;
    this.spawnError = undefined;
    this.stopping = false;
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env: { ...safeEnv, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'], uid: ids?.uid, gid: ids?.gid });
    this.child = child;
    const spawned = await new Promise<string | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', (error) => resolve(error.message));
    });
    if (spawned) {
      this.spawnError = spawned;
      this.child = undefined;
      return `${argv[0]} could not start: ${spawned}`;
    }
    this.pid = child.pid!;
    this.startedAt = this.now();
    this.restarts++;
    captureLines(child.stdout!, this.logFile, 'out', this.now);
    captureLines(child.stderr!, this.logFile, 'err', this.now);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.ended = { code, signal, byUs: this.stopping };
        resolve();
        this.onChange();
      }),
    );
    if (pidFile) {
      try {
        writeFileSync(pidFile, `${this.pid}\n`, { mode: 0o644 });
      } catch {
        // The pid file is a convenience for others; the daemon knows its child.
      }
    }
    this.onChange();
    return undefined;
  }

  /** SIGTERM to the process group, SIGKILL after the stop timeout; resolves once it has exited. */
  async stop(): Promise<string | undefined> {
    if (!this.child || this.ended) {
      this.stopping = false;
      if (!this.child && this.spec.pidFile && !this.spec.argv) return `${this.service.name} has only a pid file: the daemon does not stop what it did not start`;
      return undefined;
    }
    this.stopping = true;
    this.signalGroup('SIGTERM');
    const timer = setTimeout(() => this.signalGroup('SIGKILL'), this.spec.stopTimeoutMs);
    await this.exited;
    clearTimeout(timer);
    return undefined;
  }

  /** Sends a signal to every process of the service (its process group). */
  signalGroup(signal: 'SIGKILL' | 'SIGCONT' | 'SIGTERM'): string | undefined {
    const pid = this.mainPid();
    if (pid <= 0) return `${this.service.name} has no running process`;
    try {
      process.kill(this.child ? -pid : pid, signal);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }

  /** SIGKILL to a child the daemon started and that still runs (never to a process it only found). */
  killChild(): void {
    if (this.child && !this.ended) this.signalGroup('SIGKILL');
  }

  /** The directory of the pid file, where stale state lives. */
  runtimeDirectories(): string[] {
    return this.spec.pidFile ? [path.dirname(this.spec.pidFile)] : [];
  }
}

function executable(program: string, cwd?: string): boolean {
  const candidates = program.includes('/') ? [path.resolve(cwd ?? '.', program)] : (process.env.PATH ?? '').split(':').map((directory) => path.join(directory, program));
  return candidates.some((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  const numbers: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGTERM: 15 };
  return numbers[signal] ?? 0;
}
