/**
 * The fleet: every host that shares this daemon's fleet store, silent ones first (each opening on its own page,
 * pages/fleet-host.js), the fleet kill switch, the fleet's open escalations, its tasks (filtered by host, service
 * and status in the hash's query, as on the tasks page) and what each host learned. Read-only: the fleet is paused
 * and resumed with `orchestrator fleet pause`.
 */
import { api } from '../api.js';
import { h, timeEl, pill, taskPill, escalationPill, phaseLabel, plural, shortId, card } from '../dom.js';
import { select } from './tasks.js';

const HOST_STATES = {
  silent: ['bad', 'Silent'],
  escalated: ['bad', 'Needs you'],
  paused: ['warn', 'Paused'],
  failing: ['warn', 'Being fixed'],
  ok: ['ok', 'OK'],
};
const STATUSES = [
  ['', 'Any status'],
  ['open', 'Open'],
  ['running', 'Fixing'],
  ['fixed', 'Fixed'],
  ['escalated', 'Escalated'],
  ['recovered', 'Recovered'],
  ['ignored', 'Ignored'],
];
const LIMIT = 200;
const REFRESH_MS = 30_000;
let refreshTimer = null;

export const hostPill = (state) => pill(...(HOST_STATES[state] ?? ['idle', String(state)]));
export const fleetTaskHref = (host, id) => `#/fleet/tasks/${encodeURIComponent(host)}/${encodeURIComponent(id)}`;
export const fleetHostHref = (host) => `#/fleet/hosts/${encodeURIComponent(host)}`;

export async function render(ctx) {
  const filter = { host: ctx.query.get('host') ?? '', service: ctx.query.get('service') ?? '', status: ctx.query.get('status') ?? '' };
  const [fleet, tasks, patterns] = await Promise.all([api.fleet(), api.fleetTasks({ ...filter, limit: LIMIT }), api.fleetPatterns()]);
  const hosts = fleet?.hosts ?? [];
  const silent = hosts.filter((host) => host.state === 'silent').length;
  const node = h(
    'div',
    { class: 'page page-fleet' },
    h(
      'div',
      { class: 'page-head' },
      h('h1', { text: 'Fleet' }),
      h(
        'p',
        { class: 'page-sub' },
        `${plural(hosts.length, 'host')} share the fleet store`,
        silent ? [', ', h('strong', { class: 'tone-text-bad', text: `${silent} silent` })] : '',
        '.',
      ),
    ),
    killSwitch(fleet?.pause, fleet?.leases ?? [], hosts),
    card('Hosts', { id: 'fleet-hosts-card' }, hostTable(hosts)),
    card(
      'Open escalations',
      { id: 'fleet-escalations-card', aside: h('span', { class: 'card-note', text: String((fleet?.escalations ?? []).length) }) },
      escalationTable(fleet?.escalations ?? []),
    ),
    card(
      'Tasks',
      { id: 'fleet-tasks-card' },
      filters(filter, hosts, ctx),
      taskTable(tasks ?? [], { empty: Object.values(filter).some(Boolean) ? 'No fleet task matches these filters.' : 'No host has replicated a task yet.' }),
    ),
    card('Learned across the fleet', { id: 'fleet-patterns-card' }, patternTable(patterns ?? [])),
  );
  return {
    title: 'Fleet',
    node,
    // Heartbeats and other hosts' rows do not move this host's live-update markers: look again every 30 s.
    after: () => {
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(() => {
        if (/^#\/fleet\/?(\?|$)/.test(location.hash) && document.visibilityState === 'visible') ctx.refresh();
      }, REFRESH_MS);
    },
  };
}

function killSwitch(pause, leases, hosts) {
  const paused = Boolean(pause?.paused);
  return h(
    'section',
    { class: ['card', 'fleet-switch', paused && 'card-warn'], id: 'fleet-pause', 'aria-label': 'Fleet kill switch', dataset: { paused: String(paused) } },
    h(
      'p',
      { class: 'fleet-switch-state' },
      h('strong', { text: 'Fleet kill switch: ' }),
      paused ? pill('warn', 'On — no host fixes anything') : pill('ok', 'Off'),
      paused && pause.by ? [' by ', h('code', { text: pause.by })] : '',
      paused && pause.since ? [' since ', timeEl(pause.since)] : '',
      paused && pause.reason ? [': ', h('q', { text: pause.reason })] : '',
    ),
    h('p', { class: 'muted small' }, 'Switch it with ', h('code', { text: 'orchestrator fleet pause | resume' }), ' on any host. ', leaseText(leases, hosts)),
  );
}

/** Each lease with the name of the host holding it (its id for a host that never registered). */
function leaseText(leases, hosts) {
  if (leases.length === 0) return 'No fleet lease is held now.';
  const names = new Map(hosts.map((host) => [host.id, host.name]));
  const holder = (id) =>
    names.has(id) ? h('a', { href: fleetHostHref(id), class: 'lease-holder', title: id, text: names.get(id) }) : h('span', { class: 'lease-holder', text: id });
  return [`Fleet leases held now: `, leases.map((lease, i) => [i ? ', ' : '', h('code', { text: lease.key }), ' (', holder(lease.holder), ')']), '.'];
}

function hostTable(hosts) {
  if (hosts.length === 0) return h('p', { class: 'muted', text: 'No host has registered with the fleet store yet.' });
  return h(
    'table',
    { class: 'table fleet-hosts-table', id: 'fleet-hosts' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Host', 'State', 'Last seen', 'Services', 'Failing', 'Escalated', 'Version'].map((title) => h('th', { scope: 'col', text: title })),
      ),
    ),
    h(
      'tbody',
      {},
      hosts.map((host) =>
        h(
          'tr',
          { class: ['host-row', `state-${host.state}`], dataset: { host: host.id, state: host.state } },
          h(
            'td',
            { dataset: { label: 'Host' } },
            h('a', { href: fleetHostHref(host.id), class: 'host-name', title: host.id, text: host.name }),
            host.state === 'silent'
              ? h('div', { class: 'host-silent' }, 'silent since ', timeEl(host.lastSeen), host.silentSince ? h('span', { class: 'muted', text: ' · escalated' }) : null)
              : null,
          ),
          h('td', { dataset: { label: 'State' } }, hostPill(host.state)),
          h('td', { class: 'cell-time', dataset: { label: 'Last seen' } }, timeEl(host.lastSeen)),
          h('td', { class: 'num', dataset: { label: 'Services' }, text: String(host.summary?.services ?? 0) }),
          h('td', { class: ['num', host.summary?.failing > 0 && 'tone-text-warn'], dataset: { label: 'Failing' }, text: String(host.summary?.failing ?? 0) }),
          h('td', { class: ['num', host.summary?.escalated > 0 && 'tone-text-bad'], dataset: { label: 'Escalated' }, text: String(host.summary?.escalated ?? 0) }),
          h('td', { class: 'mono', dataset: { label: 'Version' }, text: host.version }),
        ),
      ),
    ),
  );
}

