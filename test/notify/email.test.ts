/** Email delivery end to end: a real SMTP server, the real outbox on a temp escalations.db, a manual clock. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { openDatabase, type SqliteDatabase } from '../../src/store/database.js';
import { ESCALATIONS_MIGRATIONS } from '../../src/store/migrations.js';
import { ManualClock } from '../support/manual-clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { OutboxRepository } from '../../src/store/outbox-repository.js';
import { OutboxDispatcher } from '../../src/notify/dispatcher.js';
import { createNotifiers } from '../../src/notify/create-notifiers.js';
import { messageId } from '../../src/notify/email-notifier.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import type { Notification } from '../../src/core/notification.js';

interface Received {
  raw: string;
  to: string[];
}

/** A tiny parser: unfolds headers, decodes RFC 2047 words, splits multipart/alternative, decodes QP/base64. */
function parseMail(raw: string): { headers: Map<string, string>; text: string; html: string } {
  const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).toLowerCase(), decodeWords(line.slice(colon + 1).trim()));
  }
  const boundary = /boundary="?([^";]+)"?/.exec(headers.get('content-type') ?? '')?.[1] ?? '';
  const parts = rest.join('\n\n').split(`--${boundary}`).slice(1, -1);
  const part = (type: string) => {
    const found = parts.find((p) => p.toLowerCase().includes(`content-type: ${type}`)) ?? '';
    const [partHead = '', ...body] = found.replace(/^\r?\n/, '').split(/\r?\n\r?\n/);
    const content = body.join('\n\n');
    if (/quoted-printable/i.test(partHead)) return decodeQp(content);
    if (/base64/i.test(partHead)) return Buffer.from(content.replace(/\s+/g, ''), 'base64').toString('utf8');
    return content;
  };
  return { headers, text: part('text/plain'), html: part('text/html') };
}

function decodeQp(text: string): string {
  const bytes = text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => `%${hex}`);
  return decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/gi, '%25'));
}

function decodeWords(text: string): string {
  return text
    .replace(/\s*=\?utf-8\?([QB])\?([^?]*)\?=/gi, (_, encoding: string, data: string) =>
      encoding.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQp(data.replace(/_/g, ' ')),
    )
    .trim();
}

function notification(dedupKey = 'esc-1:opened'): Notification {
  return {
    version: 1,
    kind: 'escalation.opened',
    dedupKey,
    at: '2026-11-24T12:00:00.000Z',
    host: 'host1',
    escalation: {
      id: 'esc-1',
      taskId: 'task-1',
      service: 'web',
      symptom: 'unit_failed',
      status: 'open',
      reason: 'config test failed: nginx: [emerg] unknown directive "lisen" in /etc/nginx/nginx.conf:12',
      createdAt: '2026-11-24T11:58:00.000Z',
      occurrences: 3,
      grouped: ['api'],
      evidence: { message: 'web.service is failed', unit: 'web.service', logs: ['started', 'error: <script>alert(1)</script>'] },
      attempts: [
        { phase: 1, source: 'quick_fix', plan: 'restart_service', outcome: 'failed', detail: 'still failed after restart', at: '2026-11-24T11:58:10.000Z' },
        { phase: 2, source: 'research', plan: 'restore_config', outcome: 'refused', detail: 'no healthy snapshot', at: '2026-11-24T11:59:00.000Z' },
      ],
      hypotheses: ['systems: typo in nginx.conf line 12 (0.9)'],
    },
    actions: { ack: 'orchestrator escalations ack esc-1', resolve: 'orchestrator escalations resolve esc-1', dashboard: 'https://ops.example/esc/esc-1' },
  };
}

const PASSWORD = 's3cret-Pa55';
const retry = { maxAttempts: 5, initialDelayMs: 1_000, maxDelayMs: 60_000 };

