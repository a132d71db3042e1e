/**
 * The unit's sandbox follows the configuration. The hardened unit (ProtectSystem=strict) may write only what its
 * ReadWritePaths= name; the paths the configuration adds (configuration files to restore, runtime directories,
 * cleanup directories) live in a drop-in, 50-config-paths.conf, that `install` writes first and the daemon keeps
 * up to date: at its start (and at a reload) it derives the paths from the configuration it loaded, and when its
 * unit does not grant one of them it rewrites the drop-in, reloads systemd and restarts itself, once.
 *
 * Why a self-restart and not an ExecStartPre=+ step: a mount namespace is built when the main process is spawned,
 * from the unit as systemd loaded it before the start; a drop-in written during the start (by ExecStartPre or by
 * the daemon) counts only from the next spawn, and a daemon-reload in the middle of a start job is fragile. The
 * daemon is the one that has parsed and validated the configuration, so it decides; a guard file in the data
 * directory keeps it from restarting again for the same paths within GUARD_MS, so a drop-in that cannot take
 * effect (another drop-in resetting ReadWritePaths=) costs one restart and an error line, never a loop.
 *
 * The unit grants write access to its own drop-in directory for this. That lets a compromised daemon widen its
 * sandbox, but such a daemon, root on systemd's bus, could already start any transient unit it likes: the
 * sandbox limits mistakes and exploits of file-writing code, not what its systemctl calls may do.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CompiledConfig } from '../config/compiled.js';
import type { CommandRunner } from '../core/ports.js';
import type { Logger } from '../core/logger.js';

export const CONFIG_PATHS_DROP_IN = '50-config-paths.conf';
/** No second self-restart for the same missing paths within this long. */
export const GUARD_MS = 10 * 60_000;
const GUARD_FILE = 'sandbox-restart.json';
const SYSTEMCTL_TIMEOUT_MS = 60_000;

/**
 * The paths the configuration needs writable: each service's configuration paths (restore_config), the
 * directories of its runtime files (remove_stale_file), and the cleanup directories (clean_directory). Sorted,
 * without the '-' that tells systemd to skip one that does not exist.
 */
export function configWritablePaths(config: Pick<CompiledConfig, 'services' | 'host'>): string[] {
  const paths = new Set<string>();
  for (const service of config.services) {
    for (const configPath of service.configPaths) paths.add(configPath);
    for (const file of service.runtimeFiles) paths.add(path.dirname(file));
  }
  for (const cleanup of config.host.cleanup) paths.add(cleanup.path);
  return [...paths].sort();
}

/** The paths every installed unit may write, whatever the configuration: data, runtime state, journal, its drop-ins. */
export function baseWritablePaths(dataDir: string, dropInDirectory: string): string[] {
  return [dataDir, '/run', '-/var/log/journal', `-${dropInDirectory}`];
}

/** The drop-in directory of a unit file. */
export function dropInDirectoryOf(unitFile: string): string {
  return `${unitFile}.d`;
}

/** The drop-in granting `paths` (each optional: systemd skips one that does not exist when the daemon starts). */
export function renderConfigPathsDropIn(paths: readonly string[], source: string): string {
  const lines = [
    `# Written by autonomous-orchestrator from ${source.replace(/[\r\n]/g, ' ')}: the paths its configuration names`,
    '# (configuration files, runtime directories, cleanup directories) are writable in its sandbox. The daemon',
    '# rewrites this file at its start and at a reload when they change: edit the configuration, not this file.',
    '[Service]',
  ];
  // An empty ReadWritePaths= would reset the list, the unit's own paths with it: no line at all instead.
  if (paths.length > 0) lines.push(`ReadWritePaths=${paths.map((entry) => unitWord(`-${entry}`)).join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/** A path as one word of a unit file: %-specifiers escaped, quoted when it has blanks, quotes or backslashes. */
function unitWord(value: string): string {
  const escaped = value.replaceAll('%', '%%');
  return /^[A-Za-z0-9/._@:+,=%-]+$/.test(escaped) ? escaped : `"${escaped.replace(/["\\]/g, (character) => `\\${character}`)}"`;
}

/** The paths of a ReadWritePaths= value as `systemctl show` prints it, without their '-' or '+' prefixes. */
export function parseGrantedPaths(value: string): string[] {
  return (value.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [])
    .map((word) => (word.startsWith('"') ? word.slice(1, -1).replace(/\\(.)/g, '$1') : word))
    .map((word) => word.replace(/^[-+]+/, ''))
    .filter((word) => word.startsWith('/'));
}

