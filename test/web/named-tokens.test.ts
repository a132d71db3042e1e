/**
 * Named access tokens and stored sessions on the real web server over a real data directory: any unrevoked token
 * authenticates (bearer or login) and what it changes is recorded as token:<name>; a revocation, made by another
 * process, holds at the next request for the token and its sessions; sessions survive a restart, hold in the
 * read-only dashboard (another process on the same data directory), expire, and are capped.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { call, seed, serverFor, type Seeded } from './seed.js';
import type { WebServer } from '../../src/web/server.js';
import { openStores, type Stores } from '../../src/store/stores.js';
import { createAccessToken, listAccessTokens, revokeAccessToken } from '../../src/web/access-tokens.js';
import { AccessControl, MAX_SESSIONS } from '../../src/web/access-control.js';
import { SESSION_TTL_MS } from '../../src/web/auth.js';

let seeded: Seeded;
let server: WebServer;
const extra: WebServer[] = [];
const otherStores: Stores[] = [];

beforeEach(() => {
  seeded = seed();
  server = serverFor(seeded);
});
afterEach(async () => {
  await Promise.all([server, ...extra.splice(0)].map((each) => each.close()));
  for (const stores of otherStores.splice(0)) stores.close();
  seeded.cleanup();
});

/** The data directory opened again, as another process (the CLI, `orchestrator dashboard`) opens it. */
function anotherProcess(): Stores {
  const stores = openStores(seeded.dataDir);
  otherStores.push(stores);
  return stores;
}

const newToken = (name: string, stores: Stores = anotherProcess()) => createAccessToken(stores, name, 'cli:tester', seeded.clock.now()).token;

async function login(target: WebServer, token: string): Promise<string> {
  const response = await call(target, { method: 'POST', url: '/api/login', payload: { token }, token: null });
  expect(response.statusCode, response.body).toBe(200);
  return `ao_session=${response.cookies.find((cookie) => cookie.name === 'ao_session')!.value}`;
}

const withCookie = (target: WebServer, cookie: string, url = '/api/overview') => call(target, { method: 'GET', url, token: null, headers: { cookie } });
const post = (target: WebServer, url: string, credential: { token?: string; cookie?: string }, payload: object = {}) =>
  call(target, { method: 'POST', url, payload, token: credential.token ?? null, headers: credential.cookie ? { cookie: credential.cookie } : {} });

