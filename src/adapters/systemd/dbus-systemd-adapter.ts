/**
 * systemd through its own API, over D-Bus: unit states in one ListUnitsByNames, jobs through the manager
 * (StartUnit, RestartUnit ...) with their JobRemoved result awaited, kill, reset-failed and the failed units
 * through the manager, and state changes pushed by PropertiesChanged signals, so a unit that dies is seen at
 * once with no polling. A job already queued for a unit (one a daemon started before it was restarted) is
 * waited for instead of starting another. A running unit's status is kept between signals: a watch pass (a
 * `cached` read) over healthy units costs no D-Bus call; every other read (a full cycle, a verification) asks
 * systemd for every unit's state in one ListUnitsByNames, and reads a unit's properties only when its
 * state is not the one kept, a job is queued for it, or a signal for it, a daemon-reload, a reconnect or age
 * (5 min) made the kept one stale. The bus is reached lazily; when it cannot be, the polling adapter
 * (systemctl) takes over, with one log line.
 */
import type { AdapterCapability, CommandResult, LogQuery, ServiceAdapter, ServiceDefinition, ServiceStatus, StateListener, StatusOptions } from '../../core/ports.js';
import { ADAPTER_CAPABILITIES } from '../../core/ports.js';
import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import { SystemdAdapter } from './systemd-adapter.js';
import { connectSystemdBus, type SystemdBus, type SystemdSignal } from './systemd-bus.js';
import { plainProperties, statusFromProperties } from './unit-properties.js';

const MANAGER_PATH = '/org/freedesktop/systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';
const PROPERTIES = 'org.freedesktop.DBus.Properties';
const UNIT = 'org.freedesktop.systemd1.Unit';
const JOB = 'org.freedesktop.systemd1.Job';
/** Queued or running job types that bring a unit up: a start or restart joins one instead of queueing another. */
const STARTING_JOBS = new Set(['start', 'restart', 'try-restart', 'reload-or-start']);
const UNIT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@:\\-]*\.(service|socket|timer|target|mount|path|slice|scope|device|swap|automount)$/;
const RECONNECT_MS = 60_000;
/** After a dropped connection (the bus daemon restarted, say), with units watched: reconnect after these delays, then lazily. */
const RECONNECT_DELAYS_MS = [250, 1_000, 3_000, 10_000];
const SIGNALS: Record<string, number> = { SIGTERM: 15, SIGKILL: 9, SIGCONT: 18 };
/** How long a kept status is trusted without a signal (a lost message): the default full cycle. */
const STATUS_CACHE_MS = 5 * 60_000;
/** Manager signals after which any unit may have changed (daemon-reload, enable/mask, units loaded or dropped). */
const EVERYTHING_CHANGED = new Set(['Reloading', 'UnitFilesChanged', 'UnitRemoved']);
const UNIT_PATH_PREFIX = '/org/freedesktop/systemd1/unit/';
const SERVICE = 'org.freedesktop.systemd1.Service';
/** What a running unit's status needs beyond the states ListUnitsByNames gives. */
const RUNNING_PROPERTIES: ReadonlyArray<readonly [string, string]> = [
  [UNIT, 'UnitFileState'],
  [UNIT, 'ActiveEnterTimestamp'],
  [SERVICE, 'MainPID'],
  [SERVICE, 'NRestarts'],
  [SERVICE, 'Type'],
  [SERVICE, 'Result'],
  [SERVICE, 'ExecMainStatus'],
  [SERVICE, 'ExecMainCode'],
];
/** Statuses kept between signals: the configured units and their dependencies, with room to spare. */
const MAX_KEPT_STATUSES = 2_000;

/** A row of Manager.ListUnitsByNames. */
interface ListedUnit {
  loadState: string;
  activeState: string;
  subState: string;
  path: string;
  jobId: number;
}

export interface DbusSystemdAdapterOptions {
  /** The polling adapter: used when the bus cannot be reached, and for what D-Bus does not do (journal, vacuum). */
  fallback: SystemdAdapter;
  logger?: Logger;
  /** A socket path to use instead of the system bus or /run/systemd/private (tests). */
  socket?: string;
  jobTimeoutMs?: number;
  now?: () => number;
}

