/**
 * The Alertmanager receiver on a real daemon and web server (memory service adapter, real SQLite): its own
 * credential, payload validation, mapping alerts to services, a firing alert fixed through the usual phases, a
 * repeat that waits for Alertmanager's resolved, a resolved one recorded, one for nothing managed ignored.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../src/config/load.js';
import { createDaemon, type Daemon } from '../../src/main.js';
import { silentLogger } from '../../src/core/logger.js';
import { systemClock } from '../../src/runtime/clock.js';
import { nodeFileSystem } from '../../src/adapters/host/node-file-system.js';
import { createWebServer, type WebServer } from '../../src/web/server.js';
import { MemoryAdapter, commandOk } from '../support/memory-adapter.js';

const TOKEN = 'am-receiver-token-0123456789';
let dataDir: string;
let daemon: Daemon | undefined;
let server: WebServer | undefined;

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'orchestrator-alerts-'));
  process.env.AO_TEST_AM_TOKEN = TOKEN;
});
afterEach(async () => {
  await server?.close();
  daemon?.stores.close();
  server = undefined;
  daemon = undefined;
  delete process.env.AO_TEST_AM_TOKEN;
  rmSync(dataDir, { recursive: true, force: true });
});

function start(units: MemoryAdapter, auth = 'auth: { bearerTokenEnv: AO_TEST_AM_TOKEN }'): { daemon: Daemon; server: WebServer } {
  const config = parseConfigText(
    `dataDir: ${dataDir}
cycle: { watchFailedUnits: false }
verification: { settle: 10ms }
host: { disk: { enabled: false }, inodes: { enabled: false }, memory: { enabled: false } }
phases: { research: { enabled: false }, consensus: { enabled: false } }
alertmanager:
  ${auth}
  routes:
    - { matchers: ['job="node-app"'], service: app }
services:
  - name: app
    unit: app.service
  - name: db
    unit: db.service
`,
    'test',
  );
  const runner = { run: async (argv: readonly string[]) => commandOk(argv) };
  daemon = createDaemon({ config, logger: silentLogger, adapters: { runner, adapter: units, probes: undefined as never, files: nodeFileSystem, clock: systemClock } });
  server = createWebServer({
    config,
    stores: daemon.stores,
    readOnly: false,
    logger: silentLogger,
    alerts: daemon.alerts,
    silences: daemon.silences,
    escalations: daemon.escalations,
  });
  return { daemon, server };
}

function alert(labels: Record<string, string>, status: 'firing' | 'resolved' = 'firing', startsAt = '2026-12-03T10:00:00Z') {
  return {
    status,
    labels: { alertname: 'TargetDown', ...labels },
    annotations: { summary: 'the app does not answer scrapes' },
    startsAt,
    endsAt: status === 'resolved' ? '2026-12-03T10:05:00Z' : '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph?g0.expr=up%3D%3D0',
    fingerprint: `fp-${Object.values(labels).join('-')}`,
  };
}

function payload(alerts: unknown[], status: 'firing' | 'resolved' = 'firing') {
  return {
    version: '4',
    groupKey: '{}:{alertname="TargetDown"}',
    truncatedAlerts: 0,
    status,
    receiver: 'orchestrator',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://am:9093',
    alerts,
  };
}

async function post(body: unknown, authorization: string | null = `Bearer ${TOKEN}`) {
  return server!.app.inject({
    method: 'POST',
    url: '/api/alertmanager',
    headers: { host: '127.0.0.1:8888', 'content-type': 'application/json', ...(authorization !== null && { authorization }) },
    payload: JSON.stringify(body),
  });
}

describe('the Alertmanager receiver', () => {
  it('wants its own credential, not a dashboard token', async () => {
    start(new MemoryAdapter());
    expect((await post(payload([]), null)).statusCode).toBe(401);
    expect((await post(payload([]), 'Bearer wrong-token-wrong-token')).statusCode).toBe(401);
    expect((await post(payload([]), `Bearer ${server!.token}`)).statusCode).toBe(401);
    const ok = await post(payload([]));
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ received: 0 });
  });

  it('accepts basic auth as Alertmanager sends it', async () => {
    process.env.AO_TEST_AM_PASSWORD = 'pw-for-alertmanager';
    try {
      start(new MemoryAdapter(), 'auth: { username: alertmanager, passwordEnv: AO_TEST_AM_PASSWORD }');
      const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      expect((await post(payload([]), basic('alertmanager', 'nope'))).statusCode).toBe(401);
      expect((await post(payload([]), basic('alertmanager', 'pw-for-alertmanager'))).statusCode).toBe(200);
    } finally {
      delete process.env.AO_TEST_AM_PASSWORD;
    }
  });

  it('answers 503 naming the variable when its credential is not set', async () => {
    start(new MemoryAdapter());
    delete process.env.AO_TEST_AM_TOKEN;
    const response = await post(payload([]));
    expect(response.statusCode).toBe(503);
    expect(response.json().error).toMatch(/AO_TEST_AM_TOKEN is not set/);
  });

  it('refuses a bad payload with 400 and the reason', async () => {
    start(new MemoryAdapter());
    const wrongVersion = await post({ ...payload([]), version: '3' });
    expect(wrongVersion.statusCode).toBe(400);
    expect(wrongVersion.json().error).toMatch(/version: expected Alertmanager's webhook payload version "4"/);
    const badAlert = await post(payload([{ status: 'burning', labels: {}, startsAt: 'yesterday' }]));
    expect(badAlert.statusCode).toBe(400);
    expect(badAlert.json().error).toMatch(/alerts\.0\.status: expected firing or resolved; alerts\.0\.startsAt: expected an RFC 3339 time/);
    const notJson = await server!.app.inject({
      method: 'POST',
      url: '/api/alertmanager',
      headers: { host: '127.0.0.1:8888', 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      payload: '{',
    });
    expect(notJson.statusCode).toBe(400);
  });

  it('fixes the service a firing alert names, waits for resolved on a repeat, and records the resolution', async () => {
    const units = new MemoryAdapter();
    const { daemon } = start(units);
    // The unit is active: only Prometheus sees the app is wrong.
    const first = await post(payload([alert({ service: 'app', instance: 'web1:8080' })]));
    expect(first.statusCode).toBe(200);
    expect(first.json().outcomes).toEqual({ opened: 1 });
    await daemon.orchestrator.idle();
    const [task] = daemon.stores.tasks.list({ service: 'app' });
    expect(task).toMatchObject({ status: 'fixed', symptom: 'alert_firing', signature: 'alert_firing:TargetDown', fixedByPhase: 1 });
    expect(task!.message).toBe('Alertmanager: TargetDown is firing for app: the app does not answer scrapes');
    expect(task!.evidence.alerts?.[0]).toMatchObject({ alertname: 'TargetDown', generatorURL: expect.stringContaining('up%3D%3D0'), labels: { instance: 'web1:8080' } });
    expect(units.actions).toEqual(['restart app.service']);

    // Alertmanager repeats the group before Prometheus has seen the app recover: nothing is restarted again.
    const repeat = await post(payload([alert({ service: 'app', instance: 'web1:8080' })]));
    expect(repeat.json().outcomes).toEqual({ awaiting_resolution: 1 });
    await daemon.orchestrator.idle();
    expect(units.actions).toEqual(['restart app.service']);

    const resolved = await post(payload([alert({ service: 'app', instance: 'web1:8080' }, 'resolved')], 'resolved'));
    expect(resolved.json().outcomes).toEqual({ resolved: 1 });
    const row = daemon.stores.alerts.recent(10, 'app')[0]!;
    expect(row).toMatchObject({ status: 'resolved', taskId: task!.id, received: 3, outcome: 'awaiting_resolution' });
    expect(row.resolvedAt).not.toBeNull();
  });

  it('maps by route matchers, joins an open task, and records alerts for nothing managed', async () => {
    const units = new MemoryAdapter();
    units.states.set('db.service', 'failed');
    units.broken.add('db.service');
    const { daemon } = start(units);
    await daemon.orchestrator.runCycle('watch');
    const response = await post(payload([alert({ job: 'node-app' }), alert({ service: 'db' }), alert({ service: 'mail' })]));
    expect(response.json().alerts.map((entry: { service: string | null; outcome: string }) => [entry.service, entry.outcome])).toEqual([
      ['app', 'opened'],
      ['db', 'joined'],
      [null, 'unmanaged'],
    ]);
    await daemon.orchestrator.idle();
    expect(daemon.stores.tasks.list({ service: 'db' })).toHaveLength(1);
    expect(daemon.stores.tasks.list({ service: 'mail' })).toHaveLength(0);
  });

  it('keeps an escalated service unhealthy while its alert fires, whatever its own checks say', async () => {
    const units = new MemoryAdapter();
    const { daemon } = start(units);
    daemon.stores.state.setAutonomy('app', { mode: 'off', by: 'test' }, Date.now());
    await post(payload([alert({ service: 'app' })]));
    await daemon.orchestrator.idle();
    const [task] = daemon.stores.tasks.list({ service: 'app' });
    expect(task!.status).toBe('escalated');
    for (let cycle = 0; cycle < 4; cycle++) await daemon.orchestrator.runOnce();
    expect(daemon.stores.escalations.active()).toHaveLength(1);
    await post(payload([alert({ service: 'app' }, 'resolved')], 'resolved'));
    for (let cycle = 0; cycle < 4; cycle++) await daemon.orchestrator.runOnce();
    expect(daemon.stores.escalations.active()).toHaveLength(0);
  });

  it('is refused by the read-only dashboard', async () => {
    start(new MemoryAdapter());
    const config = parseConfigText(`dataDir: ${dataDir}\nalertmanager: { auth: { bearerTokenEnv: AO_TEST_AM_TOKEN } }`, 'test');
    const readOnly = createWebServer({ config, stores: daemon!.stores, readOnly: true, logger: silentLogger });
    try {
      const response = await readOnly.app.inject({
        method: 'POST',
        url: '/api/alertmanager',
        headers: { host: '127.0.0.1:8888', 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        payload: JSON.stringify(payload([])),
      });
      expect(response.statusCode).toBe(403);
    } finally {
      await readOnly.close();
    }
  });
});
