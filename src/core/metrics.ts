/**
 * What the core reports for metrics, as a narrow port: the web layer implements it with prom-client, and
 * tests and one-shot runs use the no-op.
 */

/** One detection pass as the metrics see it. */
export interface CycleReport {
  kind: 'full' | 'watch';
  /** When the pass was recorded (epoch ms): a stalled daemon stops moving it. */
  endedAt: number;
  durationMs: number;
  checksRun: number;
  /** Failing checks found by this pass (the same fault is found again by every pass until it is fixed). */
  issuesDetected: number;
  /** New tasks: distinct faults. */
  tasksCreated: number;
  /** Services whose checks all passed in this pass (a watch runs the unit check only). */
  healthy: ReadonlySet<string>;
  /** Services failing in this pass, with the check that failed. */
  failing: ReadonlyArray<{ service: string; checkId: string }>;
}

export interface MetricsRecorder {
  cycle(report: CycleReport): void;
  phase(phase: number, durationMs: number, outcome: 'fixed' | 'unfixed' | 'escalate' | 'held' | 'error'): void;
  action(type: string, outcome: string): void;
}

export const noMetrics: MetricsRecorder = { cycle: () => {}, phase: () => {}, action: () => {} };
