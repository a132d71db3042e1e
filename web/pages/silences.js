/**
 * Silences, maintenance windows and per-service autonomy: what holds the orchestrator's hands, until when and
 * on whose word, and the controls to change it (the same API the CLI's `silence` and `autonomy` commands mirror).
 */
import { api } from '../api.js';
import { h, timeEl, plural, pill, card } from '../dom.js';
import { act } from './overview.js';

const ENDED_SHOWN = 20;
const MODES = {
  act: ['ok', 'Act', 'fixes on its own'],
  shadow: ['info', 'Shadow', 'phases 2 and 3 only record what they would do'],
  off: ['warn', 'Off', 'never acts: a failure goes to a person at once'],
};

export async function render(ctx) {
  const [listing, autonomy] = await Promise.all([api.silences(), api.autonomy()]);
  const silences = listing?.silences ?? [];
  const current = silences.filter((s) => s.state !== 'expired').sort((a, b) => a.startsAt - b.startsAt);
  const ended = silences
    .filter((s) => s.state === 'expired')
    .sort((a, b) => (b.expiredAt ?? b.endsAt) - (a.expiredAt ?? a.endsAt))
    .slice(0, ENDED_SHOWN);
  const held = Object.keys(listing?.services ?? {}).length;
  const node = h(
    'div',
    { class: 'page page-silences' },
    h(
      'div',
      { class: 'page-head' },
      h('h1', { text: 'Silences and autonomy' }),
      h(
        'p',
        { class: 'page-sub' },
        held === 0
          ? 'No service is silenced now. '
          : `${plural(held, 'service')} silenced now: faults are still detected and recorded, but nothing is done and nothing is sent until the silence ends. `,
        'Every change records who made it.',
      ),
    ),
    card('Silences', { id: 'silences-card', aside: h('span', { class: 'card-note', text: `${current.length} active or upcoming` }) }, silenceTable(current, ctx)),
    listing?.fleet ? fleetCard(listing.fleet, ctx) : null,
    ctx.readOnly
      ? h('p', { class: 'muted small', text: 'Read-only dashboard: add or expire silences on the host (orchestrator silence add | expire).' })
      : addSilenceCard(ctx, Boolean(listing?.fleet)),
    maintenanceCard(listing?.maintenance ?? []),
    card('Autonomy per service', { id: 'autonomy-card' }, autonomyTable(autonomy ?? [], ctx)),
    ended.length
      ? h(
          'details',
          { class: 'ended-silences', id: 'ended-silences' },
          h('summary', { text: `Ended silences (${ended.length}${ended.length === ENDED_SHOWN ? ', newest' : ''})` }),
          silenceTable(ended, ctx),
        )
      : null,
  );
  return { title: 'Silences', node };
}

function silenceTable(silences, ctx) {
  if (silences.length === 0) return h('p', { class: 'muted', text: 'None.' });
  return h(
    'table',
    { class: 'table silences-table' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Matches', 'From', 'Until', 'By', 'Comment', ''].map((title) => h('th', { scope: 'col', text: title })),
      ),
    ),
    h(
      'tbody',
      {},
      silences.map((silence) => {
        const message = h('p', { class: 'form-error', role: 'alert', hidden: true });
        const expire =
          !ctx.readOnly && silence.state !== 'expired'
            ? h('button', {
                type: 'button',
                class: 'btn btn-small',
                text: 'Expire now',
                dataset: { expire: silence.id },
                onclick: (event) => act(event.currentTarget, message, () => api.expireSilence(silence.id), ctx),
              })
            : null;
        return h(
          'tr',
          { dataset: { silence: silence.id, state: silence.state } },
          h(
            'td',
            { dataset: { label: 'Matches' } },
            h('code', { text: silence.matchersText }),
            silence.schedule ? h('div', { class: 'muted small', text: windowText(silence.schedule) }) : null,
          ),
          h('td', { dataset: { label: 'From' } }, silence.state === 'pending' ? pill('info', 'Upcoming') : null, ' ', timeEl(silence.startsAt)),
          h(
            'td',
            { dataset: { label: 'Until' } },
            timeEl(silence.expiredAt ?? silence.endsAt),
            silence.expiredBy ? h('div', { class: 'muted small', text: `expired by ${silence.expiredBy}` }) : null,
          ),
          h('td', { class: 'mono', dataset: { label: 'By' }, text: silence.author }),
          h('td', { dataset: { label: 'Comment' }, text: silence.comment }),
          h('td', {}, expire, message),
        );
      }),
    ),
  );
}

/** The fleet's silences (with a fleet store): they hold the matching services on every host. */
function fleetCard(fleet, ctx) {
  const body = fleet.error
    ? h('p', { class: 'note-bad', text: fleet.error })
    : silenceTable(
        fleet.silences.filter((silence) => silence.state !== 'expired'),
        ctx,
      );
  return card('Fleet-wide silences (every host)', { id: 'fleet-silences-card' }, body);
}