/**
 * Open escalations; `host` false leaves out the Host column (a host's own page). Shared by the Fleet page and the
 * host pages.
 */
export function escalationTable(escalations, { id = 'fleet-escalations', empty = 'No host has an open escalation.', host = true } = {}) {
  if (escalations.length === 0) return h('p', { class: 'muted', text: empty });
  return h(
    'table',
    { class: 'table fleet-escalations-table', id },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Since', host && 'Host', 'Service', 'Problem', 'Status'].filter(Boolean).map((title) => h('th', { scope: 'col', text: title })),
      ),
    ),
    h(
      'tbody',
      {},
      escalations.map((escalation) =>
        h(
          'tr',
          { dataset: { escalation: escalation.id, host: escalation.host } },
          h('td', { class: 'cell-time', dataset: { label: 'Since' } }, timeEl(escalation.createdAt)),
          host ? h('td', { dataset: { label: 'Host' } }, h('strong', { text: escalation.hostName })) : null,
          h('td', { dataset: { label: 'Service' } }, escalation.service),
          h(
            'td',
            { dataset: { label: 'Problem' } },
            h('a', { href: fleetTaskHref(escalation.host, escalation.taskId), class: 'task-link' }, h('span', { class: 'mono', text: escalation.symptom })),
            h('div', { class: 'task-message', text: escalation.reason ?? '' }),
          ),
          h(
            'td',
            { dataset: { label: 'Status' } },
            escalationPill(escalation.status),
            escalation.acknowledgedBy ? h('div', { class: 'muted small', text: `by ${escalation.acknowledgedBy}` }) : null,
          ),
        ),
      ),
    ),
  );
}

function filters(filter, hosts, ctx) {
  const form = h('form', { class: 'filters', id: 'fleet-task-filters', 'aria-label': 'Filter fleet tasks', onsubmit: (event) => event.preventDefault() });
  const apply = () => {
    const data = new FormData(form);
    const query = new URLSearchParams();
    for (const key of ['host', 'service', 'status']) {
      const value = data.get(key);
      if (value) query.set(key, String(value));
    }
    const text = query.toString();
    ctx.navigate(`#/fleet${text ? `?${text}` : ''}`);
  };
  const hostOptions = hosts.map((host) => [host.id, host.name]);
  if (filter.host && !hosts.some((host) => host.id === filter.host)) hostOptions.push([filter.host, filter.host]);
  const services = [...new Set([...hosts.flatMap((host) => (host.services ?? []).map((entry) => entry.service)), filter.service].filter(Boolean))].sort();
  form.append(
    select('host', 'Host', [['', 'All hosts'], ...hostOptions], filter.host, apply, 'fleet-filter'),
    select('service', 'Service', [['', 'All services'], ...services.map((name) => [name, name])], filter.service, apply, 'fleet-filter'),
    select('status', 'Status', STATUSES, filter.status, apply, 'fleet-filter'),
  );
  if (Object.values(filter).some(Boolean)) form.append(h('a', { class: 'btn btn-ghost btn-small clear-filters', href: '#/fleet', text: 'Clear filters' }));
  return form;
}

