/**
 * The comparison's Markdown report (bench/comparison.md) and its console table. The report also carries the
 * orchestrator's own figures from bench/results.json (written by the first part of `npm run bench`).
 *
 *   npx tsx bench/comparison/report.ts   re-renders bench/comparison.md from bench/comparison-results.json
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FAULTS, REPAIR_DELAY_MS, type Fault } from './faults.js';
import type { ComparisonResults, SystemResult } from './run-comparison.js';
import { ORCHESTRATOR_BUDGET_WINDOW_S, ORCHESTRATOR_CYCLE } from './systems.js';
import { SPOOL_MAX_PERCENT } from './stack.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const BENCH_DIR = path.resolve(here, '..');
const OWN_RESULTS = path.join(BENCH_DIR, 'results.json');

const sec = (ms: number | null | undefined) => (ms === null || ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const minutes = (s: number) => `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;

function usageCells(system: SystemResult): { cpu: string; rss: string } {
  const usage = system.summary.usage;
  if (!usage) return system.id === 'systemd' ? { cpu: 'n/a (PID 1 does it)', rss: 'n/a (PID 1 does it)' } : { cpu: 'not measured', rss: 'not measured' };
  const share = usage.elapsedS > 0 ? ` (${((100 * usage.cpuWithChildrenS) / usage.elapsedS).toFixed(2)} % of a core over ${minutes(usage.elapsedS)})` : '';
  return { cpu: `${usage.cpuSelfS} s / ${usage.cpuWithChildrenS} s${share}`, rss: `${usage.peakRssMb} MB` };
}

function summaryRows(systems: readonly SystemResult[]): string[][] {
  const s = systems.map((system) => system.summary);
  return [
    ['correct outcomes', ...s.map((x) => `**${x.correct} / ${x.faults}**`)],
    [
      'median time to a correct outcome (injection → verified fix or escalation; correct outcomes only)',
      ...s.map((x) => (x.correctOutcomeMs ? `${sec(x.correctOutcomeMs.median)} (n=${x.correctOutcomeMs.n})` : '–')),
    ],
    [
      'restarts spent on faults a restart cannot fix (starts that failed again)',
      ...s.map((x) => (x.futileRestarts ? `**${x.futileRestarts.total}** (on ${x.futileRestarts.faultsWithAny} of ${x.futileRestarts.faults} such faults)` : '–')),
    ],
    ['faults fixed (verified by the harness)', ...s.map((x) => `${x.fixed} / ${x.fixExpected}`)],
    ['correctly escalated', ...s.map((x) => `${x.correctlyEscalated} / ${x.escalationExpected}`)],
    ['left alone / no action, correctly', ...s.map((x) => `${x.leftAloneCorrectly} / ${x.leaveAloneExpected}`)],
    ['wrong or harmful actions', ...s.map((x) => String(x.wrongActions))],
    ['unnecessary restarts (a dependent bounced with its dependency)', ...s.map((x) => String(x.unnecessaryRestarts))],
    ['time to detect, median / p95', ...s.map((x) => `${sec(x.detectMs.median)} / ${sec(x.detectMs.p95)} (n=${x.detectMs.n})`)],
    ['time to recover, median / p95', ...s.map((x) => `${sec(x.recoverMs.median)} / ${sec(x.recoverMs.p95)} (n=${x.recoverMs.n})`)],
    ['healer CPU, whole run (process / with its children)', ...systems.map((system) => usageCells(system).cpu)],
    ['healer peak RSS (VmHWM)', ...systems.map((system) => usageCells(system).rss)],
    ['run time (lab boot to lab stop)', ...systems.map((system) => minutes(system.durationS))],
  ];
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.map(cell).join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)].join('\n');
}

/** The side-by-side summary as a Markdown table (also printed on the console). */
export function summaryTable(comparison: ComparisonResults): string {
  return table(['', ...comparison.systems.map((system) => system.label)], summaryRows(comparison.systems));
}

type Json = Record<string, unknown>;
const at = (value: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Json)[key] : undefined), value);
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const ms = (value: unknown) => (num(value) === undefined ? '–' : `${Math.round(num(value)!)} ms`);

/**
 * The orchestrator's own figures, from bench/results.json when it is there. API throughput comes from
 * bench/dashboard-bench.ts (stored under `dashboard`); until it exists the row says so.
 */
