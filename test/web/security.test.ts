/** The dashboard's defences (the daemon runs as root): token file, sessions, rate limit, Host, CSRF, headers, read-only. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { call, seed, serverFor, type Seeded } from './seed.js';
import type { WebServer } from '../../src/web/server.js';
import { CONTENT_SECURITY_POLICY, READ_ONLY_MESSAGE } from '../../src/web/security.js';
import { acquireInstanceLock } from '../../src/runtime/instance-lock.js';

let seeded: Seeded;
let server: WebServer;
const extra: WebServer[] = [];

beforeEach(() => {
  seeded = seed({ allowedHosts: ['dash.example', 'proxy.example:8443'] });
  server = serverFor(seeded);
});
afterEach(async () => {
  await Promise.all([server, ...extra.splice(0)].map((each) => each.close()));
  seeded.cleanup();
});

const login = (token: string, headers: Record<string, string> = {}) => call(server, { method: 'POST', url: '/api/login', payload: { token }, token: null, headers });

describe('the token file', () => {
  it('is generated with mode 0600 at the first start and reused at the next', async () => {
    const file = path.join(seeded.dataDir, 'web-token');
    expect(server).toMatchObject({ tokenFile: file, tokenCreated: true });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(server.token);
    expect(Buffer.from(server.token, 'base64url')).toHaveLength(32);
    const again = serverFor(seeded);
    extra.push(again);
    expect(again).toMatchObject({ token: server.token, tokenCreated: false });
  });

  it('lives where web.tokenFile says', () => {
    const tokenFile = path.join(seeded.dataDir, 'etc', 'token');
    const custom = serverFor({ ...seeded, config: { ...seeded.config, web: { ...seeded.config.web, tokenFile } } });
    extra.push(custom);
    expect(custom).toMatchObject({ tokenFile, tokenCreated: true });
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
  });
});

describe('login sessions', () => {
  it('sets an HttpOnly SameSite=Strict cookie that authenticates, until logout', async () => {
    const response = await login(server.token);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ok: true });
    const cookie = response.cookies.find((each) => each.name === 'ao_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookie.secure).toBeFalsy();
    const headers = { cookie: `ao_session=${cookie.value}` };
    expect((await call(server, { method: 'GET', url: '/api/overview', token: null, headers })).statusCode).toBe(200);
    // A wrong bearer token is refused even with a valid cookie.
    expect((await call(server, { method: 'GET', url: '/api/overview', token: 'wrong', headers })).statusCode).toBe(401);
    expect((await call(server, { method: 'POST', url: '/api/logout', payload: {}, token: null, headers })).statusCode).toBe(200);
    expect((await call(server, { method: 'GET', url: '/api/overview', token: null, headers })).statusCode).toBe(401);
    expect((await call(server, { method: 'GET', url: '/api/overview', token: null, headers: { cookie: 'ao_session=forged' } })).statusCode).toBe(401);
  });

  it('tells the page whether its cookie is a live session, without a 401', async () => {
    const session = (cookie?: string) => call(server, { method: 'GET', url: '/api/session', token: null, headers: cookie ? { cookie } : {} });
    expect((await session()).statusCode).toBe(200);
    expect((await session()).json()).toEqual({ authenticated: false });
    expect((await session('ao_session=forged')).json()).toEqual({ authenticated: false });
    const cookie = (await login(server.token)).cookies.find((each) => each.name === 'ao_session')!;
    expect((await session(`ao_session=${cookie.value}`)).json()).toEqual({ authenticated: true });
    await call(server, { method: 'POST', url: '/api/logout', payload: {}, token: null, headers: { cookie: `ao_session=${cookie.value}` } });
    expect((await session(`ao_session=${cookie.value}`)).json()).toEqual({ authenticated: false });
  });

  it('refuses a wrong token with 401 and rate limits attempts with 429', async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const response = await login(`wrong-${attempt}`);
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({ error: 'wrong token' });
    }
    const limited = await login(server.token);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toMatch(/too many login attempts/);
  });
});

describe('the Host header (DNS rebinding)', () => {
  it.each(['127.0.0.1:8888', 'localhost:8888', '[::1]:8888', 'LOCALHOST:8888', 'dash.example', 'dash.example:8888', 'proxy.example:8443'])('accepts %s', async (host) => {
    expect((await call(server, { method: 'GET', url: '/api/overview', headers: { host } })).statusCode).toBe(200);
  });

  it.each(['evil.example:8888', 'evil.example', 'localhost:9999', '127.0.0.1', 'proxy.example', 'dash.example:1234', '127.0.0.1.evil.example:8888'])(
    'rejects %s, even for /health',
    async (host) => {
      const response = await call(server, { method: 'GET', url: '/health', headers: { host } });
      expect(response.statusCode).toBe(421);
      expect(response.json().error).toMatch(/unexpected Host header/);
    },
  );
});

describe('state-changing requests (CSRF)', () => {
  const ack = (headers: Record<string, string>, payload = '{}') =>
    call(server, { method: 'POST', url: `/api/escalations/${seeded.dbEscalation.id}/ack`, payload, headers: { 'content-type': 'application/json', ...headers } });

  it('must be JSON', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const response = await ack({ 'content-type': type });
      expect(response.statusCode).toBe(403);
      expect(response.json().error).toMatch(/Content-Type: application\/json/);
    }
    const loginAsForm = await call(server, { method: 'POST', url: '/api/login', payload: `token=${server.token}`, token: null, headers: { 'content-type': 'text/plain' } });
    expect(loginAsForm.statusCode).toBe(403);
    expect(seeded.stores.escalations.get(seeded.dbEscalation.id)!.status).toBe('open');
  });

  it('must come from the same origin when an Origin header is present', async () => {
    expect((await ack({ origin: 'http://evil.example' })).statusCode).toBe(403);
    expect((await ack({ origin: 'null' })).statusCode).toBe(403);
    expect((await ack({ 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    expect(seeded.stores.escalations.get(seeded.dbEscalation.id)!.status).toBe('open');
    expect((await ack({ origin: 'http://127.0.0.1:8888', 'sec-fetch-site': 'same-origin' })).statusCode).toBe(200);
  });

  it('answers a malformed JSON body with 400', async () => {
    expect((await ack({}, '{"oops"')).statusCode).toBe(400);
  });
});

describe('response headers', () => {
  it.each([
    ['/health', null],
    ['/api/overview', 'token'],
    ['/api/overview', null],
    ['/api/tasks/nope', 'token'],
    ['/', null],
  ] as const)('%s (%s) carries CSP, nosniff, no-referrer and DENY', async (url, token) => {
    const response = await call(server, { method: 'GET', url, token: token === null ? null : server.token });
    expect(response.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(response.headers['x-frame-options']).toBe('DENY');
    if (url.startsWith('/api/')) expect(response.headers['cache-control']).toBe('no-store');
  });
});

describe('the read-only dashboard', () => {
  it('refuses ack, resolve, pause and resume with 403 but allows reads and login', async () => {
    const readOnly = serverFor(seeded, { readOnly: true });
    extra.push(readOnly);
    for (const url of [`/api/escalations/${seeded.dbEscalation.id}/ack`, `/api/escalations/${seeded.dbEscalation.id}/resolve`, '/api/pause', '/api/resume']) {
      const response = await call(readOnly, { method: 'POST', url, payload: {} });
      expect(response.statusCode).toBe(403);
      expect(response.json()).toEqual({ error: READ_ONLY_MESSAGE });
    }
    expect(seeded.stores.escalations.get(seeded.dbEscalation.id)!.status).toBe('open');
    expect(seeded.stores.state.pause().paused).toBe(false);
    expect((await call(readOnly, { method: 'GET', url: '/api/overview' })).json().readOnly).toBe(true);
    expect((await call(readOnly, { method: 'POST', url: '/api/login', payload: { token: readOnly.token }, token: null })).statusCode).toBe(200);
  });

  it('tells from the instance lock whether the daemon (another process) runs', async () => {
    const notRunning = serverFor(seeded, { readOnly: true, isDaemonRunning: undefined });
    extra.push(notRunning);
    expect((await call(notRunning, { method: 'GET', url: '/health' })).json().daemon).toBe('not running');
    const lock = acquireInstanceLock(seeded.dataDir);
    try {
      const running = serverFor(seeded, { readOnly: true, isDaemonRunning: undefined });
      extra.push(running);
      expect((await call(running, { method: 'GET', url: '/api/overview' })).json().daemon.running).toBe(true);
    } finally {
      lock.release();
    }
  });
});

describe('/metrics for a Prometheus scrape', () => {
  const variable = 'AO_TEST_METRICS_TOKEN';
  afterEach(() => {
    delete process.env[variable];
  });

  it('opens with its own bearer token (read at each scrape), which opens nothing else; the dashboard token still works', async () => {
    const scraped = serverFor({ ...seeded, config: { ...seeded.config, web: { ...seeded.config.web, metricsTokenEnv: variable } } });
    extra.push(scraped);
    const metrics = (token: string | null) => call(scraped, { method: 'GET', url: '/metrics', token });
    process.env[variable] = 'short';
    expect((await metrics('short')).statusCode).toBe(401); // too short to be a token: opens nothing
    process.env[variable] = 'a-metrics-token-of-some-length';
    const response = await metrics('a-metrics-token-of-some-length');
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('orchestrator_build_info{');
    expect((await metrics(scraped.token)).statusCode).toBe(200);
    expect((await metrics(null)).statusCode).toBe(401);
    expect((await metrics('wrong-token-of-the-same-length')).statusCode).toBe(401);
    expect((await call(scraped, { method: 'GET', url: '/api/overview', token: 'a-metrics-token-of-some-length' })).statusCode).toBe(401);
    process.env[variable] = 'a-rotated-metrics-token-000';
    expect((await metrics('a-metrics-token-of-some-length')).statusCode).toBe(401);
    expect((await metrics('a-rotated-metrics-token-000')).statusCode).toBe(200);
  });

  it('needs no token with metricsPublic, and the rest of the API still does', async () => {
    const open = serverFor({ ...seeded, config: { ...seeded.config, web: { ...seeded.config.web, metricsPublic: true } } });
    extra.push(open);
    expect((await call(open, { method: 'GET', url: '/metrics', token: null })).statusCode).toBe(200);
    expect((await call(open, { method: 'GET', url: '/api/overview', token: null })).statusCode).toBe(401);
  });
});
