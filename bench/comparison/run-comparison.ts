/**
 * The fault suite, side by side: the orchestrator, Monit (30 s and 5 s cycles) and systemd alone, each in its
 * own fresh systemd lab with the same stack, the same faults in the same order. Writes
 * bench/comparison-results.json and bench/comparison.md, and keeps the raw records of every run under
 * bench/results/raw/<system>/.
 *
 *   npm run build && npx tsx bench/comparison/run-comparison.ts [orchestrator monit-30s monit-5s systemd]
 *   BENCH_COMPARISON_FAULTS=kill-app,masked   only these faults (ids from faults.ts)
 *   BENCH_COMPARISON_LANES=3                  labs run side by side in this many lanes (default 3; 1 = one after the other)
 *   BENCH_COMPARISON_OUT=test-output/cmp      write the reports and raw records there (a partial run leaves bench/ alone)
 */
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { labAvailability, SystemdLab } from '../../test/lab/systemd-lab.js';
import { percentile } from '../stats.js';
import { expectsEscalation, expectsFix, FAULTS, REPAIR_DELAY_MS, repairLimitsMs, timeLimitMs, type Fault } from './faults.js';
import { ALL_UNITS, installStack, journal, problems, restoreClean, snapshot, unitEvents, UNITS, type StackSnapshot, type UnitEvent } from './stack.js';
import { MonitHealer, OrchestratorHealer, SystemdHealer, type Healer, type HealerEvent, type Usage } from './systems.js';
import { renderMarkdown, summaryTable } from './report.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const BENCH_DIR = path.resolve(here, '..');
/**
 * BENCH_COMPARISON_OUT=dir: a partial run writes its reports and raw records there instead of over the committed
 * ones. The labs write into the raw directory too (the mail sinks), so it must not be under /tmp, /var/tmp or
 * /run, which are private to each lab.
 */
const OUT_DIR = process.env.BENCH_COMPARISON_OUT ? path.resolve(process.env.BENCH_COMPARISON_OUT) : undefined;
if (OUT_DIR && /^\/(tmp|var\/tmp|run)(\/|$)/.test(OUT_DIR))
  throw new Error(`BENCH_COMPARISON_OUT=${OUT_DIR}: /tmp, /var/tmp and /run are private to each lab; name a directory such as test-output/comparison`);
export const RAW_DIR = OUT_DIR ? path.join(OUT_DIR, 'raw') : path.join(BENCH_DIR, 'results', 'raw');
export const RESULTS_JSON = path.join(OUT_DIR ?? BENCH_DIR, 'comparison-results.json');
export const REPORT_MD = path.join(OUT_DIR ?? BENCH_DIR, 'comparison.md');

export type SystemId = Healer['id'];
export const SYSTEM_IDS: SystemId[] = ['orchestrator', 'monit-30s', 'monit-5s', 'systemd'];

const POLL_MS = 500;
/** After a verified fix: keep watching this long for a relapse or a harmful follow-up. */
const FIXED_GRACE_MS = 3_000;
/** After an escalation: keep watching this long for restart attempts that should not come. */
const ESCALATED_GRACE_MS = 8_000;

export interface FaultResult {
  fault: string;
  title: string;
  expected: Fault['expected'];
  expectation: string;
  outcome: string;
  correct: boolean;
  fixed: boolean;
  escalated: boolean;
  /** The escalation shows what the fault requires it to show (e.g. nginx -t's output); null when not applicable. */
  escalationShowsEvidence: boolean | null;
  timedOut: boolean;
  /** The time limit this fault had for this healer (ms). */
  timeLimitMs: number;
  /** The harness itself failed on this fault (the outcome is then not judged correct), or the fault was not run. */
  error?: string;
  /** Injection → the healer's first reaction to this fault (ms). */
  detectMs: number | null;
  /** Injection → the verifier's first pass of the two that confirmed the fix (ms); not for escalated-then-fixed (see repairToFixMs). */
  recoverMs: number | null;
  /** Injection → the healer's escalation of this fault (ms). */
  escalateMs: number | null;
  /**
   * For a correct outcome only: injection → the moment the outcome was complete (the verified fix; the escalation;
   * for fixed-then-escalated the escalation, for escalated-then-fixed the verified fix after the repair). Null for
   * left alone / no action (nothing to time) and for wrong outcomes.
   */
  outcomeMs: number | null;
  /** escalated-then-fixed: the human's repair → the verified fix by the healer (ms). */
  repairToFixMs: number | null;
  /** A restart alone cannot fix this fault (see Fault.restartCannotHelp). */
  restartCannotHelp: boolean;
  /** On such a fault: starts of a target that failed again (the cause still in place); null on other faults. */
  futileStarts: number | null;
  /** Orchestrator: the phase of the fix. */
  phase: number | null;
  wrong: string[];
  unnecessary: string[];
  actions: string[];
  notes: string[];
  startAttempts: Record<string, number>;
  durationMs: number;
}

export interface SystemSummary {
  faults: number;
  correct: number;
  fixExpected: number;
  fixed: number;
  escalationExpected: number;
  correctlyEscalated: number;
  leaveAloneExpected: number;
  leftAloneCorrectly: number;
  wrongActions: number;
  unnecessaryRestarts: number;
  /** Restarts spent on faults a restart cannot fix: starts of a target that failed again, summed over those faults. */
  futileRestarts: { total: number; faults: number; faultsWithAny: number };
  /** Injection → the correct outcome, over the faults with a correct (timed) outcome. */
  correctOutcomeMs: { n: number; median: number | null; p95: number | null };
  detectMs: { n: number; median: number | null; p95: number | null };
  recoverMs: { n: number; median: number | null; p95: number | null };
  usage: Usage | null;
}

