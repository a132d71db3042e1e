/**
 * A realistic past for the dashboard, written through the real repositories: tasks over many days with a mix of
 * outcomes and phases, their attempts (with verifications), agents' verdicts, escalations (most of them closed by
 * then), learned patterns and full cycles. Deterministic for a given seed. Used by the browser tests (a few dozen
 * tasks) and the dashboard benchmark (10,000).
 */
import type { Stores } from '../../src/store/stores.js';
import type { Action, Attempt, CheckType, Phase, PlanSource, Symptom, Task } from '../../src/core/types.js';
import type { Escalation } from '../../src/store/escalation-repository.js';
import { planKey } from '../../src/actions/catalog.js';

const DAY_MS = 86_400_000;

export interface HistoryOptions {
  /** How many tasks to write. */
  tasks: number;
  /** The end of the history (the newest task is just before it). */
  now: number;
  /** Over how many days before `now` the tasks spread. */
  days: number;
  services?: readonly string[];
  seed?: number;
  /** Full cycles recorded, five minutes apart, the last at `cyclesUntil` (default `now`). */
  cycles?: number;
  cyclesUntil?: number;
}

export interface HistorySummary {
  tasks: number;
  attempts: number;
  verdicts: number;
  escalations: number;
  byStatus: Record<string, number>;
}

export const HISTORY_SERVICES = ['nginx', 'postgresql', 'redis', 'rabbitmq', 'api', 'worker', 'cron', 'grafana', 'prometheus', 'mosquitto', 'php-fpm', 'docker'];

interface FaultKind {
  symptom: Symptom;
  detail: string;
  checkId: string;
  checkType: CheckType;
  message: (service: string) => string;
  logs: (service: string) => string[];
  fix: Action['type'];
}

const FAULTS: readonly FaultKind[] = [
  {
    symptom: 'unit_failed',
    detail: 'signal',
    checkId: 'unit',
    checkType: 'unit',
    message: (service) => `${service}.service failed (killed by signal 9)`,
    logs: (service) => [`${service}.service: Main process exited, code=killed, status=9/KILL`, `${service}.service: Failed with result 'signal'.`],
    fix: 'restart_unit',
  },
  {
    symptom: 'unit_failed',
    detail: 'exit-code',
    checkId: 'unit',
    checkType: 'unit',
    message: (service) => `${service}.service failed (exit code 1)`,
    logs: (service) => [`${service}[812]: fatal: could not bind to 0.0.0.0:8080: address already in use`, `${service}.service: Main process exited, code=exited, status=1/FAILURE`],
    fix: 'kill_process_tree',
  },
  {
    symptom: 'http_status',
    detail: '502',
    checkId: 'http',
    checkType: 'http',
    message: (service) => `GET http://127.0.0.1/health answered 502 for ${service}`,
    logs: (service) => [`${service}: upstream prematurely closed connection while reading response header`],
    fix: 'restart_unit',
  },
  {
    symptom: 'tcp_refused',
    detail: 'refused',
    checkId: 'tcp',
    checkType: 'tcp',
    message: (service) => `connection to 127.0.0.1:6379 refused (${service})`,
    logs: (service) => [`${service}: Can't open PID file /run/${service}/${service}.pid (yet?) after start: No such file or directory`],
    fix: 'remove_stale_file',
  },
  {
    symptom: 'log_pattern',
    detail: 'out-of-memory',
    checkId: 'logs',
    checkType: 'log',
    message: (service) => `${service} logged "Out of memory" 3 times in 5 min`,
    logs: (service) => [`${service}[2231]: Out of memory: cannot allocate 16777216 bytes`, `kernel: oom-kill: task=${service} pid=2231`],
    fix: 'restart_unit',
  },
];

/** A small deterministic PRNG (mulberry32): the same seed gives the same history. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Ending = 'fixed1' | 'fixed2' | 'fixed3' | 'escalatedResolved' | 'escalatedOpen' | 'recovered' | 'ignored';

/** Roughly what a year of a busy host looks like: most faults fixed in phase 1, a few reach a person. */
function ending(draw: number, recent: boolean): Ending {
  if (draw < 0.58) return 'fixed1';
  if (draw < 0.74) return 'fixed2';
  if (draw < 0.8) return 'fixed3';
  if (draw < 0.9) return recent && draw > 0.897 ? 'escalatedOpen' : 'escalatedResolved';
  if (draw < 0.99) return 'recovered';
  return 'ignored';
}