describe('named tokens', () => {
  it('authenticate as bearer tokens and at login, and every change records the token name', async () => {
    const alice = newToken('alice');
    const bob = newToken('bob');
    expect((await call(server, { method: 'GET', url: '/api/overview', token: alice })).statusCode).toBe(200);

    const db = seeded.dbEscalation.id;
    const ack = await post(server, `/api/escalations/${db}/ack`, { token: alice });
    expect(ack.statusCode, ack.body).toBe(200);
    expect(ack.json()).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'token:alice', acknowledgedAt: seeded.clock.now() });
    const retry = await post(server, `/api/escalations/${db}/retry`, { token: alice });
    expect(retry.json()).toMatchObject({ retryRequestedBy: 'token:alice' });

    const bobSession = await login(server, bob);
    const resolved = await post(server, `/api/escalations/${seeded.queueEscalation.id}/resolve`, { cookie: bobSession }, { note: 'restarted by hand' });
    expect(resolved.statusCode, resolved.body).toBe(200);
    expect(resolved.json()).toMatchObject({ status: 'resolved', resolvedBy: 'token:bob' });

    const paused = await post(server, '/api/pause', { cookie: bobSession }, { reason: 'maintenance' });
    expect(paused.json()).toMatchObject({ paused: true, by: 'token:bob' });
    expect((await withCookie(server, bobSession)).json().daemon).toMatchObject({ paused: true, pausedBy: 'token:bob' });
    expect((await post(server, '/api/resume', { token: server.token })).json()).toMatchObject({ paused: false, by: 'token:admin' });

    // Stored: the CLI, another process, reads the same names.
    const stores = anotherProcess();
    expect(stores.escalations.get(db)).toMatchObject({ acknowledgedBy: 'token:alice', retryRequestedBy: 'token:alice' });
    expect(stores.escalations.get(seeded.queueEscalation.id)).toMatchObject({ resolvedBy: 'token:bob' });
    expect(stores.state.pause()).toMatchObject({ paused: false, by: 'token:admin' });
    const listed = (await call(server, { method: 'GET', url: '/api/escalations', token: bob })).json() as Array<{ id: string; acknowledgedBy: string | null }>;
    expect(listed.find((each) => each.id === db)).toMatchObject({ acknowledgedBy: 'token:alice' });
    const used = Object.fromEntries(listAccessTokens(stores, seeded.clock.now()).map((token) => [token.name, token]));
    expect(used.alice).toMatchObject({ lastUsedAt: seeded.clock.now(), createdBy: 'cli:tester', revoked: false, liveSessions: 0 });
    expect(used.bob).toMatchObject({ liveSessions: 1 });
  });

  it('keep the token file working as the token named "admin"', async () => {
    const stores = anotherProcess();
    expect(stores.accessTokens.get('admin')).toMatchObject({ createdBy: `file:${server.tokenFile}`, revokedAt: null });
    const session = await login(server, server.token);
    expect((await post(server, `/api/escalations/${seeded.dbEscalation.id}/ack`, { cookie: session })).json()).toMatchObject({ acknowledgedBy: 'token:admin' });
    expect(() => createAccessToken(stores, 'admin', 'cli:tester', seeded.clock.now())).toThrow(/"admin" is the name of the token file's token/);
  });

  it('refuse a revoked token and end its sessions at the next request, wherever it was revoked', async () => {
    const alice = newToken('alice');
    const bob = newToken('bob');
    const aliceSession = await login(server, alice);
    const bobSession = await login(server, bob);
    expect((await withCookie(server, aliceSession)).statusCode).toBe(200);

    const revoked = revokeAccessToken(anotherProcess(), 'alice', 'cli:tester', seeded.clock.now());
    expect(revoked).toMatchObject({ name: 'alice', sessionsEnded: 1, dryRun: false });

    expect((await call(server, { method: 'GET', url: '/api/overview', token: alice })).statusCode).toBe(401);
    expect((await withCookie(server, aliceSession)).statusCode).toBe(401);
    expect((await withCookie(server, aliceSession, '/api/session')).json()).toEqual({ authenticated: false });
    const relogin = await call(server, { method: 'POST', url: '/api/login', payload: { token: alice }, token: null });
    expect(relogin.statusCode).toBe(401);
    expect((await post(server, `/api/escalations/${seeded.dbEscalation.id}/ack`, { token: alice })).statusCode).toBe(401);
    expect(seeded.stores.escalations.get(seeded.dbEscalation.id)!.status).toBe('open');
    // Everyone else is unaffected.
    expect((await withCookie(server, bobSession)).statusCode).toBe(200);
    expect((await call(server, { method: 'GET', url: '/api/overview', token: bob })).statusCode).toBe(200);
    expect((await call(server, { method: 'GET', url: '/api/overview' })).statusCode).toBe(200);
    // The name stays taken: token:alice in the record always means that one token.
    expect(() => createAccessToken(anotherProcess(), 'alice', 'cli:tester', seeded.clock.now())).toThrow(/was revoked/);
    expect(() => revokeAccessToken(anotherProcess(), 'alice', 'cli:tester', seeded.clock.now())).toThrow(/already revoked/);
  });

  it('revoking "admin" shuts the token file out, also after a restart, while named tokens work', async () => {
    const alice = newToken('alice');
    const adminSession = await login(server, server.token);
    revokeAccessToken(anotherProcess(), 'admin', 'cli:tester', seeded.clock.now());
    expect((await call(server, { method: 'GET', url: '/api/overview' })).statusCode).toBe(401);
    expect((await withCookie(server, adminSession)).statusCode).toBe(401);
    const restarted = serverFor(seeded);
    extra.push(restarted);
    expect(restarted.tokenRevoked).toBe(true);
    expect((await call(restarted, { method: 'GET', url: '/api/overview' })).statusCode).toBe(401);
    expect((await call(restarted, { method: 'GET', url: '/api/overview', token: alice })).statusCode).toBe(200);
  });

  it('a new token file replaces the old admin token and ends its sessions', async () => {
    const oldToken = server.token;
    const oldSession = await login(server, oldToken);
    const file = path.join(seeded.dataDir, 'web-token');
    rmSync(file);
    writeFileSync(file, `${'n'.repeat(40)}\n`, { mode: 0o600 });
    const restarted = serverFor(seeded);
    extra.push(restarted);
    expect(restarted.token).toBe('n'.repeat(40));
    expect((await call(restarted, { method: 'GET', url: '/api/overview', token: oldToken })).statusCode).toBe(401);
    expect((await withCookie(restarted, oldSession)).statusCode).toBe(401);
    expect((await call(restarted, { method: 'GET', url: '/api/overview' })).statusCode).toBe(200);
  });

  it('refuse oversized credentials without looking them up', async () => {
    newToken('alice');
    expect((await call(server, { method: 'GET', url: '/api/overview', token: 'x'.repeat(600) })).statusCode).toBe(401);
    expect((await withCookie(server, `ao_session=${'y'.repeat(1000)}`)).statusCode).toBe(401);
    expect((await call(server, { method: 'POST', url: '/api/login', payload: { token: 'z'.repeat(513) }, token: null })).statusCode).toBe(400);
  });

  it('count wrong guesses per address as before: a locked-out address is refused even a named token', async () => {
    const alice = newToken('alice');
    const aliceSession = await login(server, alice);
    for (let attempt = 0; attempt < 10; attempt++) expect((await call(server, { method: 'GET', url: '/api/overview', token: `guess-${attempt}` })).statusCode).toBe(401);
    expect((await call(server, { method: 'GET', url: '/api/overview', token: alice })).statusCode).toBe(429);
    // A live session is not a guess: it still works.
    expect((await withCookie(server, aliceSession)).statusCode).toBe(200);
  });
});

