/**
 * The fleet dashboard's API over a SQLite fleet store of three hosts (test/web/fleet-seed.ts): hosts with their
 * state (the silent one first), open fleet escalations, the kill switch and leases; tasks filtered by host,
 * service and status; one task with its attempts; patterns grouped with their per-host record; validation, 404
 * without a fleet store, and authentication.
 */
import { unreachableWhile } from '../support/unreachable-fleet-store.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, seed, serverFor, type Seeded } from './seed.js';
import { MINUTE, PLAN, seedFleet, type SeededFleet } from './fleet-seed.js';
import type { WebServer } from '../../src/web/server.js';
import { NO_FLEET_STORE } from '../../src/web/routes/fleet.js';
import { FLEET_OVERVIEW_MAX_AGE_MS } from '../../src/web/fleet-data.js';
import { MAX_ACTIVE_SILENCES } from '../../src/store/silence-repository.js';

let seeded: Seeded;
let fleet: SeededFleet;
let server: WebServer;

beforeEach(async () => {
  seeded = seed();
  fleet = await seedFleet(seeded.clock.now());
  server = serverFor(seeded, { fleet: fleet.fleet });
});
afterEach(async () => {
  await server.close();
  await fleet.fleet.close();
  seeded.cleanup();
});

const get = async (url: string, token?: string | null) => call(server, { method: 'GET', url, token });
const ENDPOINTS = ['/api/fleet', '/api/fleet/tasks', '/api/fleet/tasks/h-web2/t-web2-1', '/api/fleet/patterns'];

describe('GET /api/fleet', () => {
  it('lists the hosts, silent first, with their state, summary and per-service task counts', async () => {
    const response = await get('/api/fleet');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.now).toBe(seeded.clock.now());
    expect(body.hosts.map((host: { name: string; state: string }) => [host.name, host.state])).toEqual([
      ['db1', 'silent'],
      ['web2', 'escalated'],
      ['web1', 'ok'],
    ]);
    const [db1, web2, web1] = body.hosts;
    expect(db1).toMatchObject({ id: 'h-db1', version: '0.2.9', lastSeen: seeded.clock.now() - 10 * MINUTE, silentSince: null, summary: { services: 1 } });
    expect(web2).toMatchObject({ summary: { services: 2, failing: 1, escalated: 1, paused: false } });
    expect(web2.services).toEqual([
      { service: 'cache', counts: { open: 1 } },
      { service: 'web', counts: { escalated: 1 } },
    ]);
    expect(web1.services).toEqual([
      { service: 'api', counts: { recovered: 1 } },
      { service: 'web', counts: { fixed: 1 } },
    ]);
  });

  it('marks a host silent as soon as another daemon claimed its silence, and a paused one paused', async () => {
    const now = seeded.clock.now();
    await fleet.fleet.heartbeat('h-db1', now, { services: 1, failing: 0, escalated: 0, paused: true });
    expect((await get('/api/fleet')).json().hosts.find((host: { id: string }) => host.id === 'h-db1').state).toBe('paused');
    await fleet.fleet.claimSilentHost('h-web1', now, now);
    // One overview serves every request for a second.
    expect((await get('/api/fleet')).json().hosts[0].state).toBe('escalated');
    seeded.clock.advance(FLEET_OVERVIEW_MAX_AGE_MS);
    const web1 = (await get('/api/fleet')).json().hosts[0];
    expect(web1).toMatchObject({ id: 'h-web1', state: 'silent', silentSince: now });
  });

  it('lists open and acknowledged escalations (not ended ones) with their host, the kill switch and the leases', async () => {
    const now = seeded.clock.now();
    let body = (await get('/api/fleet')).json();
    expect(body.escalations.map((e: { id: string; status: string; host: string; hostName: string }) => [e.id, e.status, e.host, e.hostName])).toEqual([
      ['e-db1-1', 'acknowledged', 'h-db1', 'db1'],
      ['e-web2-1', 'open', 'h-web2', 'web2'],
    ]);
    expect(body.escalations[0]).toMatchObject({ service: 'db', acknowledgedBy: 'token:alice', reason: 'phases 1-3 failed' });
    expect(body.escalations[0].evidence).toBeUndefined();
    expect(body.pause).toEqual({ paused: false, by: null, reason: null, since: null });
    expect(body.leases).toEqual([{ key: 'restart_unit:web', holder: 'h-web1', acquiredAt: now - MINUTE, expiresAt: now + 4 * MINUTE }]);

    await fleet.fleet.setFleetPause({ paused: true, by: 'cli:bob', reason: 'kernel upgrades', at: now });
    seeded.clock.advance(FLEET_OVERVIEW_MAX_AGE_MS);
    body = (await get('/api/fleet')).json();
    expect(body.pause).toEqual({ paused: true, by: 'cli:bob', reason: 'kernel upgrades', since: now });
  });
});

