/**
 * Each service's last-known-good state, and its drift when it fails. A state is recorded while the service is
 * healthy and runs with what it describes: every changed part is older than the service's last start (so the
 * running service really loaded it). A drop-in edited under a running service is therefore not "good" until the
 * service has been restarted with it and stayed healthy. Recording is throttled; drift is computed on demand.
 */
import { chmod, chown, copyFile, lstat, mkdir, open, readFile, realpath, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { CompiledConfig, CompiledService } from '../config/compiled.js';
import type { Clock, ServiceAdapter, ServiceStatus } from '../core/ports.js';
import type { Logger } from '../core/logger.js';
import type { ServiceStateRepository } from '../store/service-state-repository.js';
import { computeDrift, type DriftReport } from '../drift/drift.js';
import { environmentEntries, hashValue, isSecretName, type CapturedFile, type ServiceState } from '../drift/service-state.js';
import type { ActionResult, KnownGoodRestorer } from '../actions/definition.js';
import { forbiddenRootReason, isSharedRoot, isWithin } from '../core/path-policy.js';
import { recentlyModified, recentPackageChanges } from '../drift/host-changes.js';
import { captureServiceState } from '../drift/state-capture.js';
import { userExists } from '../drift/account-names.js';

/** A healthy service's state is read again at most this often (or when it was restarted). */
const REFRESH_MS = 5 * 60_000;

export interface LastKnownGoodDependencies {
  adapter: ServiceAdapter;
  states: ServiceStateRepository;
  config: CompiledConfig;
  clock: Clock;
  logger: Logger;
  /** dpkg's logs (tests point elsewhere). */
  packageLogs?: string[];
}

/** Where a unit file or drop-in may be written back: the administrator's directories, never the vendor's. */
const UNIT_ROOTS = ['/etc/systemd/system', '/run/systemd/system'];

export class LastKnownGood implements KnownGoodRestorer {
  private readonly lastRead = new Map<string, { at: number; activeSince: number | null }>();

  constructor(private readonly dependencies: LastKnownGoodDependencies) {}

  /** Records the states of the healthy services given (throttled); never throws. */
  async refresh(services: readonly CompiledService[], statuses: ReadonlyMap<string, ServiceStatus>, signal?: AbortSignal): Promise<void> {
    for (const service of services) {
      if (signal?.aborted) return;
      const status = statuses.get(service.unit);
      if (!status || status.state !== 'running' || status.activeSince === null) continue;
      const now = this.dependencies.clock.now();
      const last = this.lastRead.get(service.name);
      if (last && last.activeSince === status.activeSince && now - last.at < REFRESH_MS) continue;
      this.lastRead.set(service.name, { at: now, activeSince: status.activeSince });
      try {
        await this.recordIfLoaded(service, status.activeSince, signal);
      } catch (error) {
        this.dependencies.logger.warn({ service: service.name, error: (error as Error).message }, 'could not record the last-known-good state');
      }
    }
  }

  has(service: string): boolean {
    return this.dependencies.states.latest(service) !== undefined;
  }

  /**
   * Writes back the unit file, drop-ins and environment files that differ from the last-known-good state, moves
   * drop-ins added since into the data directory's quarantine (never deleted), then reloads the manager.
   */
  async restoreDefinition(service: CompiledService, signal?: AbortSignal): Promise<ActionResult> {
    const good = this.dependencies.states.latest(service.name);
    const now = await this.capture(service, signal);
    if (!good || !now) return { ok: false, detail: `no last-known-good state of ${service.name} to restore from` };
    const current = new Map(now.files.map((file) => [file.path, file]));
    const done: string[] = [];
    for (const file of good.files) {
      const present = current.get(file.path);
      current.delete(file.path);
      if (present?.sha256 === file.sha256) continue;
      const text = file.role === 'environment' ? restoredEnvironment(file, present ? await readFile(file.path, 'utf8').catch(() => '') : '') : file.text;
      if (typeof text !== 'string') return { ok: false, detail: [...done, `${file.path} not restored: ${text.refused}`].join('; ') };
      await writeBack(file, text, file.role === 'environment' ? undefined : UNIT_ROOTS);
      done.push(`${present ? 'restored' : 'recreated'} ${file.path}`);
    }
    for (const added of current.values()) {
      if (added.role !== 'drop-in') continue;
      const target = path.join(this.dependencies.config.dataDir, 'quarantine', service.name.replace(/[^A-Za-z0-9_.@-]/g, '_'), String(this.dependencies.clock.now()), added.path);
      await checkedParent(added.path, UNIT_ROOTS);
      await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      await moveFile(added.path, target);
      done.push(`moved the drop-in ${added.path} added since to ${target}`);
    }
    if (done.length === 0) return { ok: false, detail: `${service.name}'s unit files and environment files match their last-known-good state; nothing to restore` };
    const adapter = this.dependencies.adapter;
    if (adapter.daemonReload) {
      const reload = await adapter.daemonReload(signal);
      if (reload.exitCode !== 0) return { ok: false, detail: `${done.join('; ')}; daemon-reload failed: ${(reload.stderr || reload.stdout).trim().slice(0, 300)}` };
      done.push('daemon-reload');
    }
    return { ok: true, detail: `restored the last-known-good definition of ${service.unit} (known good at ${new Date(good.takenAt).toISOString()}): ${done.join('; ')}` };
  }

  /** Puts back owner, group and mode of the service's own paths (never a system or shared directory, never through a link). */
  async restorePermissions(service: CompiledService, signal?: AbortSignal): Promise<ActionResult> {
    const good = this.dependencies.states.latest(service.name);
    const now = await this.capture(service, signal);
    if (!good || !now) return { ok: false, detail: `no last-known-good state of ${service.name} to restore from` };
    const before = new Map(good.paths.map((entry) => [entry.path, entry]));
    const done: string[] = [];
    const skipped: string[] = [];
    for (const entry of now.paths) {
      const old = before.get(entry.path);
      if (!old || old.kind !== entry.kind || (entry.kind !== 'directory' && entry.kind !== 'file')) continue;
      if (old.uid === entry.uid && old.gid === entry.gid && old.mode === entry.mode) continue;
      if (entry.role === 'program' || forbiddenRootReason(entry.path, this.dependencies.config.dataDir) !== undefined || isSharedRoot(entry.path)) {
        skipped.push(`${entry.path} (not the service's own)`);
        continue;
      }
      // Checked where it resolves: the path itself, no link anywhere on the way.
      if ((await realpath(entry.path).catch(() => undefined)) !== entry.path) {
        skipped.push(`${entry.path} (resolves elsewhere)`);
        continue;
      }
      const info = await lstat(entry.path);
      if (info.isSymbolicLink()) continue;
      if (info.uid !== old.uid || info.gid !== old.gid) await chown(entry.path, old.uid, old.gid);
      if ((info.mode & 0o7777) !== old.mode) await chmod(entry.path, old.mode);
      done.push(`${entry.path} ${entry.owner} 0${entry.mode.toString(8)} → ${old.owner} 0${old.mode.toString(8)}`);
    }
    if (done.length === 0)
      return {
        ok: false,
        detail: `owner and mode of ${service.name}'s paths match their last-known-good state${skipped.length > 0 ? ` (left alone: ${skipped.join(', ')})` : ''}; nothing to restore`,
      };
    return { ok: true, detail: `restored owner and mode: ${done.join('; ')}${skipped.length > 0 ? `; left alone: ${skipped.join(', ')}` : ''}` };
  }

  private async recordIfLoaded(service: CompiledService, activeSince: number, signal?: AbortSignal): Promise<void> {
    const { states, clock, logger } = this.dependencies;
    const state = await this.capture(service, signal);
    if (!state) return;
    const good = states.latest(service.name);
    // A start time in whole seconds (systemctl's) cannot order a change within its second: that one counts as before.
    const startedAt = activeSince % 1000 === 0 ? activeSince + 999 : activeSince;
    // What changed since the last good state (or, for the first, its unit and environment files) must predate the start.
    const changedAfterStart = good
      ? computeDrift(good, state).filter((change) => (change.at ?? 0) > startedAt)
      : state.files.filter((file) => file.modifiedAt > startedAt).map((file) => ({ summary: file.path }));
    if (changedAfterStart.length > 0) {
      logger.debug(
        { service: service.name, changed: changedAfterStart.map((change) => change.summary).slice(0, 5) },
        'state not recorded as good: changed since the service started',
      );
      return;
    }
    if (states.record({ ...state, takenAt: clock.now() })) {
      logger.info({ service: service.name, files: state.files.length, paths: state.paths.length }, 'last-known-good state recorded');
    }
  }

  private capture(service: CompiledService, signal?: AbortSignal): Promise<ServiceState | undefined> {
    return captureServiceState(service, this.dependencies.clock.now(), { adapter: this.dependencies.adapter, dataDir: this.dependencies.config.dataDir }, signal);
  }

  /**
   * The drift of a failed service: its state now against its last-known-good state, facts about now, and what
   * else changed on the host since then (packages, files in its unit and configuration directories).
   */
  async drift(service: CompiledService, signal?: AbortSignal): Promise<DriftReport | undefined> {
    const now = await this.capture(service, signal).catch(() => undefined);
    if (!now) return undefined;
    const good = this.dependencies.states.latest(service.name);
    const since = good?.takenAt ?? this.dependencies.clock.now() - 24 * 3600_000;
    // What touches this unit: its drop-in directories (where a new drop-in appears) and its configuration, not its neighbours' units.
    const unitDirectories = [...new Set(now.files.filter((file) => file.role !== 'environment').map((file) => path.dirname(file.path)))];
    const dropInDirectories = [...new Set(unitDirectories.map((directory) => (directory.endsWith('.d') ? directory : path.join(directory, `${service.unit}.d`))))];
    const changes = good ? computeDrift(good, now) : [];
    const changed = new Set(changes.map((change) => change.path));
    const modified = (await recentlyModified({ roots: [...dropInDirectories, ...service.configPaths], since, maxFiles: 20 }).catch(() => [])).filter(
      (entry) => !changed.has(entry.path) && !dropInDirectories.includes(entry.path),
    );
    const packages = await recentPackageChanges({ since, logPaths: this.dependencies.packageLogs }).catch(() => []);
    return {
      knownGoodAt: good?.takenAt ?? null,
      changes,
      facts: await factsOf(now),
      packages: packages.slice(-20).map((event) => ({ at: event.at, action: event.action, package: event.package, from: event.from, to: event.to })),
      modified: modified.map((entry) => ({ path: entry.path, modifiedAt: entry.modifiedAt })),
    };
  }
}

/** What is wrong with the service's definition right now, whatever its history. */
async function factsOf(state: ServiceState): Promise<string[]> {
  const facts: string[] = [];
  const program = state.paths.find((entry) => entry.role === 'program');
  if (program?.kind === 'missing') facts.push(`the program ${program.path} (ExecStart=) does not exist`);
  else if (program && program.kind === 'file' && (program.mode & 0o111) === 0)
    facts.push(`the program ${program.path} (ExecStart=) is not executable (mode 0${program.mode.toString(8)})`);
  const workingDirectory = state.paths.find((entry) => entry.role === 'working directory' && entry.path === state.workingDirectory);
  if (workingDirectory?.kind === 'missing') facts.push(`the working directory ${workingDirectory.path} does not exist`);
  if (state.user && !/^\d+$/.test(state.user) && !(await userExists(state.user))) facts.push(`the user ${state.user} (User=) does not exist on this host`);
  return facts;
}

/**
 * An environment file as it was: secret values were never kept, so each is taken from the file as it is now when
 * its hash matches; a secret that changed or went missing cannot be restored (a human must put it back).
 */
function restoredEnvironment(good: CapturedFile, currentText: string): string | { refused: string } {
  const currentValues = environmentEntries(currentText.split('\n'));
  const lines: string[] = [];
  for (const line of good.text.split('\n')) {
    const match = /^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_]*)(\s*=\s*)(sha256:[0-9a-f]{16})$/.exec(line);
    if (!match || !isSecretName(match[2]!)) {
      lines.push(line);
      continue;
    }
    const value = currentValues.get(match[2]!);
    if (value === undefined || hashValue(value) !== match[4])
      return { refused: `the secret ${match[2]} changed or went missing since it was last known good, and its value is never kept` };
    lines.push(`${match[1]}${match[2]}${match[3]}${value}`);
  }
  return lines.join('\n');
}

