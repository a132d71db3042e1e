/** The dashboard API over real SQLite stores: shapes, filters, validation, ack/resolve through phase 4, pause, metrics. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { call, seed, serverFor, writeTask, XSS, type Seeded } from './seed.js';
import { openStores } from '../../src/store/stores.js';
import { DashboardData } from '../../src/web/dashboard-data.js';
import { hostname } from 'node:os';
import type { WebServer } from '../../src/web/server.js';

let seeded: Seeded;
let server: WebServer;

beforeEach(() => {
  seeded = seed();
  server = serverFor(seeded);
});
afterEach(async () => {
  await server.close();
  seeded.cleanup();
});

const GETS = ['/api/overview', '/api/tasks', '/api/escalations', '/api/patterns', '/api/events', '/metrics'];

describe('authentication on every endpoint', () => {
  it.each([...GETS, '/api/tasks/TASK'])('GET %s: 401 without a token and with a wrong one', async (url) => {
    const path = url.replace('TASK', seeded.fixedTask.id);
    const none = await call(server, { method: 'GET', url: path, token: null });
    expect(none.statusCode).toBe(401);
    expect(none.json().error).toMatch(/authentication required/);
    expect((await call(server, { method: 'GET', url: path, token: 'x'.repeat(43) })).statusCode).toBe(401);
  });

  it.each(['/api/escalations/ID/ack', '/api/escalations/ID/resolve', '/api/pause', '/api/resume'])('POST %s: 401 without a token', async (url) => {
    const response = await call(server, { method: 'POST', url: url.replace('ID', seeded.dbEscalation.id), payload: {}, token: null });
    expect(response.statusCode).toBe(401);
    expect(seeded.stores.escalations.get(seeded.dbEscalation.id)!.status).toBe('open');
    expect(seeded.stores.state.pause().paused).toBe(false);
  });

  it('serves /health without a token and without secrets', async () => {
    const response = await call(server, { method: 'GET', url: '/health', token: null });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ok: true, daemon: 'running', paused: false, lastCycleAt: null });
  });
});

describe('GET /api/overview', () => {
  it('summarises services, counts, the funnel, 14 days of rates and recoveries', async () => {
    const response = await call(server, { method: 'GET', url: '/api/overview' });
    expect(response.statusCode).toBe(200);
    const overview = response.json();
    expect(overview).toMatchObject({
      now: seeded.clock.now(),
      readOnly: false,
      daemon: { running: true, paused: false, pausedSince: null, pauseReason: null, pausedBy: null, cycleIntervalMs: 300_000 },
      lastCycle: null,
      counts: { openTasks: 1, openEscalations: 2, tasksLast24h: 3, fixedLast24h: 0 },
      funnel: { total: 4, phase1: 1, phase2: 0, phase3: 0, escalated: 2, pending: 1, recovered: 0 },
      outbox: { pending: 0, failed: 0 },
    });
    expect(typeof overview.host).toBe('string');
    const states = Object.fromEntries(overview.services.map((service: { name: string; state: string }) => [service.name, service.state]));
    expect(states).toEqual({ db: 'escalated', queue: 'escalated', cache: 'failing', idle: 'healthy', web: 'healthy' });
    expect(overview.services.map((service: { name: string }) => service.name)).toEqual(['db', 'queue', 'cache', 'idle', 'web']);
    const cache = overview.services.find((service: { name: string }) => service.name === 'cache');
    expect(cache).toEqual({ name: 'cache', state: 'failing', openTask: { id: seeded.openTask.id, status: 'open', symptom: 'unit_failed' }, lastSeen: seeded.clock.now() });
    expect(overview.rates).toHaveLength(14);
    expect(overview.rates.at(-1)).toEqual({ day: '2026-11-24', total: 3, fixed: 0, escalated: 2 });
    expect(overview.rates.at(-2)).toEqual({ day: '2026-11-23', total: 1, fixed: 1, escalated: 0 });
    expect(overview.rates[0]).toEqual({ day: '2026-11-11', total: 0, fixed: 0, escalated: 0 });
    expect(overview.recovery).toEqual([{ at: seeded.fixedTask.closedAt, durationMs: 5_000, service: 'web', phase: 1 }]);
  });

  it('still counts an escalated task in its day once the escalation is resolved', async () => {
    await call(server, { method: 'POST', url: `/api/escalations/${seeded.dbEscalation.id}/resolve`, payload: {} });
    const overview = (await call(server, { method: 'GET', url: '/api/overview' })).json();
    expect(overview.rates.at(-1)).toEqual({ day: '2026-11-24', total: 3, fixed: 0, escalated: 2 });
    // It reached a person: the funnel keeps it there, not under "recovered on its own".
    expect(overview.funnel).toMatchObject({ total: 4, escalated: 2, recovered: 0 });
  });
});

describe('the overview between changes', () => {
  const overview = async () => (await call(server, { method: 'GET', url: '/api/overview' })).json();

  it('runs its queries once while nothing changes, and again after a write', async () => {
    const listTracking = vi.spyOn(seeded.stores.tasks, 'listTracking');
    await overview();
    await overview();
    expect(listTracking).toHaveBeenCalledTimes(1);
    writeTask(seeded.stores, seeded.clock, 'mail');
    expect((await overview()).counts.openTasks).toBe(2);
    expect(listTracking).toHaveBeenCalledTimes(2);
  });

  it('sees at once what another process wrote (the daemon, when the dashboard runs on its own)', async () => {
    expect((await overview()).counts.openEscalations).toBe(2);
    const daemon = openStores(seeded.dataDir);
    try {
      writeTask(daemon, seeded.clock, 'mail');
      daemon.state.setPause(true, seeded.clock.now(), 'from the CLI');
    } finally {
      daemon.close();
    }
    const after = await overview();
    expect(after.services.map((service: { name: string }) => service.name)).toContain('mail');
    expect(after.daemon).toMatchObject({ paused: true, pauseReason: 'from the CLI' });
  });

  it('moves its time windows with the clock even without writes, and always answers the current time', async () => {
    expect((await overview()).counts.tasksLast24h).toBe(3);
    seeded.clock.advance(500);
    expect((await overview()).now).toBe(seeded.clock.now());
    seeded.clock.advance(86_400_000);
    const later = await overview();
    expect(later.now).toBe(seeded.clock.now());
    expect(later.counts.tasksLast24h).toBe(0);
    expect(later.rates.at(-1).day).toBe('2026-11-25');
  });

  it('serves, as JSON text, exactly the read model (cached or not)', async () => {
    const data = new DashboardData({ stores: seeded.stores, config: seeded.config, readOnly: false, host: hostname(), isDaemonRunning: () => true });
    const expected = data.overview(seeded.clock.now());
    expect(await overview()).toEqual(expected);
    expect(await overview()).toEqual(expected);
    expect(JSON.parse(data.overviewJson(seeded.clock.now()))).toEqual(expected);
  });

  it('asks whether the daemon runs on every request', async () => {
    let running = true;
    const watched = serverFor(seeded, { isDaemonRunning: () => running });
    try {
      expect((await call(watched, { method: 'GET', url: '/api/overview' })).json().daemon.running).toBe(true);
      running = false;
      expect((await call(watched, { method: 'GET', url: '/api/overview' })).json().daemon.running).toBe(false);
    } finally {
      await watched.close();
    }
  });
});

describe('GET /api/tasks', () => {
  const ids = async (query: string) => (await call(server, { method: 'GET', url: `/api/tasks${query}` })).json().map((task: { service: string }) => task.service);

  it('lists tasks newest first with the CLI --json fields, filtered by service, phase, outcome, since and limit', async () => {
    const all = (await call(server, { method: 'GET', url: '/api/tasks' })).json();
    expect(all).toHaveLength(4);
    // The CLI's fields, and the outcome and time to recovery as store/task-outcomes.ts defines them.
    expect(Object.keys(all[0]).sort()).toEqual([...Object.keys(seeded.fixedTask), 'outcome', 'recoveryMs'].sort());
    expect(await ids('?outcome=fixed')).toEqual(['web']);
    expect(await ids('?outcome=escalated')).toEqual(expect.arrayContaining(['db', 'queue']));
    expect(await ids('?outcome=open')).toEqual(['cache']);
    expect(await ids('?phase=1')).toEqual(['web']);
    expect(await ids('?phase=3')).toEqual(['db']);
    expect(await ids('?service=cache')).toEqual(['cache']);
    expect(await ids('?since=2026-11-24T00:00:00Z&service=&outcome=')).toHaveLength(3);
    expect(await ids('?limit=1')).toHaveLength(1);
  });

  it.each(['phase=9', 'phase=x', 'limit=-1', 'limit=0', 'limit=1.5', 'outcome=done', 'since=yesterday', 'since=2026-13-45'])('rejects %s with 400', async (query) => {
    const response = await call(server, { method: 'GET', url: `/api/tasks?${query}` });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatch(/^(phase|limit|outcome|since): /);
  });

  it('returns hostile text as JSON string data', async () => {
    const response = await call(server, { method: 'GET', url: `/api/tasks/${seeded.openTask.id}` });
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json().task.message).toBe(`cache said ${XSS}`);
  });
});

describe('GET /api/tasks/:id', () => {
  it('returns the task with its attempts, verdicts and escalation', async () => {
    const fixed = (await call(server, { method: 'GET', url: `/api/tasks/${seeded.fixedTask.id}` })).json();
    expect(fixed.task).toMatchObject({ id: seeded.fixedTask.id, status: 'fixed', fixedByPhase: 1 });
    expect(fixed.attempts).toMatchObject([{ planKey: 'restart_unit', outcome: 'success' }]);
    expect(fixed.verdicts).toMatchObject([{ agent: 'heuristic', error: 'no idea' }]);
    expect(fixed.escalation).toBeNull();
    const escalated = (await call(server, { method: 'GET', url: `/api/tasks/${seeded.dbEscalation.taskId}` })).json();
    expect(escalated.escalation).toMatchObject({ id: seeded.dbEscalation.id, status: 'open' });
  });

  it('answers 404 for an unknown id', async () => {
    const response = await call(server, { method: 'GET', url: '/api/tasks/nope' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: 'no task with id "nope"' });
  });
});

describe('escalations', () => {
  const post = (url: string, payload: unknown = {}) => call(server, { method: 'POST', url, payload: payload as Record<string, unknown> });

  it('lists open first and filters by status; a bad status is a 400', async () => {
    await post(`/api/escalations/${seeded.dbEscalation.id}/ack`);
    const list = (await call(server, { method: 'GET', url: '/api/escalations' })).json();
    expect(list.map((escalation: { status: string }) => escalation.status)).toEqual(['open', 'acknowledged']);
    expect((await call(server, { method: 'GET', url: '/api/escalations?status=acknowledged' })).json()).toHaveLength(1);
    expect((await call(server, { method: 'GET', url: '/api/escalations?status=closed' })).statusCode).toBe(400);
  });

  it('acknowledges once; a second ack is a 400 with the reason', async () => {
    const first = await post(`/api/escalations/${seeded.dbEscalation.id}/ack`);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ id: seeded.dbEscalation.id, status: 'acknowledged', acknowledgedAt: seeded.clock.now() });
    expect(seeded.stores.escalations.get(seeded.dbEscalation.id)!.status).toBe('acknowledged');
    const again = await post(`/api/escalations/${seeded.dbEscalation.id}/ack`);
    expect(again.statusCode).toBe(400);
    expect(again.json().error).toMatch(/only an open escalation can be acknowledged/);
  });

  it('resolves with a fix that is learned; resolving twice is a 400', async () => {
    const response = await post(`/api/escalations/${seeded.dbEscalation.id}/resolve`, { fixes: ['restart_unit'], note: 'disk cleaned' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'resolved', note: 'disk cleaned', fixes: [{ type: 'restart_unit', params: { unit: 'db.service' } }] });
    const patterns = (await call(server, { method: 'GET', url: '/api/patterns' })).json();
    expect(patterns).toMatchObject([{ service: 'db', signature: 'unit_failed:exit-code', planKey: expect.stringContaining('restart_unit'), successes: 1 }]);
    const again = await post(`/api/escalations/${seeded.dbEscalation.id}/resolve`, {});
    expect(again.statusCode).toBe(400);
    expect(again.json().error).toMatch(/already resolved/);
  });

  it('rejects bad resolutions with 400 and unknown ids with 404', async () => {
    const id = seeded.queueEscalation.id;
    expect((await post(`/api/escalations/${id}/resolve`, { fixes: 'restart_unit' })).statusCode).toBe(400);
    expect((await post(`/api/escalations/${id}/resolve`, { fixes: ['x'.repeat(201)] })).statusCode).toBe(400);
    expect((await post(`/api/escalations/${id}/resolve`, { note: 'n'.repeat(2001) })).statusCode).toBe(400);
    expect((await post(`/api/escalations/${id}/resolve`, { fixes: [], surprise: 1 })).statusCode).toBe(400);
    const offCatalog = await post(`/api/escalations/${id}/resolve`, { fixes: ['format_disk'] });
    expect(offCatalog.statusCode).toBe(400);
    expect(offCatalog.json().error).toMatch(/format_disk/);
    expect(seeded.stores.escalations.get(id)!.status).toBe('open');
    for (const action of ['ack', 'resolve']) {
      const unknown = await post(`/api/escalations/nope/${action}`);
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json()).toEqual({ error: 'no escalation with id "nope"' });
    }
  });
});

describe('pause and resume', () => {
  it('turns the kill switch on with a reason and off again', async () => {
    const paused = await call(server, { method: 'POST', url: '/api/pause', payload: { reason: 'maintenance' } });
    expect(paused.json()).toEqual({ paused: true, since: seeded.clock.now(), reason: 'maintenance', by: 'token:admin' });
    expect((await call(server, { method: 'GET', url: '/api/overview' })).json().daemon).toMatchObject({ paused: true, pauseReason: 'maintenance' });
    expect((await call(server, { method: 'GET', url: '/health', token: null })).json().paused).toBe(true);
    const resumed = await call(server, { method: 'POST', url: '/api/resume', headers: { 'content-type': 'application/json' } });
    expect(resumed.statusCode).toBe(200);
    expect(resumed.json()).toMatchObject({ paused: false, reason: null });
    expect((await call(server, { method: 'POST', url: '/api/pause', payload: { reason: 'r'.repeat(501) } })).statusCode).toBe(400);
  });
});

describe('GET /metrics', () => {
  it('exports the store gauges and the process metrics', async () => {
    const response = await call(server, { method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.body).toMatch(/^orchestrator_tasks\{service="web",status="fixed",fixed_by_phase="1"\} 1$/m);
    expect(response.body).toMatch(/^orchestrator_escalations\{status="open"\} 2$/m);
    expect(response.body).toMatch(/^orchestrator_paused 0$/m);
    expect(response.body).toMatch(/^orchestrator_outbox_backlog\{status="pending"\} 0$/m);
    expect(response.body).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  it('is open without a token only when web.metricsPublic is set', async () => {
    const open = seed({ metricsPublic: true });
    const publicServer = serverFor(open);
    try {
      const response = await call(publicServer, { method: 'GET', url: '/metrics', token: null });
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain('orchestrator_escalations');
      expect((await call(publicServer, { method: 'GET', url: '/api/overview', token: null })).statusCode).toBe(401);
    } finally {
      await publicServer.close();
      open.cleanup();
    }
  });
});

describe('static pages', () => {
  it('serves the app shell and uPlot from node_modules without a token', async () => {
    const index = await call(server, { method: 'GET', url: '/', token: null });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    const script = await call(server, { method: 'GET', url: '/vendor/uplot.iife.min.js', token: null });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.body).toContain('uPlot');
    expect((await call(server, { method: 'GET', url: '/vendor/uplot.min.css', token: null })).headers['content-type']).toMatch(/^text\/css/);
    expect((await call(server, { method: 'GET', url: '/vendor/uPlot.cjs.js', token: null })).statusCode).toBe(404);
    expect((await call(server, { method: 'GET', url: '/no-such-page.html', token: null })).statusCode).toBe(404);
  });

  it.each(['/escalations/ESC', '/escalations', '/tasks', '/tasks/some-task', '/patterns'])(
    'answers the page path %s (a notification link) with the app shell, no data',
    async (url) => {
      const page = await call(server, { method: 'GET', url: url.replace('ESC', seeded.dbEscalation.id), token: null });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      expect(page.body).toContain('<script type="module" src="/app.js">');
      expect(page.body).not.toContain(seeded.dbEscalation.id);
    },
  );
});

describe('GET /api/actions', () => {
  it('lists the executable catalog actions as --fix templates, from the action definitions', async () => {
    const response = await call(server, { method: 'GET', url: '/api/actions' });
    expect(response.statusCode).toBe(200);
    const types = response.json().map((action: { type: string }) => action.type);
    expect(types).toContain('restart_unit');
    expect(types).toContain('kill_stray_listener');
    expect(types).not.toContain('escalate');
    expect(response.json().find((action: { type: string }) => action.type === 'remove_stale_file').fix).toBe('remove_stale_file:path=');
  });
});