/**
 * Replicated tasks, newest first, with how many are shown (of at most `limit`); `host` false leaves out the Host
 * column (a host's own page). Shared by the Fleet page and the host pages.
 */
export function taskTable(tasks, { id = 'fleet-tasks', countId = 'fleet-task-count', empty, limit = LIMIT, host = true, live = true }) {
  if (tasks.length === 0) return h('p', { class: 'muted', id: countId, text: empty });
  return [
    h('p', {
      class: 'result-count',
      id: countId,
      role: live ? 'status' : null,
      text: `Showing ${plural(tasks.length, 'task')}${tasks.length >= limit ? ` (the newest ${limit})` : ''}.`,
    }),
    h(
      'table',
      { class: 'table tasks-table fleet-tasks-table', id },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Detected', host && 'Host', 'Service', 'Problem', 'Status', 'Phase'].filter(Boolean).map((title) => h('th', { scope: 'col', text: title })),
        ),
      ),
      h(
        'tbody',
        {},
        tasks.map((task) =>
          h(
            'tr',
            { class: ['task-row', `status-${task.status}`], dataset: { id: task.id, host: task.host, service: task.service } },
            h('td', { class: 'cell-time', dataset: { label: 'Detected' } }, timeEl(task.detectedAt)),
            host ? h('td', { dataset: { label: 'Host' } }, h('strong', { text: task.hostName })) : null,
            h('td', { dataset: { label: 'Service' } }, task.service),
            h(
              'td',
              { class: 'cell-problem', dataset: { label: 'Problem' } },
              h('a', { href: fleetTaskHref(task.host, task.id), class: 'task-link' }, h('span', { class: 'mono', text: task.symptom }), ' ', shortId(task.id)),
              h('div', { class: 'task-message', text: task.message ?? '' }),
            ),
            h('td', { dataset: { label: 'Status' } }, taskPill(task.status)),
            h('td', { dataset: { label: 'Phase' } }, phaseLabel(task.fixedByPhase ?? task.phase)),
          ),
        ),
      ),
    ),
  ];
}

function patternTable(groups) {
  if (groups.length === 0) return h('p', { class: 'muted', text: 'Nothing learned on any host yet.' });
  return h(
    'table',
    { class: 'table fleet-patterns-table', id: 'fleet-patterns' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Service', 'Signature', 'Action', 'Per host', 'Total'].map((title) => h('th', { scope: 'col', text: title })),
      ),
    ),
    h(
      'tbody',
      {},
      groups.map((group) =>
        h(
          'tr',
          { dataset: { plan: group.planKey, signature: group.signature } },
          h(
            'td',
            { dataset: { label: 'Service' } },
            h('strong', { text: group.services.join(', ') }),
            group.profile ? h('div', { class: 'muted small', text: `profile ${group.profile}` }) : null,
          ),
          h('td', { dataset: { label: 'Signature' } }, h('code', { text: group.signature })),
          h('td', { class: 'cell-plan', dataset: { label: 'Action' } }, h('code', { class: 'plan', text: group.planKey })),
          h(
            'td',
            { dataset: { label: 'Per host' } },
            h(
              'ul',
              { class: 'host-records' },
              group.hosts.map((record) =>
                h(
                  'li',
                  { dataset: { host: record.host } },
                  h('strong', { text: record.hostName }),
                  group.services.length > 1 ? h('span', { class: 'muted', text: ` (${record.service})` }) : null,
                  ': ',
                  h('span', { class: 'tone-text-ok', text: `${record.successes} ✓` }),
                  ' ',
                  h('span', { class: record.failures > 0 ? 'tone-text-bad' : 'muted', text: `${record.failures} ✕` }),
                  ' · ',
                  timeEl(record.lastUsed, { relativeOnly: true }),
                ),
              ),
            ),
          ),
          h(
            'td',
            { class: 'num', dataset: { label: 'Total' } },
            h('span', {}, h('span', { class: 'tone-text-ok', text: `${group.successes} ✓` }), ' ', h('span', { class: 'muted', text: `${group.failures} ✕` })),
          ),
        ),
      ),
    ),
  );
}