describe('GET /api/fleet/tasks', () => {
  it('lists the fleet tasks newest first with their host id and name', async () => {
    const tasks = (await get('/api/fleet/tasks')).json();
    expect(tasks.map((task: { id: string; host: string; hostName: string }) => [task.id, task.host, task.hostName])).toEqual([
      ['t-web2-2', 'h-web2', 'web2'],
      ['t-db1-1', 'h-db1', 'db1'],
      ['t-web1-2', 'h-web1', 'web1'],
      ['t-web2-1', 'h-web2', 'web2'],
      ['t-web1-1', 'h-web1', 'web1'],
    ]);
    expect(tasks[0]).toMatchObject({ service: 'cache', status: 'open', symptom: 'unit_failed' });
  });

  it('filters by host, service and status, ignores empty parameters and honours the limit', async () => {
    const ids = async (query: string) => (await get(`/api/fleet/tasks?${query}`)).json().map((task: { id: string }) => task.id);
    expect(await ids('host=h-web2')).toEqual(['t-web2-2', 't-web2-1']);
    expect(await ids('service=web')).toEqual(['t-web2-1', 't-web1-1']);
    expect(await ids('status=escalated&host=h-web2')).toEqual(['t-web2-1']);
    expect(await ids('host=h-web1&service=&status=')).toEqual(['t-web1-2', 't-web1-1']);
    expect(await ids('host=nobody')).toEqual([]);
    expect(await ids('limit=2')).toEqual(['t-web2-2', 't-db1-1']);
  });

  it.each([
    ['limit=0', /limit/],
    ['limit=501', /limit/],
    ['limit=many', /limit/],
    ['status=broken', /status/],
    [`host=${'h'.repeat(129)}`, /host/],
    [`service=${'s'.repeat(201)}`, /service/],
  ])('refuses ?%s with a 400 that says why', async (query, reason) => {
    const response = await get(`/api/fleet/tasks?${query}`);
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatch(reason);
  });
});

describe('GET /api/fleet/tasks/:host/:id', () => {
  it("answers the task with its host's name and its attempts", async () => {
    const response = await get('/api/fleet/tasks/h-web2/t-web2-1');
    expect(response.statusCode).toBe(200);
    const { task, attempts } = response.json();
    expect(task).toMatchObject({ id: 't-web2-1', host: 'h-web2', hostName: 'web2', status: 'escalated', service: 'web' });
    expect(attempts).toEqual([fleet.attempt]);
  });

  it("is 404 for another host's task or an unknown one, 400 for an over-long id", async () => {
    expect((await get('/api/fleet/tasks/h-web1/t-web2-1')).statusCode).toBe(404);
    const unknown = await get('/api/fleet/tasks/h-web2/nope');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatch(/no task with id "nope"/);
    const long = await get(`/api/fleet/tasks/h-web2/${'x'.repeat(129)}`);
    expect(long.statusCode).toBe(400);
    expect(long.json().error).toMatch(/^id: /);
    expect((await get(`/api/fleet/tasks/${'h'.repeat(129)}/t-web2-1`)).statusCode).toBe(400);
  });
});

describe('GET /api/fleet/patterns', () => {
  it('groups the same plan learned on several hosts (by profile, else by service) with the record of each host', async () => {
    const groups = (await get('/api/fleet/patterns')).json();
    expect(groups.map((group: { by: string; profile: string | null; services: string[]; planKey: string }) => [group.by, group.profile, group.services, group.planKey])).toEqual([
      ['service', null, ['db'], 'restart_unit(unit=db.service)'],
      ['profile', 'nginx', ['web', 'www'], PLAN],
      ['profile', 'nginx', ['web'], 'reload_unit(unit=web.service)'],
    ]);
    const now = seeded.clock.now();
    const restart = groups[1];
    expect(restart).toMatchObject({ signature: 'unit_failed:exit-code', successes: 6, failures: 2, lastUsed: now - 39 * MINUTE });
    expect(restart.hosts).toEqual([
      { host: 'h-web1', hostName: 'web1', service: 'web', successes: 4, failures: 0, lastUsed: now - 50 * MINUTE },
      { host: 'h-web1', hostName: 'web1', service: 'www', successes: 1, failures: 0, lastUsed: now - 55 * MINUTE },
      { host: 'h-web2', hostName: 'web2', service: 'web', successes: 1, failures: 2, lastUsed: now - 39 * MINUTE },
    ]);
  });
});

