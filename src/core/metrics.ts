/**
 * What the core reports for metrics, as a narrow port: the web layer implements it with prom-client, and
 * tests and one-shot runs use the no-op.
 */
export interface MetricsRecorder {
  cycle(kind: 'full' | 'watch', durationMs: number, checksRun: number, issues: number, tasksCreated: number): void;
  phase(phase: number, durationMs: number, outcome: 'fixed' | 'unfixed' | 'escalate' | 'held' | 'error'): void;
  action(type: string, outcome: string): void;
}

export const noMetrics: MetricsRecorder = { cycle: () => {}, phase: () => {}, action: () => {} };
