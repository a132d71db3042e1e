/** Escalations: what the automation could not fix. Open ones first, each with everything needed to act. */
import { api } from '../api.js';
import { h, timeEl, plural, escalationPill, phaseLabel, outcomePill, actionText, shortId, duration } from '../dom.js';
import { act } from './overview.js';

const ORDER = { open: 0, acknowledged: 1, resolved: 2, auto_resolved: 2 };

export async function render(ctx) {
  // The catalog actions a person may name as the fix (learned, tried first next time), from the server's catalog.
  const [escalations, actions] = (await Promise.all([api.escalations(), api.actions()])).map((value) => value ?? []);
  const sorted = escalations
    .slice()
    .sort((a, b) => (ORDER[a.status] ?? 3) - (ORDER[b.status] ?? 3) || (ORDER[a.status] < 2 ? b.createdAt - a.createdAt : (b.resolvedAt ?? 0) - (a.resolvedAt ?? 0)));
  const active = sorted.filter((e) => e.status === 'open' || e.status === 'acknowledged');
  const closed = sorted.filter((e) => !(e.status === 'open' || e.status === 'acknowledged'));
  const highlight = ctx.params.id;
  const node = h(
    'div',
    { class: 'page page-escalations' },
    h(
      'div',
      { class: 'page-head' },
      h('h1', { text: 'Escalations' }),
      h(
        'p',
        { class: 'page-sub' },
        active.length === 0 ? 'Nothing needs a person right now.' : `${plural(active.length, 'escalation')} need${active.length === 1 ? 's' : ''} a person. Open ones first.`,
      ),
    ),
    h(
      'datalist',
      { id: 'catalog-actions' },
      actions.map((action) => h('option', { value: action.fix, label: action.summary })),
    ),
    active.length === 0
      ? h(
          'div',
          { class: 'empty-state tone-ok' },
          h('span', { class: 'empty-glyph', 'aria-hidden': 'true', text: '✓' }),
          h('p', { text: 'No open escalations. Everything the orchestrator found, it fixed or is still working on.' }),
        )
      : h(
          'ol',
          { class: 'escalations', id: 'active-escalations' },
          active.map((escalation) => h('li', {}, activeCard(escalation, ctx, highlight))),
        ),
    closed.length
      ? h(
          'section',
          { class: 'closed', 'aria-labelledby': 'closed-title' },
          h('h2', { id: 'closed-title', class: 'section-title', text: `Closed (${closed.length})` }),
          h(
            'ol',
            { class: 'escalations closed-list' },
            closed.map((escalation) => h('li', {}, closedCard(escalation, highlight))),
          ),
        )
      : null,
  );
  return {
    title: 'Escalations',
    node,
    after: () => {
      if (highlight) document.getElementById(`escalation-${highlight}`)?.scrollIntoView({ block: 'start' });
    },
  };
}

function header(escalation) {
  const services = [escalation.service, ...(escalation.grouped ?? [])];
  return h(
    'div',
    { class: 'esc-head' },
    escalationPill(escalation.status),
    h('h2', { class: 'esc-title' }, h('span', { class: 'esc-service', text: escalation.service }), ' ', h('span', { class: 'mono esc-symptom', text: escalation.symptom })),
    h(
      'p',
      { class: 'esc-meta' },
      'opened ',
      timeEl(escalation.createdAt),
      escalation.occurrences > 1 ? [' · ', h('strong', { class: 'tone-text-warn', text: `happened ${escalation.occurrences} times` })] : '',
      escalation.acknowledgedAt ? [' · acknowledged ', byWhom(escalation.acknowledgedBy, 'acknowledged-by'), timeEl(escalation.acknowledgedAt, { relativeOnly: true })] : '',
      ' · ',
      shortId(escalation.id),
    ),
    services.length > 1
      ? h(
          'p',
          { class: 'esc-grouped' },
          'Also affects: ',
          (escalation.grouped ?? []).map((name, i) => [i ? ', ' : '', h('strong', { text: name })]),
        )
      : null,
  );
}

