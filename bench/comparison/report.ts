/** The comparison's Markdown report (bench/comparison.md) and its console table. */
import type { Fault } from './faults.js';
import type { ComparisonResults, SystemResult } from './run-comparison.js';
import { ORCHESTRATOR_BUDGET_WINDOW_S, ORCHESTRATOR_CYCLE } from './systems.js';

const sec = (ms: number | null | undefined) => (ms === null || ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function summaryRows(systems: readonly SystemResult[]): string[][] {
  const s = systems.map((system) => system.summary);
  return [
    ['correct outcomes', ...s.map((x) => `**${x.correct} / ${x.faults}**`)],
    ['faults fixed (verified)', ...s.map((x) => `${x.fixed} / ${x.fixExpected}`)],
    ['correctly escalated', ...s.map((x) => `${x.correctlyEscalated} / ${x.escalationExpected}`)],
    ['left alone / no action, correctly', ...s.map((x) => `${x.leftAloneCorrectly} / ${x.leaveAloneExpected}`)],
    ['wrong or harmful actions', ...s.map((x) => String(x.wrongActions))],
    ['unnecessary restarts (dependent, after its dependency was back)', ...s.map((x) => String(x.unnecessaryRestarts))],
    ['time to detect, median / p95', ...s.map((x) => `${sec(x.detectMs.median)} / ${sec(x.detectMs.p95)} (n=${x.detectMs.n})`)],
    ['time to recover, median / p95', ...s.map((x) => `${sec(x.recoverMs.median)} / ${sec(x.recoverMs.p95)} (n=${x.recoverMs.n})`)],
    [
      'healer CPU, whole run (process / with children)',
      ...systems.map((system) => (system.summary.usage ? `${system.summary.usage.cpuSelfS} s / ${system.summary.usage.cpuWithChildrenS} s` : system.id === 'systemd' ? 'n/a (PID 1)' : 'not measured')),
    ],
    ['healer peak RSS (VmHWM)', ...systems.map((system) => (system.summary.usage ? `${system.summary.usage.peakRssMb} MB` : system.id === 'systemd' ? 'n/a (PID 1)' : 'not measured'))],
    ['run time', ...systems.map((system) => `${Math.round(system.durationS / 60)} min ${system.durationS % 60} s`)],
  ];
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)].join('\n');
}

/** The side-by-side summary as a Markdown table (also printed on the console). */
export function summaryTable(comparison: ComparisonResults): string {
  return table(['', ...comparison.systems.map((system) => system.label)], summaryRows(comparison.systems));
}

export function renderMarkdown(comparison: ComparisonResults, faults: readonly Fault[]): string {
  const { machine, systems } = comparison;
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
      sec(result.recoverMs),
      Object.entries(result.startAttempts)
        .map(([unit, n]) => `${unit.replace('.service', '')} ${n}`)
        .join(', ') || '–',
      [...result.wrong.map((w) => `⚠ ${w}`), ...result.unnecessary.map((u) => `(unnecessary: ${u})`), ...result.notes].join('; ') || '–',
    ]);
    return `### ${system.label}

${system.config}.

${system.error ? `**The run was aborted:** \`${system.error.split('\n')[0]}\` (see the raw logs).\n\n` : ''}${table(['fault', 'correct outcome', 'outcome', 'detect', 'recover', 'start jobs seen', 'wrong / notes'], rows)}

