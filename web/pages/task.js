/**
 * One task's whole story: the evidence it started with (unit state, checks, the last log lines), then every
 * phase in time order — each plan with why it was chosen, each action, its result and the verification's
 * checks, each agent's verdict with its confidence and whether it counted — then the escalation and the end.
 */
import { api } from '../api.js';
import { h, timeEl, taskPill, escalationPill, outcomePill, phaseLabel, duration, actionText, shortId, bar, pill, percent, plural, card } from '../dom.js';
import { checkItem } from './escalations.js';

const SOURCES = {
  learned: 'a learned pattern',
  profile: "the service's profile",
  dependency: 'a dependency rule',
  generic: 'a generic rule',
  agent: 'the research agent',
  ladder: 'the recovery ladder',
  consensus: "the agents' consensus",
  human: 'a person',
};

export async function render(ctx) {
  const detail = await api.task(ctx.params.id);
  const { task, attempts = [], verdicts = [], escalation = null } = detail ?? {};
  if (!task) throw new Error(`no task ${ctx.params.id}`);
  const node = h(
    'div',
    { class: 'page page-task' },
    h(
      'p',
      { class: 'crumbs' },
      h('a', { href: '#/tasks', text: '← All tasks' }),
      ' · ',
      h('a', { href: `#/tasks?service=${encodeURIComponent(task.service)}`, text: `${task.service} tasks` }),
    ),
    head(task, escalation),
    h(
      'div',
      { class: 'task-layout' },
      h('div', { class: 'task-main' }, timeline(task, attempts, verdicts, escalation)),
      h('aside', { class: 'task-side' }, summary(task, attempts), drift(detail.drift ?? []), evidence(task)),
    ),
  );
  return { title: `${task.service} ${task.symptom}`, node };
}

function head(task, escalation) {
  return h(
    'div',
    { class: 'page-head task-head' },
    h(
      'div',
      { class: 'task-title-row' },
      h('h1', {}, h('span', { text: task.service }), ' ', h('span', { class: 'mono task-symptom', text: task.symptom })),
      taskPill(task.status),
    ),
    h('p', { class: 'task-message-lead', text: task.message }),
    escalation
      ? h(
          'p',
          { class: ['task-escalation', `esc-${escalation.status}`] },
          escalationPill(escalation.status),
          ' Escalated to a person. ',
          h('a', {
            href: `#/escalations/${encodeURIComponent(escalation.id)}`,
            text: escalation.status === 'open' || escalation.status === 'acknowledged' ? 'Acknowledge or resolve it →' : 'See the escalation →',
          }),
        )
      : null,
  );
}

function summary(task, attempts) {
  const rows = [
    ['Task', shortId(task.id)],
    ['Detected', timeEl(task.detectedAt)],
    ['Last seen', timeEl(task.lastSeen)],
    ['Closed', task.closedAt ? timeEl(task.closedAt) : h('span', { class: 'muted', text: 'still open' })],
    // Only a task that ended healthy (fixed or recovered) has one; an escalated or open task does not.
    ['Time to recovery', task.recoveryMs !== null && task.recoveryMs !== undefined ? duration(task.recoveryMs) : '—'],
    ['Fixed by', task.fixSuccessful && task.fixedByPhase ? phaseLabel(task.fixedByPhase) : task.fixSuccessful ? 'yes' : 'not fixed by the orchestrator'],
    ['Attempts', String(attempts.length)],
    ['Unit', task.unit ? h('code', { text: task.unit }) : '—'],
    ['Check', h('code', { text: task.checkId })],
    ['Signature', h('code', { text: task.signature })],
    ['Outcome', task.reason ? h('span', { class: 'prewrap', text: task.reason }) : '—'],
  ];
  return summaryCard(rows);
}

/** A task's summary card: label and value rows (this page and a fleet task's). */
export function summaryCard(rows) {
  return card(
    'Summary',
    {},
    h(
      'dl',
      { class: 'facts' },
      rows.map(([label, value]) => [h('dt', { text: label }), h('dd', {}, value)]),
    ),
  );
}

