/** Overview: is the host healthy, what did the orchestrator do, what needs a person. */
import { api } from '../api.js';
import { h, card, timeEl, duration, plural, percent, bar, pill, servicePill, serviceTone, phaseLabel, shortId } from '../dom.js';
import { rateChart, recoveryChart } from '../charts.js';

const STATE_ORDER = { escalated: 0, failing: 1, left_alone: 2, healthy: 3 };

export async function render(ctx) {
  const overview = ctx.overview;
  const rate = rateChart(overview.rates);
  const recovery = recoveryChart(overview.recovery);
  const node = h('div', { class: 'page page-overview' });
  node.replaceChildren(
    hero(overview),
    // Two columns that stack their cards (no holes however many services there are); on a phone the columns
    // dissolve and the cards are ordered by urgency (see .order-* in app.css).
    h(
      'div',
      { class: 'grid' },
      h(
        'div',
        { class: 'stack span-4 overview-main' },
        withClass(servicesCard(overview), 'order-1'),
        h('div', { class: 'pair' }, withClass(lastCycleCard(overview), 'order-4'), withClass(last24hCard(overview), 'order-5')),
      ),
      h(
        'div',
        { class: 'stack span-2 overview-side' },
        withClass(needsYouCard(overview), 'order-2'),
        withClass(killSwitchCard(overview, ctx), 'order-3'),
        withClass(funnelCard(overview), 'order-6'),
      ),
      withClass(card('Auto-fix and escalation rate per day', { aside: h('span', { class: 'card-note', text: '14 days' }) }, rate.element), 'span-3', 'order-7'),
      withClass(card('Time to recovery', { aside: h('span', { class: 'card-note', text: 'fixed or recovered tasks' }) }, recovery.element), 'span-3', 'order-8'),
    ),
  );
  return {
    title: 'Overview',
    node,
    after: () => Promise.all([rate.draw(), recovery.draw()]),
  };
}

function withClass(element, ...classes) {
  element.classList.add(...classes);
  return element;
}

function hero(overview) {
  const services = overview.services ?? [];
  const escalated = services.filter((s) => s.state === 'escalated');
  // A silenced failing service is not being fixed either: counted apart.
  const failing = services.filter((s) => s.state === 'failing' && !s.silenced);
  const silencedFailing = services.filter((s) => s.state === 'failing' && s.silenced);
  const leftAlone = services.filter((s) => s.state === 'left_alone');
  const openEscalations = overview.counts?.openEscalations ?? 0;
  const daemon = overview.daemon ?? {};
  let tone = 'ok';
  let headline = services.length === 0 ? 'No services configured' : `All ${plural(services.length, 'service')} healthy`;
  // Down on purpose (the unit is disabled or masked): said so, not "being fixed", and not "healthy" either.
  if (leftAlone.length > 0) {
    tone = 'warn';
    headline = `${plural(leftAlone.length, 'service')} down and left alone (operator intent)`;
  }
  if (silencedFailing.length > 0) {
    tone = 'warn';
    headline = `${plural(silencedFailing.length, 'service')} failing while silenced — nothing is done until the silence ends`;
  }
  if (failing.length > 0) {
    tone = 'warn';
    headline = `${plural(failing.length, 'service')} failing — ${daemon.paused ? 'automatic fixing is paused' : 'the orchestrator is on it'}`;
  }
  if (escalated.length > 0 || openEscalations > 0) {
    tone = 'bad';
    const count = Math.max(escalated.length, openEscalations);
    headline = `${count === 1 ? 'One problem needs' : `${count} problems need`} a person`;
  }
  const cycle = overview.lastCycle;
  const overdue = daemon.running !== false && cycleOverdue(overview);
  if (overdue && tone === 'ok') {
    tone = 'warn';
    headline = 'Full checks have stopped';
  }
  if (daemon.running === false) {
    tone = 'bad';
    headline = 'The orchestrator is not running';
  }
  const glyph = { ok: '✓', warn: '!', bad: '✕' }[tone];
  const sub = [];
  if (daemon.running === false) sub.push('Nothing is being watched or fixed.');
  else if (daemon.paused) sub.push(h('strong', { text: 'Automatic fixing is paused.' }), ' ');
  else if (!overdue) sub.push('Watching and fixing automatically. ');
  if (overdue) {
    sub.push(
      h('strong', { class: 'overdue', text: `No full check for ${duration(overview.now - cycle.startedAt)}` }),
      ` (one is due every ${duration(daemon.cycleIntervalMs)}): the orchestrator may be stuck; see its log. `,
    );
  } else if (cycle) sub.push('Last full check ', timeEl(cycle.startedAt, { relativeOnly: true }), `, ${plural(cycle.checksRun ?? 0, 'check')} in ${duration(cycle.durationMs)}.`);
  else sub.push('No full check has run yet.');
  const links = [];
  if (openEscalations > 0) links.push(h('a', { class: 'btn btn-danger', href: '#/escalations', text: `Open escalations (${openEscalations})` }));
  if (failing.length > 0 && failing[0].openTask)
    links.push(
      h('a', {
        class: 'btn',
        href: `#/tasks/${encodeURIComponent(failing[0].openTask.id)}`,
        text: daemon.paused ? `The task for ${failing[0].name}` : `What is being done for ${failing[0].name}`,
      }),
    );
  return h(
    'section',
    { class: ['hero', `tone-${tone}`], 'aria-label': 'Host status', dataset: { health: tone } },
    h('span', { class: 'hero-glyph', 'aria-hidden': 'true', text: glyph }),
    h('div', { class: 'hero-text' }, h('h1', { class: 'hero-headline', text: headline }), h('p', { class: 'hero-sub' }, sub)),
    links.length ? h('div', { class: 'hero-actions' }, links) : null,
  );
}

