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

/** What a service manager tells about one unit. */
export interface UnitStatus {
  name: string;
  /** loaded, not-found, masked, error ... */
  loadState: string;
  /** active, inactive, failed, activating, deactivating, reloading */
  activeState: string;
  subState: string;
  /** enabled, disabled, static, masked, masked-runtime, generated, indirect ... ('' when unknown) */
  unitFileState: string;
  mainPid: number;
  /** success, exit-code, signal, core-dump, timeout, watchdog, start-limit-hit, oom-kill ... */
  result: string;
  execMainStatus: number;
  /** How the main process ended: exited, killed, dumped ('' when it has not). */
  execMainCode: string;
  restarts: number;
  /** simple, forking, notify, oneshot ... ('' for non-service units) */
  serviceType: string;
  /** When the unit last became active (wall ms, second resolution), or null. */
  activeSince: number | null;
}

export interface LogQuery {
  lines: number;
  /** Only entries newer than this many milliseconds ago. */
  sinceMs?: number;
}

/** Controls and inspects services. `systemd` first; others later. */
export interface ServiceAdapter {
  readonly kind: string;
  statusMany(units: readonly string[], signal?: AbortSignal): Promise<Map<string, UnitStatus>>;
  listFailed(signal?: AbortSignal): Promise<string[]>;
  start(unit: string, signal?: AbortSignal): Promise<CommandResult>;
  stop(unit: string, signal?: AbortSignal): Promise<CommandResult>;
  restart(unit: string, signal?: AbortSignal): Promise<CommandResult>;
  reload(unit: string, signal?: AbortSignal): Promise<CommandResult>;
  resetFailed(unit: string, signal?: AbortSignal): Promise<CommandResult>;
  logs(unit: string, query: LogQuery, signal?: AbortSignal): Promise<string[]>;
  /** Sends a signal to every process of the unit (systemctl kill). */
  kill(unit: string, killSignal: 'SIGKILL' | 'SIGCONT' | 'SIGTERM', signal?: AbortSignal): Promise<CommandResult>;
  /** Runtime directories the manager keeps for the unit, and its PID file, if any. */
  runtimePaths(unit: string, signal?: AbortSignal): Promise<{ directories: string[]; pidFile?: string }>;
  /** Units this unit cannot run without (systemd's Requires=, BindsTo=). */
  dependencies(unit: string, signal?: AbortSignal): Promise<string[]>;
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

/** Network and host probes used by checks. */
export interface Probes {
  http(url: string, options: { timeoutMs: number; method?: string; signal?: AbortSignal }): Promise<HttpProbeResult>;
  tcp(host: string, port: number, options: { timeoutMs: number; signal?: AbortSignal }): Promise<{ ok: boolean; error?: string; timedOut: boolean }>;
  filesystem(mount: string): Promise<FilesystemUsage>;
  memory(): Promise<MemoryUsage>;
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