export class DbusSystemdAdapter implements ServiceAdapter {
  readonly kind = 'systemd';
  readonly capabilities: ReadonlySet<AdapterCapability> = new Set(ADAPTER_CAPABILITIES);
  readonly unavailable: string | undefined;
  private connecting: Promise<SystemdBus | undefined> | undefined;
  private failedAt = Number.NEGATIVE_INFINITY;
  private readonly paths = new Map<string, string>();
  /** The names each object path was asked for by: an alias (sshd.service) and its unit (ssh.service) share one. */
  private readonly names = new Map<string, Set<string>>();
  private readonly jobWaiters = new Map<string, (result: string) => void>();
  private readonly finishedJobs = new Map<string, string>();
  private readonly listeners = new Set<{ names: ReadonlySet<string>; listener: StateListener }>();
  private readonly failedListeners = new Set<StateListener>();
  /** Statuses read from systemd since the unit's last signal, with when they were read. */
  private readonly statusCache = new Map<string, { status: ServiceStatus; at: number }>();
  /** Bumped by every signal for a unit: a read that a signal overtook is not kept. */
  private readonly generations = new Map<string, number>();
  /** Units whose properties were read for a status (a running unit is read again only after a signal, a state change or 5 min). */
  propertyReads = 0;
  private warned = false;
  private lastError: string | undefined;
  private closed = false;
  private readonly logger: Logger;

  constructor(private readonly options: DbusSystemdAdapterOptions) {
    this.unavailable = options.fallback.unavailable;
    this.logger = options.logger ?? silentLogger;
  }

  /** Which transport is in use, for status and tests: 'dbus', 'polling' or 'not yet connected'. */
  transport(): string {
    return this.bus ? 'dbus' : this.failedAt > Number.NEGATIVE_INFINITY ? 'polling' : 'not yet connected';
  }

  describeWatching(): string {
    if (this.unavailable) return `not watched: ${this.unavailable}`;
    if (this.bus) return `pushed by systemd over D-Bus (${this.bus.address})`;
    if (this.failedAt > Number.NEGATIVE_INFINITY) return `polled with systemctl (D-Bus unreachable: ${this.lastError ?? 'unknown'})`;
    return 'D-Bus not yet connected';
  }

  private bus: SystemdBus | undefined;

