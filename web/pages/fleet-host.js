/**
 * One host of the fleet, as the fleet store knows it: its registration and last heartbeat (silent ones said so
 * first), its services with their task counts, its open escalations, its recent tasks (each opening on its fleet
 * timeline) and the patterns it contributed to, with its own record. Built from the fleet endpoints the Fleet page
 * reads (GET /api/fleet, /api/fleet/tasks?host=, /api/fleet/patterns); read-only like it.
 */
import { api } from '../api.js';
import { h, timeEl, plural, card } from '../dom.js';
import { hostPill, fleetHostHref, escalationTable, taskTable } from './fleet.js';

const LIMIT = 50;
const REFRESH_MS = 30_000;
const COUNT_COLUMNS = [
  ['open', 'Open', 'tone-text-warn'],
  ['running', 'Fixing', 'tone-text-warn'],
  ['fixed', 'Fixed', null],
  ['escalated', 'Escalated', 'tone-text-bad'],
  ['recovered', 'Recovered', null],
  ['ignored', 'Ignored', null],
];
let refreshTimer = null;

const hostTasksHref = (host, service) => `#/fleet?host=${encodeURIComponent(host)}${service ? `&service=${encodeURIComponent(service)}` : ''}`;

export async function render(ctx) {
  const id = ctx.params.id;
  const [fleet, tasks, patterns] = await Promise.all([api.fleet(), api.fleetTasks({ host: id, limit: LIMIT }), api.fleetPatterns()]);
  const host = (fleet?.hosts ?? []).find((candidate) => candidate.id === id);
  const after = () => {
    clearTimeout(refreshTimer);
    // Heartbeats do not move this host's live-update markers: look again every 30 s while this page is shown.
    refreshTimer = setTimeout(() => {
      if (location.hash === fleetHostHref(id) && document.visibilityState === 'visible') ctx.refresh();
    }, REFRESH_MS);
  };
  if (!host) return { title: 'No such host', node: unknownHost(id, tasks ?? []) };

  const escalations = (fleet?.escalations ?? []).filter((escalation) => escalation.host === id);
  const contributed = (patterns ?? []).filter((group) => group.hosts.some((record) => record.host === id));
  const node = h(
    'div',
    { class: 'page page-fleet page-fleet-host', dataset: { host: host.id, state: host.state } },
    h('p', { class: 'crumbs' }, h('a', { href: '#/fleet', class: 'back-link', text: '← Fleet' })),
    h(
      'div',
      { class: 'page-head' },
      h('div', { class: 'task-title-row' }, h('h1', { class: 'fleet-host-name', text: host.name }), hostPill(host.state)),
      host.state === 'silent'
        ? h(
            'p',
            { class: 'fleet-host-silent', id: 'fleet-host-silent' },
            'Silent since ',
            timeEl(host.lastSeen),
            ': no heartbeat from it since then.',
            host.silentSince ? [' Escalated ', timeEl(host.silentSince, { relativeOnly: true }), '.'] : '',
          )
        : null,
    ),
    h('div', { class: 'fleet-host-cards' }, hostFacts(host), heartbeatFacts(host)),
    card('Services', { id: 'fleet-host-services-card', aside: h('span', { class: 'card-note', text: 'tasks replicated, by status' }) }, serviceTable(host)),
    card(
      'Open escalations',
      { id: 'fleet-host-escalations-card', aside: h('span', { class: 'card-note', text: String(escalations.length) }) },
      escalationTable(escalations, { id: 'fleet-host-escalations', empty: 'No open escalation on this host.', host: false }),
    ),
    card(
      'Recent tasks',
      { id: 'fleet-host-tasks-card', aside: h('a', { class: 'card-note', href: hostTasksHref(host.id), text: 'Filter on the Fleet page' }) },
      taskTable(tasks ?? [], { id: 'fleet-host-tasks', countId: 'fleet-host-task-count', empty: 'This host has replicated no task yet.', limit: LIMIT, host: false, live: false }),
    ),
    card('Learned here', { id: 'fleet-host-patterns-card' }, patternTable(contributed, id)),
  );
  return { title: `${host.name} · Fleet`, node, after };
}