function activeCard(escalation, ctx, highlight) {
  const message = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const logs = escalation.evidence?.logs ?? [];
  const checks = escalation.evidence?.checks ?? [];
  const attempts = escalation.attempts ?? [];
  const body = h(
    'div',
    { class: 'esc-body' },
    h('div', { class: 'esc-section' }, h('h3', { text: 'Why it reached you' }), h('p', { class: 'prewrap', text: escalation.reason || '—' })),
    escalation.hypotheses?.length
      ? h(
          'div',
          { class: 'esc-section' },
          h('h3', { text: 'What the agents think' }),
          h(
            'ul',
            { class: 'hypotheses' },
            escalation.hypotheses.map((line) => h('li', { text: line })),
          ),
        )
      : null,
    attempts.length
      ? h(
          'div',
          { class: 'esc-section' },
          h('h3', { text: `What was tried (${attempts.length})` }),
          h(
            'ol',
            { class: 'tried' },
            attempts.map((attempt) =>
              h(
                'li',
                {},
                outcomePill(attempt.outcome),
                ' ',
                h('span', { class: 'muted', text: `${phaseLabel(attempt.phase)} · ` }),
                h('code', { class: 'plan', text: attempt.planKey || (attempt.actions ?? []).map(actionText).join(' + ') }),
                attempt.detail ? h('div', { class: 'tried-detail', text: attempt.detail }) : null,
              ),
            ),
          ),
        )
      : null,
    logs.length || checks.length
      ? h(
          'details',
          { class: 'esc-section evidence', id: `esc-evidence-${escalation.id}` },
          h('summary', { text: `Evidence: ${plural(checks.length, 'check')}, last ${plural(logs.length, 'log line')}` }),
          checks.length ? h('ul', { class: 'checks' }, checks.map(checkItem)) : null,
          logs.length
            ? h(
                'ol',
                { class: 'log' },
                logs.map((line) => h('li', { text: line })),
              )
            : null,
        )
      : null,
    h('p', { class: 'esc-link' }, h('a', { href: `#/tasks/${encodeURIComponent(escalation.taskId)}`, text: 'Full timeline of the task →' })),
  );
  let actions = null;
  if (ctx.readOnly) {
    actions = h('p', { class: 'muted small', text: 'Read-only dashboard: acknowledge or resolve on the host (orchestrator escalation ack / resolve).' });
  } else {
    const fix = h('input', {
      type: 'text',
      id: `fix-${escalation.id}`,
      name: 'fix',
      'data-keep': '',
      list: 'catalog-actions',
      autocomplete: 'off',
      spellcheck: 'false',
      class: 'mono',
      placeholder: 'e.g. restart_unit or remove_stale_file:path=/run/x.pid',
    });
    const note = h('textarea', { id: `note-${escalation.id}`, name: 'note', 'data-keep': '', rows: '2', maxlength: '2000', placeholder: 'What you found and did (optional)' });
    const resolveButton = h('button', { type: 'submit', class: 'btn btn-primary', text: 'Mark resolved' });
    const form = h(
      'form',
      {
        class: 'resolve-form',
        'aria-label': `Resolve escalation for ${escalation.service}`,
        onsubmit: (event) => {
          event.preventDefault();
          const fixes = fix.value.trim() ? [fix.value.trim()] : [];
          const input = { fixes };
          if (note.value.trim()) input.note = note.value.trim();
          act(
            resolveButton,
            message,
            async () => {
              await api.resolve(escalation.id, input);
              fix.value = '';
              note.value = '';
            },
            ctx,
          );
        },
      },
      h(
        'div',
        { class: 'field' },
        h('label', { for: fix.id, text: 'What fixed it' }, h('span', { class: 'optional', text: ' (optional, a catalog action)' })),
        fix,
        h('p', { class: 'hint', text: 'Named fixes are learned: phase 1 tries them first next time.' }),
      ),
      h('div', { class: 'field' }, h('label', { for: note.id, text: 'Note' }, h('span', { class: 'optional', text: ' (optional)' })), note),
      h('div', { class: 'form-buttons' }, resolveButton),
    );
    actions = h(
      'div',
      { class: 'esc-actions' },
      escalation.status === 'open'
        ? h(
            'div',
            { class: 'ack-row' },
            h('button', {
              type: 'button',
              class: 'btn btn-warn',
              text: 'Acknowledge',
              dataset: { action: 'ack' },
              onclick: (event) => act(event.currentTarget, message, () => api.acknowledge(escalation.id), ctx),
            }),
            h('span', { class: 'hint', text: 'Tells others you are on it and stops the reminders.' }),
          )
        : h(
            'p',
            { class: 'hint' },
            h('strong', { text: 'Acknowledged' }),
            escalation.acknowledgedBy ? [' by ', h('span', { class: 'mono', text: escalation.acknowledgedBy })] : '',
            ' — someone is on it. Resolve it once the service works again.',
          ),
      h(
        'div',
        { class: 'ack-row' },
        h('button', {
          type: 'button',
          class: 'btn',
          text: escalation.retryRequestedAt ? 'Retry requested' : 'Retry now',
          disabled: Boolean(escalation.retryRequestedAt),
          dataset: { action: 'retry' },
          onclick: (event) => act(event.currentTarget, message, () => api.retry(escalation.id), ctx),
        }),
        escalation.retryRequestedAt && escalation.retryRequestedBy
          ? h(
              'span',
              { class: 'hint', dataset: { field: 'retry-requested-by' } },
              'Requested by ',
              h('span', { class: 'mono', text: escalation.retryRequestedBy }),
              ' ',
              timeEl(escalation.retryRequestedAt, { relativeOnly: true }),
              '.',
            )
          : null,
        h('span', {
          class: 'hint',
          text: escalation.evidence?.block
            ? 'Fixed the cause? The orchestrator also re-checks it every cycle, then starts the service, verifies it and resolves this.'
            : 'Fixed the cause? The orchestrator starts the service, verifies it and resolves this.',
        }),
      ),
      form,
      message,
    );
  }
  return h(
    'article',
    {
      class: ['esc', `esc-${escalation.status}`, highlight === escalation.id && 'is-highlighted'],
      id: `escalation-${escalation.id}`,
      dataset: { id: escalation.id, status: escalation.status },
    },
    header(escalation),
    h('div', { class: 'esc-columns' }, body, actions),
  );
}

