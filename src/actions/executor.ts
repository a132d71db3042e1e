/**
 * The executor: the only code that changes the host. It validates every action against the catalog, checks its
 * scope (only the task's own unit and its dependencies, only allow-listed paths), runs the config test before
 * (re)starting a service that has one, and acts through the ports with argv arrays.
 */
import type { CompiledConfig, CompiledService } from '../config/compiled.js';
import type { CommandResult, CommandRunner, FileSystem, ServiceAdapter } from '../core/ports.js';
import type { Action } from '../core/types.js';
import { EscalateNowError, OrchestratorError, PathRefusedError, PolicyRefusal } from '../core/errors.js';
import { sanitizeText } from '../core/sanitize.js';
import { validateAction } from './catalog.js';
import { findStaleFiles } from './stale-files.js';
import { runtimeRootFor, scopeViolation, type ExecutionScope } from './scope.js';
import { forbiddenRootReason, forbiddenRuntimeFileReason, normalizeAbsolute } from './path-policy.js';
import type { ConfigSnapshots } from '../store/config-snapshots.js';
import type { Clock } from '../core/ports.js';

export type { ExecutionScope } from './scope.js';

export interface ActionResult {
  ok: boolean;
  detail: string;
}

export interface ExecutorDependencies {
  adapter: ServiceAdapter;
  runner: CommandRunner;
  files: FileSystem;
  config: CompiledConfig;
  snapshots: ConfigSnapshots;
  clock: Clock;
}

export class Executor {
  constructor(private readonly dependencies: ExecutorDependencies) {}

  async execute(proposed: Action, scope: ExecutionScope, signal?: AbortSignal): Promise<ActionResult> {
    const validated = validateAction(proposed);
    if (!validated.ok) throw new PolicyRefusal('not_allowed', validated.error);
    const action = validated.action;
    const violation = scopeViolation(action, scope, this.dependencies.config);
    if (violation) throw new PolicyRefusal('not_allowed', violation);
    const { adapter, runner, config } = this.dependencies;
    const unit = String(action.params.unit ?? '');
    switch (action.type) {
      case 'restart_unit':
      case 'start_unit':
      case 'reload_unit': {
        await this.configTest(scope.service.configTest, unit, signal);
        const operation = action.type === 'restart_unit' ? adapter.restart : action.type === 'start_unit' ? adapter.start : adapter.reload;
        return jobResult(await operation.call(adapter, unit, signal));
      }
      case 'reset_failed':
        return jobResult(await adapter.resetFailed(unit, signal));
      case 'restart_dependency':
        await this.configTest(scope.configTestFor(unit), unit, signal);
        return jobResult(await adapter.restart(unit, signal));
      case 'resume_process':
        return jobResult(await adapter.kill(unit, 'SIGCONT', signal));
      case 'kill_process_tree':
        return jobResult(await adapter.kill(unit, 'SIGKILL', signal));
      case 'remove_stale_file':
        return this.confined(() => this.removeStaleFile(String(action.params.path), scope));
      case 'clean_directory':
        return this.confined(() => this.cleanDirectory(String(action.params.path), Number(action.params.olderThanMs)));
      case 'restore_config':
        return this.restoreConfig(scope);
      case 'vacuum_journal':
        return jobResult(await runner.run(['journalctl', `--vacuum-size=${Number(action.params.maxSizeMb)}M`], { timeoutMs: config.safety.commandTimeoutMs, signal }));
      case 'run_playbook': {
        const argv = scope.service.playbooks[String(action.params.name)]!;
        return jobResult(await runner.run(argv, { timeoutMs: config.safety.commandTimeoutMs, signal, maxOutputBytes: config.safety.maxOutputBytes }));
      }
      case 'escalate':
        return { ok: true, detail: 'escalation requested' };
      default:
        throw new PolicyRefusal('not_allowed', `${action.type} is not available in this version of the executor`);
    }
  }

  private restoreConfig(scope: ExecutionScope): ActionResult {
    const { snapshots, clock } = this.dependencies;
    const { service } = scope;
    if (!snapshots.has(service.name)) return { ok: false, detail: `no last-known-good snapshot of ${service.name}'s configuration` };
    const changes = snapshots.diff(service.name, service.configPaths);
    if (changes.length === 0) return { ok: false, detail: `${service.name}'s configuration matches its last-known-good snapshot; nothing to restore` };
    const done = snapshots.restore(service.name, service.configPaths, clock.now());
    return { ok: true, detail: `restored the last-known-good configuration: ${done.join('; ')}` };
  }

