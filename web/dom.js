/**
 * DOM helpers. Everything that comes from the host (log lines, unit names, agent text) goes in as text nodes:
 * there is no innerHTML anywhere in this dashboard, and no inline style (the CSP forbids both).
 */

const PROPERTIES = new Set(['value', 'checked', 'disabled', 'hidden', 'open', 'selected', 'required', 'readOnly']);

/** h('div', { class: 'card', text: 'x' }, child, 'text', [more]) → an element; strings become text nodes. */
export function h(tag, props, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') element.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : String(value);
    else if (key === 'text') element.textContent = String(value);
    else if (key === 'dataset') Object.assign(element.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') element.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === 'style' || key.startsWith('on')) throw new Error(`h(): refusing ${key} (CSP: classes only)`);
    else if (PROPERTIES.has(key)) element[key] = value;
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function append(element, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false || child === '') continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Replaces an element's children. */
export function replace(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

// ---- time -------------------------------------------------------------------------------------------------

let clockOffset = 0;
/** The server's clock minus ours (from /api/overview's `now`), so "3 min ago" is right on a skewed laptop. */
export function setServerNow(serverNow) {
  if (typeof serverNow === 'number' && Number.isFinite(serverNow)) clockOffset = serverNow - Date.now();
}
export const now = () => Date.now() + clockOffset;

const pad = (n) => String(n).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Local time: 17:25:08 today, "Nov 24 17:25" this year, else 2025-11-24 17:25. */
export function localTime(ms) {
  const date = new Date(ms);
  const today = new Date(now());
  const hm = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  if (date.toDateString() === today.toDateString()) return `${hm}:${pad(date.getSeconds())}`;
  if (date.getFullYear() === today.getFullYear()) return `${MONTHS[date.getMonth()]} ${date.getDate()} ${hm}`;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${hm}`;
}

/** The full local date and time with the zone, for tooltips. */
export function fullTime(ms) {
  const date = new Date(ms);
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone ?? '';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} ${zone}`.trim();
}

/** "just now", "45 s ago", "3 min ago", "2 h ago", "3 d ago" (or "in 3 min"). */
export function relative(ms) {
  const delta = now() - ms;
  const future = delta < 0;
  const seconds = Math.abs(delta) / 1000;
  let text;
  if (seconds < 10) return 'just now';
  if (seconds < 60) text = `${Math.floor(seconds)} s`;
  else if (seconds < 3600) text = `${Math.floor(seconds / 60)} min`;
  else if (seconds < 86400 * 2) text = `${Math.floor(seconds / 3600)} h`;
  else text = `${Math.floor(seconds / 86400)} d`;
  return future ? `in ${text}` : `${text} ago`;
}

/** <time> with the local time and a live-updating relative part. */
export function timeEl(ms, options = {}) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return h('span', { class: 'muted', text: options.empty ?? '—' });
  const rel = h('span', { class: 'rel', dataset: { ts: String(ms) }, text: relative(ms) });
  if (options.relativeOnly) {
    return h('time', { class: 'ts', datetime: new Date(ms).toISOString(), title: fullTime(ms) }, rel);
  }
  return h(
    'time',
    { class: 'ts', datetime: new Date(ms).toISOString(), title: fullTime(ms) },
    h('span', { class: 'abs', text: localTime(ms) }),
    ' ',
    h('span', { class: 'rel-wrap' }, '(', rel, ')'),
  );
}

/** Refreshes every relative time on the page (called every 15 s). */
export function refreshRelativeTimes(root = document) {
  for (const element of root.querySelectorAll('.rel[data-ts]')) {
    element.textContent = relative(Number(element.dataset.ts));
  }
}

/** 850 ms, 4.2 s, 1 min 10 s, 5 min, 2 h 5 min, 3 d. */
export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  const and = (text, count, unit) => (count > 0 ? `${text} ${count} ${unit}` : text);
  if (minutes < 60) return and(`${minutes} min`, Math.round(seconds % 60), 's');
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return and(`${hours} h`, minutes % 60, 'min');
  return and(`${Math.floor(hours / 24)} d`, hours % 24, 'h');
}

export const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
export const percent = (part, whole) => (whole > 0 ? `${Math.round((100 * part) / whole)}%` : '—');

// ---- status vocabulary ------------------------------------------------------------------------------------
// Every status is shown as colour AND a glyph AND a word, never colour alone.

const TONES = {
  ok: '✓',
  warn: '!',
  bad: '✕',
  info: '•',
  idle: '–',
};

export function pill(tone, label, extraClass) {
  return h('span', { class: ['pill', `pill-${tone}`, extraClass] }, h('span', { class: 'pill-glyph', 'aria-hidden': 'true', text: TONES[tone] ?? '•' }), label);
}

const SERVICE_STATES = {
  healthy: ['ok', 'Healthy'],
  failing: ['warn', 'Being fixed'],
  left_alone: ['idle', 'Left alone'],
  escalated: ['bad', 'Needs you'],
};
export const serviceTone = (state) => (SERVICE_STATES[state] ?? ['idle', state])[0];
export const servicePill = (state) => pill(...(SERVICE_STATES[state] ?? ['idle', String(state)]));

const TASK_STATUSES = {
  open: ['warn', 'Open'],
  running: ['warn', 'Fixing'],
  fixed: ['ok', 'Fixed'],
  escalated: ['bad', 'Escalated'],
  recovered: ['ok', 'Recovered'],
  ignored: ['idle', 'Ignored'],
};
export const taskPill = (status) => pill(...(TASK_STATUSES[status] ?? ['idle', String(status)]));

const ESCALATION_STATUSES = {
  open: ['bad', 'Open'],
  acknowledged: ['warn', 'Acknowledged'],
  resolved: ['ok', 'Resolved'],
  auto_resolved: ['ok', 'Auto-resolved'],
};
export const escalationPill = (status) => pill(...(ESCALATION_STATUSES[status] ?? ['idle', String(status)]));

const OUTCOMES = {
  success: ['ok', 'Succeeded'],
  failure: ['bad', 'Failed'],
  refused: ['warn', 'Refused by policy'],
  dry_run: ['idle', 'Dry run — not acted'],
  shadow: ['idle', 'Shadow — not acted'],
  interrupted: ['warn', 'Interrupted'],
  error: ['bad', 'Error'],
};
export const outcomePill = (outcome) => (outcome ? pill(...(OUTCOMES[outcome] ?? ['idle', String(outcome)])) : pill('info', 'In progress'));

export const PHASE_NAMES = { 1: 'Quick fix', 2: 'Research', 3: 'Consensus', 4: 'Human' };
export const phaseLabel = (phase) => (phase ? `Phase ${phase} · ${PHASE_NAMES[phase] ?? ''}`.replace(/ · $/, '') : '—');

/** A horizontal bar whose width is a class (w-0 … w-100 in steps of 5): no inline style under the CSP. */
export function bar(fraction, tone) {
  const value = Number.isFinite(fraction) ? Math.max(0, Math.min(1, fraction)) : 0;
  let step = Math.round(value * 20) * 5;
  if (value > 0 && step === 0) step = 1; // a sliver, so "some" never looks like "none"
  return h('span', { class: 'bar', 'aria-hidden': 'true' }, h('span', { class: ['bar-fill', `w-${step}`, tone && `tone-${tone}`] }));
}

/** An action as text: restart_unit(unit=nginx.service). */
export function actionText(action) {
  if (!action) return '—';
  const params = Object.entries(action.params ?? {})
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
  return `${action.type}(${params})`;
}

/** A card with a title row. */
export function card(title, options = {}, ...children) {
  return h(
    'section',
    { class: ['card', options.class], 'aria-label': typeof title === 'string' ? title : undefined, id: options.id },
    title ? h('div', { class: 'card-head' }, h('h2', { class: 'card-title' }, title), options.aside ?? null) : null,
    children,
  );
}

/** Shows a failure inside the page (not an alert()). */
export function errorBox(message) {
  return h('div', { class: 'error-box', role: 'alert' }, h('strong', { text: 'Could not load: ' }), message);
}

/** Short ids read better: the first 8 characters, full id in the tooltip. */
export function shortId(id) {
  const text = String(id ?? '');
  return h('code', { class: 'id', title: text, text: text.length > 10 ? text.slice(0, 8) : text });
}