export function ownFiguresSection(file = OWN_RESULTS): string {
  if (!existsSync(file)) return "## The orchestrator's own figures\n\nNot available: bench/results.json is missing (run `npm run bench` without BENCH_ONLY_COMPARISON).\n";
  let results: Json;
  try {
    results = JSON.parse(readFileSync(file, 'utf8')) as Json;
  } catch (err) {
    return `## The orchestrator's own figures\n\nbench/results.json could not be read: ${(err as Error).message}\n`;
  }
  const pair = (node: unknown) => `${ms(at(node, 'median'))} / ${ms(at(node, 'p95'))}${num(at(node, 'n')) !== undefined ? ` (n=${num(at(node, 'n'))})` : ''}`;
  const cycles = at(results, 'cycles');
  const overhead = at(results, 'phaseOverhead');
  const dashboard = at(results, 'dashboard');
  const dashboardText =
    !dashboard || typeof dashboard !== 'object'
      ? 'not measured in this run (bench/dashboard-bench.ts, `runDashboardBench()`): its result will appear here'
      : num(at(dashboard, 'overviewRps')) !== undefined
        ? `GET /api/overview: ${Math.round(num(at(dashboard, 'overviewRps'))!)} requests/s (latency p50 ${ms(at(dashboard, 'overviewLatencyP50Ms'))}, p95 ${ms(at(dashboard, 'overviewLatencyP95Ms'))}) with ${num(at(dashboard, 'tasks')) ?? '?'} tasks` +
          (num(at(dashboard, 'firstRenderMs', 'median')) !== undefined
            ? `; overview first render ${ms(at(dashboard, 'firstRenderMs', 'median'))} median, ${ms(at(dashboard, 'firstRenderMs', 'p95'))} p95`
            : '')
        : Object.entries(dashboard as Json)
            .map(([key, value]) => `${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
            .join('; ');
  const rows = [
    ['detection latency, kill -9 → task (median / p95)', pair(at(results, 'detection', 'detectionMs'))],
    ['detection → verified healthy, phase-1 restart (median / p95)', pair(at(results, 'detection', 'detectToVerifiedMs'))],
    [`full cycle time, ${num(at(cycles, 'units')) ?? 200} configured units + host checks (median / p95)`, pair(at(cycles, 'fullCycleMs'))],
    [
      `daemon RSS after ${num(at(cycles, 'cycles')) ?? 1000} full cycles (after 100 cycles)`,
      num(at(cycles, 'rssMbAfterAllCycles')) !== undefined ? `${num(at(cycles, 'rssMbAfterAllCycles'))} MB (${num(at(cycles, 'rssMbAfter100Cycles')) ?? '–'} MB)` : '–',
    ],
    [
      'overhead of phases 2 and 3 per task, heuristic agents, excluding the agents (agents alone)',
      num(at(overhead, 'phases23Ms', 'median')) !== undefined
        ? `${num(at(overhead, 'phases23Ms', 'median'))!.toFixed(2)} ms (${num(at(overhead, 'agentMsPerTask'))?.toFixed(2) ?? '–'} ms)`
        : '–',
    ],
    // API THROUGHPUT: filled from bench/results.json `dashboard` (bench/dashboard-bench.ts), written by another part of `npm run bench`.
    ['dashboard API throughput', dashboardText],
  ];
  const machine = at(results, 'machine');
  return `## The orchestrator's own figures

From \`bench/results.json\` (the first part of \`npm run bench\`, measured ${String(at(machine, 'date') ?? '?')} on ${String(at(machine, 'cpus') ?? '?')} × ${String(at(machine, 'cpuModel') ?? '?')}; details in \`bench/results.md\`):

${table(['measure', 'value'], rows)}
`;
}

function timeLimitsTable(systems: readonly SystemResult[], faults: readonly Fault[]): string {
  const rows = faults.map((fault) => [
    fault.id,
    ...systems.map((system) => {
      const limit = system.faults.find((result) => result.fault === fault.id)?.timeLimitMs;
      return limit === undefined ? '–' : `${Math.round(limit / 1000)} s${fault.observeMs !== undefined ? ' (observed)' : ''}`;
    }),
  ]);
  return table(['time limit', ...systems.map((system) => system.label)], rows);
}

export function renderMarkdown(comparison: ComparisonResults, faults: readonly Fault[]): string {
  const { machine, systems } = comparison;
  const lanes = comparison.lanes ?? [systems.map((system) => system.id)];
  const matrix = faults.map((fault) => [
    fault.title,
    fault.expectation,
    ...systems.map((system) => {
      const result = system.faults.find((f) => f.fault === fault.id);
      if (!result) return 'not run';
      return `${result.correct ? '✅' : '❌'} ${result.outcome}${result.wrong.length ? ` ⚠ ${result.wrong.length} wrong` : ''}`;
    }),
  ]);
  const perSystem = systems.map((system) => {
    const rows = system.faults.map((result) => [
      result.title,
      result.expectation,
      `${result.correct ? '✅' : '❌'} ${result.outcome}`,
      sec(result.detectMs),
      result.repairToFixMs !== null && result.repairToFixMs !== undefined ? `${sec(result.repairToFixMs)} after the repair` : sec(result.recoverMs),
      sec(result.escalateMs),
      Object.entries(result.startAttempts)
        .map(([unit, n]) => `${unit.replace('.service', '')} ${n}`)
        .join(', ') || '–',
      result.futileStarts === null || result.futileStarts === undefined ? '–' : String(result.futileStarts),
      [
        ...(result.error ? [`harness: ${result.error.split('\n')[0]}`] : []),
        ...result.wrong.map((w) => `⚠ ${w}`),
        ...result.unnecessary.map((u) => `(unnecessary: ${u})`),
        ...result.notes,
      ].join('; ') || '–',
    ]);
    return `### ${system.label}

${system.config}.

${system.error ? `**The run did not complete normally:** \`${system.error.split('\n')[0]}\` (see the raw logs).\n\n` : ''}${table(['fault', 'correct outcome', 'outcome', 'detect', 'recover', 'escalate', 'start jobs seen', 'starts in vain', 'wrong / notes'], rows)}

Raw records: \`${system.rawDir}/\` (harness timeline \`harness.txt\`, the lab's journal \`journal.txt\`, the healer's own records, mail received).
`;
  });
  const subset = faults.length < FAULTS.length ? ` **Only ${faults.length} of the ${FAULTS.length} faults were run** (BENCH_COMPARISON_FAULTS).` : '';
  return `# The fault suite, side by side

Measured by \`npm run bench\` (or \`npx tsx bench/comparison/run-comparison.ts\`) on **${machine.nproc} × ${machine.cpuModel}, ${machine.memoryGb} GB RAM,
Linux ${machine.kernel}, Node ${machine.node}, ${machine.systemd}, ${machine.monit.replace('This is ', '')}**, started ${machine.date}
(whole comparison: ${minutes(comparison.durationS)}).${subset}

Each system ran in its own fresh systemd lab (a real systemd as PID 1 in private namespaces) on the same stack: nginx (Debian) as a reverse
proxy in front of a node HTTP app that uses redis (Debian's redis-server), postgresql 15 (Debian) used by a node worker, a unit a bad deploy
breaks, a unit the operator masks, four small node units for the faults that follow a change (an API service that needs UPSTREAM_URL,
one that opens 300 files under LimitNOFILE=4096, one that runs as nobody in its data directory /srv/lab-data, one whose program is
installed under /opt), and a 16 MB tmpfs with an allow-listed cache directory and a data file that must never be deleted. /opt, /srv
and /var/lib/redis are private to each lab. The same ${faults.length} faults were injected one at a time in the same order; each was
restored whatever the outcome (drop-ins removed and systemd reloaded, owners and modes, the program and the typo put back, the stray
listener killed) and the whole stack verified healthy, with no leftover of any fault, before the next one. To keep the whole comparison near 25 minutes the labs ran in ${lanes.length} parallel lane(s)
(${lanes.map((lane) => lane.join(' → ')).join(' | ')}), each lab with its own processes and network; the no-fault window with its load
spike never overlapped another lab's.

## Summary

${summaryTable(comparison)}

## Per fault

${table(['fault', 'correct outcome', ...systems.map((system) => system.label)], matrix)}

${ownFiguresSection()}
## How it is measured

- **Fixed** means the harness itself saw the whole stack healthy twice in a row (0.5 s apart) after it had seen the fault: \`GET /\`
  through nginx → app → redis answers 200, the app, the worker (→ postgresql) and the other units answer on their ports, every unit is
  active, \`redis-cli ping\` and \`pg_isready\` pass, the small filesystem is below ${SPOOL_MAX_PERCENT} % and the data file's checksum is
  unchanged. Nothing a healer reports counts by itself.
- **Recover** is from the fault taking effect (the kill, the stop, the fill; for the leak, the first OOM kill as the journal shows it) to
  the first of those two passes. **Detect** is from the same moment to the healer's first reaction to that fault: the orchestrator's task
  (\`detected_at\`), Monit's first log line about the service (its 1 s timestamps narrowed by when the harness saw the line), systemd's
  "Scheduled restart job" in the journal. A system that never reacts has no detection time for that fault (it is not counted as 0).
- **Escalated** means handed to a human and given up on: the orchestrator's escalation (\`escalations.db\`, also mailed to an SMTP sink);
  Monit's \`unmonitor\` after "5 restarts within 5 cycles" (with its alert mail), or for the filesystem its space-usage alert (mailed).
  Monit also mails an alert for every failed check while it keeps restarting; that is a notification, not an escalation. systemd alone
  has no way to tell anyone: a unit that hits its start limit is recorded as "gave up", not escalated. For the nginx typo the escalation
  must carry \`nginx -t\`'s output, for the removed program the fact that the program does not exist.
- **Escalated, then fixed** (the nginx typo repaired): once the system escalated (or gave up), the harness waits ${REPAIR_DELAY_MS / 1000} s and
  repairs the cause as the human would (the typo corrected, nothing started); the system must then bring the service back by itself.
  Its time to recover is counted from the repair.
- **Restarts spent on faults a restart cannot fix**: on the faults whose cause outlives any restart (the stale locks, the unit that exits
  at start, the nginx typos, the lost variable, the lowered limit, the chowns, the stray listener, the removed program), every start of
  the fault's unit (PID 1's journal) that failed again (its process exited non-zero or was killed, its start job failed or hit the start
  limit) before the next start. A start made after the cause was removed (the definition restored, the owner put back, the stray stopped,
  the typo repaired) succeeds and is not counted.
- **Time to a correct outcome**: for the faults judged correct, from the fault taking effect to the moment the outcome was complete: the
  verified fix; the escalation; for the leak (fixed, then escalated) the escalation; for the repaired typo the verified fix after the repair.
  Left alone and no action have no such time.
- **Wrong or harmful**: a start or stop job (PID 1's journal) of a unit the fault did not affect, or of the app while its dependency was
  still down; any action on the masked unit or during the no-fault window; more start attempts than the fault allows (nginx with a broken
  config: more than 2, before the repair when it is repaired; the unit that exits at start: more than 5; the removed program: any); a
  process of a unit killed while freeing the app's port from the stray; the data file deleted. Stopping the app just before restarting
  redis and starting it again after (Monit's \`depends on\` does that) is listed as an unnecessary restart, not as wrong.
- **Time limits** depend on how often a system looks, so that Monit's default 30 s cycle is judged on what it does and not cut off before
  it can do it: a fix gets two rounds of (cycle + start wait), an escalation after "5 restarts within 5 cycles" five rounds and a cycle,
  plus 15 s (Monit waits up to its default 30 s start timeout for a process it started before it looks again). A fault not fixed or
  escalated by then is "not fixed" / "not escalated", whatever happens later; systemd alone stops being watched 8 s after it gives up
  (start limit hit: it does nothing more on its own).

${timeLimitsTable(systems, faults)}

- CPU is utime+stime of the healer's process from /proc over its whole run (also with its reaped children: systemctl, check commands),
  peak RSS is its VmHWM. systemd alone has no healer process (its work is done by PID 1).

Deviations from the defaults, and why:
- The orchestrator runs its full cycle every ${ORCHESTRATOR_CYCLE} (default 5 min; HTTP probes only run in the full cycle, so a hung app or a
  stopped dependency would go unseen for minutes; the unit watch keeps its default 1 s) and its per-service action budget keeps the
  default 3 actions but over ${ORCHESTRATOR_BUDGET_WINDOW_S} s instead of 15 min: several faults hit the app and the worker within minutes, which
  with a 15-minute window would exhaust each other's budget. Before each fault the harness also waits until the fault's services have
  no orchestrator action in that window. Within one fault the shorter window changes nothing: the unit that exits at start uses its
  3 actions within 5 s and the leak (an OOM kill about 15 s after each start) within 45 s, inside either window.
- The orchestrator watches only the configured services (\`watchFailedUnits: false\`; by default it would also take on any other
  failed unit of the host): the lab's own units are not part of the comparison, and Monit and systemd are given the same services.
  Its mail retries are shortened (3 tries from 2 s) because the run is short; healing does not depend on them.
- The worker's lock file is deliberately not declared in the orchestrator's \`runtimeFiles\` (a lock no profile knows), so that its first
  occurrence is fixed in phase 2 and the second occurrence shows what was learned.
- Monit and the orchestrator probe nginx on a location nginx answers itself (\`/nginx-health\`), not through the proxy, so that an app
  fault is not taken for an nginx fault by either. Monit's alerts and the orchestrator's escalations go to a real SMTP sink in the lab.
- Monit is Debian's package with its documented defaults otherwise (start timeout 30 s); systemd alone gets \`Restart=on-failure\` and
  \`RestartSec=1s\` (default 100 ms) on every unit, its start limit is the default (5 starts in 10 s).

${perSystem.join('\n')}`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const resultsFile = path.join(BENCH_DIR, 'comparison-results.json');
  const comparison = JSON.parse(readFileSync(resultsFile, 'utf8')) as ComparisonResults;
  const ids = comparison.faultsRun ?? comparison.systems[0]?.faults.map((fault) => fault.fault) ?? [];
  writeFileSync(
    path.join(BENCH_DIR, 'comparison.md'),
    renderMarkdown(
      comparison,
      FAULTS.filter((fault) => ids.includes(fault.id)),
    ),
  );
  process.stdout.write(`${summaryTable(comparison)}\n\nre-rendered bench/comparison.md from bench/comparison-results.json\n`);
}