/** Writes `options.tasks` tasks and everything that goes with them; returns what it wrote. */
export function seedHistory(stores: Stores, options: HistoryOptions): HistorySummary {
  const next = random(options.seed ?? 42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const services = options.services ?? HISTORY_SERVICES;
  const summary: HistorySummary = { tasks: 0, attempts: 0, verdicts: 0, escalations: 0, byStatus: {} };
  const span = options.days * DAY_MS;
  const prefix = `h${(options.seed ?? 42).toString(36)}`;
  const escalations: Escalation[] = [];
  let sequence = 0;
  const id = (kind: string) => `${prefix}${kind}${(++sequence).toString(36).padStart(5, '0')}`;

  stores.transaction(() => {
    for (let index = 0; index < options.tasks; index++) {
      // Spread evenly with jitter, oldest first, the newest a few minutes before now.
      const detectedAt = Math.round(options.now - span + ((index + next()) / options.tasks) * (span - 5 * 60_000));
      const service = pick(services);
      const fault = pick(FAULTS);
      const result = ending(next(), options.now - detectedAt < 2 * DAY_MS);
      const unit = `${service}.service`;
      const task: Task = {
        id: id('t'),
        fingerprint: `${service}|${fault.checkId}|${fault.symptom}`,
        service,
        unit,
        checkId: fault.checkId,
        symptom: fault.symptom,
        signature: `${fault.symptom}:${fault.detail}`,
        status: 'open',
        phase: null,
        message: fault.message(service),
        evidence: {
          unit: {
            name: unit,
            activeState: 'failed',
            subState: 'failed',
            result: fault.detail,
            execMainStatus: fault.detail === 'signal' ? 9 : 1,
            execMainCode: fault.detail === 'signal' ? 'killed' : 'exited',
            unitFileState: 'enabled',
          },
          logs: fault.logs(service),
          checks: [{ checkId: fault.checkId, type: fault.checkType, ok: false, symptom: fault.symptom, detail: fault.detail, message: fault.message(service) }],
        },
        detectedAt,
        lastSeen: detectedAt,
        occurrences: 1,
        closedAt: null,
        fixSuccessful: false,
        fixedByPhase: null,
        durationMs: null,
        reason: null,
      };
      stores.tasks.create(task);
      summary.tasks++;

      const fixedIn: Phase | null = result === 'fixed1' ? 1 : result === 'fixed2' ? 2 : result === 'fixed3' ? 3 : null;
      const lastPhase: Phase = fixedIn ?? (result === 'recovered' || result === 'ignored' ? 1 : 3);
      let at = detectedAt + 500 + Math.floor(next() * 1500);
      for (let phase = 1 as Phase; phase <= lastPhase; phase = (phase + 1) as Phase) {
        if (phase >= 2) {
          const voters = phase === 3 ? ['systems', 'application', 'dependencies'] : ['research'];
          for (const perspective of voters) {
            const agreed = phase === 3 ? fixedIn === 3 || next() < 0.4 : true;
            stores.verdicts.record({
              taskId: task.id,
              phase,
              agent: 'heuristic',
              perspective,
              verdict: {
                diagnosis: `${service} ${fault.symptom.replace('_', ' ')}: ${fault.detail}`,
                symptomClass: fault.detail,
                action: agreed ? { type: fault.fix, params: fixParams(fault.fix, unit, service) } : { type: 'escalate', params: {} },
                confidence: Math.round((0.45 + next() * 0.5) * 100) / 100,
                rationale: `the last log lines point at ${fault.detail}`,
              },
              error: null,
              accepted: agreed && (phase === 3 || fixedIn === 2 || next() < 0.5),
              note: '',
              createdAt: at,
            });
            summary.verdicts++;
            at += 200 + Math.floor(next() * 800);
          }
        }
        const success = fixedIn === phase;
        const source: PlanSource = phase === 1 ? (next() < 0.5 ? 'learned' : 'generic') : phase === 2 ? 'agent' : 'consensus';
        const actions: Action[] = [{ type: success ? fault.fix : 'restart_unit', params: fixParams(success ? fault.fix : 'restart_unit', unit, service) }];
        const took = 1_000 + Math.floor(next() * (phase === 1 ? 4_000 : 20_000));
        const attempt: Attempt = {
          id: id('a'),
          taskId: task.id,
          phase,
          source,
          planKey: planKey({ actions }),
          actions,
          reason: phase === 1 ? 'a known fix for this signature' : 'proposed by the agents',
          startedAt: at,
          finishedAt: null,
          outcome: null,
          detail: '',
          verification: null,
        };
        stores.attempts.start(attempt, service);
        at += took;
        stores.attempts.finish(attempt.id, {
          outcome: success ? 'success' : 'failure',
          detail: success ? `${actions[0]!.type} done; ${unit} active` : `${unit} failed again after ${actions[0]!.type}`,
          verification: { passed: success, checks: [{ ...task.evidence.checks[0]!, ok: success, message: success ? `${unit} active (running)` : task.message }], at },
          finishedAt: at,
          acted: true,
        });
        stores.patterns.record({ service, signature: task.signature, planKey: attempt.planKey, actions, success, at });
        summary.attempts++;
        if (success) break;
      }

      const durationMs = at - detectedAt;
      if (fixedIn) {
        stores.tasks.finish(task.id, { status: 'fixed', fixSuccessful: true, fixedByPhase: fixedIn, closedAt: at, durationMs, reason: `verified after ${fault.fix}` });
      } else if (result === 'recovered') {
        stores.tasks.finish(task.id, { status: 'recovered', fixSuccessful: false, fixedByPhase: null, closedAt: at, durationMs, reason: 'healthy again before anything worked' });
      } else if (result === 'ignored') {
        stores.tasks.setStatus(task.id, 'ignored', 1, 'the unit is masked: operator intent, not touched');
      } else {
        stores.tasks.setStatus(task.id, 'escalated', 3, 'phases 1 to 3 could not fix it');
        const open = result === 'escalatedOpen';
        const byHuman = next() < 0.5;
        const closedAt = at + 20 * 60_000 + Math.floor(next() * 3 * 3_600_000);
        const resolution = byHuman ? 'resolved by a human' : 'auto-resolved: healthy for 3 cycles';
        if (!open) stores.tasks.finish(task.id, { status: 'recovered', fixSuccessful: false, fixedByPhase: null, closedAt, durationMs: closedAt - detectedAt, reason: resolution });
        escalations.push({
          id: id('e'),
          taskId: task.id,
          taskIds: [task.id],
          fingerprint: task.fingerprint,
          service,
          unit,
          symptom: task.symptom,
          signature: task.signature,
          causeKey: null,
          grouped: [],
          reason: 'phases 1 to 3 could not fix it',
          evidence: task.evidence,
          attempts: stores.attempts.forTask(task.id),
          hypotheses: [`phase 3 systems: ${fault.detail}`],
          status: open ? 'open' : byHuman ? 'resolved' : 'auto_resolved',
          occurrences: 1,
          createdAt: at,
          updatedAt: open ? at : closedAt,
          acknowledgedAt: null,
          resolvedAt: open ? null : closedAt,
          resolution: open ? null : resolution,
          note: null,
          fixes: [],
          reminders: 0,
          lastNotifiedAt: at,
        });
      }
    }
    const cycles = options.cycles ?? 0;
    for (let index = cycles - 1; index >= 0; index--) {
      stores.state.recordCycle({
        kind: 'full',
        startedAt: (options.cyclesUntil ?? options.now) - index * 300_000 - 2_000,
        durationMs: 180 + Math.floor(next() * 400),
        checksRun: services.length * 3,
        issuesDetected: index === 0 ? 1 : 0,
        tasksCreated: 0,
        alreadyTracked: index === 0 ? 1 : 0,
        fixes: 0,
        escalations: 0,
      });
    }
  });
  stores.escalations.transaction(() => {
    for (const escalation of escalations) stores.escalations.create(escalation);
  });
  summary.escalations = escalations.length;
  for (const row of stores.tasks.countByStatusAndPhase()) summary.byStatus[row.status] = (summary.byStatus[row.status] ?? 0) + row.count;
  return summary;
}

function fixParams(type: Action['type'], unit: string, service: string): Action['params'] {
  if (type === 'remove_stale_file') return { path: `/run/${service}/${service}.pid` };
  return { unit };
}