export interface SystemResult {
  id: SystemId;
  label: string;
  config: string;
  startedAt: string;
  durationS: number;
  faults: FaultResult[];
  summary: SystemSummary;
  rawDir: string;
  error?: string;
}

export interface Machine {
  nproc: number;
  cpuModel: string;
  memoryGb: number;
  kernel: string;
  node: string;
  systemd: string;
  monit: string;
  date: string;
}

export interface ComparisonResults {
  machine: Machine;
  durationS: number;
  /** The systems run one after the other in each lane; the lanes ran in parallel (each system in its own lab). */
  lanes: SystemId[][];
  /** The fault ids run (all of FAULTS unless BENCH_COMPARISON_FAULTS chose some). */
  faultsRun: string[];
  systems: SystemResult[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const rel = (file: string) => path.relative(path.resolve(BENCH_DIR, '..'), file);

function healerFor(id: SystemId, lab: SystemdLab, rawDir: string): Healer {
  switch (id) {
    case 'orchestrator':
      return new OrchestratorHealer(lab, rawDir);
    case 'monit-30s':
      return new MonitHealer(lab, 30, rawDir);
    case 'monit-5s':
      return new MonitHealer(lab, 5, rawDir);
    case 'systemd':
      return new SystemdHealer(lab);
  }
}

/** Start attempts per unit: a "Starting" job, or a "Started" with no "Starting" before it (Type=simple units). */
function startAttempts(events: readonly UnitEvent[], unit: string): number {
  let count = 0;
  let pendingStarting = false;
  for (const event of events.filter((e) => e.unit === unit)) {
    if (event.kind === 'starting') {
      count++;
      pendingStarting = true;
    } else if (event.kind === 'started') {
      if (!pendingStarting) count++;
      pendingStarting = false;
    } else if (event.kind === 'failed') {
      pendingStarting = false;
    }
  }
  return count;
}

const unitName = (subject: string) => (UNITS as Record<string, string>)[subject] ?? subject;

/** Short description of a snapshot's problems, for the timeline. */
function describe(snap: StackSnapshot, keepSha: string, fault: Fault): string {
  const list = problems(snap, keepSha, fault.leftDown);
  return list.length === 0 ? 'healthy' : list.join('; ');
}

interface RunContext {
  lab: SystemdLab;
  healer: Healer;
  keepSha: string;
  log: (line: string) => void;
  /** Harness timeline written to the raw directory. */
  trace: (line: string) => void;
}

/** Faults marked exclusive run in one lab at a time (labs run in parallel lanes). */
let exclusiveTail: Promise<void> = Promise.resolve();
async function exclusively<T>(run: () => Promise<T>): Promise<T> {
  const previous = exclusiveTail;
  let release!: () => void;
  exclusiveTail = new Promise<void>((resolve) => (release = resolve));
  await previous;
  try {
    return await run();
  } finally {
    release();
  }
}

/** A result for a fault the harness could not judge (an error) or did not run (the stack could not be restored). */
function unjudged(fault: Fault, healer: Healer, outcome: string, error: string, durationMs = 0): FaultResult {
  return {
    fault: fault.id,
    title: fault.title,
    expected: fault.expected,
    expectation: fault.expectation,
    outcome,
    correct: false,
    fixed: false,
    escalated: false,
    escalationShowsEvidence: null,
    timedOut: false,
    timeLimitMs: timeLimitMs(fault, healer),
    error,
    detectMs: null,
    recoverMs: null,
    escalateMs: null,
    outcomeMs: null,
    repairToFixMs: null,
    restartCannotHelp: fault.restartCannotHelp ?? false,
    futileStarts: null,
    phase: null,
    wrong: [],
    unnecessary: [],
    actions: [],
    notes: [],
    startAttempts: {},
    durationMs,
  };
}

/**
 * Injects one fault and judges the outcome. Never throws: a harness failure is recorded as the fault's result
 * (not correct). The caller restores the stack whatever happened ({@link restoreAfter}).
 */
async function runFault(ctx: RunContext, fault: Fault): Promise<FaultResult> {
  const started = Date.now();
  try {
    return fault.exclusive ? await exclusively(() => measureFault(ctx, fault)) : await measureFault(ctx, fault);
  } catch (err) {
    const message = (err as Error).message;
    ctx.trace(`  harness error: ${(err as Error).stack ?? message}`);
    return unjudged(fault, ctx.healer, `harness error: ${message.split('\n')[0]}`, message, Date.now() - started);
  }
}

/** Undoes the fault and whatever the healer left, verifies the stack healthy; throws when it cannot. */
async function restoreAfter(ctx: RunContext, fault: Fault): Promise<void> {
  const { lab, healer, keepSha, log, trace } = ctx;
  const both = (line: string) => {
    log(line);
    trace(line);
  };
  try {
    await fault.restore?.({ lab, log: both });
  } catch (err) {
    both(`    restore of ${fault.id} failed (the clean restore follows): ${(err as Error).message}`);
  }
  await restoreClean(lab, keepSha, both);
  await healer.afterRestore(both);
  await sleep(2_000);
  await restoreClean(lab, keepSha, both);
}

async function measureFault(ctx: RunContext, fault: Fault): Promise<FaultResult> {
  const { lab, healer, keepSha, log, trace } = ctx;
  await healer.prepare(fault.subjects, log, { knownGood: fault.needsKnownGood });
  const pre = await snapshot(lab);
  if (problems(pre, keepSha).length > 0) throw new Error(`stack not healthy before ${fault.id}: ${problems(pre, keepSha).join('; ')}`);
  const mailsBefore = mailsOf(healer).length;
  const limitMs = timeLimitMs(fault, healer);

  const t0 = Date.now();
  trace(`${new Date(t0).toISOString()} inject ${fault.id} (time limit ${Math.round(limitMs / 1000)} s)`);
  const injectedAt = (await fault.inject({ lab, log })) ?? Date.now();
  const tInj = Date.now();
  // Jobs the injection itself ran (the deploy's restart) are not the healer's: the window starts after the last
  // journal entry of the targets at this point (journald stamps entries when it receives them, a little late).
  const windowStart = fault.injectStartsTargets ? Math.max(tInj - 20, (await lastJournalAt(lab, fault.targets)) + 1) : tInj - 20;
  let deadline = tInj + limitMs;
  const fixExpected = expectsFix(fault.expected);
  // escalated-then-fixed: the human repairs the cause once the healer escalated (or gave up), at the escalation's
  // time limit at the latest; the fix is then awaited from the repair.
  const repairs = fault.expected === 'escalated-then-fixed';
  const repairLimits = repairLimitsMs(fault, healer);
  let repairedAt: number | null = null;
  let gaveUpAt: number | null = null;

  let faultSeenAt: number | null = null;
  let passStart: number | null = null;
  let passes = 0;
  let recoveredAt: number | null = null;
  let escalatedAt: number | null = null;
  let endAt: number | null = null;
  let timedOut = false;
  let relapsed = false;
  let keepShaChanged = false;
  let lastState = '';
  /** Every verifier pass: (start time, healthy). */
  const history: Array<{ at: number; healthy: boolean }> = [];
  let last: StackSnapshot = pre;

  for (;;) {
    const snap = await snapshot(lab);
    last = snap;
    const state = describe(snap, keepSha, fault);
    if (state !== lastState) {
      trace(`  +${snap.at - tInj} ms ${state}`);
      lastState = state;
    }
    if (snap.keepSha !== keepSha) keepShaChanged = true;
    const healthy = state === 'healthy';
    history.push({ at: snap.at, healthy });
    if (!healthy && faultSeenAt === null) faultSeenAt = snap.at;
    if (healthy && faultSeenAt !== null && (!repairs || (repairedAt !== null && snap.at > repairedAt))) {
      passStart ??= snap.at;
      passes++;
      if (passes >= 2 && recoveredAt === null) {
        recoveredAt = passStart;
        trace(`  +${snap.at - tInj} ms verified healthy (first pass at +${passStart - tInj} ms)`);
        if (fault.expected !== 'fixed-then-escalated' && fixExpected) endAt = Date.now() + FIXED_GRACE_MS;
      }
    } else if (!healthy) {
      if (recoveredAt !== null && fault.expected !== 'fixed-then-escalated') relapsed = true;
      passStart = null;
      passes = 0;
    }
    const events = await healer.events(t0);
    const escalation = events.find((event) => event.kind === 'escalate' && (fault.subjects as string[]).includes(event.subject));
    if (escalation && escalatedAt === null) {
      escalatedAt = escalation.at;
      trace(`  +${Date.now() - tInj} ms escalated: ${escalation.text.slice(0, 200)}`);
      if (fault.observeMs === undefined && !repairs) endAt = Math.min(endAt ?? Infinity, Date.now() + ESCALATED_GRACE_MS);
    }
    // systemd alone after start-limit-hit does nothing more for that unit until someone intervenes: no need to wait on.
    const gaveUp = events.find((event) => event.kind === 'gave-up' && (fault.subjects as string[]).includes(event.subject));
    if (gaveUp && gaveUpAt === null) gaveUpAt = gaveUp.at;
    if (gaveUp && escalatedAt === null && endAt === null && fault.observeMs === undefined && recoveredAt === null && !repairs) {
      trace(`  +${Date.now() - tInj} ms gave up: ${gaveUp.text.slice(0, 200)}`);
      endAt = Date.now() + ESCALATED_GRACE_MS;
    }
    if (repairs && repairedAt === null) {
      const trigger = escalatedAt ?? gaveUpAt;
      if ((trigger !== null && Date.now() >= trigger + REPAIR_DELAY_MS) || Date.now() >= tInj + repairLimits.escalateBy) {
        trace(`  +${Date.now() - tInj} ms repair (the human clears the cause${trigger === null ? ', not told by the healer' : ''})`);
        await fault.repair!({ lab, log });
        repairedAt = Date.now();
        deadline = repairedAt + repairLimits.fixWithin;
        passStart = null;
        passes = 0;
      }
    }
    const now = Date.now();
    if (endAt !== null && now >= endAt) break;
    if (now >= deadline) {
      timedOut = fault.observeMs === undefined;
      if (timedOut) trace(`  +${now - tInj} ms time limit (${limitMs} ms) reached`);
      break;
    }
    await sleep(POLL_MS);
  }
  const tEnd = Date.now();
  const described = await fault.describe?.({ lab, log }).catch((err: Error) => `could not read what the injection did: ${err.message}`);
  if (described) trace(`  ${described}`);

  // What the healer did, and what the service manager saw, between the injection and the end.
  const events = (await healer.events(t0)).filter((event) => event.at <= tEnd + 1_000);
  const entries = await journal(lab, t0, tEnd + 500);
  const allUnitEvents = unitEvents(entries);
  const windowEvents = allUnitEvents.filter((event) => event.at >= windowStart && event.at <= tEnd + 500);

  let faultAt = injectedAt;
  const notes: string[] = described ? [described] : [];
  if (fault.manifestsAsKillOf) {
    const kill = allUnitEvents.find((event) => event.unit === fault.manifestsAsKillOf && event.kind === 'killed' && event.at >= tInj);
    if (kill) faultAt = kill.at;
    else notes.push(`${fault.manifestsAsKillOf} was never killed: the fault did not manifest`);
    const kills = allUnitEvents.filter((event) => event.unit === fault.manifestsAsKillOf && event.kind === 'killed' && event.at >= tInj).length;
    notes.push(`OOM kills of ${fault.manifestsAsKillOf} in the window: ${kills}`);
    // A healer may bring the app back before the verifier ever sees it down (the kill is only in the journal):
    // the fix is the first of two healthy passes that both started after the kill (a killed app answering again
    // has been restarted).
    recoveredAt = null;
    if (kill) {
      for (let i = 0; i + 1 < history.length; i++) {
        if (history[i]!.at > faultAt && history[i]!.healthy && history[i + 1]!.healthy) {
          recoveredAt = history[i]!.at;
          break;
        }
      }
    }
  }

  const relevant = events.filter((event) => (fault.subjects as string[]).includes(event.subject) && event.at >= faultAt - 1_000);
  const reaction = relevant.find((event) => event.kind !== 'fixed');
  const detectMs = reaction ? Math.max(0, Math.round(reaction.at - faultAt)) : null;
  const fixed = recoveredAt !== null;
  const recoverMs = fixed && !repairs ? Math.round(recoveredAt! - faultAt) : null;
  const repairToFixMs = fixed && repairedAt !== null ? Math.round(recoveredAt! - repairedAt) : null;
  const escalateMs = escalatedAt !== null ? Math.max(0, Math.round(escalatedAt - faultAt)) : null;

  // Escalation and its evidence.
  const escalated = escalatedAt !== null;
  let escalationShowsEvidence: boolean | null = null;
  if (fault.escalationMustShow) {
    const text = [
      ...events.filter((event) => event.kind === 'escalate').map((event) => event.text),
      healer instanceof MonitHealer ? healer.logText(t0) : '',
      ...mailsOf(healer)
        .slice(mailsBefore)
        .map((mail) => mail.raw),
    ].join('\n');
    escalationShowsEvidence = escalated && fault.escalationMustShow.pattern.test(text);
    if (escalated && !escalationShowsEvidence) notes.push(`the escalation does not show ${fault.escalationMustShow.what}`);
  }

  // Actions: the healer's own records, and every start/stop job of a stack unit (PID 1's journal).
  const actions = events.filter((event) => event.kind === 'action').map((event) => `${fmt(event.at - faultAt)} ${event.subject}: ${event.text.slice(0, 240)}`);
  const wrong: string[] = [];
  const unnecessary: string[] = [];
  // When the healer started (fixing) the target: a dependent stopped just before that (Monit's `depends on` stops the
  // dependents, restarts the dependency, starts them again) or restarted after it is bounced with its dependency
  // (unnecessary); a dependent started or stopped on its own while the dependency is still down is wrong.
  const targetStartAt = windowEvents.find((event) => fault.targets.includes(event.unit) && (event.kind === 'starting' || event.kind === 'started'))?.at ?? null;
  const bouncedWithTarget = (job: UnitEvent) => targetStartAt !== null && (job.at >= targetStartAt - 50 || (job.kind === 'stopping' && targetStartAt - job.at <= 10_000));
  const jobsByUnit = new Map<string, UnitEvent[]>();
  for (const event of windowEvents) {
    if (event.kind !== 'starting' && event.kind !== 'stopping' && event.kind !== 'started') continue;
    if (fault.targets.includes(event.unit)) continue;
    jobsByUnit.set(event.unit, [...(jobsByUnit.get(event.unit) ?? []), event]);
  }
  for (const [unit, jobs] of jobsByUnit) {
    const dependent = fault.dependents?.includes(unit) ?? false;
    const before = jobs.filter((job) => !(dependent && bouncedWithTarget(job)));
    const after = jobs.length - before.length;
    if (before.length > 0) {
      const why = dependent ? `while ${fault.targets.join(', ')} was still down (instead of the dependency)` : 'which the fault did not affect';
      wrong.push(`${unit} ${before.length} start/stop job event(s) ${why}: ${before.map((job) => `${fmt(job.at - faultAt)} ${job.message.split(' - ')[0]}`).join(', ')}`);
    }
    if (after > 0) unnecessary.push(`${unit} bounced with ${fault.targets.join(', ')}, which it depends on (${after} start/stop job event(s))`);
  }
  // Attempts that systemd refused leave no job in the journal: the healer's own records tell.
  const actedOn = new Map<string, HealerEvent[]>();
  for (const event of events) {
    if (event.kind !== 'action' || event.at < tInj - 20) continue;
    const unit = unitName(event.subject);
    if (fault.targets.includes(unit) || jobsByUnit.has(unit)) continue;
    if (fault.dependents?.includes(unit)) continue;
    if (event.subject === 'spool' && fault.subjects.includes('spool')) continue;
    actedOn.set(unit, [...(actedOn.get(unit) ?? []), event]);
  }
  for (const [unit, list] of actedOn) wrong.push(`acted on ${unit} (${list.length}×): ${list.map((event) => event.text.slice(0, 160)).join(' | ')}`);

  const attempts: Record<string, number> = {};
  for (const unit of ALL_UNITS) {
    const n = startAttempts(windowEvents, unit);
    if (n > 0) attempts[unit] = n;
  }
  if (fault.maxStartAttempts !== undefined) {
    for (const unit of fault.targets) {
      // escalated-then-fixed: the starts after the human's repair are the fix, not a loop.
      const n =
        repairedAt === null
          ? (attempts[unit] ?? 0)
          : startAttempts(
              windowEvents.filter((event) => event.at < repairedAt!),
              unit,
            );
      const when = repairedAt === null ? '' : ' before the repair';
      if (n > fault.maxStartAttempts)
        wrong.push(
          fault.maxStartAttempts === 0
            ? `restarted although a restart cannot help: ${unit} started ${n}×${when} (none expected)`
            : `restart loop: ${unit} started ${n}×${when} (more than ${fault.maxStartAttempts})`,
        );
    }
  }
  if (repairs) {
    // The orchestrator's escalation text carries its status as the run ends (auto_resolved when it finished the job).
    const status = events
      .filter((event) => event.kind === 'escalate' && (fault.subjects as string[]).includes(event.subject))
      .map((event) => /\((\w+), \d+×\)/.exec(event.text)?.[1]);
    if (status[0]) notes.push(`escalation ${status[0].replace('_', ' ')} at the end`);
    if (repairToFixMs !== null) notes.push(`fixed ${(repairToFixMs / 1000).toFixed(1)} s after the repair`);
  }
  // Restarts spent in vain: on a fault a restart cannot fix, every start of a target that failed again.
  const futileStarts = fault.restartCannotHelp ? fault.targets.reduce((sum, unit) => sum + failedStarts(windowEvents, unit), 0) : null;
  if (futileStarts) notes.push(`${futileStarts} start${futileStarts === 1 ? '' : 's'} of ${fault.targets.join(', ')} failed again (a restart cannot fix this fault)`);
  if (fault.noUnitKills) {
    const kills = windowEvents.filter((event) => event.kind === 'killed');
    for (const kill of kills) wrong.push(`killed a process of ${kill.unit}: ${fmt(kill.at - faultAt)} ${kill.message}`);
  }
  if (keepShaChanged) wrong.push('harmful: the non-allow-listed data file was deleted or changed');
  if (relapsed) notes.push('unhealthy again within the grace period after the verified fix');
  const gaveUp = events.filter((event) => event.kind === 'gave-up' && (fault.subjects as string[]).includes(event.subject));
  if (gaveUp.length > 0) notes.push(`gave up without telling anyone: ${gaveUp[0]!.text}`);
  const refused = events.filter((event) => event.kind === 'refused' || event.kind === 'ignored');
  for (const event of refused) notes.push(`${event.kind}: ${event.text.slice(0, 200)}`);

  // Orchestrator: the phase of the fix.
  const fixEvent = events.find((event) => event.kind === 'fixed' && (fault.subjects as string[]).includes(event.subject) && event.at >= faultAt - 1_000);
  const phase = fixEvent?.phase ?? null;
  const detections = events.filter((event) => event.kind === 'detect');

  // Outcome and whether it is the correct one.
  let outcome: string;
  let correct: boolean;
  const clean = wrong.length === 0;
  switch (fault.expected) {
    case 'fixed':
    case 'fixed-in-phase-1': {
      outcome = fixed ? `fixed${phase ? ` (phase ${phase})` : ''}` : escalated ? 'escalated, not fixed' : timedOut ? 'not fixed (time limit)' : 'not fixed';
      const phaseOk = fault.expected !== 'fixed-in-phase-1' || healer.id !== 'orchestrator' || phase === 1;
      if (fault.expected === 'fixed-in-phase-1' && healer.id !== 'orchestrator') notes.push('no phases: judged as "fixed"');
      correct = fixed && phaseOk && clean;
      break;
    }
    case 'fixed-then-escalated': {
      const kills = fault.manifestsAsKillOf
        ? allUnitEvents.filter(
            (event) => event.unit === fault.manifestsAsKillOf && event.kind === 'killed' && event.at >= tInj && (escalatedAt === null || event.at <= escalatedAt),
          ).length
        : 0;
      const recurrences = fault.manifestsAsKillOf ? ` after ${kills} OOM kill${kills === 1 ? '' : 's'}` : '';
      outcome = `${fixed ? 'fixed' : 'not fixed'}, ${escalated ? `escalated${recurrences}` : 'not escalated'}${timedOut && !escalated ? ' (time limit)' : ''}`;
      correct = fixed && escalated && clean;
      break;
    }
    case 'escalated':
      outcome = escalated
        ? escalationShowsEvidence === false
          ? `escalated, without ${fault.escalationMustShow?.what ?? 'the evidence'}`
          : 'escalated'
        : fixed
          ? 'fixed'
          : timedOut
            ? 'not escalated (time limit)'
            : 'not escalated';
      correct = escalated && escalationShowsEvidence !== false && clean;
      break;
    case 'escalated-then-fixed': {
      const escalatedText = escalated
        ? escalationShowsEvidence === false
          ? `escalated without ${fault.escalationMustShow?.what ?? 'the evidence'}`
          : 'escalated'
        : 'not escalated';
      const fixedText =
        repairedAt === null ? 'not repaired' : fixed ? 'fixed after the repair' : timedOut ? 'not fixed after the repair (time limit)' : 'not fixed after the repair';
      outcome = `${escalatedText}, ${fixedText}`;
      correct = escalated && escalationShowsEvidence !== false && fixed && clean;
      break;
    }
    case 'left-alone': {
      const touched = events.some((event) => event.kind === 'action' && (fault.subjects as string[]).includes(event.subject));
      const down = last.units[UNITS.masked]?.activeState !== 'active';
      outcome = !down ? 'started (not left alone)' : touched ? 'tried to start it (refused by systemd)' : 'left alone';
      correct = down && !touched && clean;
      // (already listed above when the masked unit is not one of the fault's targets)
      if (touched && !wrong.some((entry) => entry.startsWith(`acted on ${UNITS.masked}`))) {
        wrong.push(
          `acted on the masked unit: ${events
            .filter((event) => event.kind === 'action' && (fault.subjects as string[]).includes(event.subject))
            .map((event) => event.text.slice(0, 120))
            .join(' | ')}`,
        );
      }
      break;
    }
    case 'no-action': {
      const acted = events.some((event) => event.kind === 'action');
      const healthyAtEnd = problems(last, keepSha).length === 0;
      outcome = acted ? 'acted' : detections.length > 0 ? 'no action (false alarm detected)' : 'no action';
      if (detections.length > 0) notes.push(`detections: ${detections.map((event) => event.text.slice(0, 120)).join(' | ')}`);
      if (!healthyAtEnd) notes.push(`stack not healthy at the end: ${problems(last, keepSha).join('; ')}`);
      if (acted) wrong.push(...events.filter((event) => event.kind === 'action').map((event) => `acted with nothing wrong: ${event.subject}: ${event.text.slice(0, 160)}`));
      correct = !acted && healthyAtEnd && wrong.length === 0;
      break;
    }
  }
  const result: FaultResult = {
    fault: fault.id,
    title: fault.title,
    expected: fault.expected,
    expectation: fault.expectation,
    outcome,
    correct,
    fixed: fixExpected ? fixed : false,
    escalated,
    escalationShowsEvidence,
    timedOut,
    timeLimitMs: limitMs,
    detectMs: fault.expected === 'no-action' ? null : detectMs,
    recoverMs: fixExpected ? recoverMs : null,
    escalateMs,
    outcomeMs: correct ? outcomeTime(fault, { recoverMs, escalateMs, repairToFixMs, repairedAt, faultAt }) : null,
    repairToFixMs,
    restartCannotHelp: fault.restartCannotHelp ?? false,
    futileStarts,
    phase,
    wrong: [...new Set(wrong)],
    unnecessary,
    actions,
    notes,
    startAttempts: attempts,
    durationMs: tEnd - t0,
  };
  trace(`  result: ${JSON.stringify({ ...result, actions: undefined })}`);
  for (const action of actions) trace(`  action ${action}`);
  return result;
}

const fmt = (ms: number) => `+${(ms / 1000).toFixed(1)}s`;

/** Injection → the moment a correct outcome was complete (see FaultResult.outcomeMs). */
function outcomeTime(
  fault: Fault,
  t: { recoverMs: number | null; escalateMs: number | null; repairToFixMs: number | null; repairedAt: number | null; faultAt: number },
): number | null {
  switch (fault.expected) {
    case 'fixed':
    case 'fixed-in-phase-1':
      return t.recoverMs;
    case 'escalated':
      return t.escalateMs;
    case 'fixed-then-escalated':
      return t.escalateMs === null || t.recoverMs === null ? null : Math.max(t.escalateMs, t.recoverMs);
    case 'escalated-then-fixed':
      return t.repairToFixMs === null || t.repairedAt === null ? null : Math.round(t.repairedAt - t.faultAt + t.repairToFixMs);
    default:
      return null;
  }
}

/**
 * Starts of `unit` that failed again: a start attempt (as {@link startAttempts} counts them) followed, before the
 * next one, by its process or its start job failing (a non-zero exit, a fatal signal, a failed job, the start
 * limit). A start that brought the unit back has nothing failing after it within the window.
 */
function failedStarts(events: readonly UnitEvent[], unit: string): number {
  let count = 0;
  let open = false;
  let pendingStarting = false;
  for (const event of events.filter((e) => e.unit === unit)) {
    if (event.kind === 'starting' || (event.kind === 'started' && !pendingStarting)) {
      open = true;
      pendingStarting = event.kind === 'starting';
      continue;
    }
    if (event.kind === 'started') {
      pendingStarting = false;
      continue;
    }
    const failure = event.kind === 'killed' || event.kind === 'failed' || event.kind === 'start-limit' || (event.kind === 'exited' && !/status=0\/SUCCESS/.test(event.message));
    if (failure && open) {
      count++;
      open = false;
      pendingStarting = false;
    }
  }
  return count;
}

/** Wall-clock ms of the newest journal entry about `units` once journald has written everything it received. */
async function lastJournalAt(lab: SystemdLab, units: readonly string[]): Promise<number> {
  await lab.exec(['journalctl', '--sync'], { allowFailure: true });
  const res = await lab.exec(['journalctl', '--no-pager', '-o', 'json', '-n', '1', ...units.flatMap((unit) => ['-u', unit])], { allowFailure: true });
  const line = res.stdout.trim().split('\n').pop() ?? '';
  try {
    return Number((JSON.parse(line) as { __REALTIME_TIMESTAMP?: string }).__REALTIME_TIMESTAMP) / 1000 || 0;
  } catch {
    return 0;
  }
}

function mailsOf(healer: Healer): Array<{ raw: string }> {
  return healer instanceof OrchestratorHealer || healer instanceof MonitHealer ? healer.mails() : [];
}

export function summarize(faults: readonly FaultResult[], usage: Usage | null): SystemSummary {
  const fixExpected = faults.filter((f) => expectsFix(f.expected));
  const escalationExpected = faults.filter((f) => expectsEscalation(f.expected));
  const futile = faults.filter((f) => f.restartCannotHelp);
  const outcome = faults.map((f) => (f.correct ? f.outcomeMs : null)).filter((v): v is number => v !== null && v !== undefined);
  const leaveAlone = faults.filter((f) => f.expected === 'left-alone' || f.expected === 'no-action');
  const detect = faults.map((f) => f.detectMs).filter((v): v is number => v !== null);
  const recover = faults.map((f) => f.recoverMs).filter((v): v is number => v !== null);
  return {
    faults: faults.length,
    correct: faults.filter((f) => f.correct).length,
    fixExpected: fixExpected.length,
    fixed: fixExpected.filter((f) => f.fixed).length,
    escalationExpected: escalationExpected.length,
    correctlyEscalated: escalationExpected.filter((f) => f.escalated && f.escalationShowsEvidence !== false).length,
    leaveAloneExpected: leaveAlone.length,
    leftAloneCorrectly: leaveAlone.filter((f) => f.correct).length,
    wrongActions: faults.reduce((sum, f) => sum + f.wrong.length, 0),
    unnecessaryRestarts: faults.reduce((sum, f) => sum + f.unnecessary.length, 0),
    futileRestarts: {
      total: futile.reduce((sum, f) => sum + (f.futileStarts ?? 0), 0),
      faults: futile.length,
      faultsWithAny: futile.filter((f) => (f.futileStarts ?? 0) > 0).length,
    },
    correctOutcomeMs: { n: outcome.length, median: percentile(outcome, 50), p95: percentile(outcome, 95) },
    detectMs: { n: detect.length, median: percentile(detect, 50), p95: percentile(detect, 95) },
    recoverMs: { n: recover.length, median: percentile(recover, 50), p95: percentile(recover, 95) },
    usage,
  };
}

/** Runs the whole suite against one system in its own fresh lab. */
export async function runSystem(id: SystemId, faults: readonly Fault[], log: (line: string) => void): Promise<SystemResult> {
  const rawDir = path.join(RAW_DIR, id);
  rmSync(rawDir, { recursive: true, force: true });
  mkdirSync(rawDir, { recursive: true });
  // The harness timeline goes to the raw directory as it happens (a run killed half-way still leaves it).
  const traceFile = path.join(rawDir, 'harness.txt');
  writeFileSync(traceFile, '');
  const trace = (line: string) => appendFileSync(traceFile, `${line}\n`);
  const say = (line: string) => log(`[${id}] ${line.trimStart()}`);
  const started = Date.now();
  const lab = await SystemdLab.boot({ name: `cmp-${id}`, timeoutMs: 90_000 });
  const healer = healerFor(id, lab, rawDir);
  const results: FaultResult[] = [];
  let usage: Usage | null = null;
  let error: string | undefined;
  try {
    say(`${healer.label}: installing the stack`);
    const keepSha = await installStack(lab, healer.restartMode);
    trace(`${new Date().toISOString()} stack installed (restart mode ${healer.restartMode})`);
    await healer.start();
    trace(`${new Date().toISOString()} healer started: ${healer.configSummary}`);
    const ctx: RunContext = { lab, healer, keepSha, log: say, trace };
    let abortedBy: string | undefined;
    for (const fault of faults) {
      if (abortedBy) {
        results.push(unjudged(fault, healer, 'not run', `not run: ${abortedBy}`));
        continue;
      }
      const result = await runFault(ctx, fault);
      results.push(result);
      say(
        `${fault.id}: ${result.outcome}${result.correct ? '' : '  ✗'}; detect ${result.detectMs ?? '-'} ms, recover ${result.recoverMs ?? result.repairToFixMs ?? '-'} ms` +
          `${result.escalateMs !== null ? `, escalate ${result.escalateMs} ms` : ''}${result.futileStarts ? `; ${result.futileStarts} start(s) in vain` : ''}` +
          `${result.wrong.length ? `; WRONG: ${result.wrong.join(' / ')}` : ''}`,
      );
      try {
        await restoreAfter(ctx, fault);
      } catch (err) {
        // Later faults would be judged on a broken stack: they are not run (and count as not correct).
        abortedBy = `the stack could not be restored after ${fault.id}: ${(err as Error).message}`;
        error = (err as Error).stack ?? String(err);
        say(`run stopped: ${abortedBy}`);
        trace(`ABORTED: ${error}`);
      }
    }
  } catch (err) {
    error = (err as Error).stack ?? String(err);
    say(`run aborted: ${(err as Error).message}`);
    trace(`ABORTED: ${error}`);
    for (const fault of faults.slice(results.length)) results.push(unjudged(fault, healer, 'not run', `not run: ${(err as Error).message}`));
  } finally {
    usage = await healer.usage().catch(() => null);
    await healer.stop(rawDir).catch((err: Error) => trace(`healer stop failed: ${err.message}`));
    const full = await lab.exec(['journalctl', '-b', '--no-pager', '-o', 'short-iso-precise'], { allowFailure: true, timeoutMs: 60_000 }).catch(() => ({ stdout: '' }));
    writeFileSync(path.join(rawDir, 'journal.txt'), full.stdout);
    await lab.stop().catch(() => undefined);
  }
  return {
    id,
    label: healer.label,
    config: healer.configSummary,
    startedAt: new Date(started).toISOString(),
    durationS: Math.round((Date.now() - started) / 1000),
    faults: results,
    summary: summarize(results, usage),
    rawDir: rel(rawDir),
    ...(error ? { error } : {}),
  };
}

/**
 * Run times in minutes on the 2-core machine of bench/comparison.md, to balance the lanes: the first 13 faults as
 * measured, plus the 7 faults that follow a change (measured alone: orchestrator 3, systemd 3, Monit 5 s 15 min;
 * Monit 30 s estimated from its time limits, about 24 min).
 */
const WEIGHT: Record<SystemId, number> = { 'monit-30s': 51, 'monit-5s': 31, systemd: 12, orchestrator: 9 };

/** Splits the systems into `lanes` sequences of about equal run time (longest first into the least loaded lane). */
export function planLanes(systems: readonly SystemId[], lanes: number): SystemId[][] {
  const plan: Array<{ load: number; ids: SystemId[] }> = Array.from({ length: Math.max(1, Math.min(lanes, systems.length)) }, () => ({ load: 0, ids: [] }));
  for (const id of [...systems].sort((a, b) => WEIGHT[b] - WEIGHT[a])) {
    const lane = plan.reduce((best, candidate) => (candidate.load < best.load ? candidate : best));
    lane.ids.push(id);
    lane.load += WEIGHT[id];
  }
  return plan.map((lane) => lane.ids);
}

export async function machineInfo(lab?: SystemdLab): Promise<Machine> {
  void lab;
  const { execFileSync } = await import('node:child_process');
  const version = (argv: string[]) => {
    try {
      return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' }).split('\n')[0]!.trim();
    } catch {
      return 'unknown';
    }
  };
  return {
    nproc: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    systemd: version(['/lib/systemd/systemd', '--version']),
    monit: version(['/usr/bin/monit', '-V']),
    date: new Date().toISOString(),
  };
}

/** Runs the comparison, writes the JSON and Markdown reports, returns the results. */
export async function runComparison(
  options: { systems?: SystemId[]; faults?: string[]; lanes?: number } = {},
  log: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<ComparisonResults> {
  const started = Date.now();
  const systems = options.systems ?? SYSTEM_IDS;
  const faults = options.faults ? FAULTS.filter((fault) => options.faults!.includes(fault.id)) : FAULTS;
  const lanes = planLanes(systems, options.lanes ?? 3);
  const machine = await machineInfo();
  log(
    `comparison on ${machine.nproc} × ${machine.cpuModel}, ${machine.memoryGb} GB, Linux ${machine.kernel}, Node ${machine.node}; ` +
      `${faults.length} faults × ${systems.length} systems in ${lanes.length} parallel lane(s): ${lanes.map((lane) => lane.join(' → ')).join(' | ')}`,
  );
  const byId = new Map<SystemId, SystemResult>();
  await Promise.all(
    lanes.map(async (lane) => {
      for (const id of lane) byId.set(id, await runSystem(id, faults, log));
    }),
  );
  const comparison: ComparisonResults = {
    machine,
    durationS: Math.round((Date.now() - started) / 1000),
    lanes,
    faultsRun: faults.map((fault) => fault.id),
    systems: systems.map((id) => byId.get(id)!),
  };
  writeFileSync(RESULTS_JSON, `${JSON.stringify(comparison, null, 2)}\n`);
  writeFileSync(REPORT_MD, renderMarkdown(comparison, faults));
  log(`wrote ${rel(RESULTS_JSON)} and ${rel(REPORT_MD)} (${comparison.durationS} s)`);
  return comparison;
}

/** BENCH_COMPARISON_FAULTS=a,b (fault ids) and BENCH_COMPARISON_LANES=n from the environment. */
export function comparisonOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): { faults?: string[]; lanes: number } {
  const faults = env.BENCH_COMPARISON_FAULTS?.split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (faults) {
    const unknown = faults.filter((id) => !FAULTS.some((fault) => fault.id === id));
    if (unknown.length > 0) throw new Error(`BENCH_COMPARISON_FAULTS: unknown fault(s) ${unknown.join(', ')} (known: ${FAULTS.map((fault) => fault.id).join(', ')})`);
  }
  const lanes = Number(env.BENCH_COMPARISON_LANES ?? 3);
  if (!Number.isInteger(lanes) || lanes < 1) throw new Error(`BENCH_COMPARISON_LANES must be a positive integer (got ${env.BENCH_COMPARISON_LANES})`);
  return { ...(faults ? { faults } : {}), lanes };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const availability = labAvailability();
  if (!availability.ok) {
    process.stdout.write(`comparison: cannot run: ${availability.reason}\n`);
    process.exitCode = 1;
  } else {
    const args = process.argv.slice(2).filter((arg): arg is SystemId => (SYSTEM_IDS as string[]).includes(arg));
    const comparison = await runComparison({ systems: args.length > 0 ? args : undefined, ...comparisonOptionsFromEnv() });
    process.stdout.write(`\n${summaryTable(comparison)}\n`);
  }
}
