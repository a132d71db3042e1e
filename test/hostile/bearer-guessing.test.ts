/**
 * Guessing the dashboard token: wrong bearer (and login) tokens are counted per client address; after 10 within a
 * minute the address is locked out, even with the right token, until the window passes, and the log says so without
 * being flooded. Nothing a locked-out request asks for is done.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { call, seed, serverFor, type Seeded } from '../web/seed.js';
import type { WebServer } from '../../src/web/server.js';
import type { Logger } from '../../src/core/logger.js';
import { AuthFailureLimiter, DEFAULT_AUTH_FAILURE_LIMITS } from '../../src/web/auth-failures.js';

const ATTACKER = '127.0.0.1';
const LOCKED = `too many failed authentication attempts from ${ATTACKER}: retry in 60 s`;

let seeded: Seeded;
let server: WebServer;
let logger: Logger & { warn: ReturnType<typeof vi.fn> };

beforeEach(() => {
  seeded = seed();
  logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
  server = serverFor(seeded, { logger });
});
afterEach(async () => {
  await server.close();
  seeded.cleanup();
});

const overview = (token: string | null, remoteAddress = ATTACKER, headers: Record<string, string> = {}) =>
  call(server, { method: 'GET', url: '/api/overview', token, remoteAddress, headers });

async function guess(times: number, from = ATTACKER): Promise<void> {
  for (let attempt = 0; attempt < times; attempt++) {
    const response = await overview(`wrong-guess-${attempt}`, from);
    expect(response.statusCode).toBe(401);
  }
}

/** The warnings naming `address`, as [fields, message]. */
const warningsFrom = (address: string) => logger.warn.mock.calls.filter(([fields]) => (fields as { from?: string }).from === address);