  /** The bus, connecting on first use; undefined (use the fallback) for RECONNECT_MS after a failed attempt. */
  private async connected(force = false): Promise<SystemdBus | undefined> {
    if (this.bus) return this.bus;
    if (this.unavailable || this.closed) return undefined;
    const now = this.now();
    if (!force && now - this.failedAt < RECONNECT_MS) return undefined;
    this.connecting ??= (async () => {
      let bus: SystemdBus | undefined;
      try {
        bus = await connectSystemdBus({ socket: this.options.socket });
        bus.onSignal((signal) => this.onSignal(signal));
        const connection = bus;
        bus.onClose((error) => this.dropped(connection, error));
        await bus.call(MANAGER_PATH, MANAGER, 'Subscribe');
        this.bus = bus;
        this.failedAt = Number.NEGATIVE_INFINITY;
        this.logger.info({ address: bus.address }, 'talking to systemd over D-Bus: unit changes are pushed, no polling');
        return bus;
      } catch (error) {
        bus?.close();
        if (!this.warned) {
          this.warned = true;
          this.logger.warn({ error: (error as Error).message }, 'cannot reach systemd over D-Bus: polling it with systemctl instead');
        }
        this.failedAt = this.now();
        this.lastError = (error as Error).message;
        return undefined;
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  /** The connection closed under us (the bus daemon restarted, say): watched units get a new one and a look. */
  private dropped(bus: SystemdBus, error: unknown): void {
    if (this.bus !== bus) return;
    this.bus = undefined;
    this.forgetAll();
    if (this.closed) return;
    this.logger.info({ error: (error as Error)?.message }, 'the D-Bus connection to systemd closed: reconnecting');
    // Changes are not pushed until it is back: a look now, and polling meanwhile (eventsLive is false).
    this.notifyAll();
    this.reconnectSoon(0);
  }

  private reconnectSoon(attempt: number): void {
    const delay = RECONNECT_DELAYS_MS[attempt];
    if (delay === undefined || this.closed || this.listeners.size + this.failedListeners.size === 0) return;
    setTimeout(() => {
      void this.connected(true).then((bus) => {
        if (!bus) return this.reconnectSoon(attempt + 1);
        // Changes while disconnected were not signalled: every watched unit may have changed.
        this.notifyAll();
      });
    }, delay).unref();
  }

  private async unitPath(bus: SystemdBus, name: string): Promise<string> {
    const known = this.paths.get(name);
    if (known) return known;
    const [path] = (await bus.call(MANAGER_PATH, MANAGER, 'LoadUnit', 's', [name])) as [string];
    this.link(name, path);
    return path;
  }

  private link(name: string, path: string): void {
    this.paths.set(name, path);
    const names = this.names.get(path) ?? new Set<string>();
    names.add(name);
    this.names.set(path, names);
  }

  /** Every name a signal about `unit` (as systemd names it) or `path` concerns. */
  private namesOf(path: string | undefined, unit?: string): string[] {
    const names = new Set(path ? (this.names.get(path) ?? []) : []);
    if (unit) {
      names.add(unit);
      for (const name of this.names.get(this.paths.get(unit) ?? '') ?? []) names.add(name);
    }
    return [...names];
  }

  async statusMany(names: readonly string[], signal?: AbortSignal, options: StatusOptions = {}): Promise<Map<string, ServiceStatus>> {
    const bus = await this.connected();
    if (!bus) return this.options.fallback.statusMany(names, signal);
    const statuses = new Map<string, ServiceStatus>();
    const units = names.filter((name) => UNIT_NAME.test(name));
    const now = this.now();
    const fresh = (name: string) => {
      const cached = this.statusCache.get(name);
      return cached && now - cached.at < STATUS_CACHE_MS ? cached.status : undefined;
    };
    // The watch: states kept since the last signal answer without a call.
    if (options.cached && units.every((name) => fresh(name))) {
      for (const name of units) statuses.set(name, fresh(name)!);
      return statuses;
    }
    const generations = new Map(units.map((name) => [name, this.generations.get(name) ?? 0]));
    // Every unit's load, active and sub state and queued job in one call (3 ms for 200 units, where 200 GetAll
    // replies take 400 ms); a unit's other properties are read only when its state differs from the one kept.
    const listed = await this.listByNames(bus, units);
    await Promise.all(
      units.map(async (name) => {
        const entry = listed?.get(name);
        const kept = fresh(name);
        if (
          entry &&
          kept &&
          entry.activeState === kept.activeState &&
          entry.subState === kept.subState &&
          entry.loadState === kept.loadState &&
          entry.jobId === 0 &&
          kept.state === 'running'
        ) {
          statuses.set(name, kept);
          return;
        }
        const path = entry?.path ?? (await this.unitPath(bus, name));
        this.propertyReads++;
        const status = statusFromProperties(
          name,
          entry && entry.activeState === 'active' && entry.jobId === 0 ? await this.runningProperties(bus, path, name, entry) : await this.allProperties(bus, path),
        );
        statuses.set(name, status);
        if (this.bus === bus && (this.generations.get(name) ?? 0) === generations.get(name)) this.keep(name, status, now);
      }),
    );
    return statuses;
  }

  /** All interfaces of the unit (Unit and, for a service, Service) in one GetAll: the evidence for a unit that is down. */
  private async allProperties(bus: SystemdBus, path: string): Promise<Map<string, unknown>> {
    return plainProperties((await bus.call(path, PROPERTIES, 'GetAll', 's', ['']))[0]);
  }

  /**
   * A running unit: its state from the list and the few other properties a status holds, each with Get. A GetAll
   * reply of a service carries about 250 properties, which take dbus-next some 2 ms to decode.
   */
  private async runningProperties(bus: SystemdBus, path: string, name: string, entry: ListedUnit): Promise<Map<string, unknown>> {
    const values = new Map<string, unknown>([
      ['LoadState', entry.loadState],
      ['ActiveState', entry.activeState],
      ['SubState', entry.subState],
    ]);
    const wanted = name.endsWith('.service') ? RUNNING_PROPERTIES : RUNNING_PROPERTIES.filter(([iface]) => iface === UNIT);
    await Promise.all(
      wanted.map(async ([iface, property]) => {
        const [variant] = (await bus.call(path, PROPERTIES, 'Get', 'ss', [iface, property])) as [{ value?: unknown } | undefined];
        values.set(property, variant?.value);
      }),
    );
    return values;
  }

  /** Manager.ListUnitsByNames, by name; undefined when systemd refuses the list (a name it will not load). */
  private async listByNames(bus: SystemdBus, units: readonly string[]): Promise<Map<string, ListedUnit> | undefined> {
    if (units.length === 0) return new Map();
    try {
      const [rows] = (await bus.call(MANAGER_PATH, MANAGER, 'ListUnitsByNames', 'as', [units])) as [Array<[string, string, string, string, string, string, string, number]>];
      const listed = new Map<string, ListedUnit>();
      // One row per name asked, in order; a row names the unit itself, which for an alias is another name.
      rows.forEach(([unit, , loadState, activeState, subState, , path, jobId], index) => {
        const asked = units[index]!;
        listed.set(asked, { loadState, activeState, subState, path, jobId: Number(jobId) });
        this.link(asked, path);
        if (unit !== asked) this.link(unit, path);
      });
      return listed;
    } catch {
      return undefined;
    }
  }

  /** Keeps a status read from systemd until a signal for the unit; bounded, the oldest dropped first. */
  private keep(name: string, status: ServiceStatus, at: number): void {
    this.statusCache.delete(name);
    this.statusCache.set(name, { status, at });
    if (this.statusCache.size > MAX_KEPT_STATUSES) this.statusCache.delete(this.statusCache.keys().next().value!);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** A signal for the unit: its next read asks systemd. */
  private forget(name: string): void {
    this.statusCache.delete(name);
    this.generations.set(name, (this.generations.get(name) ?? 0) + 1);
  }

  private forgetAll(): void {
    for (const name of [...this.statusCache.keys(), ...this.generations.keys()]) this.forget(name);
  }

  async listFailed(signal?: AbortSignal): Promise<string[]> {
    const bus = await this.connected();
    if (!bus) return this.options.fallback.listFailed(signal);
    const [units] = (await bus.call(MANAGER_PATH, MANAGER, 'ListUnitsFiltered', 'as', [['failed']])) as [Array<[string]>];
    return units.map((unit) => unit[0]).filter((name) => name.endsWith('.service'));
  }

  start(name: string, signal?: AbortSignal): Promise<CommandResult> {
    return this.job('start', 'StartUnit', name, signal);
  }
  stop(name: string, signal?: AbortSignal): Promise<CommandResult> {
    return this.job('stop', 'StopUnit', name, signal);
  }
  restart(name: string, signal?: AbortSignal): Promise<CommandResult> {
    return this.job('restart', 'RestartUnit', name, signal);
  }
  reload(name: string, signal?: AbortSignal): Promise<CommandResult> {
    return this.job('reload', 'ReloadUnit', name, signal);
  }

  async resetFailed(name: string, signal?: AbortSignal): Promise<CommandResult> {
    return this.managerCall(
      'reset-failed',
      name,
      signal,
      (bus) => bus.call(MANAGER_PATH, MANAGER, 'ResetFailedUnit', 's', [name]),
      () => this.options.fallback.resetFailed(name, signal),
    );
  }

  async kill(name: string, killSignal: 'SIGKILL' | 'SIGCONT' | 'SIGTERM', signal?: AbortSignal): Promise<CommandResult> {
    return this.managerCall(
      `kill --signal=${killSignal}`,
      name,
      signal,
      (bus) => bus.call(MANAGER_PATH, MANAGER, 'KillUnit', 'ssi', [name, 'all', SIGNALS[killSignal]]),
      () => this.options.fallback.kill(name, killSignal, signal),
    );
  }

  async runtimePaths(name: string, signal?: AbortSignal): Promise<{ directories: string[]; pidFile?: string }> {
    const bus = await this.connected();
    if (!bus || !UNIT_NAME.test(name)) return this.options.fallback.runtimePaths(name, signal);
    const values = plainProperties((await bus.call(await this.unitPath(bus, name), PROPERTIES, 'GetAll', 's', ['']))[0]);
    const directories = ((values.get('RuntimeDirectory') as string[] | undefined) ?? []).map((directory) => `/run/${directory}`);
    const pidFile = (values.get('PIDFile') as string | undefined) || undefined;
    return { directories: pidFile ? [...directories, pidFile.slice(0, pidFile.lastIndexOf('/')) || '/'] : directories, pidFile };
  }

  async dependencies(name: string, signal?: AbortSignal): Promise<string[]> {
    const bus = await this.connected();
    if (!bus || !UNIT_NAME.test(name)) return this.options.fallback.dependencies(name, signal);
    const values = plainProperties((await bus.call(await this.unitPath(bus, name), PROPERTIES, 'GetAll', 's', [UNIT]))[0]);
    return [...new Set([...((values.get('Requires') as string[]) ?? []), ...((values.get('BindsTo') as string[]) ?? [])].filter((unit) => unit.endsWith('.service')))];
  }

  logs(name: string, query: LogQuery, signal?: AbortSignal): Promise<string[]> {
    return this.options.fallback.logs(name, query, signal);
  }

  /** Read rarely (a healthy service's last-known-good state, a failure's drift): systemctl's parsing serves. */
  definition(name: string, signal?: AbortSignal): Promise<ServiceDefinition> {
    return this.options.fallback.definition(name, signal);
  }

  async daemonReload(signal?: AbortSignal): Promise<CommandResult> {
    const result = await this.options.fallback.daemonReload(signal);
    this.forgetAll();
    return result;
  }

  vacuumJournal(maxSizeMb: number, signal?: AbortSignal): Promise<CommandResult> {
    return this.options.fallback.vacuumJournal(maxSizeMb, signal);
  }

  watch(names: readonly string[], listener: StateListener): () => void {
    const entry = { names: new Set(names), listener };
    this.listeners.add(entry);
    // Load the units so their PropertiesChanged signals can be told apart by path.
    void this.connected().then(async (bus) => {
      if (!bus) return;
      for (const name of names) if (UNIT_NAME.test(name)) await this.unitPath(bus, name).catch(() => undefined);
    });
    return () => void this.listeners.delete(entry);
  }

  /** Any service that enters the failed state (PropertiesChanged of its Unit interface), watched or not. */
  watchFailed(listener: StateListener): () => void {
    this.failedListeners.add(listener);
    void this.connected();
    return () => void this.failedListeners.delete(listener);
  }

  /** Pushed while the bus is up and each unit's object path is known (its signals can be told apart). */
  eventsLive(names: readonly string[]): boolean {
    return this.bus !== undefined && names.every((name) => !UNIT_NAME.test(name) || this.paths.has(name));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.bus?.close();
    this.bus = undefined;
  }

  private onSignal(signal: SystemdSignal): void {
    if (signal.interface === MANAGER && signal.member === 'JobRemoved') {
      const [, job, unit, result] = signal.body as [number, string, string, string];
      const waiter = this.jobWaiters.get(job);
      if (waiter) waiter(result);
      else {
        this.finishedJobs.set(job, result);
        if (this.finishedJobs.size > 200) this.finishedJobs.delete(this.finishedJobs.keys().next().value!);
      }
      for (const name of this.namesOf(undefined, unit)) {
        this.forget(name);
        this.notify(name);
      }
      return;
    }
    if (signal.interface === MANAGER && EVERYTHING_CHANGED.has(signal.member)) {
      this.forgetAll();
      return;
    }
    if (signal.interface === PROPERTIES && signal.member === 'PropertiesChanged') {
      const [iface, changed] = signal.body as [string, Record<string, { value?: unknown } | undefined>];
      const names = this.namesOf(signal.path);
      if (iface === UNIT && this.failedListeners.size > 0 && changed.ActiveState?.value === 'failed') {
        const failed = names[0] ?? unitNameOfPath(signal.path);
        if (failed?.endsWith('.service')) for (const listener of this.failedListeners) listener(failed);
      }
      // Any property of the unit or its service (a new main pid, an exit status) makes the kept status stale.
      for (const name of names) {
        this.forget(name);
        if (iface === UNIT && ('ActiveState' in changed || 'SubState' in changed)) this.notify(name);
      }
    }
  }

  private notify(name: string): void {
    for (const { names, listener } of this.listeners) if (names.has(name)) listener(name);
  }

  /** Every watched unit may have changed (the connection dropped or came back). */
  private notifyAll(): void {
    for (const { names, listener } of this.listeners) for (const name of names) listener(name);
  }

  /** Runs a job, or waits for the one already queued for the unit, and returns its JobRemoved result. */
  private async job(verb: string, method: string, name: string, signal?: AbortSignal): Promise<CommandResult> {
    const argv = ['systemd', verb, name];
    const started = performance.now();
    const result = (exitCode: number, stderr = ''): CommandResult => ({
      argv,
      exitCode,
      signal: null,
      stdout: '',
      stderr,
      timedOut: false,
      truncated: false,
      durationMs: performance.now() - started,
    });
    if (!UNIT_NAME.test(name)) return result(1, `${name} is not a systemd unit name`);
    const bus = await this.connected();
    if (!bus) return this.options.fallback[verb as 'start' | 'stop' | 'restart' | 'reload'](name, signal);
    try {
      const path = await this.unitPath(bus, name);
      const pending = plainProperties((await bus.call(path, PROPERTIES, 'GetAll', 's', [UNIT]))[0]).get('Job') as [number, string] | undefined;
      let job: string;
      let joined = false;
      if (pending && pending[0] !== 0 && (verb === 'start' || verb === 'restart') && (await this.isStartingJob(bus, pending[1]))) {
        job = pending[1];
        joined = true;
      } else {
        [job] = (await bus.call(MANAGER_PATH, MANAGER, method, 'ss', [name, 'replace'])) as [string];
      }
      const outcome = await this.jobResult(job, signal);
      const detail = joined ? ` (waited for the job already queued for ${name})` : '';
      if (outcome === 'done') return { ...result(0), stdout: `job ${outcome}${detail}` };
      const ended = outcome === 'timeout' ? `did not end within ${this.options.jobTimeoutMs ?? 90_000} ms` : `ended "${outcome}"`;
      return { ...result(1, `the ${verb} job of ${name} ${ended}${detail}; see journalctl -u ${name}`), timedOut: outcome === 'timeout' };
    } catch (error) {
      return result(1, (error as Error).message);
    }
  }

  /** Whether a unit's queued job brings it up. One that ended meanwhile does not count: its type is unknown. */
  private async isStartingJob(bus: SystemdBus, job: string): Promise<boolean> {
    try {
      const [type] = (await bus.call(job, PROPERTIES, 'Get', 'ss', [JOB, 'JobType'])) as [{ value?: unknown } | undefined];
      return STARTING_JOBS.has(String(type?.value ?? ''));
    } catch {
      return false;
    }
  }

  private jobResult(job: string, signal?: AbortSignal): Promise<string> {
    const finished = this.finishedJobs.get(job);
    if (finished) return Promise.resolve(finished);
    const timeoutMs = this.options.jobTimeoutMs ?? 90_000;
    return new Promise((resolve) => {
      const done = (result: string) => {
        clearTimeout(timer);
        this.jobWaiters.delete(job);
        signal?.removeEventListener('abort', aborted);
        resolve(result);
      };
      const aborted = () => done('aborted');
      const timer = setTimeout(() => done('timeout'), timeoutMs);
      this.jobWaiters.set(job, done);
      signal?.addEventListener('abort', aborted, { once: true });
    });
  }

  private async managerCall(
    verb: string,
    name: string,
    signal: AbortSignal | undefined,
    call: (bus: SystemdBus) => Promise<unknown>,
    fallback: () => Promise<CommandResult>,
  ): Promise<CommandResult> {
    const argv = ['systemd', ...verb.split(' '), name];
    const started = performance.now();
    if (!UNIT_NAME.test(name))
      return { argv, exitCode: 1, signal: null, stdout: '', stderr: `${name} is not a systemd unit name`, timedOut: false, truncated: false, durationMs: 0 };
    const bus = await this.connected();
    if (!bus) return fallback();
    try {
      await call(bus);
      return { argv, exitCode: 0, signal: null, stdout: '', stderr: '', timedOut: false, truncated: false, durationMs: performance.now() - started };
    } catch (error) {
      return { argv, exitCode: 1, signal: null, stdout: '', stderr: (error as Error).message, timedOut: false, truncated: false, durationMs: performance.now() - started };
    }
  }
}

/** A unit's name from its object path: systemd escapes every byte but [A-Za-z0-9] as _xx (nginx_2eservice). */
export function unitNameOfPath(objectPath: string): string | undefined {
  if (!objectPath.startsWith(UNIT_PATH_PREFIX)) return undefined;
  const name = objectPath.slice(UNIT_PATH_PREFIX.length).replace(/_([0-9a-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  return UNIT_NAME.test(name) ? name : undefined;
}
