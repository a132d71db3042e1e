/** Webhook delivery end to end: a local HTTP server, the real outbox on a temp escalations.db, a manual clock. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { openDatabase, type SqliteDatabase } from '../../src/store/database.js';
import { ESCALATIONS_MIGRATIONS } from '../../src/store/migrations.js';
import { ManualClock } from '../support/manual-clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { OutboxRepository } from '../../src/store/outbox-repository.js';
import { OutboxDispatcher } from '../../src/notify/dispatcher.js';
import { createNotifiers } from '../../src/notify/create-notifiers.js';
import { verifySignature } from '../../src/notify/webhook-notifier.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import type { Notification } from '../../src/core/notification.js';

type Webhook = CompiledConfig['notify']['webhooks'][number];

const SECRET = 'hook-secret-123';
const DEDUP = 'esc-7:opened';

function notification(): Notification {
  return {
    version: 1,
    kind: 'escalation.opened',
    dedupKey: DEDUP,
    at: '2026-11-24T12:00:00.000Z',
    host: 'host1',
    escalation: {
      id: 'esc-7',
      taskId: 'task-7',
      service: 'web',
      symptom: 'unit_failed',
      status: 'open',
      reason: 'config test failed & nginx refuses <bad> directive',
      createdAt: '2026-11-24T11:58:00.000Z',
      occurrences: 1,
      grouped: [],
      evidence: { message: 'web.service is failed', unit: 'web.service', logs: ['<script>alert(1)</script>'] },
      attempts: [{ phase: 1, source: 'quick_fix', plan: 'restart_service', outcome: 'failed', detail: 'still failed', at: '2026-11-24T11:58:10.000Z' }],
      hypotheses: [],
    },
    actions: { ack: 'orchestrator escalations ack esc-7', resolve: 'orchestrator escalations resolve esc-7' },
  };
}

interface Request {
  headers: IncomingHttpHeaders;
  body: string;
}

describe('webhook notifications through the outbox', () => {
  let dir: string;
  let database: SqliteDatabase;
  let outbox: OutboxRepository;

  let clock: ManualClock;
  let server: Server;
  let base: string;
  let requests: Request[];
  /** How the server answers the n-th request (0-based); undefined = never answer. */
  let respond: (index: number, response: ServerResponse) => void;

  const retry = { maxAttempts: 3, initialDelayMs: 1_000, maxDelayMs: 10_000 };

  /**
   * Waits (5 s at most) until the row is marked delivered. Stopping the dispatcher as soon as the server has the
   * request would race its marking the row: a loaded machine then saw it still pending.
   */
  async function untilDelivered(): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (outbox.forDedupKey(DEDUP)[0]?.status !== 'delivered' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  function dispatcher(webhook: Partial<Webhook> = {}): OutboxDispatcher {
    const hook: Webhook = { name: 'ops', url: `${base}/hooks/T0/SECRETPATH`, format: 'generic', timeoutMs: 2_000, ...webhook };
    const notify: CompiledConfig['notify'] = { webhooks: [hook], retry, renotify: { afterMs: 3_600_000, times: 3 } };
    const notifiers = createNotifiers(notify, { env: { HOOK_SECRET: SECRET } });
    return new OutboxDispatcher({ outbox, notifiers, clock, logger: silentLogger, retry, random: () => 0 });
  }

  const pass = () => dispatcher().deliverDue(new AbortController().signal);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outbox-webhook-'));
    database = openDatabase(join(dir, 'escalations.db'), ESCALATIONS_MIGRATIONS);
    outbox = new OutboxRepository(database);
    clock = new ManualClock();
    requests = [];
    respond = (_index, response) => response.writeHead(204).end();
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        requests.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        respond(requests.length - 1, response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('posts the generic payload (version 1) with a signature receivers can verify', async () => {
    outbox.enqueue(notification(), ['webhook:ops'], clock.now());
    const counts = await dispatcher({ secretEnv: 'HOOK_SECRET' }).deliverDue(new AbortController().signal);
    expect(counts).toEqual({ delivered: 1, retried: 0, failed: 0 });

    const [request] = requests;
    const body = JSON.parse(request!.body) as Notification;
    expect(body).toEqual(notification());
    expect(body).toMatchObject({ version: 1, kind: 'escalation.opened', dedupKey: DEDUP, escalation: { service: 'web', id: 'esc-7' } });
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['x-orchestrator-event']).toBe('escalation.opened');
    expect(request!.headers['x-orchestrator-dedup-key']).toBe(DEDUP);

    const timestamp = String(request!.headers['x-orchestrator-timestamp']);
    const signature = String(request!.headers['x-orchestrator-signature']);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature(request!.body, timestamp, signature, SECRET)).toBe(true);
    expect(verifySignature(request!.body, timestamp, signature, 'wrong-secret')).toBe(false);
    expect(verifySignature(`${request!.body} `, timestamp, signature, SECRET)).toBe(false);
    expect(verifySignature(request!.body, String(Number(timestamp) + 1), signature, SECRET)).toBe(false);
    expect(verifySignature(request!.body, timestamp, signature, SECRET, { maxAgeSeconds: 300, now: Number(timestamp) * 1000 + 600_000 })).toBe(false);
    expect(outbox.forDedupKey(DEDUP)[0]).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('posts a Slack message with text and blocks, escaped, unsigned without a secret', async () => {
    outbox.enqueue(notification(), ['webhook:ops'], clock.now());
    await dispatcher({ format: 'slack' }).deliverDue(new AbortController().signal);

    const [request] = requests;
    const body = JSON.parse(request!.body) as { text: string; blocks: Array<{ type: string }> };
    expect(body.text).toContain('[escalation] web on host1: unit_failed');
    expect(body.text).toContain('&amp; nginx refuses &lt;bad&gt; directive');
    expect(body.blocks.map((block) => block.type)).toContain('header');
    expect(request!.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(request!.body).not.toContain('<script>');
    expect(request!.headers['x-orchestrator-signature']).toBeUndefined();
  });

  it('retries a failing server with backoff and delivers on the third attempt', async () => {
    respond = (index, response) => response.writeHead(index < 2 ? 500 : 200).end(index < 2 ? 'boom' : 'ok');
    outbox.enqueue(notification(), ['webhook:ops'], clock.now());

    expect(await pass()).toEqual({ delivered: 0, retried: 1, failed: 0 });
    const first = outbox.forDedupKey(DEDUP)[0]!;
    expect(first).toMatchObject({ status: 'pending', attempts: 1 });
    expect(first.lastError).toMatch(/webhook ops \(http:\/\/127\.0\.0\.1:\d+\) answered HTTP 500 Internal Server Error: boom/);
    expect(first.lastError).not.toContain('SECRETPATH');
    expect(first.nextAttemptAt).toBe(clock.now() + 500); // equal jitter, random 0: half of 1 s

    expect(await pass()).toEqual({ delivered: 0, retried: 0, failed: 0 }); // not due yet
    clock.advance(500);
    expect(await pass()).toEqual({ delivered: 0, retried: 1, failed: 0 });
    expect(outbox.forDedupKey(DEDUP)[0]!.nextAttemptAt).toBe(clock.now() + 1_000);
    clock.advance(1_000);
    expect(await pass()).toEqual({ delivered: 1, retried: 0, failed: 0 });
    expect(requests).toHaveLength(3);
    expect(outbox.forDedupKey(DEDUP)[0]).toMatchObject({ status: 'delivered', attempts: 3, lastError: null });
  });

  it('marks the row failed after maxAttempts and reports it in recentFailures', async () => {
    respond = (_index, response) => response.writeHead(500).end();
    outbox.enqueue(notification(), ['webhook:ops'], clock.now());
    for (let attempt = 0; attempt < retry.maxAttempts; attempt++) {
      await pass();
      clock.advance(retry.maxDelayMs);
    }
    expect(requests).toHaveLength(3);
    expect(outbox.forDedupKey(DEDUP)[0]).toMatchObject({ status: 'failed', attempts: 3 });
    const [failure] = outbox.recentFailures(10);
    expect(failure).toMatchObject({ channel: 'webhook:ops', dedupKey: DEDUP, attempts: 3 });
    expect(failure!.error).toContain('answered HTTP 500');
    expect(outbox.backlog()).toEqual({ pending: 0, failed: 1, oldestPendingAt: null });
    expect(await pass()).toEqual({ delivered: 0, retried: 0, failed: 0 });
  });

  it('times out on a server that never answers', async () => {
    respond = () => {};
    outbox.enqueue(notification(), ['webhook:ops'], clock.now());
    const started = Date.now();
    expect(await dispatcher({ timeoutMs: 200 }).deliverDue(new AbortController().signal)).toEqual({ delivered: 0, retried: 1, failed: 0 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(outbox.forDedupKey(DEDUP)[0]!.lastError).toMatch(/no response within 200 ms \(timeout\)/);
  });

  it('reports a refused connection, a missing secret and a channel no longer configured', async () => {
    outbox.enqueue(notification(), ['webhook:ops', 'webhook:gone'], clock.now());
    const spare = createServer();
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
    const closedPort = (spare.address() as AddressInfo).port;
    await new Promise<void>((resolve) => spare.close(() => resolve()));
    const closed = dispatcher({ url: `http://127.0.0.1:${closedPort}/hook`, secretEnv: 'HOOK_SECRET' });
    expect(await closed.deliverDue(new AbortController().signal)).toEqual({ delivered: 0, retried: 1, failed: 1 });
    const [ops, gone] = outbox.forDedupKey(DEDUP);
    expect(ops!.lastError).toBe(`webhook ops (http://127.0.0.1:${closedPort}): request failed: connect ECONNREFUSED 127.0.0.1:${closedPort}`);
    expect(gone).toMatchObject({ status: 'failed', lastError: 'channel "webhook:gone" is no longer configured; notification dropped' });

    clock.advance(retry.maxDelayMs);
    // A missing secret is permanent: the row fails at once, not after retry.maxAttempts tries as if transient.
    expect(await dispatcher({ secretEnv: 'MISSING_SECRET' }).deliverDue(new AbortController().signal)).toEqual({ delivered: 0, retried: 0, failed: 1 });
    expect(outbox.forDedupKey(DEDUP)[0]).toMatchObject({ status: 'failed', lastError: 'secret of webhook ops: environment variable MISSING_SECRET is not set or empty' });
    expect(requests).toHaveLength(0);
  });

  it('run() wakes when a row is queued through its store, not at its next poll, and waits for a retry that is due later', async () => {
    const controller = new AbortController();
    const sleeps: number[] = [];
    const realSleep: ManualClock = Object.assign(new ManualClock(), {
      sleep: (ms: number, signal?: AbortSignal) =>
        new Promise<void>((resolve, reject) => {
          sleeps.push(ms);
          const timer = setTimeout(resolve, ms);
          signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
        }),
    });
    const notifiers = createNotifiers({ webhooks: [{ name: 'ops', url: `${base}/hook`, format: 'generic', timeoutMs: 2_000 }], retry, renotify: { afterMs: 1, times: 0 } });
    // A poll of an hour: only the wake-up can deliver within this test.
    const running = new OutboxDispatcher({ outbox, notifiers, clock: realSleep, logger: silentLogger, retry }).run(controller.signal, 3_600_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sleeps).toEqual([3_600_000]);
    outbox.enqueue(notification(), ['webhook:ops'], realSleep.now());
    await untilDelivered();
    controller.abort();
    await expect(running).resolves.toBeUndefined();
    expect(outbox.forDedupKey(DEDUP)[0]).toMatchObject({ status: 'delivered' });

    // A row waiting for its retry: the dispatcher sleeps until it is due, not a full poll.
    outbox.enqueue({ ...notification(), dedupKey: 'later' }, ['webhook:ops'], realSleep.now() + 20_000);
    const later = new AbortController();
    sleeps.length = 0;
    const again = new OutboxDispatcher({ outbox, notifiers, clock: realSleep, logger: silentLogger, retry }).run(later.signal, 3_600_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    later.abort();
    await again;
    expect(sleeps[0]).toBe(20_000);
  });

  it('run() keeps delivering until aborted', async () => {
    const controller = new AbortController();
    let passes = 0;
    const realSleep: ManualClock = Object.assign(new ManualClock(), {
      sleep: (ms: number, signal?: AbortSignal) =>
        new Promise<void>((resolve, reject) => {
          passes++;
          const timer = setTimeout(resolve, ms);
          signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
        }),
    });
    const notifiers = createNotifiers({ webhooks: [{ name: 'ops', url: `${base}/hook`, format: 'generic', timeoutMs: 2_000 }], retry, renotify: { afterMs: 1, times: 0 } });
    const running = new OutboxDispatcher({ outbox, notifiers, clock: realSleep, logger: silentLogger, retry }).run(controller.signal, 10);
    await new Promise((resolve) => setTimeout(resolve, 50));
    outbox.enqueue(notification(), ['webhook:ops'], realSleep.now());
    await untilDelivered();
    controller.abort();
    await expect(running).resolves.toBeUndefined();
    expect(passes).toBeGreaterThan(1);
    expect(requests).toHaveLength(1);
    expect(outbox.forDedupKey(DEDUP)[0]).toMatchObject({ status: 'delivered' });
  });

  it('uses an injected fetch', async () => {
    const seen: string[] = [];
    const fakeFetch: typeof fetch = async (input) => {
      seen.push(String(input));
      return new Response(null, { status: 202 });
    };
    const notify: CompiledConfig['notify'] = {
      webhooks: [{ name: 'x', url: 'https://hooks.example/abc', format: 'generic', timeoutMs: 1_000 }],
      retry,
      renotify: { afterMs: 1, times: 0 },
    };
    const [notifier] = createNotifiers(notify, { fetch: fakeFetch });
    await notifier!.send(notification(), new AbortController().signal);
    expect(notifier!.channel).toBe('webhook:x');
    expect(seen).toEqual(['https://hooks.example/abc']);
  });
});