  /** A failing config test stops the restart and hands the task to a human with the test's output. */
  private async configTest(argv: readonly string[] | undefined, unit: string, signal?: AbortSignal): Promise<void> {
    if (!argv) return;
    const result = await this.dependencies.runner.run(argv, {
      timeoutMs: this.dependencies.config.safety.commandTimeoutMs,
      signal,
      maxOutputBytes: this.dependencies.config.safety.maxOutputBytes,
    });
    if (result.spawnError) throw new OrchestratorError('CONFIG_TEST_UNAVAILABLE', `config test ${argv.join(' ')} could not run: ${result.spawnError}`);
    if (result.exitCode !== 0) {
      const output = sanitizeText(`${result.stderr}\n${result.stdout}`.trim(), 4000);
      throw new EscalateNowError(`config test failed for ${unit}: ${argv.join(' ')} exited ${result.exitCode ?? result.signal}; not restarting`, {
        configTest: argv.join(' '),
        output,
      });
    }
  }

  /** A path the file system refused (a link, an escape, a mount crossed) is a policy refusal, recorded as such. */
  private async confined(work: () => Promise<ActionResult>): Promise<ActionResult> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof PathRefusedError) throw new PolicyRefusal('not_allowed', error.message);
      throw error;
    }
  }

  /**
   * The root is resolved (its links followed once, as the unit or config names it) and checked against the path
   * policy again; below it nothing is followed, so a link planted in the service's runtime tree is refused.
   */
  private async removeStaleFile(path: string, scope: ExecutionScope): Promise<ActionResult> {
    const { files, config } = this.dependencies;
    const root = runtimeRootFor(path, scope, config.dataDir);
    if (!root) throw new PathRefusedError(`${path} is not a runtime file of ${scope.service.name}`);
    const realRoot = await files.realPath(root);
    if (!realRoot) return { ok: true, detail: `${path}: its directory ${root} does not exist; nothing to remove` };
    const exact = scope.service.runtimeFiles.includes(path);
    const reason = exact ? forbiddenRuntimeFileReason(`${realRoot}/${path.slice(root.length + 1)}`, config.dataDir) : forbiddenRootReason(realRoot, config.dataDir);
    if (reason) throw new PathRefusedError(`${root} resolves to ${realRoot}: ${reason}`);
    const [stale] = await findStaleFiles([{ root, path }], files);
    if (!stale) {
      await files.inspect(root, path); // Refuses a path through a link, so the refusal is recorded, not "left alone".
      return { ok: true, detail: `${path}: already gone, owned by a live process or not a plain file; left alone` };
    }
    await files.remove(root, path);
    return { ok: true, detail: `removed ${path} (${stale.reason})` };
  }

  /** Old files of an allow-listed directory, on its own filesystem only, never through a link. */
  private async cleanDirectory(path: string, olderThanMs: number): Promise<ActionResult> {
    const { files, config } = this.dependencies;
    const entry = config.host.cleanup.find((candidate) => candidate.path === path)!;
    const realRoot = await files.realPath(path);
    if (!realRoot) return { ok: true, detail: `${path} does not exist; nothing to clean` };
    if (realRoot !== normalizeAbsolute(path)) throw new PathRefusedError(`${path} resolves to ${realRoot}: a cleanup path is never followed through a link`);
    const reason = forbiddenRootReason(realRoot, config.dataDir);
    if (reason) throw new PathRefusedError(reason);
    const minimumAge = Math.max(olderThanMs, entry.olderThanMs);
    let removed = 0;
    let bytes = 0;
    for (const file of await files.listFiles(path, { sameDevice: true })) {
      if (file.ageMs < minimumAge) continue;
      if ((await files.holders(file.path)).length > 0) continue;
      try {
        if (await files.remove(path, file.path, { sameDevice: true })) {
          removed++;
          bytes += file.size;
        }
      } catch (error) {
        if (!(error instanceof PathRefusedError)) throw error;
        // Swapped for a link or moved since it was listed: left alone.
      }
    }
    return { ok: true, detail: `removed ${removed} file(s), ${Math.round(bytes / 1048576)} MiB, older than ${Math.round(minimumAge / 60_000)} min from ${path}` };
  }
}

function jobResult(result: CommandResult): ActionResult {
  const command = result.argv.join(' ');
  if (result.exitCode === 0) return { ok: true, detail: `${command}: ok` };
  const output = sanitizeText((result.stderr || result.stdout).trim(), 1000);
  return { ok: false, detail: `${command}: ${result.timedOut ? 'timed out' : `exit ${result.exitCode ?? result.signal}`}${output ? `: ${output}` : ''}` };
}