/** The last full check is well past due (three intervals and a minute): the daemon may be wedged. */
export function cycleOverdue(overview) {
  const cycle = overview.lastCycle;
  const interval = overview.daemon?.cycleIntervalMs;
  if (!cycle || !Number.isFinite(interval) || interval <= 0) return false;
  return overview.now - cycle.startedAt > 3 * interval + 60_000;
}

function servicesCard(overview) {
  const services = (overview.services ?? []).slice().sort((a, b) => (STATE_ORDER[a.state] ?? 3) - (STATE_ORDER[b.state] ?? 3) || String(a.name).localeCompare(String(b.name)));
  const healthy = services.filter((s) => s.state === 'healthy').length;
  const list = h(
    'ul',
    { class: 'services', id: 'services' },
    services.map((service) =>
      h(
        'li',
        { class: ['service', `tone-${serviceTone(service.state)}`], dataset: { service: service.name, state: service.state } },
        h('span', { class: 'service-name', text: service.name }),
        // Paused or silenced, a failing service is not being fixed: say so rather than "being fixed".
        service.state === 'failing' && service.silenced
          ? pill('warn', 'Silenced — not fixed')
          : service.state === 'failing' && overview.daemon?.paused
            ? pill('warn', 'Paused — not fixed')
            : servicePill(service.state),
        controlMarks(service),
        h(
          'span',
          { class: 'service-detail' },
          service.openTask
            ? [
                service.note ? h('span', { class: 'service-note', text: `${service.note} · ` }) : null,
                h(
                  'a',
                  { href: `#/tasks/${encodeURIComponent(service.openTask.id)}`, class: 'service-task' },
                  h('span', { class: 'mono', text: service.openTask.symptom }),
                  ' · task ',
                  shortId(service.openTask.id),
                ),
              ]
            : service.lastSeen
              ? ['last fault ', timeEl(service.lastSeen, { relativeOnly: true })]
              : h('span', { class: 'muted', text: 'no faults recorded' }),
        ),
      ),
    ),
  );
  return card(
    'Services',
    { aside: h('span', { class: 'card-note', text: `${healthy} of ${services.length} healthy` }) },
    services.length ? list : h('p', { class: 'muted', text: 'No services are configured.' }),
  );
}

/** Silenced (until when, by whom) and an autonomy other than act, linking to the page where they are changed. */
function controlMarks(service) {
  const marks = [];
  const silence = service.silenced;
  if (silence) {
    const by = silence.kind === 'maintenance' ? `maintenance window ${silence.id.slice('maintenance:'.length)}` : `silenced by ${silence.author}`;
    marks.push(
      h(
        'a',
        { class: 'service-mark mark-silenced', href: '#/silences', dataset: { mark: 'silenced' }, title: silence.comment || by },
        h('span', { 'aria-hidden': 'true', text: '🔕 ' }),
        `${by} until `,
        timeEl(silence.until),
      ),
    );
  }
  const mode = service.autonomy?.mode;
  if (mode && mode !== 'act') {
    const label = mode === 'off' ? 'autonomy off: a person decides' : 'shadow: records what it would do';
    marks.push(
      h('a', { class: ['service-mark', `mark-autonomy-${mode}`], href: '#/silences', dataset: { mark: `autonomy-${mode}` }, title: service.autonomy.reason ?? '', text: label }),
    );
  }
  return marks.length ? h('span', { class: 'service-marks' }, marks) : null;
}

