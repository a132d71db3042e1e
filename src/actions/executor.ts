/**
 * The executor: the only code that changes the host. It validates every action against the catalog, checks its
 * scope and that the service's adapter has the capability it needs, runs the config test before (re)starting a
 * service that has one, and runs the action's own definition through the ports (argv arrays, never a shell).
 */
import { adapterOf } from '../core/ports.js';
import type { Action } from '../core/types.js';
import { EscalateNowError, OrchestratorError, PathRefusedError, PolicyRefusal } from '../core/errors.js';
import { sanitizeText } from '../core/sanitize.js';
import { validateAction } from './catalog.js';
import { actionDefinition } from './definitions/index.js';
import { scopeViolation, type ExecutionScope } from './scope.js';
import type { ActionResult, ActionRuntime } from './definition.js';
import { currentOwners } from './stray-listener.js';

export type { ExecutionScope } from './scope.js';
export type { ActionResult } from './definition.js';

/** The ports and config an action runs with; the executor adds the task's scope, the signal and the config test. */
export type ExecutorDependencies = Omit<ActionRuntime, 'scope' | 'signal' | 'configTest' | 'owners'>;

export class Executor {
  constructor(private readonly dependencies: ExecutorDependencies) {}

  async execute(proposed: Action, scope: ExecutionScope, signal?: AbortSignal): Promise<ActionResult> {
    const validated = validateAction(proposed);
    if (!validated.ok) throw new PolicyRefusal('not_allowed', validated.error);
    const action = validated.action;
    const definition = actionDefinition(action.type)!;
    const violation = scopeViolation(action, scope, this.dependencies.config);
    if (violation) throw new PolicyRefusal('not_allowed', violation);
    if (definition.executable === false) throw new PolicyRefusal('not_allowed', `${action.type} is not available in this version of the executor`);
    const adapter = adapterOf(this.dependencies.adapter, scope.service.unit || scope.service.name);
    if (definition.capability && !adapter.capabilities.has(definition.capability)) {
      throw new PolicyRefusal(
        'not_allowed',
        `${action.type} needs the "${definition.capability}" capability, which the ${adapter.kind} adapter of ${scope.service.name} does not have`,
      );
    }
    try {
      return await definition.run(action.params, {
        ...this.dependencies,
        adapter,
        scope,
        signal,
        configTest: (argv, unit) => this.configTest(argv, unit, signal),
        owners: () => currentOwners(this.dependencies.adapter, this.dependencies.config, signal),
      });
    } catch (error) {
      // A path the file system refused (a link, an escape, a mount crossed) is a policy refusal, recorded as such.
      if (error instanceof PathRefusedError) throw new PolicyRefusal('not_allowed', error.message);
      throw error;
    }
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
}
