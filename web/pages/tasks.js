/** Tasks: every fault the orchestrator tracked, newest first, filtered by service, phase, outcome and time. */
import { api } from '../api.js';
import { h, timeEl, taskPill, phaseLabel, duration, plural, shortId, now } from '../dom.js';

const WINDOWS = [
  ['', 'Any time'],
  ['1h', 'Last hour'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
];
const WINDOW_MS = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 };
const OUTCOMES = [
  ['', 'Any outcome'],
  ['pending', 'Open / being fixed'],
  ['fixed', 'Fixed (phase 1–3)'],
  ['escalated', 'Escalated to a person'],
  ['recovered', 'Recovered on its own'],
  ['ignored', 'Left alone (operator intent)'],
];
const PHASES = [
  ['', 'Any phase'],
  ['1', phaseLabel(1)],
  ['2', phaseLabel(2)],
  ['3', phaseLabel(3)],
  ['4', phaseLabel(4)],
];
const LIMIT = 200;

export async function render(ctx) {
  const filter = {
    service: ctx.query.get('service') ?? '',
    phase: ctx.query.get('phase') ?? '',
    // 'open' is the older name of pending.
    outcome: ctx.query.get('outcome') === 'open' ? 'pending' : (ctx.query.get('outcome') ?? ''),
    since: ctx.query.get('since') ?? '',
  };
  const request = { service: filter.service, phase: filter.phase, outcome: filter.outcome, limit: LIMIT };
  if (WINDOW_MS[filter.since]) request.since = new Date(now() - WINDOW_MS[filter.since]).toISOString();
  const tasks = (await api.tasks(request)) ?? [];
  const serviceNames = [...new Set([...(ctx.overview?.services ?? []).map((s) => s.name), filter.service].filter(Boolean))].sort();
  const filtered = Object.values(filter).some(Boolean);

  const node = h(
    'div',
    { class: 'page page-tasks' },
    h(
      'div',
      { class: 'page-head' },
      h('h1', { text: 'Tasks' }),
      h('p', { class: 'page-sub', text: 'Every fault the orchestrator tracked, newest first. Open one for its full timeline.' }),
    ),
    filters(filter, serviceNames, ctx),
    h(
      'p',
      { class: 'result-count', id: 'task-count', role: 'status' },
      tasks.length === 0 ? '' : `Showing ${plural(tasks.length, 'task')}${tasks.length >= LIMIT ? ` (the newest ${LIMIT})` : ''}.`,
    ),
    tasks.length === 0
      ? h('div', { class: 'empty-state' }, h('p', { text: filtered ? 'No task matches these filters.' : 'No tasks yet: nothing has failed since the orchestrator started.' }))
      : table(tasks),
  );
  return { title: 'Tasks', node };
}

/** A labelled filter select (id `<prefix>-<name>`), also the Fleet page's. */
export function select(name, label, options, value, onChange, prefix = 'filter') {
  const id = `${prefix}-${name}`;
  return h(
    'div',
    { class: 'field field-inline' },
    h('label', { for: id, text: label }),
    h(
      'select',
      { id, name, onchange: onChange },
      options.map(([optionValue, text]) => h('option', { value: optionValue, selected: optionValue === value, text })),
    ),
  );
}

function filters(filter, serviceNames, ctx) {
  const form = h('form', { class: 'filters', id: 'task-filters', 'aria-label': 'Filter tasks', onsubmit: (event) => event.preventDefault() });
  const apply = () => {
    const data = new FormData(form);
    const query = new URLSearchParams();
    for (const key of ['service', 'phase', 'outcome', 'since']) {
      const value = data.get(key);
      if (value) query.set(key, String(value));
    }
    const text = query.toString();
    ctx.navigate(`#/tasks${text ? `?${text}` : ''}`);
  };
  form.append(
    select('service', 'Service', [['', 'All services'], ...serviceNames.map((name) => [name, name])], filter.service, apply),
    select('phase', 'Phase', PHASES, filter.phase, apply),
    select('outcome', 'Outcome', OUTCOMES, filter.outcome, apply),
    select('since', 'Time', WINDOWS, filter.since, apply),
  );
  if (Object.values(filter).some(Boolean)) form.append(h('a', { class: 'btn btn-ghost btn-small clear-filters', href: '#/tasks', text: 'Clear filters' }));
  return form;
}

function table(tasks) {
  return h(
    'table',
    { class: 'table tasks-table', id: 'tasks' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Detected', 'Service', 'Problem', 'Status', 'Phase', 'Recovered in'].map((title) => h('th', { scope: 'col', text: title })),
      ),
    ),
    h(
      'tbody',
      {},
      tasks.map((task) => {
        const href = `#/tasks/${encodeURIComponent(task.id)}`;
        return h(
          'tr',
          { class: ['task-row', `status-${task.status}`], dataset: { id: task.id, service: task.service } },
          h('td', { class: 'cell-time', dataset: { label: 'Detected' } }, timeEl(task.detectedAt)),
          h('td', { class: 'cell-service', dataset: { label: 'Service' } }, h('strong', { text: task.service })),
          h(
            'td',
            { class: 'cell-problem', dataset: { label: 'Problem' } },
            h('a', { href, class: 'task-link' }, h('span', { class: 'mono', text: task.symptom }), ' ', shortId(task.id)),
            h('div', { class: 'task-message', text: task.message ?? '' }),
          ),
          h('td', { class: 'cell-status', dataset: { label: 'Status' } }, taskPill(task.status)),
          h('td', { class: 'cell-phase', dataset: { label: 'Phase' } }, phaseLabel(task.fixedByPhase ?? task.phase)),
          h(
            'td',
            { class: 'cell-took', dataset: { label: 'Recovered in' } },
            // Time to recovery only for a task that ended healthy (README: What the numbers mean).
            task.recoveryMs !== null && task.recoveryMs !== undefined
              ? duration(task.recoveryMs)
              : h('span', { class: 'muted', text: task.outcome === 'pending' ? 'ongoing' : task.outcome === 'escalated' ? 'escalated' : '—' }),
          ),
        );
      }),
    ),
  );
}
