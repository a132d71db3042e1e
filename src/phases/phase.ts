/** What every remediation phase receives and returns. Context accumulates: each phase sees all earlier attempts. */
import type { CompiledService } from '../config/compiled.js';
import type { ExecutionScope } from '../actions/executor.js';
import type { Attempt, Evidence, Phase, Task } from '../core/types.js';
import type { Diagnosis } from '../drift/diagnosis.js';

export interface TaskContext {
  task: Task;
  service: CompiledService;
  /** The evidence as it is now: refreshed before each phase after the first (logs written by earlier attempts). */
  evidence: Evidence;
  scope: ExecutionScope;
  /** Every attempt so far, from every phase (and from before a daemon restart). */
  attempts: Attempt[];
  /** Findings worth passing on to later phases and to a human. */
  findings: string[];
  /** What the evidence and the drift say the cause is (drift/diagnosis.ts), when they say it. */
  diagnosis?: Diagnosis;
  /**
   * Reads the unit's state and journal again after an attempt failed and re-runs the diagnosis on them (what a
   * failed start printed, an exit status such as 203/EXEC, often says more than the first failure did).
   */
  reconsider?(signal: AbortSignal): Promise<void>;
  /** A person asked for this run (escalation retry): the service's action budget does not hold it back. */
  humanAsked?: boolean;
  /** The output of the config test that refused a (re)start, when one did. */
  configTestFailure?: string;
}

export type PhaseOutcome =
  | { kind: 'fixed'; attempt: Attempt }
  | { kind: 'unfixed'; reason: string }
  | { kind: 'escalate'; reason: string }
  /** Nothing may be done now (kill switch, dry run, operator intent); the task waits. */
  | { kind: 'held'; reason: string; status: 'open' | 'ignored' };

export interface RemediationPhase {
  readonly phase: Phase;
  readonly name: string;
  readonly timeoutMs: number;
  run(context: TaskContext, signal: AbortSignal): Promise<PhaseOutcome>;
}
