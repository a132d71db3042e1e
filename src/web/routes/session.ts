/**
 * Browser login: any unrevoked named token is exchanged once for an HttpOnly, SameSite=Strict session cookie (the
 * session is stored, so it survives a restart and holds in the read-only dashboard too); logout ends it.
 */
import type { FastifyInstance } from 'fastify';
import '@fastify/cookie';
import '@fastify/rate-limit';
import { z } from 'zod/v4';
import { SESSION_COOKIE, SESSION_TTL_MS } from '../auth.js';
import { parse, type WebContext } from './common.js';

const loginBody = z.object({ token: z.string().min(1).max(512) }).strict();

/** Login attempts allowed per client address and minute. */
export const LOGIN_ATTEMPTS_PER_MINUTE = 5;

/** Registers GET /api/session, POST /api/login (rate limited per address) and POST /api/logout. */
export function registerSessionRoutes(app: FastifyInstance, context: WebContext): void {
  const { access, logger } = context;

  // Lets the page decide between the login form and the dashboard without a 401 (which browsers log as an error).
  app.get('/api/session', { config: { public: true } }, async (request) => ({ authenticated: access.session(request.cookies[SESSION_COOKIE]) !== undefined }));

  app.post('/api/login', { config: { public: true, readOnlyAllowed: true, rateLimit: { max: LOGIN_ATTEMPTS_PER_MINUTE, timeWindow: 60_000 } } }, async (request, reply) => {
    const { token } = parse(loginBody, request.body);
    const tokenName = access.tokenName(token);
    if (tokenName === undefined) {
      logger.warn({ from: request.ip }, 'dashboard login refused: wrong token');
      return reply.code(401).send({ error: 'wrong token' });
    }
    reply.setCookie(SESSION_COOKIE, access.openSession(tokenName), {
      httpOnly: true,
      sameSite: 'strict',
      path: '/',
      secure: request.protocol === 'https',
      maxAge: SESSION_TTL_MS / 1000,
    });
    logger.info({ from: request.ip, token: tokenName }, `dashboard login with the token ${tokenName}`);
    return { ok: true };
  });

  app.post('/api/logout', { config: { public: true, readOnlyAllowed: true } }, async (request, reply) => {
    access.endSession(request.cookies[SESSION_COOKIE]);
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict' });
    return { ok: true };
  });
}