function needsYouCard(overview) {
  const open = overview.counts?.openEscalations ?? 0;
  const failed = overview.outbox?.failed ?? 0;
  const pending = overview.outbox?.pending ?? 0;
  return card(
    'Needs you',
    { class: open > 0 ? 'card-alert' : '' },
    h(
      'a',
      { class: ['big-link', open > 0 ? 'tone-bad' : 'tone-ok'], href: '#/escalations', id: 'open-escalations' },
      h('span', { class: 'big-number', text: String(open) }),
      h('span', { class: 'big-label', text: open === 1 ? 'open escalation' : 'open escalations' }),
      h('span', { class: 'big-arrow', 'aria-hidden': 'true', text: '→' }),
    ),
    failed > 0
      ? h(
          'p',
          { class: 'note-bad' },
          h('strong', { text: `${plural(failed, 'notification')} could not be delivered.` }),
          ' Check the mail or webhook settings (orchestrator notify test).',
        )
      : pending > 0
        ? h('p', { class: 'muted', text: `${plural(pending, 'notification')} waiting to be sent.` })
        : h('p', { class: 'muted', text: 'Notifications: all delivered.' }),
  );
}

function killSwitchCard(overview, ctx) {
  const daemon = overview.daemon ?? {};
  const paused = Boolean(daemon.paused);
  const status = h(
    'p',
    { class: ['kill-state', paused ? 'tone-warn' : 'tone-ok'], id: 'kill-state', dataset: { paused: String(paused) } },
    h('span', { class: 'pill-glyph', 'aria-hidden': 'true', text: paused ? '❚❚' : '▶' }),
    paused ? h('strong', { text: 'Paused' }) : h('strong', { text: 'Fixing automatically' }),
    paused && daemon.pausedSince ? [' since ', timeEl(daemon.pausedSince)] : '',
    paused && daemon.pausedBy ? [' by ', h('span', { class: 'mono', dataset: { field: 'paused-by' }, text: daemon.pausedBy })] : '',
  );
  const reason = paused && daemon.pauseReason ? h('p', { class: 'kill-reason' }, 'Reason: ', h('q', { text: daemon.pauseReason })) : null;
  const message = h('p', { class: 'form-error', role: 'alert', hidden: true });
  let controls;
  if (ctx.readOnly) {
    controls = h('p', { class: 'muted small', text: 'Read-only dashboard: pause or resume on the host (orchestrator pause / resume).' });
  } else if (paused) {
    controls = h(
      'div',
      { class: 'kill-controls' },
      h('button', {
        type: 'button',
        class: 'btn btn-primary',
        id: 'resume',
        text: 'Resume automatic fixing',
        onclick: (event) => act(event.currentTarget, message, () => api.resume(), ctx),
      }),
    );
  } else {
    const reasonField = h('input', {
      type: 'text',
      id: 'pause-reason',
      'data-keep': '',
      maxlength: '200',
      placeholder: 'Why? (optional, e.g. maintenance)',
      'aria-label': 'Reason for pausing',
    });
    controls = h(
      'form',
      {
        class: 'kill-controls',
        onsubmit: (event) => {
          event.preventDefault();
          act(event.currentTarget.querySelector('button'), message, () => api.pause(reasonField.value.trim() || undefined), ctx);
        },
      },
      reasonField,
      h('button', { type: 'submit', class: 'btn btn-warn', id: 'pause', text: 'Pause automatic fixing' }),
    );
  }
  return card(
    'Kill switch',
    { id: 'kill-switch' },
    status,
    reason,
    h('p', {
      class: 'muted small',
      text: paused ? 'Faults are detected and recorded, but nothing on the host is changed.' : 'Pausing stops every repair at once; detection continues.',
    }),
    controls,
    message,
  );
}

