/** The comparison harness's pure parts: time limits, lanes, the stack verifier, journal parsing, Monit's configuration. */
import { describe, expect, it } from 'vitest';
import { FAULTS, timeLimitMs } from '../bench/comparison/faults.js';
import { comparisonOptionsFromEnv, planLanes, summarize, type FaultResult } from '../bench/comparison/run-comparison.js';
import { problems, unitEvents, UNITS, type StackSnapshot } from '../bench/comparison/stack.js';
import { monitrc, orchestratorConfig } from '../bench/comparison/systems.js';
import { parseConfigText } from '../src/config/load.js';

const fault = (id: string) => FAULTS.find((candidate) => candidate.id === id)!;

function healthySnapshot(): StackSnapshot {
  const units = Object.fromEntries(
    Object.values(UNITS).map((id) => [
      id,
      { id, activeState: 'active', subState: 'running', mainPid: 10, nRestarts: 0, result: 'success', unitFileState: 'static', loadState: 'loaded', activeEnterMono: 1 },
    ]),
  );
  return {
    at: 0,
    http: { front: 200, nginx_health: 200, app: 200, worker: 200, broken: 200, masked: 200, api: 200, files: 200, data: 200, report: 200 },
    redis: 'PONG',
    pg: 'ok',
    spoolPercent: 10,
    keepSha: 'abc',
    workerLock: 'present',
    units,
  };
}

