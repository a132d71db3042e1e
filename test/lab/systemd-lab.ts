/**
 * "systemd lab": boots a real systemd as PID 1 of its own PID, mount, network,
 * IPC and cgroup namespace so integration tests can install units, inject
 * faults and run the daemon against a genuine service manager without touching
 * the host.
 *
 * Recipe (root only):
 *   unshare --pid --fork --mount --net --ipc --propagation private sh -c
 *     'ip link set lo up && mount tmpfs on /run, /tmp, /var/tmp, /var/log/journal
 *      && overlay postgres state && mount proc
 *      && enter + bind-mount the lab's own cgroups && exec unshare --cgroup systemd --system'
 * and everything inside is reached with `nsenter -t <systemd pid> -m -p -n -i -C`.
 *
 * Each lab gets its own cgroup subtree (`systemd-lab-*` under the test
 * process's cgroup in every mounted hierarchy) and a cgroup namespace rooted
 * there; without that, concurrent labs share /system.slice/... and their
 * systemds trip over each other's cgroups (seen as boots hanging in "starting").
 *
 * The root filesystem is shared with the host, but /run, /tmp, /var/tmp and
 * /var/log/journal inside the lab are private tmpfs mounts: write files there
 * with {@link SystemdLab.writeFile} (or use a shared place such as the repo's
 * test-output/ folder).
 * Test units go to /run/systemd/system via {@link SystemdLab.writeUnit}.
 */
import { spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import { accessSync, appendFileSync, closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SYSTEMD = '/lib/systemd/systemd';
const UNSHARE = '/usr/bin/unshare';
const NSENTER = '/usr/bin/nsenter';
const SETPRIV = '/usr/bin/setpriv';
const CURL = '/usr/bin/curl';
const UNIT_DIR = '/run/systemd/system';

/** Repository root (this file lives in test/lab/). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Host directory for lab boot logs and other test artefacts (git-ignored). */
export const TEST_OUTPUT_DIR = path.join(REPO_ROOT, 'test-output');

/**
 * Fixed script run by `sh -c` as the namespace's first process; it becomes
 * systemd through `exec`, so its pid is systemd's pid. Besides the private
 * /run and /tmp, the persistent journal directory (shared with the host and
 * every other lab, same machine-id) is shadowed by a tmpfs so each lab's
 * journal holds only its own entries; /var/tmp is private too (PrivateTmp= units keep their
 * directories there, and another lab's tmpfiles would remove them). Login gettys are masked at runtime.
 * PostgreSQL's data and log directories get a copy-on-write overlay (changes
 * live in the lab's /run): concurrent labs otherwise run postmasters on one
 * shared data directory, each deleting the other's "stale" postmaster.pid
 * (its pid is invisible across pid namespaces) — that corrupts the cluster and
 * hung boots in "starting". The lab also has its own IPC namespace (SysV shm).
 * Positional arguments come in pairs
 * `<lab cgroup dir> <hierarchy mount point>`: the script moves itself into
 * each cgroup and bind-mounts it over the hierarchy, then enters a new cgroup
 * namespace, so systemd sees its subtree as the cgroup root everywhere.
 */
const BOOT_SCRIPT =
  // A checkout under /tmp, /var/tmp or /run (a CI clone) would vanish under the private tmpfs mounts: LAB_KEEP
  // names it, and it is parked on a private mount of /mnt, then bind-mounted back to the same path.
  '{ [ -z "$LAB_KEEP" ] || { mount -t tmpfs tmpfs /mnt && mkdir /mnt/keep && mount --bind "$LAB_KEEP" /mnt/keep; }; } && ' +
  'ip link set lo up && mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /tmp && mount -t tmpfs tmpfs /var/tmp && ' +
  '{ [ -z "$LAB_KEEP" ] || { mkdir -p "$LAB_KEEP" && mount --bind /mnt/keep "$LAB_KEEP" && umount -l /mnt; }; } && ' +
  '{ [ ! -d /var/log/journal ] || mount -t tmpfs -o mode=2755 tmpfs /var/log/journal; } && ' +
  'mount -t proc proc /proc && ' +
  'for d in /var/lib/postgresql /var/log/postgresql; do [ ! -d "$d" ] || ' +
  '{ mkdir -p "/run/lab-overlay$d/upper" "/run/lab-overlay$d/work" && mount -t overlay overlay ' +
  '-o "lowerdir=$d,upperdir=/run/lab-overlay$d/upper,workdir=/run/lab-overlay$d/work" "$d"; } || ' +
  'echo "systemd lab: no private overlay for $d (shared with the host)" >&2; done && ' +
  // No logins in a lab: gettys on the shared console restart-loop and keep the boot "starting" forever.
  'mkdir -p /run/systemd/system && ln -s /dev/null /run/systemd/system/getty.target && ' +
  'ln -s /dev/null /run/systemd/system/console-getty.service && ln -s /dev/null /run/systemd/system/getty@tty1.service && ' +
  'while [ $# -ge 2 ]; do echo 0 > "$1/cgroup.procs" && mount --bind "$1" "$2" && shift 2 || exit 1; done && ' +
  'exec /usr/bin/unshare --cgroup /lib/systemd/systemd --system';

/** Name prefix of the per-lab cgroups: `systemd-lab-<test process pid>-<n>-<name>`. */
const CGROUP_PREFIX = 'systemd-lab-';
let labSeq = 0;

/** A lab's cgroup in one hierarchy: `dir` (host path) is bind-mounted over `mountPoint` inside the lab. */
interface CgroupPlacement {
  dir: string;
  mountPoint: string;
  /** Whether `dir` was created for the lab (and must be removed after it). */
  created: boolean;
}

/**
 * Creates the lab's cgroup below this process's own cgroup in every mounted
 * cgroup hierarchy (v1 and v2). Where that fails, the lab shares this
 * process's cgroup (still a consistent view, just not isolated).
 */
function prepareCgroups(dirName: string): CgroupPlacement[] {
  let mountinfo: string;
  let ownCgroups: string;
  try {
    mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
    ownCgroups = readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return [];
  }
  // "<id>:<controllers>:<path>"; controllers is empty for cgroup v2.
  const memberships = ownCgroups
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [, controllers = '', ...rest] = line.split(':');
      return { controllers: controllers.split(',').filter(Boolean), cgroup: rest.join(':') };
    });
  const placements: CgroupPlacement[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left = '', right = ''] = line.split(' - ');
    const [fstype = '', , superOpts = ''] = right.split(' ');
    const fields = left.split(' ');
    const root = fields[3] ?? '';
    const mountPoint = fields[4] ?? '';
    if ((fstype !== 'cgroup' && fstype !== 'cgroup2') || !mountPoint.startsWith('/sys/fs/cgroup/')) continue;
    const opts = superOpts.split(',');
    const membership = memberships.find((m) => (fstype === 'cgroup2' ? m.controllers.length === 0 : m.controllers.length > 0 && m.controllers.every((c) => opts.includes(c))));
    if (!membership || !(membership.cgroup === root || membership.cgroup.startsWith(root === '/' ? '/' : `${root}/`))) continue;
    const ownDir = path.join(mountPoint, membership.cgroup.slice(root === '/' ? 0 : root.length));
    removeStaleCgroups(ownDir);
    const dir = path.join(ownDir, dirName);
    try {
      mkdirSync(dir);
      // cpuset (v1) children start with no cpus/mems and refuse tasks until set.
      for (const file of ['cpuset.cpus', 'cpuset.mems']) {
        if (existsSync(path.join(dir, file)) && readFileSync(path.join(dir, file), 'utf8').trim() === '') {
          writeFileSync(path.join(dir, file), readFileSync(path.join(ownDir, file), 'utf8'));
        }
      }
      placements.push({ dir, mountPoint, created: true });
    } catch {
      removeCgroupTree(dir);
      placements.push({ dir: ownDir, mountPoint, created: false });
    }
  }
  return placements;
}

/** Removes a cgroup directory tree bottom-up; true when it is gone. */
function removeCgroupTree(dir: string): boolean {
  try {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) removeCgroupTree(path.join(dir, entry.name));
    }
    rmdirSync(dir);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** Removes the cgroups created for a lab, retrying while the kernel still releases them. */
async function releaseCgroups(cgroups: readonly CgroupPlacement[], timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pending = cgroups.filter((c) => c.created);
  while (pending.length > 0) {
    pending = pending.filter((c) => !removeCgroupTree(c.dir));
    if (pending.length === 0 || Date.now() > deadline) return;
    await sleep(50);
  }
}

