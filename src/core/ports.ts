/**
 * The ports the core depends on. Implementations live at the edges (adapters/, runtime/) and are wired in
 * main.ts, so the core never spawns a process or reads the clock itself.
 */

/** Wall and monotonic time, and waiting, injected so tests need not sleep. */
export interface Clock {
  /** Wall-clock milliseconds since the epoch: for records a human reads. */
  now(): number;
  /** Monotonic milliseconds: for windows, budgets and durations. */
  monotonic(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface CommandOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Bytes kept of each of stdout and stderr; the rest is dropped and `truncated` set. */
  maxOutputBytes?: number;
  stdin?: string;
  env?: Record<string, string>;
}

export interface CommandResult {
  argv: readonly string[];
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  truncated: boolean;
  /** The program could not be started at all (ENOENT, EACCES). */
  spawnError?: string;
  durationMs: number;
}

/** The only place that spawns: argv arrays, never a shell string. */
export interface CommandRunner {
  run(argv: readonly string[], options: CommandOptions): Promise<CommandResult>;
}

/** A service's state in the words of every adapter; what each means in its manager is in `detail` fields. */
export const SERVICE_STATES = ['running', 'starting', 'stopped', 'failed', 'missing'] as const;
export type ServiceState = (typeof SERVICE_STATES)[number];

/**
 * What a service adapter tells about one service. `state` is what the core decides on; the other fields are
 * the adapter's detail (systemd's words where the adapter has no better ones), shown to humans and agents.
 */
export interface ServiceStatus {
  /** The adapter's handle: a systemd unit name, or a supervised process service's name. */
  name: string;
  state: ServiceState;
  /** systemd: loaded, not-found, masked, error ...; process: loaded or not-found. */
  loadState: string;
  /** systemd: active, inactive, failed, activating, deactivating, reloading; process: the same words for its states. */
  activeState: string;
  subState: string;
  /** What the operator said: enabled, disabled, static, masked, masked-runtime ... ('' when the adapter has no such notion). */
  unitFileState: string;
  mainPid: number;
  /** How the last run ended: success, exit-code, signal, core-dump, timeout, watchdog, start-limit-hit, oom-kill ... */
  result: string;
  execMainStatus: number;
  /** How the main process ended: exited, killed, dumped ('' when it has not). */
  execMainCode: string;
  restarts: number;
  /** simple, forking, notify, oneshot ... ('' when not known) */
  serviceType: string;
  /** When the service last became active (wall ms, second resolution), or null. */
  activeSince: number | null;
}

export interface LogQuery {
  lines: number;
  /** Only entries newer than this many milliseconds ago. */
  sinceMs?: number;
}

/**
 * What an adapter can do beyond start, stop, restart, status and logs. An action that needs a capability the
 * service's adapter does not declare is never offered to an agent and is refused by the executor.
 */
export const ADAPTER_CAPABILITIES = ['reset-failed', 'reload', 'signal', 'runtime-paths', 'dependencies', 'journal-vacuum', 'list-failed', 'definition', 'daemon-reload'] as const;
export type AdapterCapability = (typeof ADAPTER_CAPABILITIES)[number];

/**
 * How a service is defined to its manager, as it is in effect now: what the last-known-good state records and
 * drift is computed from. Paths are absolute; empty strings and lists when the manager has no such notion.
 */
export interface ServiceDefinition {
  /** The unit file and then its drop-ins, in the order the manager reads them (systemctl cat). */
  unitFiles: string[];
  /** EnvironmentFile= paths ('-' prefix removed). */
  environmentFiles: string[];
  /** Environment= assignments (KEY=value). */
  environment: string[];
  user: string;
  group: string;
  workingDirectory: string;
  /** The program ExecStart= runs (the first one), or ''. */
  execPath: string;
  /** Effective resource limits by name (LimitNOFILE: "1024"). */
  limits: Record<string, string>;
  /** StateDirectory=, RuntimeDirectory=, CacheDirectory=, LogsDirectory=, ConfigurationDirectory= as absolute paths. */
  directories: string[];
}

export interface StatusOptions {
  cached?: boolean;
}

/** A change of a service's state, pushed by an adapter that can watch (systemd's D-Bus signals, a child's exit). */
export type StateListener = (name: string) => void;

/** Controls and inspects services: systemd units, or processes the daemon supervises. */
export interface ServiceAdapter {
  readonly kind: string;
  readonly capabilities: ReadonlySet<AdapterCapability>;
  /**
   * The services' states. With `cached`, an adapter that keeps states between pushed changes may answer from
   * them (the watch pass); every other read (full cycles, verification) asks the manager.
   */
  statusMany(names: readonly string[], signal?: AbortSignal, options?: StatusOptions): Promise<Map<string, ServiceStatus>>;
  start(name: string, signal?: AbortSignal): Promise<CommandResult>;
  stop(name: string, signal?: AbortSignal): Promise<CommandResult>;
  restart(name: string, signal?: AbortSignal): Promise<CommandResult>;
  logs(name: string, query: LogQuery, signal?: AbortSignal): Promise<string[]>;
  /** list-failed: services of this manager that are failed though nobody configured them (systemd's failed units). */
  listFailed?(signal?: AbortSignal): Promise<string[]>;
  /** reload */
  reload?(name: string, signal?: AbortSignal): Promise<CommandResult>;
  /** reset-failed */
  resetFailed?(name: string, signal?: AbortSignal): Promise<CommandResult>;
  /** signal: sends a signal to every process of the service. */
  kill?(name: string, killSignal: 'SIGKILL' | 'SIGCONT' | 'SIGTERM', signal?: AbortSignal): Promise<CommandResult>;
  /** runtime-paths: runtime directories the manager keeps for the service, and its PID file, if any. */
  runtimePaths?(name: string, signal?: AbortSignal): Promise<{ directories: string[]; pidFile?: string }>;
  /** dependencies: services this one cannot run without (systemd's Requires=, BindsTo=). */
  dependencies?(name: string, signal?: AbortSignal): Promise<string[]>;
  /** definition: how the service is defined now (unit file, drop-ins, environment, user, limits, directories). */
  definition?(name: string, signal?: AbortSignal): Promise<ServiceDefinition>;
  /** daemon-reload: makes the manager re-read unit files (after a drop-in is restored). */
  daemonReload?(signal?: AbortSignal): Promise<CommandResult>;
  /** journal-vacuum: shrinks the journal to `maxSizeMb`. */
  vacuumJournal?(maxSizeMb: number, signal?: AbortSignal): Promise<CommandResult>;
  /** Calls `listener` when a watched service may have changed state; returns the function that stops watching. */
  watch?(names: readonly string[], listener: StateListener): () => void;
  /** With list-failed: calls `listener` with any service of this manager that enters the failed state. */
  watchFailed?(listener: StateListener): () => void;
  /**
   * Whether changes of `names` are pushed right now (systemd's D-Bus connection is up), so the watch need not
   * poll them; false or absent means they must be polled.
   */
  eventsLive?(names: readonly string[]): boolean;
  /** How changes of its services are seen right now, in words for `status` ("pushed by systemd over D-Bus ..."). */
  describeWatching?(): string;
  /** Releases connections and children (the D-Bus connection, supervised processes). */
  close?(): Promise<void>;
  /** Why this adapter cannot manage anything on this host (systemd is not running here), or undefined. */
  readonly unavailable?: string;
  /** A registry of adapters routes each service to its own; a plain adapter manages all it is given. */
  for?(name: string): ServiceAdapter;
}

/** The adapter that manages `name`: the registry's choice, or the adapter itself. */
export function adapterOf(adapter: ServiceAdapter, name: string): ServiceAdapter {
  return adapter.for?.(name) ?? adapter;
}

export interface HttpProbeResult {
  ok: boolean;
  status?: number;
  error?: string;
  timedOut: boolean;
  durationMs: number;
}

export interface FilesystemUsage {
  mount: string;
  usedPercent: number;
  inodesUsedPercent: number;
  freeBytes: number;
}

export interface MemoryUsage {
  usedPercent: number;
  availableBytes: number;
  totalBytes: number;
}

/** A process listening on a TCP port. */
export interface Listener {
  port: number;
  pid: number;
  command: string;
  cmdline: string;
  /** The unit its cgroup names (nginx.service, session-3.scope), if any. */
  unit?: string;
  address: string;
  /** Its parent, grandparent, ... up to (not including) pid 1, as /proc tells them (capped). */
  ancestors: number[];
}

/** Network and host probes used by checks. */
export interface Probes {
  http(url: string, options: { timeoutMs: number; method?: string; signal?: AbortSignal }): Promise<HttpProbeResult>;
  tcp(host: string, port: number, options: { timeoutMs: number; signal?: AbortSignal }): Promise<{ ok: boolean; error?: string; timedOut: boolean }>;
  filesystem(mount: string): Promise<FilesystemUsage>;
  memory(): Promise<MemoryUsage>;
  /** Read-only: who listens on a TCP port. */
  listeners?(port: number): Promise<Listener[]>;
}

/**
 * File inspection and removal for runtime-state and cleanup actions. Every path is given with the root it must
 * stay beneath; no link is followed at any component below the root, and a path that escapes is refused with a
 * PathRefusedError before anything is touched.
 */
export interface FileSystem {
  /** What is at `path`: a file (or socket, fifo), a link, something else (a directory), or nothing. */
  inspect(root: string, path: string, options?: { sameDevice?: boolean }): Promise<'file' | 'link' | 'other' | 'missing'>;
  /** At most `maxBytes` of a regular file; undefined when it is not one. */
  read(root: string, path: string, maxBytes: number): Promise<string | undefined>;
  /** Removes a file (or a link itself, never its target); false when nothing was there. */
  remove(root: string, path: string, options?: { sameDevice?: boolean }): Promise<boolean>;
  /** Regular files beneath `root` with their age in milliseconds and size, never through a link, capped at `limit`. */
  listFiles(root: string, options?: { sameDevice?: boolean; limit?: number }): Promise<Array<{ path: string; ageMs: number; size: number }>>;
  /** The real path of an existing path (links resolved), or undefined. */
  realPath(path: string): Promise<string | undefined>;
  /** Whether two existing paths are on one filesystem. */
  sameFilesystem(a: string, b: string): Promise<boolean>;
  isProcessAlive(pid: number): boolean;
  /** Pids of processes holding `path` open (from /proc/PID/fd). */
  holders(path: string): Promise<number[]>;
}

export type IdGenerator = () => string;

/**
 * The fleet's say before a host acts: at most N hosts run the same action on the same service at once (leases in
 * the fleet store), and the fleet-wide kill switch. Absent on a host on its own.
 */
export interface FleetGate {
  /**
   * Waits until the fleet lets this host run `actions` on `service` (the budget is full while others hold it),
   * then holds it until `release`. Throws a PolicyRefusal ('fleet_budget' or 'paused') when it does not.
   * `note` is what the attempt records of it: how long it waited and for which hosts, or that the fleet could
   * not be asked and the host acted on its own budget only.
   */
  acquire(service: string, actionTypes: readonly string[], signal: AbortSignal): Promise<{ release(): Promise<void>; note?: string }>;
}
