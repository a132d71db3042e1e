import { describe, expect, it } from 'vitest';
import { quickFixPlans, type PlanInputs } from './quick-fix-plans.js';
import type { CompiledService } from '../config/compiled.js';
import type { Task } from '../core/types.js';

const service: CompiledService = {
  name: 'app',
  unit: 'app.service',
  adapter: 'systemd',
  dependsOn: ['db.service'],
  runtimeFiles: ['/run/app.pid'],
  checks: [],
  configPaths: [],
  playbooks: {},
  autonomy: 'act',
  labels: { service: 'web' },
  discovered: false,
};
const task = { symptom: 'unit_failed', signature: 'unit_failed:signal', message: 'app.service failed', checkId: 'unit' } as Task;

function inputs(overrides: Partial<PlanInputs> = {}): PlanInputs {
  return { task, service, patterns: [], minConfidence: 0.5, downDependencies: [], staleFiles: [], restartAttempts: 2, cleanup: [], unitFailed: true, ...overrides };
}

describe('quickFixPlans', () => {
  it('restarts with a retry when nothing else is known', () => {
    const plans = quickFixPlans(inputs());
    expect(plans.map((plan) => plan.source)).toEqual(['generic', 'generic']);
    expect(plans[0]!.actions).toEqual([{ type: 'restart_unit', params: { unit: 'app.service' } }]);
  });

  it('puts confident learned patterns first, skips weak ones, then dependencies, stale state, restart', () => {
    const learned = { service: 'app', signature: 'unit_failed:signal', planKey: 'k', successes: 3, failures: 0, weightedSuccesses: 3, weightedFailures: 0, lastUsed: 0 };
    const plans = quickFixPlans(
      inputs({
        patterns: [
          { ...learned, actions: [{ type: 'reset_failed', params: { unit: 'app.service' } }], confidence: 0.8 },
          { ...learned, actions: [{ type: 'reload_unit', params: { unit: 'app.service' } }], confidence: 0.2 },
        ],
        downDependencies: ['db.service'],
        staleFiles: [{ path: '/run/app.pid', reason: 'pid 4242 is not running' }],
      }),
    );
    expect(plans.map((plan) => plan.source)).toEqual(['learned', 'dependency', 'profile', 'generic', 'generic']);
    expect(plans[1]!.actions[0]).toEqual({ type: 'restart_dependency', params: { unit: 'db.service' } });
    expect(plans[2]!.actions).toEqual([
      { type: 'remove_stale_file', params: { path: '/run/app.pid' } },
      { type: 'start_unit', params: { unit: 'app.service' } },
    ]);
    expect(plans[2]!.reason).toContain('pid 4242 is not running');
  });

  it('cleans allow-listed directories for a full disk and never restarts anything for it', () => {
    const plans = quickFixPlans(inputs({ task: { ...task, symptom: 'disk_full', checkId: 'disk:/' }, cleanup: [{ path: '/var/tmp/cache', olderThanMs: 3_600_000 }] }));
    expect(plans).toHaveLength(1);
    expect(plans[0]!.actions[0]).toEqual({ type: 'clean_directory', params: { path: '/var/tmp/cache', olderThanMs: 3_600_000 } });
  });
});