/** Whether `target` is `granted` or lies below one of them. */
export function isGranted(target: string, granted: readonly string[]): boolean {
  return granted.some((root) => target === root || target.startsWith(root === '/' ? '/' : `${root}/`));
}

/** The service unit systemd runs this process as, from /proc/self/cgroup; undefined when systemd did not start it. */
export function ownServiceUnit(env: NodeJS.ProcessEnv = process.env, cgroups: () => string = () => readFileSync('/proc/self/cgroup', 'utf8')): string | undefined {
  if (!env.INVOCATION_ID) return undefined;
  let text: string;
  try {
    text = cgroups();
  } catch {
    return undefined;
  }
  const lines = text.split('\n').filter((line) => line.startsWith('0::') || line.includes(':name=systemd:'));
  for (const line of lines) {
    const unit = /\/([^/]+\.service)$/.exec(line.trim())?.[1];
    if (unit) return unit;
  }
  return undefined;
}

/** What systemd says of a unit's sandbox. */
export interface UnitSandbox {
  unit: string;
  /** The unit file; its drop-in directory is beside it. */
  fragmentPath: string;
  /** no, yes, full or strict. */
  protectSystem: string;
  granted: string[];
  mainPid: number;
  activeState: string;
}

/** Reads a unit's sandbox properties (systemctl show); undefined when systemctl cannot say. */
export async function unitSandbox(unit: string, runner: CommandRunner): Promise<UnitSandbox | undefined> {
  const shown = await runner.run(['systemctl', 'show', '--property=FragmentPath,ReadWritePaths,ProtectSystem,MainPID,ActiveState', '--', unit], {
    timeoutMs: SYSTEMCTL_TIMEOUT_MS,
  });
  if (shown.exitCode !== 0) return undefined;
  const values = new Map<string, string>();
  for (const line of shown.stdout.split('\n')) {
    const equals = line.indexOf('=');
    if (equals > 0) values.set(line.slice(0, equals), line.slice(equals + 1));
  }
  return {
    unit,
    fragmentPath: values.get('FragmentPath') ?? '',
    protectSystem: values.get('ProtectSystem') ?? 'no',
    granted: parseGrantedPaths(values.get('ReadWritePaths') ?? ''),
    mainPid: Number(values.get('MainPID') ?? 0),
    activeState: values.get('ActiveState') ?? '',
  };
}

export interface ReconcileOptions {
  sandbox: UnitSandbox;
  config: Pick<CompiledConfig, 'services' | 'host' | 'source'>;
  runner: CommandRunner;
  logger: Logger;
  /** Where the guard against restart loops is kept. */
  dataDir: string;
  now: number;
  /** At a start, paths granted but not writable are logged (created after the namespace was built). */
  reportUnwritable?: boolean;
}

/**
 * Brings the drop-in up to date with the configuration. Returns true when the unit must be restarted for the
 * sandbox to grant what the configuration needs (the drop-in is written and systemd reloaded by then).
 */