/** What changed since the service was last known good: the first question of anyone on call. */
function drift(lines) {
  if (lines.length === 0) return null;
  return h(
    'section',
    { class: 'card drift-card', 'aria-label': 'What changed', id: 'drift' },
    h('div', { class: 'card-head' }, h('h2', { class: 'card-title', text: 'What changed since it was last known good' })),
    h(
      'ol',
      { class: 'log', id: 'task-drift' },
      lines.map((line) => h('li', { text: line })),
    ),
  );
}

export function evidence(task) {
  const evidenceData = task.evidence ?? {};
  const unit = evidenceData.unit;
  const logs = evidenceData.logs ?? [];
  const checks = evidenceData.checks ?? [];
  return h(
    'section',
    { class: 'card evidence-card', 'aria-label': 'Evidence', id: 'evidence' },
    h('div', { class: 'card-head' }, h('h2', { class: 'card-title', text: 'Evidence when detected' })),
    unit
      ? h(
          'dl',
          { class: 'facts' },
          h('dt', { text: 'Unit' }),
          h('dd', {}, h('code', { text: unit.name })),
          h('dt', { text: 'State' }),
          h('dd', {}, h('code', { text: `${unit.activeState} (${unit.subState})` })),
          h('dt', { text: 'Result' }),
          h('dd', {}, h('code', { text: unit.result })),
          h('dt', { text: 'Main process' }),
          h('dd', {}, h('code', { text: `${unit.execMainCode} ${unit.execMainStatus}` })),
          h('dt', { text: 'Enabled' }),
          h('dd', {}, h('code', { text: unit.unitFileState })),
        )
      : null,
    h('h3', { class: 'sub-title', text: 'Checks' }),
    checks.length ? h('ul', { class: 'checks' }, checks.map(checkItem)) : h('p', { class: 'muted', text: 'No checks recorded.' }),
    h('h3', { class: 'sub-title', text: `Last log lines (${logs.length})` }),
    logs.length
      ? h(
          'ol',
          { class: 'log', id: 'task-logs' },
          logs.map((line) => h('li', { text: line })),
        )
      : h('p', { class: 'muted', text: 'No log lines recorded.' }),
  );
}

/** Everything that happened, in time order, grouped under the phase it belongs to. */
export function timeline(task, attempts, verdicts, escalation) {
  const events = [];
  events.push({ at: task.detectedAt, order: 0, phase: 0, node: detectedEvent(task) });
  verdicts.forEach((verdict, index) => events.push({ at: verdict.createdAt, order: 1 + index / 1000, phase: verdict.phase, node: verdictEvent(verdict), verdict }));
  attempts.forEach((attempt, index) => events.push({ at: attempt.startedAt, order: 2 + index / 1000, phase: attempt.phase, node: attemptEvent(attempt) }));
  if (escalation) events.push({ at: escalation.createdAt, order: 3, phase: 4.5, node: escalationEvent(escalation) });
  if (task.closedAt) events.push({ at: task.closedAt, order: 4, phase: 9, node: closedEvent(task) });
  // Same instant: earlier phases first (records written in one millisecond keep the pipeline's order).
  events.sort((a, b) => (a.at ?? 0) - (b.at ?? 0) || a.phase - b.phase || a.order - b.order);

  const list = h('ol', { class: 'timeline', id: 'timeline' });
  let currentPhase = null;
  for (const event of events) {
    const phase = event.phase >= 1 && event.phase <= 4 ? event.phase : null;
    if (phase && phase !== currentPhase) {
      currentPhase = phase;
      list.append(
        h(
          'li',
          { class: 'tl-phase', dataset: { phase: String(phase) } },
          h('h3', { text: phaseLabel(phase) }),
          phase === 3 ? voteTally(verdicts.filter((v) => v.phase === 3)) : null,
        ),
      );
    } else if (!phase && event.phase !== 0) {
      currentPhase = null;
    }
    list.append(event.node);
  }
  if (!task.closedAt && task.status !== 'escalated') {
    list.append(
      h(
        'li',
        { class: 'tl-event tone-info' },
        h('div', { class: 'tl-dot', 'aria-hidden': 'true' }),
        h('div', { class: 'tl-body' }, h('p', { class: 'tl-title' }, pill('info', task.status === 'running' ? 'Working on it' : 'Open'), ' Waiting for the next step.')),
      ),
    );
  }
  return h(
    'section',
    { class: 'card timeline-card', 'aria-label': 'Timeline' },
    h('div', { class: 'card-head' }, h('h2', { class: 'card-title', text: 'Timeline' }), h('span', { class: 'card-note', text: plural(attempts.length, 'attempt') })),
    list,
  );
}