describe('the comparison harness', () => {
  it('gives every healer at least the fault limit, and slower healers the time their cycle and start wait need', () => {
    const fast = { cycleMs: 1_000, startWaitMs: 0 };
    const monit30 = { cycleMs: 30_000, startWaitMs: 30_000 };
    expect(timeLimitMs(fault('kill-app'), fast)).toBe(45_000);
    expect(timeLimitMs(fault('kill-app'), monit30)).toBe(2 * 60_000 + 15_000);
    expect(timeLimitMs(fault('nginx-typo'), monit30)).toBe(5 * 60_000 + 30_000 + 15_000);
    expect(timeLimitMs(fault('memory-leak'), monit30)).toBe(5 * 60_000 + 30_000 + 15_000 + 20_000);
    // Observation windows are fixed, but hold at least one full cycle.
    expect(timeLimitMs(fault('no-fault'), fast)).toBe(45_000);
    expect(timeLimitMs(fault('masked'), monit30)).toBe(40_000);
  });

  it('keeps the second stale lock after the first, the no-fault window first, the leak after the first thirteen, the faults that follow a change after it', () => {
    const ids = FAULTS.map((candidate) => candidate.id);
    expect(ids[0]).toBe('no-fault');
    expect(ids.indexOf('stale-lock')).toBeLessThan(ids.indexOf('stale-lock-again'));
    expect(ids[12]).toBe('memory-leak');
    expect(ids.slice(13)).toEqual(['env-lost', 'nofile-lowered', 'chown-data-dir', 'binary-removed', 'chown-redis-dir', 'stray-listener', 'nginx-typo-repaired']);
    expect(new Set(ids).size).toBe(20);
  });

  it('gives an escalated-then-fixed fault the escalation limit, the repair delay and a fix window', () => {
    const monit30 = { cycleMs: 30_000, startWaitMs: 30_000 };
    expect(timeLimitMs(fault('nginx-typo-repaired'), monit30)).toBe(5 * 60_000 + 30_000 + 15_000 + 3_000 + 2 * 60_000 + 15_000);
    expect(timeLimitMs(fault('nginx-typo-repaired'), { cycleMs: 5_000, startWaitMs: 0 })).toBe(75_000 + 3_000 + 45_000);
  });

  it('balances the systems over the lanes, longest first', () => {
    expect(planLanes(['orchestrator', 'monit-30s', 'monit-5s', 'systemd'], 3)).toEqual([['monit-30s'], ['monit-5s'], ['systemd', 'orchestrator']]);
    expect(planLanes(['orchestrator', 'monit-30s', 'monit-5s', 'systemd'], 2)).toEqual([['monit-30s'], ['monit-5s', 'systemd', 'orchestrator']]);
    expect(planLanes(['orchestrator', 'systemd'], 1)).toEqual([['systemd', 'orchestrator']]);
    expect(planLanes(['orchestrator'], 4)).toEqual([['orchestrator']]);
  });

  it('rejects unknown fault ids and bad lane counts from the environment', () => {
    expect(comparisonOptionsFromEnv({})).toEqual({ lanes: 3 });
    expect(comparisonOptionsFromEnv({ BENCH_COMPARISON_FAULTS: 'kill-app, masked', BENCH_COMPARISON_LANES: '1' })).toEqual({ faults: ['kill-app', 'masked'], lanes: 1 });
    expect(() => comparisonOptionsFromEnv({ BENCH_COMPARISON_FAULTS: 'kill-ap' })).toThrow(/unknown fault/);
    expect(() => comparisonOptionsFromEnv({ BENCH_COMPARISON_LANES: '0' })).toThrow(/positive integer/);
  });

  it('counts the stack healthy only when every probe passes, the data file unchanged', () => {
    const snap = healthySnapshot();
    expect(problems(snap, 'abc')).toEqual([]);
    expect(problems(snap, 'other')).toEqual(['/run/lab-spool/data/keep.db changed']);
    const hung = { ...snap, http: { ...snap.http, app: 0, front: 504 } };
    expect(problems(hung, 'abc')).toEqual(['GET / through nginx: 504', 'app :18500: no answer']);
    const full = { ...snap, spoolPercent: 94 };
    expect(problems(full, 'abc')).toEqual(['/run/lab-spool 94% used']);
    const masked = { ...snap, http: { ...snap.http, masked: 0 }, units: { ...snap.units, [UNITS.masked]: { ...snap.units[UNITS.masked]!, activeState: 'failed' } } };
    expect(problems(masked, 'abc', ['masked'])).toEqual([]);
    expect(problems(masked, 'abc')).toHaveLength(2);
  });

  it("reads PID 1's jobs from the journal and ignores everyone else's messages", () => {
    const entry = (message: string, pid = 1, unit: string = UNITS.app) => ({ at: 1, unit, pid, identifier: 'systemd', message });
    const events = unitEvents([
      entry('Starting lab-app.service - bench app...'),
      entry('Started lab-app.service - bench app.'),
      entry('lab-app.service: Main process exited, code=killed, status=9/KILL'),
      entry('lab-app.service: Scheduled restart job, restart counter is at 1.'),
      entry('Starting lab-app.service', 42),
      entry('Started other.service', 1, 'other.service'),
    ]);
    expect(events.map((event) => event.kind)).toEqual(['starting', 'started', 'killed', 'restart-scheduled']);
  });

  it('judges a system by its results: a not-run fault counts as not correct', () => {
    const result = (overrides: Partial<FaultResult>): FaultResult => ({
      fault: 'x',
      title: 'x',
      expected: 'fixed',
      expectation: 'fixed',
      outcome: 'fixed',
      correct: true,
      fixed: true,
      escalated: false,
      escalationShowsEvidence: null,
      timedOut: false,
      timeLimitMs: 45_000,
      detectMs: 500,
      recoverMs: 1_000,
      escalateMs: null,
      outcomeMs: 1_000,
      repairToFixMs: null,
      restartCannotHelp: false,
      futileStarts: null,
      phase: 1,
      wrong: [],
      unnecessary: [],
      actions: [],
      notes: [],
      startAttempts: {},
      durationMs: 1,
      ...overrides,
    });
    const summary = summarize(
      [
        result({}),
        result({ outcome: 'not run', correct: false, fixed: false, detectMs: null, recoverMs: null, outcomeMs: null, error: 'not run' }),
        result({
          expected: 'escalated',
          outcome: 'escalated',
          fixed: false,
          escalated: true,
          recoverMs: null,
          escalateMs: 3_000,
          outcomeMs: 3_000,
          restartCannotHelp: true,
          futileStarts: 0,
        }),
        result({ expected: 'escalated', outcome: 'escalated', correct: false, fixed: false, escalated: true, outcomeMs: null, restartCannotHelp: true, futileStarts: 5 }),
      ],
      null,
    );
    expect(summary).toMatchObject({
      faults: 4,
      correct: 2,
      fixExpected: 2,
      fixed: 1,
      detectMs: { n: 3, median: 500 },
      futileRestarts: { total: 5, faults: 2, faultsWithAny: 1 },
      correctOutcomeMs: { n: 2, median: 1_000 },
    });
  });

  it('configures Monit as its manual recommends and the orchestrator with a valid configuration', () => {
    const rc = monitrc(30);
    expect(rc).toMatch(/^set daemon 30$/m);
    expect(rc).toMatch(
      /check process nginx with pidfile \/run\/nginx\.pid\n {2}start program = "\/usr\/bin\/systemctl start nginx\.service"\n {2}stop program = "\/usr\/bin\/systemctl stop nginx\.service"/,
    );
    expect(rc.match(/if 5 restarts within 5 cycles then unmonitor/g)).toHaveLength(11);
    expect(rc).toMatch(/check process app with pidfile \/run\/lab-app\/app\.pid[\s\S]*?depends on redis/);
    expect(rc).toMatch(/check filesystem spool with path \/run\/lab-spool\n {2}if space usage > 80% then alert/);
    expect(() => parseConfigText(orchestratorConfig(), 'bench')).not.toThrow();
  });
});