function unknownHost(id, tasks) {
  return h(
    'div',
    { class: 'page page-fleet page-fleet-host' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/fleet', class: 'back-link', text: '← Fleet' })),
    h('div', { class: 'page-head' }, h('h1', { text: 'No such host' })),
    h(
      'div',
      { class: 'empty-state', id: 'fleet-host-unknown', role: 'status' },
      h('p', {}, 'No such host in the fleet store: ', h('code', { text: id }), '.'),
      tasks.length
        ? h('p', {}, 'It never registered, but ', h('a', { href: hostTasksHref(id), text: `${plural(tasks.length, 'task')} name it` }), '.')
        : h('p', {}, h('a', { href: '#/fleet', text: 'See the hosts that share the fleet store' }), '.'),
    ),
  );
}

function facts(title, id, rows) {
  return card(
    title,
    { id },
    h(
      'dl',
      { class: 'facts' },
      rows.map(([key, label, value]) => [h('dt', { text: label }), h('dd', { dataset: { fact: key } }, value)]),
    ),
  );
}

function hostFacts(host) {
  return facts('Host', 'fleet-host-facts', [
    ['name', 'Name', h('strong', { text: host.name })],
    ['id', 'Id', h('code', { text: host.id })],
    ['version', 'Version', h('code', { text: host.version })],
    ['started', 'Started', timeEl(host.startedAt)],
    ['last-seen', 'Last seen', timeEl(host.lastSeen)],
    ['state', 'State', hostPill(host.state)],
  ]);
}

function heartbeatFacts(host) {
  const summary = host.summary ?? {};
  const count = (value, tone) => h('span', { class: ['num', value > 0 && tone], text: String(value ?? 0) });
  return facts('Its last heartbeat', 'fleet-host-summary', [
    ['services', 'Services', count(summary.services)],
    ['failing', 'Being fixed', count(summary.failing, 'tone-text-warn')],
    ['escalated', 'Escalated', count(summary.escalated, 'tone-text-bad')],
    ['paused', 'Fixing', summary.paused ? h('strong', { class: 'tone-text-warn', text: 'Paused on this host' }) : 'Not paused'],
  ]);
}

function serviceTable(host) {
  const services = host.services ?? [];
  if (services.length === 0) return h('p', { class: 'muted', text: 'This host has replicated no task yet.' });
  return h(
    'table',
    { class: 'table fleet-host-services-table', id: 'fleet-host-services' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Service', ...COUNT_COLUMNS.map(([, label]) => label), 'Total'].map((title) => h('th', { scope: 'col', text: title })),
      ),
    ),
    h(
      'tbody',
      {},
      services.map((entry) => {
        const counts = entry.counts ?? {};
        const total = Object.values(counts).reduce((sum, value) => sum + value, 0);
        return h(
          'tr',
          { dataset: { service: entry.service } },
          h('td', { dataset: { label: 'Service' } }, h('a', { href: hostTasksHref(host.id, entry.service), title: `${entry.service} tasks on ${host.name}`, text: entry.service })),
          COUNT_COLUMNS.map(([status, label, tone]) =>
            h('td', { class: 'num', dataset: { label, status } }, h('span', { class: counts[status] > 0 ? tone : 'muted', text: String(counts[status] ?? 0) })),
          ),
          h('td', { class: 'num', dataset: { label: 'Total' }, text: String(total) }),
        );
      }),
    ),
  );
}

function patternTable(groups, hostId) {
  if (groups.length === 0) return h('p', { class: 'muted', text: 'Nothing learned on this host yet.' });
  return h(
    'table',
    { class: 'table fleet-patterns-table', id: 'fleet-host-patterns' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Signature', 'Action', 'On this host', 'Whole fleet'].map((title) => h('th', { scope: 'col', text: title })),
      ),
    ),
    h(
      'tbody',
      {},
      groups.map((group) => {
        const records = group.hosts.filter((record) => record.host === hostId);
        const others = new Set(group.hosts.filter((record) => record.host !== hostId).map((record) => record.host)).size;
        return h(
          'tr',
          { dataset: { plan: group.planKey, signature: group.signature } },
          h(
            'td',
            { dataset: { label: 'Signature' } },
            h('code', { text: group.signature }),
            group.profile ? h('div', { class: 'muted small', text: `profile ${group.profile}` }) : null,
          ),
          h('td', { class: 'cell-plan', dataset: { label: 'Action' } }, h('code', { class: 'plan', text: group.planKey })),
          h(
            'td',
            { dataset: { label: 'On this host' } },
            h(
              'ul',
              { class: 'host-records' },
              records.map((record) =>
                h(
                  'li',
                  { dataset: { service: record.service } },
                  h('strong', { text: record.service }),
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
            { class: 'num', dataset: { label: 'Whole fleet' } },
            h(
              'span',
              { class: 'fleet-total' },
              h('span', { class: 'tone-text-ok', text: `${group.successes} ✓` }),
              ' ',
              h('span', { class: 'muted', text: `${group.failures} ✕` }),
            ),
            others ? h('div', { class: 'muted small', text: `with ${plural(others, 'other host')}` }) : null,
          ),
        );
      }),
    ),
  );
}
