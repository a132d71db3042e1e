/**
 * A ServiceAdapter whose calls run in another process (test/fixtures/adapter-driver.mjs inside the systemd lab,
 * where systemd accepts its private D-Bus socket), over JSON lines. The conformance suite drives it like any
 * adapter; log lines and watch events come back from the driver.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import path from 'node:path';
import type { AdapterCapability, CommandResult, LogQuery, ServiceAdapter, ServiceStatus, StateListener, StatusOptions } from '../../src/core/ports.js';
import { REPO_ROOT, type SystemdLab } from '../lab/systemd-lab.js';

export class RemoteAdapter implements ServiceAdapter {
  readonly kind = 'systemd';
  capabilities: ReadonlySet<AdapterCapability> = new Set();
  /** Log lines of the adapter (its one line about falling back to polling, say). */
  readonly logLines: string[] = [];
  private readonly child: ChildProcess;
  private next = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly listeners = new Map<number, StateListener>();
  private readonly ready: Promise<void>;

  constructor(lab: SystemdLab, socket = '') {
    const driver = path.join(REPO_ROOT, 'test', 'fixtures', 'adapter-driver.mjs');
    this.child = spawn('/usr/bin/nsenter', ['-t', String(lab.pid), '-m', '-p', '-n', '-i', '-C', '--', process.execPath, driver, socket], { stdio: ['pipe', 'pipe', 'inherit'] });
    let markReady!: () => void;
    this.ready = new Promise((resolve) => (markReady = resolve));
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const message = JSON.parse(line) as {
        id?: number;
        result?: unknown;
        error?: string;
        event?: string;
        capabilities?: AdapterCapability[];
        watch?: number;
        name?: string;
        message?: string;
      };
      if (message.event === 'ready') {
        this.capabilities = new Set(message.capabilities);
        markReady();
      } else if (message.event === 'log') this.logLines.push(message.message ?? '');
      else if (message.event === 'change') this.listeners.get(message.watch!)?.(message.name!);
      else if (message.id !== undefined) {
        const waiter = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.error !== undefined) waiter?.reject(new Error(message.error));
        else waiter?.resolve(message.result);
      }
    });
  }

  /** The id is taken before the first await, so watch() knows the id its call gets. */
  private async call<T>(method: string, ...args: unknown[]): Promise<T> {
    const id = this.next++;
    await this.ready;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.stdin!.write(`${JSON.stringify({ id, method, args })}\n`);
    });
  }

  transport(): Promise<string> {
    return this.call('transport');
  }
  async statusMany(names: readonly string[], _signal?: AbortSignal, options?: StatusOptions): Promise<Map<string, ServiceStatus>> {
    return new Map(Object.entries(await this.call<Record<string, ServiceStatus>>('statusMany', names, options ?? {})));
  }
  start = (name: string) => this.call<CommandResult>('start', name);
  stop = (name: string) => this.call<CommandResult>('stop', name);
  restart = (name: string) => this.call<CommandResult>('restart', name);
  reload = (name: string) => this.call<CommandResult>('reload', name);
  resetFailed = (name: string) => this.call<CommandResult>('resetFailed', name);
  kill = (name: string, killSignal: 'SIGKILL' | 'SIGCONT' | 'SIGTERM') => this.call<CommandResult>('kill', name, killSignal);
  logs = (name: string, query: LogQuery) => this.call<string[]>('logs', name, query);
  listFailed = () => this.call<string[]>('listFailed');
  runtimePaths = (name: string) => this.call<{ directories: string[]; pidFile?: string }>('runtimePaths', name);
  dependencies = (name: string) => this.call<string[]>('dependencies', name);

  /** How many GetAll calls the adapter made for statuses. */
  propertyReads = () => this.call<number>('propertyReads');
  /** The adapter's eventsLive(names), asked in its process. */
  eventsLiveThere = (names: readonly string[]) => this.call<boolean>('eventsLive', names);

  watch(names: readonly string[], listener: StateListener): () => void {
    return this.subscribe('watch', listener, names);
  }

  watchFailed(listener: StateListener): () => void {
    return this.subscribe('watchFailed', listener);
  }

  private subscribe(method: 'watch' | 'watchFailed', listener: StateListener, ...args: unknown[]): () => void {
    const id = this.next;
    this.listeners.set(id, listener);
    void this.call(method, ...args);
    return () => {
      this.listeners.delete(id);
      void this.call('unwatch', id);
    };
  }

  async close(): Promise<void> {
    await this.call('close').catch(() => undefined);
    this.child.kill();
  }
}