function addSilenceCard(ctx, fleetAvailable) {
  const services = (ctx.overview?.services ?? []).filter((service) => service.autonomy).map((service) => service.name);
  const message = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const target = h(
    'select',
    { id: 'silence-service', 'data-keep': '', 'aria-label': 'Service' },
    services.map((name) => h('option', { value: name, text: name })),
    h('option', { value: '', text: 'by labels…' }),
  );
  const matchers = h('input', {
    type: 'text',
    id: 'silence-matchers',
    'data-keep': '',
    maxlength: '512',
    placeholder: 'team="db", profile=~"postgres.*"',
    'aria-label': 'Label matchers',
  });
  const length = h('input', { type: 'text', id: 'silence-duration', 'data-keep': '', maxlength: '32', value: '2h', 'aria-label': 'For how long', required: true });
  const comment = h('input', {
    type: 'text',
    id: 'silence-comment',
    'data-keep': '',
    maxlength: '1000',
    placeholder: 'Why? e.g. kernel upgrade',
    'aria-label': 'Comment',
    required: true,
  });
  const everyHost = fleetAvailable ? h('input', { type: 'checkbox', id: 'silence-fleet' }) : null;
  const form = h(
    'form',
    {
      class: 'silence-form',
      id: 'silence-form',
      onsubmit: (event) => {
        event.preventDefault();
        const byLabels = target.value === '';
        const input = {
          ...(byLabels ? { matchers: splitMatchers(matchers.value) } : { service: target.value }),
          duration: length.value.trim(),
          comment: comment.value.trim(),
          ...(everyHost?.checked ? { fleet: true } : {}),
        };
        if (!input.comment) {
          message.textContent = 'Say why: the comment is shown to everyone who sees the silence.';
          message.hidden = false;
          return;
        }
        act(
          form.querySelector('button'),
          message,
          async () => {
            await api.addSilence(input);
            comment.value = '';
            matchers.value = '';
          },
          ctx,
        );
      },
    },
    h('label', {}, 'Service ', target),
    h('label', {}, 'or labels ', matchers),
    h('label', {}, 'For ', length),
    h('label', { class: 'grow' }, 'Comment ', comment),
    everyHost ? h('label', { class: 'check' }, everyHost, ' on every host of the fleet') : null,
    h('button', { type: 'submit', class: 'btn btn-warn', id: 'silence-add', text: 'Silence' }),
  );
  return card(
    'Add a silence',
    {},
    h('p', {
      class: 'muted small',
      text: 'For a time such as 2h, 1h30m or 1d. Matchers are Alertmanager’s (=, !=, =~, !~) over a service’s labels, its name (service), unit and profile.',
    }),
    form,
    message,
  );
}

/** 'a="1", b=~"x,y"' → ['a="1"', 'b=~"x,y"']: commas inside quotes stay. */
function splitMatchers(text) {
  return (text.match(/(?:[^,"]|"(?:[^"\\]|\\.)*")+/g) ?? []).map((part) => part.trim()).filter(Boolean);
}

function windowText(window) {
  const days = window.days.length === 7 ? 'daily' : window.days.join(', ');
  return `${days} ${window.from}–${window.to} (${window.timeZone})`;
}

function maintenanceCard(windows) {
  if (windows.length === 0) return card('Maintenance windows', {}, h('p', { class: 'muted', text: 'None in the configuration (maintenance:).' }));
  return card(
    'Maintenance windows',
    { aside: h('span', { class: 'card-note', text: 'from the configuration' }) },
    h(
      'ul',
      { class: 'maintenance', id: 'maintenance' },
      windows.map((window) =>
        h(
          'li',
          {},
          h('strong', { text: window.name }),
          ' ',
          h('code', { text: window.matchers }),
          ' · ',
          windowText(window),
          window.comment ? h('span', { class: 'muted', text: ` · ${window.comment}` }) : null,
        ),
      ),
    ),
  );
}

function autonomyTable(rows, ctx) {
  if (rows.length === 0) return h('p', { class: 'muted', text: 'No services are configured.' });
  return h(
    'table',
    { class: 'table autonomy-table', id: 'autonomy' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Service', 'Mode', 'Set by', ctx.readOnly ? '' : 'Switch'].map((title) => h('th', { scope: 'col', text: title })),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((row) => {
        const [tone, label, meaning] = MODES[row.mode] ?? ['idle', row.mode, ''];
        const override = row.override;
        return h(
          'tr',
          { dataset: { service: row.service, mode: row.mode } },
          h('td', { dataset: { label: 'Service' } }, h('strong', { text: row.service })),
          h('td', { dataset: { label: 'Mode' } }, pill(tone, label), h('div', { class: 'muted small', text: meaning })),
          h(
            'td',
            { dataset: { label: 'Set by' } },
            override
              ? [
                  h('span', { class: 'mono', text: override.by }),
                  ' ',
                  timeEl(override.at),
                  override.reason ? h('div', { class: 'small' }, h('q', { text: override.reason })) : null,
                ]
              : h('span', { class: 'muted', text: `the configuration (${row.configured})` }),
          ),
          h('td', {}, ctx.readOnly ? null : switchForm(row, ctx)),
        );
      }),
    ),
  );
}

function switchForm(row, ctx) {
  const message = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const key = row.service.replace(/[^A-Za-z0-9_-]/g, '_');
  const mode = h(
    'select',
    { id: `autonomy-mode-${key}`, 'data-keep': '', 'aria-label': `Autonomy of ${row.service}` },
    ['act', 'shadow', 'off'].map((value) => h('option', { value, text: value, selected: value === row.mode })),
    h('option', { value: 'config', text: `config (${row.configured})` }),
  );
  const reason = h('input', { type: 'text', id: `autonomy-reason-${key}`, 'data-keep': '', maxlength: '500', placeholder: 'Why?', 'aria-label': `Why switch ${row.service}` });
  const form = h(
    'form',
    {
      class: 'autonomy-form',
      onsubmit: (event) => {
        event.preventDefault();
        act(form.querySelector('button'), message, () => api.setAutonomy(row.service, mode.value, reason.value.trim() || undefined), ctx);
      },
    },
    mode,
    reason,
    h('button', { type: 'submit', class: 'btn btn-small', text: 'Switch', dataset: { switch: row.service } }),
    message,
  );
  return form;
}
