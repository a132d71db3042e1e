/**
 * One fleet task's story, as its host replicated it to the fleet store: the evidence it started with and every
 * attempt in time order (the same timeline as a task of this host; verdicts and escalations stay on their host).
 */
import { api } from '../api.js';
import { h, timeEl, taskPill, phaseLabel, duration, shortId } from '../dom.js';
import { evidence, summaryCard, timeline } from './task.js';
import { fleetHostHref } from './fleet.js';

export async function render(ctx) {
  const detail = await api.fleetTask(ctx.params.host, ctx.params.id);
  const { task, attempts = [] } = detail ?? {};
  if (!task) throw new Error(`no task ${ctx.params.id} on host ${ctx.params.host}`);
  const hostTasks = `#/fleet?host=${encodeURIComponent(task.host)}`;
  const node = h(
    'div',
    { class: 'page page-task page-fleet-task', dataset: { host: task.host, id: task.id } },
    h(
      'p',
      { class: 'crumbs' },
      h('a', { href: '#/fleet', text: '← Fleet' }),
      ' · ',
      h('a', { href: hostTasks, text: `${task.hostName} tasks` }),
      ' · ',
      h('a', { href: `${hostTasks}&service=${encodeURIComponent(task.service)}`, text: `${task.service} on ${task.hostName}` }),
    ),
    h(
      'div',
      { class: 'page-head task-head' },
      h(
        'div',
        { class: 'task-title-row' },
        h('h1', {}, h('span', { text: task.service }), ' ', h('span', { class: 'mono task-symptom', text: task.symptom })),
        taskPill(task.status),
      ),
      h('p', { class: 'task-message-lead' }, h('span', { class: 'muted', text: 'on ' }), h('strong', { class: 'fleet-task-host', text: task.hostName }), ' — ', task.message),
    ),
    h(
      'div',
      { class: 'task-layout' },
      h('div', { class: 'task-main' }, timeline(task, attempts, [], null)),
      h('aside', { class: 'task-side' }, summary(task, attempts), evidence(task)),
    ),
  );
  return { title: `${task.service} ${task.symptom} on ${task.hostName}`, node };
}

function summary(task, attempts) {
  const rows = [
    ['Host', h('a', { href: fleetHostHref(task.host), title: task.host, text: task.hostName })],
    ['Task', shortId(task.id)],
    ['Detected', timeEl(task.detectedAt)],
    ['Last seen', timeEl(task.lastSeen)],
    ['Closed', task.closedAt ? timeEl(task.closedAt) : h('span', { class: 'muted', text: 'still open' })],
    ['Took', task.durationMs !== null && task.durationMs !== undefined ? duration(task.durationMs) : '—'],
    ['Fixed by', task.fixSuccessful && task.fixedByPhase ? phaseLabel(task.fixedByPhase) : task.fixSuccessful ? 'yes' : 'not fixed by the orchestrator'],
    ['Attempts', String(attempts.length)],
    ['Unit', task.unit ? h('code', { text: task.unit }) : '—'],
    ['Signature', h('code', { text: task.signature })],
    ['Outcome', task.reason ? h('span', { class: 'prewrap', text: task.reason }) : '—'],
  ];
  return summaryCard(rows);
}
