/**
 * Renders a Notification for people: email subject, text and HTML bodies, and a Slack message. Written for the
 * on-call person at 3 a.m.: what broke, where, since when, what was tried, what to run next. Every string that
 * came from the host is untrusted: sanitised everywhere, HTML-escaped in HTML, Slack-escaped in Slack.
 */
import { sanitizeText } from '../core/sanitize.js';
import type { Notification, NotificationAttempt, NotificationKind } from '../core/notification.js';

const HEADLINES: Record<NotificationKind, string> = {
  'escalation.opened': 'needs a human',
  'escalation.reminder': 'still needs a human (reminder)',
  'escalation.recovered': 'has recovered',
  'escalation.resolved': 'was resolved',
  'service.left_alone': 'is down and left alone (operator intent)',
  test: 'test notification',
};

const TAGS: Record<NotificationKind, string> = {
  'escalation.opened': '[escalation]',
  'escalation.reminder': '[escalation reminder]',
  'escalation.recovered': '[recovered]',
  'escalation.resolved': '[resolved]',
  'service.left_alone': '[left alone]',
  test: '[test]',
};

/** The section titles: a service left alone was never escalated, and its "actions" are how to look and let it run. */
function labels(n: Notification) {
  return n.kind === 'service.left_alone'
    ? { why: 'Why nothing is done', tried: 'nothing: a disabled or masked unit is left alone', ack: 'See the task', resolve: 'If it should run', subject: 'task' }
    : { why: 'Why it needs you', tried: 'nothing (escalated directly)', ack: 'Acknowledge', resolve: 'Resolve', subject: 'escalation' };
}