/** Runs a POST from a button: disables it meanwhile, shows the server's error next to it, then refreshes. */
export async function act(button, message, work, ctx) {
  button.disabled = true;
  message.hidden = true;
  try {
    await work();
    await ctx.refresh();
  } catch (error) {
    message.textContent = error.message;
    message.hidden = false;
    button.disabled = false;
  }
}

function lastCycleCard(overview) {
  const cycle = overview.lastCycle;
  if (!cycle) return card('Last full check', {}, h('p', { class: 'muted', text: 'No full check has run yet.' }));
  const overdue = cycleOverdue(overview);
  return card(
    'Last full check',
    { aside: timeEl(cycle.startedAt, { relativeOnly: true }), class: overdue ? 'card-warn' : '' },
    overdue ? h('p', { class: 'note-warn' }, h('strong', { text: 'Overdue.' }), ` A full check is due every ${duration(overview.daemon.cycleIntervalMs)}.`) : null,
    h(
      'dl',
      { class: 'facts' },
      fact('Started', timeEl(cycle.startedAt)),
      fact('Took', duration(cycle.durationMs)),
      fact('Checks run', cycle.checksRun ?? '—'),
      fact('Issues found', cycle.issuesDetected ?? 0, cycle.issuesDetected > 0 ? 'warn' : null),
      fact('New tasks', cycle.tasksCreated ?? 0),
      fact('Fixed', cycle.fixes ?? 0, cycle.fixes > 0 ? 'ok' : null),
      fact('Escalated', cycle.escalations ?? 0, cycle.escalations > 0 ? 'bad' : null),
    ),
  );
}

function last24hCard(overview) {
  const counts = overview.counts ?? {};
  return card(
    'Last 24 hours',
    {},
    h(
      'dl',
      { class: 'facts' },
      fact('Tasks', counts.tasksLast24h ?? 0),
      fact('Fixed automatically', `${counts.fixedLast24h ?? 0} (${percent(counts.fixedLast24h ?? 0, counts.tasksLast24h ?? 0)})`, 'ok'),
      fact('Open tasks now', counts.openTasks ?? 0, counts.openTasks > 0 ? 'warn' : null),
      fact('Open escalations', counts.openEscalations ?? 0, counts.openEscalations > 0 ? 'bad' : null),
    ),
    h('p', { class: 'card-foot' }, h('a', { href: `#/tasks?since=24h`, text: 'Tasks of the last 24 hours →' })),
  );
}

function fact(label, value, tone) {
  return [h('dt', { text: label }), h('dd', { class: tone ? `tone-text-${tone}` : null }, value instanceof Node ? value : String(value))];
}

function funnelCard(overview) {
  const funnel = overview.funnel ?? {};
  const total = funnel.total ?? 0;
  const rows = [
    [`Fixed by ${phaseLabel(1)}`, funnel.phase1, 'ok', '#/tasks?phase=1&outcome=fixed'],
    [`Fixed by ${phaseLabel(2)}`, funnel.phase2, 'ok', '#/tasks?phase=2&outcome=fixed'],
    [`Fixed by ${phaseLabel(3)}`, funnel.phase3, 'ok', '#/tasks?phase=3&outcome=fixed'],
    ['Escalated to a person', funnel.escalated, 'bad', '#/tasks?outcome=escalated'],
    ['Recovered on its own', funnel.recovered, 'info', '#/tasks?outcome=recovered'],
    ['Still being worked on', funnel.pending, 'warn', '#/tasks?outcome=pending'],
    ['Left alone (operator intent)', funnel.ignored, 'idle', '#/tasks?outcome=ignored'],
  ];
  return card(
    'Where tasks ended',
    // The same definitions and numbers as `orchestrator stats` (README: What the numbers mean).
    { aside: h('span', { class: 'card-note', text: plural(total, 'task') }) },
    h(
      'ul',
      { class: 'funnel', id: 'funnel' },
      rows.map(([label, count = 0, tone, href]) =>
        h(
          'li',
          { class: 'funnel-row' },
          h('a', { class: 'funnel-label', href, text: label }),
          h('span', { class: 'funnel-count' }, h('strong', { text: String(count) }), h('span', { class: 'muted', text: ` ${percent(count, total)}` })),
          bar(total > 0 ? count / total : 0, tone),
        ),
      ),
    ),
  );
}