export async function reconcileSandbox(options: ReconcileOptions): Promise<boolean> {
  const { sandbox, config, runner, logger } = options;
  if (sandbox.protectSystem === 'no' || sandbox.protectSystem === '' || sandbox.fragmentPath === '') return false;
  const needed = configWritablePaths(config);
  const dropIn = path.join(dropInDirectoryOf(sandbox.fragmentPath), CONFIG_PATHS_DROP_IN);
  const content = renderConfigPathsDropIn(needed, config.source);
  const fix = `re-run "orchestrator install", or add the paths to ReadWritePaths= in a drop-in (systemctl edit ${sandbox.unit})`;
  let rewritten = false;
  if (readOrEmpty(dropIn) !== content) {
    try {
      mkdirSync(path.dirname(dropIn), { recursive: true, mode: 0o755 });
      const temporary = `${dropIn}.tmp`;
      writeFileSync(temporary, content, { mode: 0o644 });
      renameSync(temporary, dropIn);
    } catch (error) {
      logger.error({ dropIn, error: (error as Error).message }, `cannot write ${dropIn}: the sandbox cannot follow the configuration; ${fix}`);
      return false;
    }
    const reload = await runner.run(['systemctl', 'daemon-reload'], { timeoutMs: SYSTEMCTL_TIMEOUT_MS });
    if (reload.exitCode !== 0) {
      logger.error({ dropIn, error: reload.stderr.trim() || reload.spawnError }, `wrote ${dropIn}, but systemctl daemon-reload failed: it counts from the next start`);
      return false;
    }
    rewritten = true;
  }
  const missing = needed.filter((entry) => !isGranted(entry, sandbox.granted));
  if (missing.length === 0) {
    if (rewritten) logger.info({ dropIn, paths: needed }, 'the sandbox paths of the unit follow the configuration again (the drop-in was rewritten)');
    if (options.reportUnwritable) {
      for (const entry of needed.filter((candidate) => existsSync(candidate) && !writable(candidate))) {
        logger.warn(
          { path: entry },
          `${entry} is not writable in this service's sandbox although its unit grants it: it did not exist when the daemon started; systemctl restart ${sandbox.unit}`,
        );
      }
    }
    return false;
  }
  const guardFile = path.join(options.dataDir, GUARD_FILE);
  const guard = readGuard(guardFile);
  if (guard && guard.unit === sandbox.unit && guard.paths.join('\0') === missing.join('\0') && options.now - guard.at < GUARD_MS) {
    logger.error(
      { paths: missing, dropIn, restartedAt: new Date(guard.at).toISOString() },
      `the unit still does not let the daemon write ${missing.join(', ')} after a restart for them: another drop-in may reset ReadWritePaths= (systemctl cat ${sandbox.unit}); going on without them`,
    );
    return false;
  }
  try {
    writeFileSync(guardFile, JSON.stringify({ unit: sandbox.unit, paths: missing, at: options.now }), { mode: 0o600 });
  } catch (error) {
    // Without the guard a restart could repeat: not restarting is the safe side.
    logger.error({ guardFile, error: (error as Error).message }, `cannot record the restart guard: not restarting for ${missing.join(', ')}`);
    return false;
  }
  logger.warn(
    { paths: missing, dropIn },
    `the configuration names paths this service's sandbox does not let it write (${missing.join(', ')}): wrote ${dropIn}, reloaded systemd, restarting once to apply it`,
  );
  return true;
}

/** Asks systemd to restart the unit without waiting (the restart stops this very process). */
export async function restartUnit(unit: string, runner: CommandRunner, logger: Logger): Promise<boolean> {
  const result = await runner.run(['systemctl', 'restart', '--no-block', '--', unit], { timeoutMs: SYSTEMCTL_TIMEOUT_MS });
  // The stop that the restart starts signals the whole cgroup, systemctl with it: killed by a signal, it was heard.
  if (result.exitCode === 0 || (result.signal !== null && !result.timedOut)) return true;
  logger.error({ unit, error: result.stderr.trim() || result.spawnError }, `systemctl restart ${unit} failed`);
  return false;
}

/** Whether a path can be written inside a running unit's mount namespace, seen through nsenter. */
export type NamespaceWritability = 'writable' | 'read-only' | 'missing' | 'unknown';

/**
 * Checks each path from inside the mount namespace of `pid` (the unit's main process): `test -w` there answers
 * what a read-only bind mount of ProtectSystem= really allows. 'unknown' when nsenter cannot enter (not root).
 */
export async function writableInNamespace(pid: number, paths: readonly string[], runner: CommandRunner): Promise<Map<string, NamespaceWritability>> {
  const results = new Map<string, NamespaceWritability>();
  const inside = (argv: string[]) => runner.run(['nsenter', '-t', String(pid), '-m', '--', ...argv], { timeoutMs: 10_000 });
  // nsenter's own failure and test's "false" share exit code 1: entering is tried once on its own first.
  const entered = (await inside(['true'])).exitCode === 0;
  for (const target of paths) {
    if (!entered) {
      results.set(target, 'unknown');
      continue;
    }
    if ((await inside(['test', '-e', target])).exitCode !== 0) {
      results.set(target, 'missing');
      continue;
    }
    results.set(target, (await inside(['test', '-w', target])).exitCode === 0 ? 'writable' : 'read-only');
  }
  return results;
}

function writable(target: string): boolean {
  try {
    accessSync(target, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function readGuard(file: string): { unit: string; paths: string[]; at: number } | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { unit?: unknown; paths?: unknown; at?: unknown };
    if (typeof parsed.unit !== 'string' || !Array.isArray(parsed.paths) || typeof parsed.at !== 'number') return undefined;
    return { unit: parsed.unit, paths: parsed.paths.map(String), at: parsed.at };
  } catch {
    return undefined;
  }
}