describe('stored sessions', () => {
  it('survive a restart of the daemon: a new server on the same data directory accepts the cookie', async () => {
    const alice = newToken('alice');
    const session = await login(server, alice);
    await server.close();
    seeded.stores.close();
    const reopened = openStores(seeded.dataDir);
    seeded = { ...seeded, stores: reopened };
    server = serverFor(seeded);
    expect((await withCookie(server, session)).statusCode).toBe(200);
    expect((await post(server, `/api/escalations/${seeded.dbEscalation.id}/ack`, { cookie: session })).json()).toMatchObject({ acknowledgedBy: 'token:alice' });
    // Logout after the restart ends it for good.
    expect((await post(server, '/api/logout', { cookie: session })).statusCode).toBe(200);
    expect((await withCookie(server, session)).statusCode).toBe(401);
  });

  it('hold in the read-only dashboard, another process on the same data directory, and logout there ends them here', async () => {
    const stores = anotherProcess();
    const readOnly = serverFor({ ...seeded, stores }, { readOnly: true });
    extra.push(readOnly);
    const session = await login(server, newToken('alice'));
    const overview = await withCookie(readOnly, session);
    expect(overview.statusCode).toBe(200);
    expect(overview.json().readOnly).toBe(true);
    expect((await withCookie(readOnly, session, '/api/session')).json()).toEqual({ authenticated: true });
    // A session opened on the read-only dashboard works on the daemon's too.
    const opened = await login(readOnly, newToken('bob'));
    expect((await withCookie(server, opened)).statusCode).toBe(200);
    expect((await post(readOnly, '/api/logout', { cookie: session })).statusCode).toBe(200);
    expect((await withCookie(server, session)).statusCode).toBe(401);
  });

  it('expire after the session lifetime, and are pruned', async () => {
    const session = await login(server, newToken('alice'));
    seeded.clock.advance(SESSION_TTL_MS - 1_000);
    expect((await withCookie(server, session)).statusCode).toBe(200);
    seeded.clock.advance(1_000);
    expect((await withCookie(server, session)).statusCode).toBe(401);
    expect(seeded.stores.sessions.prune(seeded.clock.now())).toBe(1);
  });

  it(`are capped at ${MAX_SESSIONS} live ones: a login beyond ends the oldest`, async () => {
    const first = await login(server, server.token);
    const access = new AccessControl(seeded.stores, () => seeded.clock.now());
    seeded.clock.advance(1_000);
    const ids = seeded.stores.escalations.transaction(() => Array.from({ length: MAX_SESSIONS }, () => access.openSession('admin')));
    expect(seeded.stores.sessions.liveByToken(seeded.clock.now()).get('admin')).toBe(MAX_SESSIONS);
    expect((await withCookie(server, first)).statusCode).toBe(401);
    expect((await withCookie(server, `ao_session=${ids.at(-1)!}`)).statusCode).toBe(200);
    expect((await withCookie(server, `ao_session=${ids[0]!}`)).statusCode).toBe(200);
  });
});