function event(tone, time, title, ...body) {
  return h(
    'li',
    { class: ['tl-event', `tone-${tone}`] },
    h('div', { class: 'tl-dot', 'aria-hidden': 'true' }),
    h('div', { class: 'tl-body' }, h('div', { class: 'tl-when' }, timeEl(time)), h('div', { class: 'tl-title' }, title), body),
  );
}

function detectedEvent(task) {
  return event(
    'bad',
    task.detectedAt,
    [h('strong', { text: 'Detected' }), ' ', h('span', { class: 'mono', text: task.symptom })],
    h('p', { class: 'tl-text', text: task.message }),
  );
}

function attemptEvent(attempt) {
  const took = attempt.finishedAt && attempt.startedAt ? attempt.finishedAt - attempt.startedAt : null;
  const tone = { success: 'ok', failure: 'bad', error: 'bad', refused: 'warn', interrupted: 'warn' }[attempt.outcome] ?? 'idle';
  const verification = attempt.verification;
  return h(
    'li',
    { class: ['tl-event', 'tl-attempt', `tone-${tone}`], dataset: { attempt: attempt.id, outcome: attempt.outcome ?? 'running' } },
    h('div', { class: 'tl-dot', 'aria-hidden': 'true' }),
    h(
      'div',
      { class: 'tl-body' },
      h('div', { class: 'tl-when' }, timeEl(attempt.startedAt), took !== null ? h('span', { class: 'took', text: ` · took ${duration(took)}` }) : null),
      h(
        'div',
        { class: 'tl-title' },
        h('strong', { text: 'Tried ' }),
        h('code', { class: 'plan', text: attempt.planKey || (attempt.actions ?? []).map(actionText).join(' + ') }),
        ' ',
        outcomePill(attempt.outcome),
      ),
      h(
        'dl',
        { class: 'tl-facts' },
        h('dt', { text: 'Why' }),
        h('dd', {}, h('span', { class: 'muted', text: `from ${SOURCES[attempt.source] ?? attempt.source}: ` }), h('span', { text: attempt.reason || '—' })),
        (attempt.actions ?? []).length > 1 || (attempt.actions ?? []).length === 1
          ? [
              h('dt', { text: (attempt.actions ?? []).length === 1 ? 'Action' : 'Actions' }),
              h(
                'dd',
                {},
                h(
                  'ol',
                  { class: 'actions' },
                  attempt.actions.map((action) => h('li', {}, h('code', { text: actionText(action) }))),
                ),
              ),
            ]
          : null,
        h('dt', { text: 'Result' }),
        h('dd', { class: 'prewrap', text: attempt.detail || '—' }),
      ),
      verification
        ? h(
            'div',
            { class: ['verification', verification.passed ? 'verification-ok' : 'verification-bad'] },
            h(
              'p',
              { class: 'verification-head' },
              pill(verification.passed ? 'ok' : 'bad', verification.passed ? 'Verified' : 'Verification failed'),
              ' ',
              verification.at ? timeEl(verification.at, { relativeOnly: false }) : null,
            ),
            h('ul', { class: 'checks' }, (verification.checks ?? []).map(checkItem)),
          )
        : attempt.outcome === 'success' || attempt.outcome === 'failure'
          ? h('p', { class: 'muted small', text: 'No verification recorded for this attempt.' })
          : null,
    ),
  );
}