/** Removes cgroups left behind by labs of test processes that no longer exist. */
function removeStaleCgroups(parent: string): void {
  try {
    for (const entry of readdirSync(parent)) {
      const owner = /^systemd-lab-(\d+)-/.exec(entry)?.[1];
      if (owner !== undefined && !existsSync(`/proc/${owner}`)) removeCgroupTree(path.join(parent, entry));
    }
  } catch {
    // best effort
  }
}

/** Whether this machine can boot a lab, and if not, why. */
export function labAvailability(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: `not linux (${process.platform})` };
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return { ok: false, reason: 'not root' };
  for (const bin of [SYSTEMD, UNSHARE, NSENTER]) {
    try {
      accessSync(bin, constants.X_OK);
    } catch {
      return { ok: false, reason: `${bin} not found or not executable` };
    }
  }
  return { ok: true };
}

/** Signature shared by `describe` and the skipping stand-in. */

/** Result of a command run inside the lab. `code` is null when killed by a signal. */
export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Options for {@link SystemdLab.exec}. */
export interface ExecOptions {
  /** Kill the command after this long (default 30 s); a timeout always throws. */
  timeoutMs?: number;
  /** Written to the command's stdin (stdin is closed either way). */
  input?: string;
  /** Extra environment variables, merged over the test process's environment. */
  env?: Record<string, string>;
  /** Return non-zero results instead of throwing. */
  allowFailure?: boolean;
}

/** Options for {@link SystemdLab.spawn}. */
export interface SpawnOptions {
  /** Extra environment variables, merged over the test process's environment. */
  env?: Record<string, string>;
  /** Host path receiving stdout and stderr (appended); otherwise they are piped. */
  stdoutFile?: string;
}

/** Options for {@link SystemdLab.waitFor}. */
export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Describes the awaited condition; used in the timeout error. */
  what: string;
}

/** Main state of a unit, from `systemctl show`. */
export interface UnitState {
  activeState: string;
  subState: string;
  /** null when the unit has no main process. */
  mainPid: number | null;
  /** e.g. success, exit-code, signal, core-dump, timeout. */
  result: string;
}

/** Labs still running in this process; killed by the exit hooks. */
const liveLabs = new Set<SystemdLab>();
let exitHookInstalled = false;

/** Synchronously kills every live lab and (best effort, ≤1 s) removes its cgroups. */
function killAllLabsNow(): void {
  for (const lab of liveLabs) lab.killNow();
  const deadline = Date.now() + 1_000;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (const lab of liveLabs) {
    while (!lab.removeCgroupsNow() && Date.now() < deadline) Atomics.wait(pause, 0, 0, 10);
  }
  liveLabs.clear();
}

/**
 * Kills leftover labs when this process ends: on 'exit', and on
 * SIGTERM/SIGINT/SIGHUP (vitest ends its fork workers with SIGTERM, which
 * skips 'exit'); the signal is then re-raised unless someone else handles it.
 * Even a SIGKILL of this process takes the labs down (setpriv --pdeathsig).
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', killAllLabsNow);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllLabsNow();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** True while `pid` exists and is not a zombie. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Pids whose parent is `ppid` (scans /proc; /proc/PID/task/TID/children is not always available). */
function childrenOf(ppid: number): number[] {
  try {
    const fromTasks = readdirSync(`/proc/${ppid}/task`).flatMap((tid) => {
      const file = `/proc/${ppid}/task/${tid}/children`;
      return existsSync(file) ? readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number) : [];
    });
    if (fromTasks.length > 0) return fromTasks;
  } catch {
    // fall through to the scan
  }
  const result: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid) result.push(Number(entry));
    } catch {
      // process vanished meanwhile
    }
  }
  return result;
}

/** Appends a timestamped harness note to a lab log (best effort). */
function note(logFile: string, line: string): void {
  try {
    appendFileSync(logFile, `[lab ${new Date().toISOString()}] ${line}\n`);
  } catch {
    // logging must never break a test
  }
}

function sanitizeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 60) || 'lab';
}

/** A booted systemd in private namespaces. Create with {@link SystemdLab.boot}; always {@link SystemdLab.stop}. */
export class SystemdLab {
  private stopped = false;

  private constructor(
    /** systemd's pid as seen from the host (PID 1 inside the lab). */
    readonly pid: number,
    private readonly unshare: ChildProcess,
    /** Lab name, used in log file names and errors. */
    readonly name: string,
    /** Host path of the boot log (systemd's console output). */
    readonly logFile: string,
    private readonly cgroups: readonly CgroupPlacement[],
  ) {}