describe('email notifications through the outbox', () => {
  let dir: string;
  let file: string;
  let database: SqliteDatabase;
  let outbox: OutboxRepository;
  let clock: ManualClock;
  let server: SMTPServer | undefined;
  let port: number;
  let received: Received[];

  async function startServer(onPort = 0): Promise<void> {
    const smtp = new SMTPServer({
      secure: false,
      authMethods: ['PLAIN'],
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === 'alerts' && auth.password === PASSWORD) callback(null, { user: auth.username });
        else callback(new Error('Invalid username or password'));
      },
      onRcptTo(address, _session, callback) {
        callback(address.address.startsWith('nobody@') ? Object.assign(new Error('No such user'), { responseCode: 550 }) : undefined);
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          received.push({ raw: Buffer.concat(chunks).toString('utf8'), to: session.envelope.rcptTo.map((r) => r.address) });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(onPort, '127.0.0.1', resolve));
    port = (smtp.server.address() as AddressInfo).port;
    server = smtp;
  }

  async function stopServer(): Promise<void> {
    const smtp = server;
    server = undefined;
    if (smtp) await new Promise<void>((resolve) => smtp.close(() => resolve()));
  }

  function dispatcher(config: { to?: string[]; password?: string } = {}): OutboxDispatcher {
    const notify: CompiledConfig['notify'] = {
      email: {
        host: '127.0.0.1',
        port,
        secure: false,
        requireTLS: true,
        auth: { user: 'alerts', passwordEnv: 'TEST_SMTP_PASSWORD' },
        from: 'orchestrator@host1.example',
        to: config.to ?? ['oncall@example.com', 'ops@example.com'],
        timeoutMs: 5_000,
      },
      webhooks: [],
      retry,
      renotify: { afterMs: 3_600_000, times: 3 },
    };
    const notifiers = createNotifiers(notify, {
      env: { TEST_SMTP_PASSWORD: config.password ?? PASSWORD },
      emailTransportOptions: { tls: { rejectUnauthorized: false } },
    });
    return new OutboxDispatcher({ outbox, notifiers, clock, logger: silentLogger, retry, random: () => 0.5 });
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outbox-email-'));
    file = join(dir, 'escalations.db');
    database = openDatabase(file, ESCALATIONS_MIGRATIONS);
    outbox = new OutboxRepository(database);
    clock = new ManualClock();
    received = [];
    await startServer();
  });

  afterEach(async () => {
    await stopServer();
    database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers a message an on-call person can act on', async () => {
    outbox.enqueue(notification(), ['email'], clock.now());
    expect(await dispatcher().deliverDue(new AbortController().signal)).toEqual({ delivered: 1, retried: 0, failed: 0 });

    expect(received).toHaveLength(1);
    const mail = parseMail(received[0]!.raw);
    expect(received[0]!.to).toEqual(['oncall@example.com', 'ops@example.com']);
    expect(mail.headers.get('subject')).toMatch(/^\[escalation\] web on host1: unit_failed — config test failed: nginx: \[emerg\] unknown directive "lisen"/);
    expect(mail.headers.get('message-id')).toBe(messageId('esc-1:opened'));
    expect(mail.headers.get('message-id')).toBe('<esc-1_opened@autonomous-orchestrator>');
    expect(mail.headers.get('x-orchestrator-dedup-key')).toBe('esc-1:opened');
    expect(mail.text).toContain('unknown directive "lisen"');
    expect(mail.text).toContain('phase 1 (quick_fix) restart_service → failed: still failed after restart');
    expect(mail.text).toContain('phase 2 (research) restore_config → refused');
    expect(mail.text).toContain('orchestrator escalations ack esc-1');
    expect(mail.text).toContain('unit web.service');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('href="https://ops.example/esc/esc-1"');

    const [row] = outbox.forDedupKey('esc-1:opened');
    expect(row).toMatchObject({ status: 'delivered', attempts: 1, deliveredAt: clock.now() });
  });

  it('keeps the row pending while the server is down, then delivers it exactly once', async () => {
    const downPort = port;
    await stopServer();
    outbox.enqueue(notification(), ['email'], clock.now());

    expect(await dispatcher().deliverDue(new AbortController().signal)).toEqual({ delivered: 0, retried: 1, failed: 0 });
    const [pending] = outbox.forDedupKey('esc-1:opened');
    expect(pending).toMatchObject({ status: 'pending', attempts: 1 });
    expect(pending!.nextAttemptAt).toBeGreaterThan(clock.now());
    expect(pending!.lastError).toMatch(/cannot connect to SMTP server 127\.0\.0\.1:\d+: connection refused/);
    // Not due yet: nothing happens.
    expect(await dispatcher().deliverDue(new AbortController().signal)).toEqual({ delivered: 0, retried: 0, failed: 0 });

    await startServer(downPort);
    clock.advance(retry.maxDelayMs);
    expect(await dispatcher().deliverDue(new AbortController().signal)).toEqual({ delivered: 1, retried: 0, failed: 0 });
    expect(received).toHaveLength(1);
    expect(outbox.forDedupKey('esc-1:opened')[0]).toMatchObject({ status: 'delivered', attempts: 2, lastError: null });

    // A restarted daemon (new handle on the same file, new dispatcher) does not send it again.
    database.close();
    database = openDatabase(file, ESCALATIONS_MIGRATIONS);
    outbox = new OutboxRepository(database);
    clock.advance(retry.maxDelayMs);
    expect(await dispatcher().deliverDue(new AbortController().signal)).toEqual({ delivered: 0, retried: 0, failed: 0 });
    expect(received).toHaveLength(1);
  });

  it('enqueues one row per (channel, dedup key), and only when the caller commits', () => {
    expect(outbox.enqueue(notification(), ['email'], clock.now())).toBe(1);
    expect(outbox.enqueue(notification(), ['email'], clock.now())).toBe(0);
    expect(outbox.forDedupKey('esc-1:opened')).toHaveLength(1);

    const escalate = database.transaction(() => {
      database
        .prepare(
          `INSERT INTO escalations (id, task_id, fingerprint, service, symptom, reason, evidence, attempts, status, created_at, updated_at)
        VALUES ('esc-2', 't', 'f', 'web', 'unit_failed', 'r', '{}', '[]', 'open', 'now', 'now')`,
        )
        .run();
      outbox.enqueue(notification('esc-2:opened'), ['email', 'webhook:ops'], clock.now());
      throw new Error('crash before commit');
    });
    expect(() => escalate()).toThrow('crash before commit');
    expect(outbox.forDedupKey('esc-2:opened')).toHaveLength(0);
    expect(outbox.backlog()).toEqual({ pending: 1, failed: 0, oldestPendingAt: clock.now() });
  });

  it('says authentication failed without revealing the password', async () => {
    outbox.enqueue(notification(), ['email'], clock.now());
    await dispatcher({ password: 'wrong-password' }).deliverDue(new AbortController().signal);
    const [row] = outbox.forDedupKey('esc-1:opened');
    expect(row!.lastError).toMatch(/SMTP authentication failed for user alerts/);
    expect(row!.lastError).not.toContain('wrong-password');
    expect(received).toHaveLength(0);
  });

  it('gives up at once when every recipient is rejected', async () => {
    outbox.enqueue(notification(), ['email'], clock.now());
    expect(await dispatcher({ to: ['nobody@example.com'] }).deliverDue(new AbortController().signal)).toEqual({ delivered: 0, retried: 0, failed: 1 });
    expect(outbox.recentFailures(5)[0]).toMatchObject({ channel: 'email', dedupKey: 'esc-1:opened', attempts: 1 });
    expect(outbox.recentFailures(5)[0]!.error).toMatch(/rejected recipient\(s\) nobody@example\.com/);
  });
});