/** One line of untrusted text, tidy and bounded (also keeps header injection out of the subject). */
function line(text: string, max = 200): string {
  const flat = sanitizeText(text, max * 4)
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Untrusted multi-line text, bounded. */
function block(text: string, max = 4_000): string {
  return sanitizeText(text, max).trim();
}

function where(n: Notification): string {
  return `${line(n.escalation.service, 80)} on ${line(n.host, 80)}`;
}

function attemptLine(attempt: NotificationAttempt): string {
  const outcome = attempt.outcome ?? 'no outcome';
  const detail = attempt.detail ? `: ${line(attempt.detail, 300)}` : '';
  return `phase ${attempt.phase} (${line(attempt.source, 40)}) ${line(attempt.plan, 120)} → ${line(outcome, 40)}${detail}`;
}

/** Labelled facts shared by every renderer, so email and Slack say the same thing. */
function facts(n: Notification): Array<[string, string]> {
  const e = n.escalation;
  const rows: Array<[string, string]> = [
    ['What', `${line(e.symptom, 60)} — ${line(e.evidence.message, 300)}`],
    ['Where', `host ${line(n.host, 80)}, service ${line(e.service, 80)}${e.evidence.unit ? `, unit ${line(e.evidence.unit, 80)}` : ''}`],
    ['Since', `${line(e.createdAt, 40)} (${e.occurrences} occurrence${e.occurrences === 1 ? '' : 's'})`],
    ['Status', line(e.status, 40)],
  ];
  if (e.grouped.length > 0) rows.push(['Also affected', e.grouped.map((name) => line(name, 80)).join(', ')]);
  if (e.resolution) rows.push(['Resolution', line(e.resolution, 300)]);
  return rows;
}

function logLines(n: Notification): string[] {
  return n.escalation.evidence.logs.slice(-20).map((entry) => sanitizeText(entry.replace(/\t/g, ' '), 300));
}

/** The email subject: tag, service, host, symptom and the gist of why. */
export function subject(n: Notification): string {
  if (n.kind === 'test') return `${TAGS.test} autonomous-orchestrator notification from ${line(n.host, 80)}`;
  const e = n.escalation;
  const gist =
    n.kind === 'escalation.recovered' ? 'healthy again' : n.kind === 'escalation.resolved' ? line(e.resolution ?? 'resolved', 80) : line(e.reason.split('\n')[0] ?? '', 80);
  return `${TAGS[n.kind]} ${where(n)}: ${line(e.symptom, 60)}${gist ? ` — ${gist}` : ''}`;
}

/** The plain-text email body. */
export function textBody(n: Notification): string {
  const e = n.escalation;
  const label = labels(n);
  const indent = (text: string) => text.replace(/^/gm, '    ');
  const out = [`${where(n)} ${HEADLINES[n.kind]}.`, ''];
  for (const [name, value] of facts(n)) out.push(`${`${name}:`.padEnd(15)}${value}`);
  out.push('', `${label.why}:`, indent(block(e.reason) || '(no reason recorded)'), '');
  out.push('What was tried:');
  out.push(...(e.attempts.length ? e.attempts.map((a, i) => `    ${i + 1}. ${attemptLine(a)}`) : [`    ${label.tried}`]));
  if (e.hypotheses.length) out.push('', 'What the agents think:', ...e.hypotheses.map((h) => `    - ${line(h, 400)}`));
  const logs = logLines(n);
  if (logs.length) out.push('', 'Last log lines:', ...logs.map((entry) => `    | ${entry}`));
  out.push('', 'How to act:', `    ${`${label.ack}:`.padEnd(13)}${n.actions.ack}`, `    ${`${label.resolve}:`.padEnd(13)}${n.actions.resolve}`);
  if (n.actions.dashboard) out.push(`    Dashboard:   ${n.actions.dashboard}`);
  out.push('', '-- ', `autonomous-orchestrator · ${label.subject} ${line(e.id, 80)} · ${n.kind} · ${n.at}`, `dedup key ${n.dedupKey}`);
  return `${out.join('\n')}\n`;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** The HTML email body: same content as the text, every untrusted string escaped. */
export function htmlBody(n: Notification): string {
  const e = n.escalation;
  const label = labels(n);
  const h = escapeHtml;
  const section = (title: string, body: string) => `<h3 style="margin:16px 0 4px">${h(title)}</h3>${body}`;
  const list = (tag: 'ol' | 'ul', items: string[]) => `<${tag}>${items.map((item) => `<li>${h(item)}</li>`).join('')}</${tag}>`;
  const pre = (text: string) => `<pre style="background:#f4f4f4;padding:8px;white-space:pre-wrap">${h(text)}</pre>`;
  const code = (text: string) => `<code>${h(text)}</code>`;
  const rows = facts(n).map(([label, value]) => `<tr><th align="left" valign="top">${h(label)}</th><td>${h(value)}</td></tr>`);
  const parts = [
    `<p style="font-size:16px"><strong>${h(where(n))}</strong> ${h(HEADLINES[n.kind])}.</p>`,
    `<table cellpadding="4">${rows.join('')}</table>`,
    section(label.why, pre(block(e.reason) || '(no reason recorded)')),
    section('What was tried', e.attempts.length ? list('ol', e.attempts.map(attemptLine)) : `<p>${h(label.tried)}</p>`),
  ];
  if (e.hypotheses.length)
    parts.push(
      section(
        'What the agents think',
        list(
          'ul',
          e.hypotheses.map((x) => line(x, 400)),
        ),
      ),
    );
  const logs = logLines(n);
  if (logs.length) parts.push(section('Last log lines', pre(logs.join('\n'))));
  const actions = [`<li>${h(label.ack)}: ${code(n.actions.ack)}</li>`, `<li>${h(label.resolve)}: ${code(n.actions.resolve)}</li>`];
  const dashboard = n.actions.dashboard;
  if (dashboard && /^https?:\/\//i.test(dashboard)) actions.push(`<li><a href="${h(dashboard)}">Open the dashboard</a></li>`);
  parts.push(section('How to act', `<ul>${actions.join('')}</ul>`));
  parts.push(`<p style="color:#888;font-size:12px">${label.subject} ${h(line(e.id, 80))} · ${h(n.kind)} · ${h(n.at)} · dedup key ${h(n.dedupKey)}</p>`);
  return `<!doctype html><html><body style="font-family:sans-serif">${parts.join('\n')}</body></html>\n`;
}

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A Slack message: what is wrong, on the fields, and what to type, within Slack's block limits. */
export interface SlackMessage {
  text: string;
  blocks: Array<Record<string, unknown>>;
}

/** The Slack incoming-webhook body: `text` for notifications and fallbacks, `blocks` for the message. */
export function slackPayload(n: Notification): SlackMessage {
  const e = n.escalation;
  const label = labels(n);
  // Cut before escaping so an entity is never split; escaping can only lengthen, hence the final guard.
  const s = (text: string, max = 2_900) => escapeSlack(text.slice(0, max));
  const mrkdwn = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3_000).replace(/&[a-z]{0,3}$/, '') } });
  const blocks: Array<Record<string, unknown>> = [
    { type: 'header', text: { type: 'plain_text', text: `${TAGS[n.kind]} ${where(n)} ${HEADLINES[n.kind]}`.slice(0, 150) } },
    { type: 'section', fields: facts(n).map(([label, value]) => ({ type: 'mrkdwn', text: `*${label}*\n${s(value, 1_900)}` })) },
    mrkdwn(`*${label.why}*\n${s(block(e.reason, 2_000) || '(no reason recorded)')}`),
  ];
  if (e.attempts.length) blocks.push(mrkdwn(`*What was tried*\n${s(e.attempts.map((a, i) => `${i + 1}. ${attemptLine(a)}`).join('\n'))}`));
  if (e.hypotheses.length) blocks.push(mrkdwn(`*What the agents think*\n${s(e.hypotheses.map((x) => `• ${line(x, 300)}`).join('\n'))}`));
  const logs = logLines(n).slice(-10);
  if (logs.length) blocks.push(mrkdwn(`*Last log lines*\n\`\`\`${s(logs.join('\n'), 2_800).replace(/```/g, "'''")}\`\`\``));
  const actions = [`${label.ack}: \`${s(n.actions.ack, 500)}\``, `${label.resolve}: \`${s(n.actions.resolve, 500)}\``];
  if (n.actions.dashboard && /^https?:\/\//i.test(n.actions.dashboard)) actions.push(`<${s(n.actions.dashboard, 500)}|Dashboard>`);
  blocks.push(mrkdwn(`*How to act*\n${actions.join('\n')}`));
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: s(`${label.subject} ${line(e.id, 80)} · ${n.kind} · ${n.at}`, 300) }] });
  return { text: s(subject(n), 3_000), blocks };
}