function closedCard(escalation, highlight) {
  return h(
    'article',
    { class: ['esc', 'esc-closed', highlight === escalation.id && 'is-highlighted'], id: `escalation-${escalation.id}`, dataset: { id: escalation.id, status: escalation.status } },
    header(escalation),
    h(
      'dl',
      { class: 'facts facts-inline' },
      h('dt', { text: 'Closed' }),
      h('dd', {}, timeEl(escalation.resolvedAt), escalation.resolvedAt && escalation.createdAt ? ` after ${duration(escalation.resolvedAt - escalation.createdAt)}` : ''),
      h('dt', { text: 'Resolution' }),
      h('dd', { text: escalation.resolution ?? '—' }),
      escalation.resolvedBy ? [h('dt', { text: 'Resolved by' }), h('dd', { class: 'mono', dataset: { field: 'resolved-by' }, text: escalation.resolvedBy })] : null,
      escalation.fixes?.length
        ? [
            h('dt', { text: 'Fixed with' }),
            h(
              'dd',
              {},
              escalation.fixes.map((fix, i) => [i ? ', ' : '', h('code', { text: typeof fix === 'string' ? fix : actionText(fix) })]),
            ),
          ]
        : null,
      escalation.note ? [h('dt', { text: 'Note' }), h('dd', { class: 'prewrap', text: escalation.note })] : null,
    ),
    h('p', { class: 'esc-link' }, h('a', { href: `#/tasks/${encodeURIComponent(escalation.taskId)}`, text: 'Timeline →' })),
  );
}

/** "by token:alice " before a time, when the record says who. */
function byWhom(actor, field) {
  return actor ? ['by ', h('strong', { class: 'mono', dataset: { field }, text: actor }), ' '] : '';
}

export function checkItem(check) {
  return h(
    'li',
    { class: ['check', check.ok ? 'check-ok' : 'check-bad'] },
    h('span', { class: 'check-glyph', 'aria-hidden': 'true', text: check.ok ? '✓' : '✕' }),
    h('span', { class: 'visually-hidden', text: check.ok ? 'passed: ' : 'failed: ' }),
    h('code', { class: 'check-id', text: check.checkId }),
    ' ',
    h('span', { text: check.message ?? '' }),
  );
}
