/**
 * The guards every request passes, in order: security headers, the Host check (DNS rebinding), CSRF checks on
 * state-changing requests, the lockout of an address that guessed tokens, authentication, and read-only mode. The
 * daemon runs as root: everything is denied unless a route says otherwise in its config.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../core/logger.js';
import type { AuthFailureLimiter } from './auth-failures.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without authentication: /health, the static app shell (no data in it), login, logout. */
    public?: boolean;
    /** Allowed in read-only mode although it is not a GET: login and logout. */
    readOnlyAllowed?: boolean;
    /** A credential of this route alone, accepted besides the dashboard's (the metrics scrape token). */
    acceptsToken?: (request: FastifyRequest) => boolean;
  }
  interface FastifyRequest {
    /** Who made the request, `token:<name>` (the token or the session's token); set once it authenticated. */
    actor: string;
  }
}

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
export const READ_ONLY_MESSAGE = 'read-only dashboard: use the daemon or the CLI';
/** The public route that checks a token: its refusals count as failures and a locked-out address cannot use it. */
const LOGIN_ROUTE = '/api/login';

const SAFE_METHODS = new Set(['GET', 'HEAD']);
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/** How a request authenticates: the right bearer token, a live session, no credential, or a wrong bearer token. */
export type Authentication = 'token' | 'session' | 'none' | 'wrong';

/** The outcome of authenticate, with the name of the token (or of the session's token) when it succeeded. */
export interface AuthenticationResult {
  kind: Authentication;
  tokenName?: string;
}

export interface SecurityOptions {
  /** Whether a Host header names this server (see hostMatcher). */
  hostAllowed(host: string | undefined): boolean;
  /** A bearer token decides alone (a wrong one is never rescued by a cookie); without one, the session cookie. */
  authenticate(request: FastifyRequest): AuthenticationResult;
  /** Wrong tokens per client address; a locked-out address gets 429 unless it already holds a live session. */
  failures: AuthFailureLimiter;
  logger: Logger;
  readOnly: boolean;
}

/** Adds the guards as the first onRequest hook, so they run before every route, plugin and 404. */
export function installSecurity(app: FastifyInstance, options: SecurityOptions): void {
  if (!app.hasRequestDecorator('actor')) app.decorateRequest('actor', '');
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0]!;
    reply.headers(SECURITY_HEADERS);
    if (path.startsWith('/api/') || path === '/health' || path === '/metrics') reply.header('Cache-Control', 'no-store');
    if (!options.hostAllowed(request.headers.host)) {
      return reply.code(421).send({ error: `unexpected Host header "${request.headers.host ?? ''}": add the name to web.allowedHosts to reach the dashboard by it` });
    }
    if (!SAFE_METHODS.has(request.method)) {
      const problem = crossSiteProblem(request);
      if (problem) return reply.code(403).send({ error: problem });
    }
    const config = request.routeOptions.config;
    if (!config?.public) {
      // A route's own token opens that route alone; anything else is judged as a dashboard credential.
      const { kind: authentication, tokenName }: AuthenticationResult = config?.acceptsToken?.(request) ? { kind: 'token', tokenName: 'metrics' } : options.authenticate(request);
      // Even the right token is refused while locked out, or guessing could go on and tell a hit by the answer.
      if (authentication !== 'session' && options.failures.lockedFor(request.ip) > 0) return lockedOut(request, reply, options);
      if (authentication === 'wrong') countFailure(request, options, 'bearer token');
      if (authentication === 'wrong' || authentication === 'none') {
        return reply.code(401).send({ error: 'authentication required: send Authorization: Bearer <token> or log in with POST /api/login' });
      }
      if (tokenName !== undefined) request.actor = `token:${tokenName}`;
    } else if (isLogin(request) && options.failures.lockedFor(request.ip) > 0) {
      return lockedOut(request, reply, options);
    }
    if (options.readOnly && !SAFE_METHODS.has(request.method) && !config?.readOnlyAllowed) {
      return reply.code(403).send({ error: READ_ONLY_MESSAGE });
    }
    return undefined;
  });
  // onSend, not onResponse: the failure is counted before the client can send its next guess.
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode === 401 && isLogin(request)) countFailure(request, options, 'login token');
    return payload;
  });
}

function isLogin(request: FastifyRequest): boolean {
  return request.method === 'POST' && request.routeOptions.url === LOGIN_ROUTE;
}

function lockedOut(request: FastifyRequest, reply: FastifyReply, options: SecurityOptions): FastifyReply {
  const seconds = Math.ceil(options.failures.lockedFor(request.ip) / 1000);
  return reply
    .code(429)
    .header('Retry-After', String(seconds))
    .send({ error: `too many failed authentication attempts from ${request.ip}: retry in ${seconds} s` });
}

/** Counts a wrong token from the request's address and logs the first failure, then one line per lockout's worth. */
function countFailure(request: FastifyRequest, options: SecurityOptions, credential: string): void {
  const failure = options.failures.recordFailure(request.ip);
  if (!failure.log) return;
  const lockedForSeconds = Math.ceil(failure.lockedForMs / 1000);
  const lockout = lockedForSeconds > 0 ? `; ${request.ip} is locked out for ${lockedForSeconds} s` : '';
  options.logger.warn(
    { from: request.ip, failures: failure.failures, lockedForSeconds },
    `dashboard authentication refused: wrong ${credential} from ${request.ip} (${failure.failures} failed so far${lockout})`,
  );
}

/** Why a state-changing request may come from another site (CSRF), or undefined when it may not. */
function crossSiteProblem(request: FastifyRequest): string | undefined {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') return 'state-changing requests must be sent with Content-Type: application/json';
  const origin = request.headers.origin;
  if (origin !== undefined) {
    const host = (request.headers.host ?? '').toLowerCase();
    if (origin.toLowerCase() !== `http://${host}` && origin.toLowerCase() !== `https://${host}`) return `cross-origin request refused (Origin ${origin})`;
  }
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `cross-site request refused (Sec-Fetch-Site ${site})`;
  return undefined;
}

/**
 * Accepts Host headers naming this server: 127.0.0.1, localhost, [::1] and the listen address with the port, and
 * each of `extra` (with its port if it has one; without, with the port or none, as behind a reverse proxy).
 */
export function hostMatcher(listen: string, port: () => number, extra: readonly string[]): (host: string | undefined) => boolean {
  const local = new Set(['127.0.0.1', 'localhost', '[::1]', splitHost(listen).name]);
  const extras = extra.map(splitHost);
  return (host) => {
    if (!host) return false;
    const given = splitHost(host);
    const serverPort = String(port());
    if (local.has(given.name) && (given.port ?? '80') === serverPort) return true;
    return extras.some((entry) => entry.name === given.name && (entry.port !== undefined ? entry.port === given.port : given.port === undefined || given.port === serverPort));
  };
}

/** "Name:port", "[v6]:port", "name" or a bare IPv6 address → lower-case name (v6 in brackets) and port. */
function splitHost(value: string): { name: string; port?: string } {
  const text = value.trim().toLowerCase();
  const match = /^(\[[0-9a-f:.%]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(text);
  if (match) return { name: match[1]!, port: match[2] };
  return /^[0-9a-f:.%]+$/.test(text) ? { name: `[${text}]` } : { name: `invalid:${text}` };
}