/** The parent directory, resolved, must be the path's own and inside one of `roots` (when given). */
async function checkedParent(file: string, roots?: readonly string[]): Promise<void> {
  const parent = path.dirname(file);
  const resolved = await realpath(parent);
  if (resolved !== parent) throw new Error(`${parent} resolves to ${resolved}: not written through a link`);
  if (roots && !roots.some((root) => isWithin(resolved, root))) throw new Error(`${file} is not in ${roots.join(' or ')}: a vendor's unit file is never rewritten`);
  const existing = await lstat(file).catch(() => undefined);
  if (existing?.isSymbolicLink()) throw new Error(`${file} is a link: not written through`);
}

/** Writes a file atomically (a new file beside it, then rename) with its last-known-good owner and mode. */
async function writeBack(file: CapturedFile, text: string, roots?: readonly string[]): Promise<void> {
  await mkdir(path.dirname(file.path), { recursive: true });
  await checkedParent(file.path, roots);
  const temporary = `${file.path}.orchestrator-restore`;
  await rm(temporary, { force: true });
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
  await chown(temporary, file.uid, file.gid);
  await chmod(temporary, file.mode);
  await rename(temporary, file.path);
}

/** Moves a file, across filesystems too (/run is a tmpfs, the data directory is not): a copy, then the original removed. */
async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await copyFile(from, to);
    await rm(from);
  }
}