describe('the overview says whether the fleet is there', () => {
  it('fleet.enabled is true with a fleet store and false without', async () => {
    expect((await get('/api/overview')).json().fleet).toEqual({ enabled: true });
    const alone = serverFor(seeded);
    try {
      expect((await call(alone, { method: 'GET', url: '/api/overview' })).json().fleet).toEqual({ enabled: false });
    } finally {
      await alone.close();
    }
  });
});

describe('the fleet pages', () => {
  it.each(['/fleet', '/fleet/tasks/h-web2/t-web2-1', '/fleet/hosts/h-web2'])('answers the page path %s with the app shell, no data', async (url) => {
    const page = await get(url, null);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<script type="module" src="/app.js">');
    expect(page.body).toContain('<link rel="modulepreload" href="/pages/fleet-host.js" />');
    expect(page.body).not.toContain('web2');
  });
});

describe('without a fleet store', () => {
  it.each(ENDPOINTS)('GET %s is 404 and says what to configure', async (url) => {
    const alone = serverFor(seeded);
    try {
      const response = await call(alone, { method: 'GET', url });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ error: NO_FLEET_STORE });
      expect(NO_FLEET_STORE).toBe('this daemon has no fleet store (store.postgres in the configuration)');
    } finally {
      await alone.close();
    }
  });
});

describe('authentication', () => {
  it.each(ENDPOINTS)('GET %s is 401 without a token and with a wrong one', async (url) => {
    const none = await get(url, null);
    expect(none.statusCode).toBe(401);
    expect(none.json().error).toMatch(/authentication required/);
    expect((await get(url, 'x'.repeat(43))).statusCode).toBe(401);
  });
});

describe('a fleet store that cannot be read', () => {
  it('answers 503 saying so, and the next request that can read it is served', async () => {
    const store = { down: true };
    const flaky = unreachableWhile(fleet.fleet, store);
    const other = serverFor(seeded, { fleet: flaky });
    try {
      for (const url of ENDPOINTS) {
        const response = await call(other, { method: 'GET', url });
        expect({ url, status: response.statusCode, body: response.json() }).toEqual({
          url,
          status: 503,
          body: { error: 'the fleet store cannot be read now: connection refused' },
        });
      }
      store.down = false;
      expect((await call(other, { method: 'GET', url: '/api/fleet' })).statusCode).toBe(200);
    } finally {
      await other.close();
    }
  });
});

describe('fleet-wide silences through the API', () => {
  it('adds one to the fleet store (not this host), lists it apart, and expires it by id', async () => {
    const added = await call(server, { method: 'POST', url: '/api/silences', payload: { service: 'web', duration: '1h', comment: 'rolling upgrade', fleet: true } });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({ fleet: true, comment: 'rolling upgrade', state: 'active' });
    expect(seeded.stores.silences.all()).toEqual([]);
    const listed = (await get('/api/silences')).json();
    expect(listed.fleet.silences.map((silence: { id: string }) => silence.id)).toEqual([added.json().id]);
    const expired = await call(server, { method: 'POST', url: `/api/silences/${added.json().id}/expire`, payload: {} });
    expect(expired.statusCode).toBe(200);
    expect((await get('/api/silences')).json().fleet.silences).toEqual([]);
    expect((await call(server, { method: 'POST', url: '/api/silences/nope/expire', payload: {} })).statusCode).toBe(404);
  });

  it(`refuses one more once ${MAX_ACTIVE_SILENCES} are in force fleet-wide, as a host's own silences are`, async () => {
    const now = seeded.clock.now();
    for (let index = 0; index < MAX_ACTIVE_SILENCES; index++) {
      await fleet.fleet.addFleetSilence({
        id: `s${index}`,
        matchers: [{ name: 'service', operator: '=', value: 'web' }],
        startsAt: now,
        endsAt: now + 3_600_000,
        schedule: null,
        author: 'cli:bot',
        comment: 'many',
        createdAt: now,
        expiredAt: null,
        expiredBy: null,
      });
    }
    const refused = await call(server, { method: 'POST', url: '/api/silences', payload: { service: 'web', duration: '1h', comment: 'one more', fleet: true } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error).toBe(`there are already ${MAX_ACTIVE_SILENCES} fleet-wide silences in force: expire some first`);
    expect(await fleet.fleet.fleetSilences(now)).toHaveLength(MAX_ACTIVE_SILENCES);
  });

  it('refuses fleet: true without a fleet store, and lists none', async () => {
    const alone = serverFor(seeded);
    try {
      const refused = await call(alone, { method: 'POST', url: '/api/silences', payload: { service: 'web', duration: '1h', comment: 'x', fleet: true } });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error).toMatch(/no fleet store/);
      expect((await call(alone, { method: 'GET', url: '/api/silences' })).json().fleet).toBeNull();
    } finally {
      await alone.close();
    }
  });
});
