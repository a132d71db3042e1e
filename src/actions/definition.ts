/**
 * What an action is, in one place: its parameter schema, its scope rule, the adapter capability it needs, what an
 * agent is told about it, and how it runs. Each action is one file in definitions/; the catalog, the executor,
 * the agents' catalog, the CLI's `actions` and the dashboard's list derive from them.
 */
import { z } from 'zod/v4';
import type { CompiledConfig, CompiledService } from '../config/compiled.js';
import type { AdapterCapability, Clock, CommandResult, CommandRunner, FileSystem, Probes, ServiceAdapter } from '../core/ports.js';
import type { Action } from '../core/types.js';
import type { ConfigSnapshots } from '../store/config-snapshots.js';
import { sanitizeText } from '../core/sanitize.js';
import type { ExecutionScope } from './scope.js';
import type { Owners } from './stray-listener.js';

export interface ActionResult {
  ok: boolean;
  detail: string;
}

/** What an action may use when it runs: the ports, the config, the task's scope. */
export interface ActionRuntime {
  adapter: ServiceAdapter;
  runner: CommandRunner;
  files: FileSystem;
  /** Read-only host probes (who listens on a port), for actions that must look before they act. */
  probes: Probes;
  config: CompiledConfig;
  snapshots: ConfigSnapshots;
  clock: Clock;
  scope: ExecutionScope;
  signal?: AbortSignal;
  /** The services' last-known-good states and how to put them back (runtime/last-known-good.ts). */
  knownGood?: KnownGoodRestorer;
  /** Runs the config test of a unit before (re)starting it; throws EscalateNowError when it fails. */
  configTest(argv: readonly string[] | undefined, unit: string): Promise<void>;
  /** Who owns processes now (every managed service's main pid, the orchestrator's), for actions that signal. */
  owners(): Promise<Owners>;
}

/** Puts a service's definition or its paths' owner and mode back to their last-known-good values. */
export interface KnownGoodRestorer {
  has(service: string): boolean;
  restoreDefinition(service: CompiledService, signal?: AbortSignal): Promise<ActionResult>;
  restorePermissions(service: CompiledService, signal?: AbortSignal): Promise<ActionResult>;
}

/** What an agent is told about an action for this task: a description and what each parameter may be. */
export interface ActionOffer {
  description: string;
  params: Record<string, string>;
}

/** What an offer may depend on besides the scope. */
export interface OfferContext {
  config: CompiledConfig;
  /** A last-known-good configuration snapshot of the service exists. */
  hasSnapshot: boolean;
  /** A last-known-good state (unit definition, paths) of the service exists. */
  hasKnownGood?: boolean;
}

export interface ActionDefinition<Params extends Record<string, string | number | boolean> = Record<string, string | number | boolean>, Type extends string = string> {
  readonly type: Type;
  /** One line for `orchestrator actions` and the dashboard. */
  readonly summary: string;
  /** The parameters, strict: anything else is refused. */
  readonly params: z.ZodType<Params>;
  /** The capability the service's adapter must declare for the action to be offered or run. */
  readonly capability?: AdapterCapability;
  /** Parameters a human may leave out of `--fix` (the task's own unit). */
  readonly ownUnit?: boolean;
  /** false: in the catalog for recording, but the executor cannot run it yet (never offered, never learned). */
  readonly executable?: boolean;
  /** Why the action is outside the task's scope, or undefined when it is inside. */
  scope(params: Params, scope: ExecutionScope, config: CompiledConfig): string | undefined;
  /** What an agent is told for this task, or undefined when the action does not apply to it. */
  offer(scope: ExecutionScope, context: OfferContext): ActionOffer | undefined;
  run(params: Params, runtime: ActionRuntime): Promise<ActionResult>;
}

/** Declares an action (keeps each definition's parameter type). */
export function defineAction<const Type extends string, Params extends Record<string, string | number | boolean>>(
  definition: ActionDefinition<Params, Type>,
): ActionDefinition<Params, Type> {
  return definition;
}

export const unitName = z
  .string()
  .max(256)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.@:\\-]*$/, { error: 'expected a service name such as nginx.service' });

export const absolutePath = z
  .string()
  .max(4096)
  .refine((path) => path.startsWith('/') && !path.split('/').includes('..') && !/[\u0000-\u001f]/.test(path), {
    error: 'expected an absolute path without ".." or control characters',
  });

export const unitParams = z.object({ unit: unitName }).strict();

/** The scope rule of actions on the service's own unit. */
export function ownUnitOnly(params: { unit: string }, scope: ExecutionScope): string | undefined {
  return params.unit === scope.service.unit ? undefined : `${params.unit} is not the unit of ${scope.service.name} (${scope.service.unit})`;
}

/** A command's result as an action result, with its output capped and sanitised. */
export function commandResult(result: CommandResult): ActionResult {
  const command = result.argv.join(' ');
  if (result.exitCode === 0) return { ok: true, detail: `${command}: ok` };
  const output = sanitizeText((result.stderr || result.stdout).trim(), 1000);
  return { ok: false, detail: `${command}: ${result.timedOut ? 'timed out' : `exit ${result.exitCode ?? result.signal}`}${output ? `: ${output}` : ''}` };
}

export type { Action };