describe('guessing the bearer token', () => {
  it('locks the address out after 10 wrong tokens: the 11th guess and the right token get 429, and nothing is done', async () => {
    const tokenFile = path.join(seeded.dataDir, 'web-token');
    const tokenBefore = { content: readFileSync(tokenFile, 'utf8'), mode: statSync(tokenFile).mode };
    await guess(10);

    const eleventh = await overview('wrong-guess-10');
    expect(eleventh.statusCode).toBe(429);
    expect(eleventh.json()).toEqual({ error: LOCKED });
    expect(eleventh.headers['retry-after']).toBe('60');
    const right = await overview(server.token);
    expect(right.statusCode).toBe(429);
    expect(right.json()).toEqual({ error: LOCKED });

    // A state-changing request with the right token is refused before it acts.
    const pause = await call(server, { method: 'POST', url: '/api/pause', payload: { reason: 'attacker' }, remoteAddress: ATTACKER });
    expect(pause.statusCode).toBe(429);
    const ack = await call(server, { method: 'POST', url: `/api/escalations/${seeded.dbEscalation.id}/ack`, payload: {}, remoteAddress: ATTACKER });
    expect(ack.statusCode).toBe(429);
    expect(seeded.stores.state.pause().paused).toBe(false);
    expect(seeded.stores.escalations.get(seeded.dbEscalation.id)!.status).toBe('open');
    expect({ content: readFileSync(tokenFile, 'utf8'), mode: statSync(tokenFile).mode }).toEqual(tokenBefore);
  });

  it('logs the first failure and the lockout with the address, not every guess', async () => {
    await guess(1);
    expect(warningsFrom(ATTACKER)).toHaveLength(1);
    expect(warningsFrom(ATTACKER)[0]![1]).toMatch(new RegExp(`wrong bearer token from ${ATTACKER}`));
    await guess(9);
    const warnings = warningsFrom(ATTACKER);
    expect(warnings).toHaveLength(2);
    expect(warnings[1]![0]).toMatchObject({ from: ATTACKER, failures: 10, lockedForSeconds: 60 });
    expect(warnings[1]![1]).toMatch(new RegExp(`${ATTACKER} is locked out for 60 s`));
    // Locked-out requests are answered, not logged.
    for (let attempt = 0; attempt < 20; attempt++) expect((await overview('wrong-again')).statusCode).toBe(429);
    expect(warningsFrom(ATTACKER)).toHaveLength(2);
  });

  it('leaves another address alone', async () => {
    await guess(10);
    expect((await overview(server.token)).statusCode).toBe(429);
    expect((await overview(server.token, '10.0.0.2')).statusCode).toBe(200);
    expect((await overview('wrong', '10.0.0.2')).statusCode).toBe(401);
    expect(warningsFrom('10.0.0.2')).toHaveLength(1);
  });

  it('lets the right token in again once the window has passed', async () => {
    await guess(10);
    seeded.clock.advance(59_000);
    const almost = await overview(server.token);
    expect(almost.statusCode).toBe(429);
    expect(almost.json().error).toBe(`too many failed authentication attempts from ${ATTACKER}: retry in 1 s`);
    seeded.clock.advance(1_001);
    expect((await overview(server.token)).statusCode).toBe(200);
  });

  it('counts wrong login tokens too, and refuses login from a locked-out address', async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const login = await call(server, { method: 'POST', url: '/api/login', payload: { token: `wrong-login-${attempt}` }, token: null, remoteAddress: ATTACKER });
      expect(login.statusCode).toBe(401);
    }
    await guess(5);
    expect((await overview(server.token)).statusCode).toBe(429);
    seeded.clock.advance(61_000);
    expect((await overview(server.token)).statusCode).toBe(200);
  });

  it('keeps a session opened before the lockout, but refuses a new login', async () => {
    const login = await call(server, { method: 'POST', url: '/api/login', payload: { token: server.token }, token: null, remoteAddress: ATTACKER });
    const cookie = login.cookies.find((each) => each.name === 'ao_session')!;
    await guess(10);
    expect((await overview(null, ATTACKER, { cookie: `ao_session=${cookie.value}` })).statusCode).toBe(200);
    const again = await call(server, { method: 'POST', url: '/api/login', payload: { token: server.token }, token: null, remoteAddress: ATTACKER });
    expect(again.statusCode).toBe(429);
    expect(again.json()).toEqual({ error: LOCKED });
    expect(again.cookies.find((each) => each.name === 'ao_session')).toBeUndefined();
  });

  it('does not count a missing credential or a forged cookie as a guess', async () => {
    for (let attempt = 0; attempt < 15; attempt++) expect((await overview(null)).statusCode).toBe(401);
    for (let attempt = 0; attempt < 15; attempt++) expect((await overview(null, ATTACKER, { cookie: 'ao_session=forged' })).statusCode).toBe(401);
    expect((await overview(server.token)).statusCode).toBe(200);
    expect(logger.warn).not.toHaveBeenCalled();
  });
});

describe('AuthFailureLimiter', () => {
  it('counts in a sliding window: old failures slide out and do not lock', () => {
    let now = 0;
    const limiter = new AuthFailureLimiter(() => now);
    for (let attempt = 0; attempt < 9; attempt++) limiter.recordFailure('a');
    now += 60_001;
    expect(limiter.recordFailure('a')).toMatchObject({ failures: 10, lockedForMs: 0 });
    expect(limiter.lockedFor('a')).toBe(0);
  });

  it('remembers at most 10,000 addresses, forgetting the one that failed least recently', () => {
    const limiter = new AuthFailureLimiter(() => 0);
    for (let address = 0; address <= DEFAULT_AUTH_FAILURE_LIMITS.maxAddresses; address++) limiter.recordFailure(`10.${address >> 16}.${(address >> 8) & 255}.${address & 255}`);
    expect(limiter.size).toBe(DEFAULT_AUTH_FAILURE_LIMITS.maxAddresses);
    expect(limiter.recordFailure('10.0.0.0').failures).toBe(1);
    expect(limiter.size).toBe(DEFAULT_AUTH_FAILURE_LIMITS.maxAddresses);
  });
});
