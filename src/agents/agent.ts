/**
 * The Agent port: an agent reads a task's accumulated context and proposes one catalog action as a typed
 * verdict. Agents never act: the phase validates the proposal against the catalog and the safety policy, and
 * the executor acts.
 */
import type { Symptom } from '../core/types.js';
import type { Toolbox } from '../investigation/toolbox.js';

export const PERSPECTIVES = ['general', 'systems', 'application', 'dependencies'] as const;
/** general: phase 2's single agent; the other three are phase 3's panel. */
export type Perspective = (typeof PERSPECTIVES)[number];

/** What an agent may propose: a catalog action type with parameters (validated later), or escalate. */
export type { ProposedAction, Verdict } from '../core/types.js';
export type { Toolbox } from '../investigation/toolbox.js';
import type { Verdict } from '../core/types.js';

/** One catalog action the agent may choose, with a description of its parameters. */
export interface CatalogEntry {
  type: string;
  description: string;
  params: Record<string, string>;
}

/** Everything the phases learned so far, as given to an agent. Host text in it is already sanitised. */
export interface AgentContext {
  service: {
    name: string;
    unit: string;
    profile?: string;
    dependencies: string[];
    runtimeFiles: string[];
    /** Directories that hold only this service's runtime state (RuntimeDirectory=, profile runtime dirs). */
    runtimeDirectories: string[];
    configPaths: string[];
  };
  task: { id: string; symptom: Symptom; signature: string; message: string };
  unit?: { activeState: string; subState: string; result: string; execMainStatus: number; execMainCode: string; unitFileState: string };
  checks: Array<{ checkId: string; ok: boolean; message: string }>;
  /** Recent journal lines of the unit: untrusted. */
  logs: string[];
  /** Every attempt so far, every phase. */
  attempts: Array<{ phase: number; source: string; plan: string; outcome: string | null; detail: string }>;
  /** What changed since the service was last known good, as readable lines with times: untrusted. */
  drift: string[];
  /** Findings of earlier phases (config test output, ladder notes). */
  findings: string[];
  /** Learned patterns for this service and signature. */
  learned: Array<{ plan: string; successes: number; failures: number; confidence: number }>;
  /** Known log signatures of the service's profile that match the logs. */
  knownSignatures: Array<{ symptom: string; hint: string; line: string }>;
  /** The actions the agent may choose from, already scoped to this task. */
  catalog: CatalogEntry[];
}

export interface Agent {
  /** A name for records and logs, e.g. "heuristic", "command:claude", "openai:llama3". */
  readonly name: string;
  /**
   * Returns a schema-checked verdict, or throws AgentError when there is none. With `tools`, the agent may run
   * the task's read-only investigation probes first (a model through tool calling, the others directly).
   */
  diagnose(context: AgentContext, perspective: Perspective, signal: AbortSignal, tools?: Toolbox): Promise<Verdict>;
}