  /**
   * Boots a lab and resolves once `systemctl is-system-running` reports
   * running or degraded. Throws (after cleaning up) if that takes longer than
   * `timeoutMs` (default 60 s).
   */
  static async boot(options: { name?: string; timeoutMs?: number } = {}): Promise<SystemdLab> {
    const availability = labAvailability();
    if (!availability.ok) throw new Error(`cannot boot systemd lab: ${availability.reason}`);
    const name = sanitizeName(options.name ?? 'lab');
    const timeoutMs = options.timeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;

    mkdirSync(TEST_OUTPUT_DIR, { recursive: true });
    const logFile = path.join(TEST_OUTPUT_DIR, `lab-${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
    note(logFile, `booting lab ${name}`);
    const logFd = openSync(logFile, 'a');

    // setpriv --pdeathsig KILL: unshare dies with this process even on SIGKILL;
    // unshare --kill-child then takes systemd (and so the whole namespace) down.
    const cgroups = prepareCgroups(`${CGROUP_PREFIX}${process.pid}-${++labSeq}-${name}`);
    const unshareArgv = [
      UNSHARE,
      '--pid',
      '--fork',
      '--kill-child=SIGKILL',
      '--mount',
      '--net',
      '--ipc',
      '--propagation',
      'private',
      'sh',
      '-c',
      BOOT_SCRIPT,
      'sh',
      ...cgroups.flatMap((c) => [c.dir, c.mountPoint]),
    ];
    const argv = existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'KILL', '--', ...unshareArgv] : unshareArgv;
    let child: ChildProcess;
    try {
      child = spawnProcess(argv[0]!, argv.slice(1), {
        detached: true, // own session, like setsid(1)
        stdio: ['ignore', logFd, logFd],
        env: { ...process.env, LAB_KEEP: /^\/(tmp|var\/tmp|run)\//.test(`${REPO_ROOT}/`) ? REPO_ROOT : '' },
      });
    } finally {
      closeSync(logFd);
    }
    child.unref();
    const unsharePid = child.pid;
    if (unsharePid === undefined) throw new Error(`systemd lab ${name}: failed to spawn unshare`);
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });

    const fail = async (what: string): Promise<never> => {
      note(logFile, `boot failed: ${what}`);
      try {
        process.kill(unsharePid, 'SIGKILL');
      } catch {
        // already gone
      }
      for (let i = 0; i < 100 && isAlive(unsharePid); i++) await sleep(20);
      await releaseCgroups(cgroups);
      let tail = '';
      try {
        tail = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
      } catch {
        // no log
      }
      throw new Error(`systemd lab ${name}: ${what} (boot log ${logFile}):\n${tail}`);
    };

    // systemd's pid is the (only) child of unshare; `sh` execs into systemd keeping its pid.
    let systemdPid: number | undefined;
    while (systemdPid === undefined) {
      if (exited) await fail('unshare exited during boot');
      if (Date.now() > deadline) await fail('timed out waiting for the namespace init process');
      systemdPid = childrenOf(unsharePid)[0];
      if (systemdPid === undefined) await sleep(20);
    }

    note(logFile, `unshare pid ${unsharePid}, systemd pid ${systemdPid}`);
    const lab = new SystemdLab(systemdPid, child, name, logFile, cgroups);
    liveLabs.add(lab);
    installExitHook();

    let lastState = '';
    for (;;) {
      if (exited || !isAlive(systemdPid)) {
        await lab.stop().catch(() => {});
        await fail('systemd exited during boot');
      }
      const res = await lab
        .exec(['systemctl', 'is-system-running'], { allowFailure: true, timeoutMs: 5_000 })
        .catch((err: Error) => ({ code: null, stdout: '', stderr: err.message }));
      lastState = (res.stdout.trim() || res.stderr.trim()).split('\n')[0] ?? '';
      if (lastState === 'running' || lastState === 'degraded') {
        note(logFile, `system ${lastState} after ${Date.now() - deadline + timeoutMs} ms`);
        return lab;
      }
      if (Date.now() > deadline) {
        const jobs = await lab.exec(['systemctl', 'list-jobs', '--no-pager'], { allowFailure: true, timeoutMs: 5_000 }).catch(() => ({ stdout: '' }));
        await lab.stop().catch(() => {});
        await fail(`timed out after ${timeoutMs} ms waiting for running|degraded (last state: ${lastState}; pending jobs: ${jobs.stdout.trim() || 'none'})`);
      }
      await sleep(100);
    }
  }

  private nsenterArgs(argv: readonly string[]): string[] {
    if (argv.length === 0) throw new Error('empty argv');
    // -i and -C as well: the lab has its own IPC and cgroup namespaces; with -C,
    // /proc/*/cgroup paths match the lab's /sys/fs/cgroup view (/system.slice/x.service).
    return ['-t', String(this.pid), '-m', '-p', '-n', '-i', '-C', '--', ...argv];
  }

  private assertRunning(): void {
    if (this.stopped) throw new Error(`systemd lab ${this.name} is stopped`);
  }

  /**
   * Runs `argv` inside the lab (`nsenter -t PID -m -p -n -i -C -- ...argv`) and
   * collects its output. Throws on non-zero exit (with stderr in the message)
   * unless `allowFailure`; throws on timeout regardless.
   */
  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    this.assertRunning();
    const timeoutMs = options.timeoutMs ?? 30_000;
    const child = spawnProcess(NSENTER, this.nsenterArgs(argv), {
      env: options.env ? { ...process.env, ...options.env } : process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const cmd = argv.join(' ');
    return await new Promise<ExecResult>((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.stdin!.on('error', () => {}); // EPIPE when the command ignores its input
      child.stdin!.end(options.input ?? '');
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`lab ${this.name}: cannot run \`${cmd}\`: ${err.message}`));
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        if (timedOut) {
          reject(new Error(`lab ${this.name}: \`${cmd}\` timed out after ${timeoutMs} ms; stderr: ${stderr.trim()}`));
        } else if (code !== 0 && !options.allowFailure) {
          const how = code === null ? `killed by ${signal}` : `exited with code ${code}`;
          reject(new Error(`lab ${this.name}: \`${cmd}\` ${how}; stderr: ${stderr.trim() || '(empty)'}`));
        } else {
          resolve({ code, stdout, stderr });
        }
      });
    });
  }

  /**
   * Starts a long-running process inside the lab (e.g. the daemon) and returns
   * its (host-side nsenter) ChildProcess. It dies with the lab at the latest.
   */
  spawn(argv: readonly string[], options: SpawnOptions = {}): ChildProcess {
    this.assertRunning();
    const env = options.env ? { ...process.env, ...options.env } : process.env;
    if (!options.stdoutFile) {
      return spawnProcess(NSENTER, this.nsenterArgs(argv), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    }
    mkdirSync(path.dirname(options.stdoutFile), { recursive: true });
    const fd = openSync(options.stdoutFile, 'a');
    try {
      return spawnProcess(NSENTER, this.nsenterArgs(argv), { env, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
  }

  /** Writes a file inside the lab's mount namespace (parent directories are created). */
  async writeFile(filePath: string, content: string, mode?: number): Promise<void> {
    if (!path.isAbsolute(filePath)) throw new Error(`writeFile needs an absolute path, got ${filePath}`);
    await this.exec(['mkdir', '-p', path.dirname(filePath)]);
    await this.exec(['tee', filePath], { input: content });
    if (mode !== undefined) await this.exec(['chmod', mode.toString(8), filePath]);
  }

  /** Installs `/run/systemd/system/<name>` and runs `systemctl daemon-reload`. */
  async writeUnit(name: string, content: string): Promise<void> {
    if (name.includes('/')) throw new Error(`invalid unit name ${name}`);
    await this.writeFile(path.join(UNIT_DIR, name), content, 0o644);
    await this.systemctl('daemon-reload');
  }

  /** Runs `systemctl ...args` inside the lab; throws on non-zero exit. */
  systemctl(...args: string[]): Promise<ExecResult> {
    return this.exec(['systemctl', ...args]);
  }

  /** One property of a unit (`systemctl show -p PROP --value UNIT`). */
  async unitProperty(unit: string, prop: string): Promise<string> {
    const res = await this.exec(['systemctl', 'show', '-p', prop, '--value', unit]);
    return res.stdout.replace(/\n$/, '');
  }

  /** Active/sub state, main pid and result of a unit. */
  async unitState(unit: string): Promise<UnitState> {
    const res = await this.exec(['systemctl', 'show', '-p', 'ActiveState,SubState,MainPID,Result', unit]);
    const props = new Map<string, string>();
    for (const line of res.stdout.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) props.set(line.slice(0, eq), line.slice(eq + 1));
    }
    const pid = Number(props.get('MainPID') ?? '0');
    return {
      activeState: props.get('ActiveState') ?? '',
      subState: props.get('SubState') ?? '',
      mainPid: pid > 0 ? pid : null,
      result: props.get('Result') ?? '',
    };
  }

  /** Main pid of a unit (pid inside the lab's PID namespace), or null if none. */
  async mainPid(unit: string): Promise<number | null> {
    return (await this.unitState(unit)).mainPid;
  }

  /**
   * Polls `fn` until it resolves true. Errors thrown by `fn` count as false.
   * On timeout throws an error naming `what` (and the last error, if any).
   */
  async waitFor(fn: () => Promise<boolean>, options: WaitOptions): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const intervalMs = options.intervalMs ?? 200;
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    for (;;) {
      try {
        if (await fn()) return;
        lastError = undefined;
      } catch (err) {
        lastError = err;
      }
      if (Date.now() >= deadline) {
        const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
        throw new Error(`lab ${this.name}: timed out after ${timeoutMs} ms waiting for ${options.what}${detail}`);
      }
      await sleep(intervalMs);
    }
  }

  /**
   * HTTP GET from inside the lab's network namespace via curl.
   * `status` is null when no HTTP response was received (refused, timeout...).
   */
  async httpGet(url: string, timeoutMs = 5_000): Promise<{ status: number | null; body: string }> {
    const marker = '\n__LAB_HTTP_STATUS__:';
    const seconds = Math.max(timeoutMs / 1000, 0.1).toFixed(1);
    const res = await this.exec([CURL, '-s', '-o', '-', '-w', `${marker}%{http_code}`, '--max-time', seconds, url], {
      allowFailure: true,
      timeoutMs: timeoutMs + 5_000,
    });
    const at = res.stdout.lastIndexOf(marker);
    if (at < 0) return { status: null, body: res.stdout };
    const code = Number(res.stdout.slice(at + marker.length).trim());
    return { status: code > 0 ? code : null, body: res.stdout.slice(0, at) };
  }

  /** Removes the lab's cgroups synchronously, once; true when all are gone (used by the exit hook). */
  removeCgroupsNow(): boolean {
    return this.cgroups.filter((c) => c.created).every((c) => removeCgroupTree(c.dir));
  }

  /** SIGKILLs systemd and unshare synchronously, without waiting (used by the exit hook). */
  killNow(): void {
    for (const pid of [this.pid, this.unshare.pid]) {
      if (pid === undefined) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /**
   * Kills the lab: saves its journal to {@link logFile} (the journal lives in
   * the lab's private tmpfs and is lost otherwise), SIGKILLs systemd (which
   * ends every process of the namespace), then unshare, waits until both
   * processes are gone (reaped) and removes the lab's cgroups. Idempotent.
   */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.stopped) return;
    if (isAlive(this.pid)) {
      const journal = await this.exec(['journalctl', '-b', '--no-pager', '-o', 'short-monotonic'], {
        allowFailure: true,
        timeoutMs: 5_000,
      }).catch((err: Error) => ({ stdout: '', stderr: err.message }));
      note(this.logFile, `journal of the lab follows\n${journal.stdout}${journal.stderr}`);
    }
    this.stopped = true;
    note(this.logFile, 'stopping: SIGKILL to systemd (unshare may complain "sigprocmask unblock failed"; harmless)');
    const deadline = Date.now() + timeoutMs;
    // systemd first, so that unshare (blocked in waitpid) reaps it; then unshare.
    for (const pid of [this.pid, this.unshare.pid]) {
      if (pid === undefined) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
      while (existsSync(`/proc/${pid}`)) {
        if (Date.now() > deadline) {
          // A zombie nobody reaps is dead enough; a live process is an error.
          if (!isAlive(pid)) break;
          throw new Error(`lab ${this.name}: pid ${pid} still alive ${timeoutMs} ms after SIGKILL`);
        }
        await sleep(10);
      }
    }
    liveLabs.delete(this);
    await releaseCgroups(this.cgroups);
  }
}