function verdictEvent(record) {
  const verdict = record.verdict;
  const who = [
    h('strong', { text: record.agent }),
    record.perspective && record.perspective !== record.agent ? h('span', { class: 'muted', text: ` (${record.perspective})` }) : null,
  ];
  if (!verdict) {
    return h(
      'li',
      { class: ['tl-event', 'tl-verdict', 'tone-warn'] },
      h('div', { class: 'tl-dot', 'aria-hidden': 'true' }),
      h(
        'div',
        { class: 'tl-body' },
        h('div', { class: 'tl-when' }, timeEl(record.createdAt)),
        h('div', { class: 'tl-title' }, 'Agent ', who, ' gave no verdict ', pill('warn', 'No vote')),
        h('p', { class: 'tl-text prewrap', text: record.error || record.note || '—' }),
      ),
    );
  }
  const confidence = Number(verdict.confidence) || 0;
  return h(
    'li',
    { class: ['tl-event', 'tl-verdict', record.accepted ? 'tone-info' : 'tone-idle'], dataset: { agent: record.agent } },
    h('div', { class: 'tl-dot', 'aria-hidden': 'true' }),
    h(
      'div',
      { class: 'tl-body' },
      h('div', { class: 'tl-when' }, timeEl(record.createdAt)),
      h(
        'div',
        { class: 'tl-title' },
        'Agent ',
        who,
        record.phase === 3 ? ' voted ' : ' proposed ',
        h('code', { class: 'plan', text: actionText(verdict.action) }),
        ' ',
        record.accepted ? pill('ok', record.phase === 3 ? 'Counted' : 'Accepted') : pill('idle', 'Not used'),
      ),
      h(
        'p',
        { class: 'confidence' },
        h('span', { class: 'confidence-label', text: 'Confidence ' }),
        h('span', { class: 'confidence-value', text: percent(confidence, 1) }),
        bar(confidence, confidence >= 0.7 ? 'ok' : confidence >= 0.4 ? 'warn' : 'bad'),
      ),
      h(
        'dl',
        { class: 'tl-facts' },
        h('dt', { text: 'Diagnosis' }),
        h('dd', { text: verdict.diagnosis || '—' }),
        verdict.symptomClass ? [h('dt', { text: 'Class' }), h('dd', {}, h('code', { text: verdict.symptomClass }))] : null,
        h('dt', { text: 'Rationale' }),
        h('dd', { class: 'prewrap', text: verdict.rationale || '—' }),
        record.note ? [h('dt', { text: 'Note' }), h('dd', { text: record.note })] : null,
      ),
    ),
  );
}

/** "2 of 3 voted escalate" for the consensus panel. */
function voteTally(records) {
  if (records.length === 0) return null;
  const counts = new Map();
  for (const record of records) {
    const key = record.verdict ? actionText(record.verdict.action) : 'no verdict';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const [top, topCount] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
  return h(
    'p',
    { class: 'tally' },
    'Votes: ',
    [...counts.entries()].map(([key, count], i) => [i ? ' · ' : '', h('strong', { text: String(count) }), ' ', h('code', { text: key })]),
    topCount >= 2 && top !== 'no verdict' ? h('span', { class: 'muted', text: ` — quorum for ${top}` }) : h('span', { class: 'muted', text: ' — no quorum' }),
  );
}

function escalationEvent(escalation) {
  return event(
    'bad',
    escalation.createdAt,
    [h('strong', { text: 'Escalated to a person' }), ' ', escalationPill(escalation.status)],
    h('p', { class: 'tl-text prewrap', text: escalation.reason ?? '' }),
    escalation.resolution ? h('p', { class: 'tl-text' }, h('span', { class: 'muted', text: 'Resolution: ' }), escalation.resolution) : null,
    escalation.note ? h('p', { class: 'tl-text' }, h('span', { class: 'muted', text: 'Note: ' }), escalation.note) : null,
  );
}

function closedEvent(task) {
  const tone = task.fixSuccessful || task.status === 'recovered' ? 'ok' : task.status === 'escalated' ? 'bad' : 'idle';
  const label = task.fixSuccessful
    ? `Fixed${task.fixedByPhase ? ` by ${phaseLabel(task.fixedByPhase).toLowerCase()}` : ''}`
    : task.status === 'recovered'
      ? 'Recovered'
      : `Closed (${task.status})`;
  return event(
    tone,
    task.closedAt,
    [
      h('strong', { text: label }),
      task.durationMs !== null && task.durationMs !== undefined ? h('span', { class: 'muted', text: ` — ${duration(task.durationMs)} after detection` }) : null,
    ],
    task.reason ? h('p', { class: 'tl-text prewrap', text: task.reason }) : null,
  );
}