Raw records: \`${system.rawDir}/\` (harness timeline \`harness.txt\`, the lab's journal \`journal.txt\`, the healer's own log, mail received).
`;
  });
  return `# The fault suite, side by side

Measured by \`npm run bench\` (or \`npx tsx bench/comparison/run-comparison.ts\`) on **${machine.nproc} × ${machine.cpuModel}, ${machine.memoryGb} GB RAM,
Linux ${machine.kernel}, Node ${machine.node}, ${machine.systemd}, ${machine.monit.replace('This is ', '')}**, ${machine.date} (whole comparison: ${Math.round(comparison.durationS / 60)} min).

Each system ran in its own fresh systemd lab (a real systemd 252 as PID 1 in private namespaces) on the same stack: nginx (Debian) as a reverse
proxy in front of a node HTTP app that uses redis (Debian's redis-server), postgresql 15 (Debian) used by a node worker, a unit a bad deploy
breaks, a unit the operator masks, and a 16 MB tmpfs with an allow-listed cache directory and a data file that must never be deleted.
The same ${faults.length} faults were injected one at a time in the same order; each was restored whatever the outcome and the whole stack verified
healthy before the next one.

## Summary

${summaryTable(comparison)}

## Per fault

${table(['fault', 'correct outcome', ...systems.map((system) => system.label)], matrix)}

## How it is measured

- **Fixed** means the verifier saw the whole stack healthy twice in a row (0.5 s apart): \`GET /\` through nginx → app → redis answers 200,
  the app, the worker (→ postgresql) and the other units answer on their ports, every unit is active, \`redis-cli ping\` and \`pg_isready\`
  pass, the small filesystem is below ${80} % and the data file's checksum is unchanged. Nothing a healer reports counts by itself.
- **Recover** is from the fault taking effect (the kill, the stop, the fill; for the leak, the first OOM kill as the journal shows it) to
  the first of those two passes. **Detect** is from the same moment to the healer's first reaction to that fault: the orchestrator's task
  (\`detected_at\`), Monit's first log line about the service (its 1 s timestamps narrowed by when the harness saw the line), systemd's
  "Scheduled restart job" in the journal. A system that never reacts has no detection time for that fault (it is not counted as 0).
- **Escalated**: the orchestrator's escalation (\`escalations.db\`, also mailed to an SMTP sink); Monit's \`unmonitor\` after
  "5 restarts within 5 cycles", or for the filesystem its space-usage alert (mailed); systemd alone has no way to tell anyone (a unit
  that hits its start limit is recorded as "gave up", not escalated). For the nginx typo the escalation must carry \`nginx -t\`'s output.
- **Wrong or harmful**: a start or stop job (PID 1's journal) of a unit the fault did not affect, or of the app while its dependency was
  still down; any action on the masked unit or during the no-fault window; more start attempts than the fault allows (nginx with a broken
  config: more than 2; the unit that exits at start: more than 5); the data file deleted. Restarting the app *after* redis was back
  (Monit's \`depends on\` does that) is listed as unnecessary, not as wrong.
- Time limits: ${faults.map((fault) => `${fault.id} ${Math.round((fault.observeMs ?? fault.timeoutMs) / 1000)} s`).join(', ')}. A fault not fixed or
  escalated by then is "not fixed" / "not escalated", whatever happens later.
- CPU is utime+stime of the healer's process from /proc over its whole run (also with its reaped children: systemctl, check commands),
  peak RSS is its VmHWM. systemd alone has no healer process (its work is done by PID 1).

Deviations from the defaults, and why:
- The orchestrator runs its full cycle every ${ORCHESTRATOR_CYCLE} (default 5 min; HTTP probes only run in the full cycle, so a hung app or a
  stopped dependency would go unseen for minutes) and its per-service action budget keeps the default 3 actions but over ${ORCHESTRATOR_BUDGET_WINDOW_S} s
  instead of 15 min: several faults hit the app and the worker within minutes, which with a 15-minute window would exhaust each other's
  budget. Before each fault the harness also waits until the fault's services have no orchestrator action in that window.
- The worker's lock file is deliberately not declared in the orchestrator's \`runtimeFiles\` (a lock no profile knows), so that its first
  occurrence is fixed in phase 2 and the second occurrence shows what was learned.
- Monit and the orchestrator probe nginx on a location nginx answers itself (\`/nginx-health\`), not through the proxy, so that an app
  fault is not taken for an nginx fault by either. Monit's alerts and the orchestrator's escalations go to a real SMTP sink in the lab.

${perSystem.join('\n')}`;
}
