/**
 * The guards every request passes, in order: security headers, the Host check (DNS rebinding), CSRF checks on
 * state-changing requests, authentication, and read-only mode. The daemon runs as root: everything is denied
 * unless a route says otherwise in its config.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without authentication: /health, the static app shell (no data in it), login, logout. */
    public?: boolean;
    /** Allowed in read-only mode although it is not a GET: login and logout. */
    readOnlyAllowed?: boolean;
  }
}

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
export const READ_ONLY_MESSAGE = 'read-only dashboard: use the daemon or the CLI';

const SAFE_METHODS = new Set(['GET', 'HEAD']);
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

export interface SecurityOptions {
  /** Whether a Host header names this server (see hostMatcher). */
  hostAllowed(host: string | undefined): boolean;
  /** A valid bearer token or session cookie; a wrong bearer token is never rescued by a cookie. */
  authenticated(request: FastifyRequest): boolean;
  readOnly: boolean;
}

/** Adds the guards as the first onRequest hook, so they run before every route, plugin and 404. */
export function installSecurity(app: FastifyInstance, options: SecurityOptions): void {
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
    if (!config?.public && !options.authenticated(request)) {
      return reply.code(401).send({ error: 'authentication required: send Authorization: Bearer <token> or log in with POST /api/login' });
    }
    if (options.readOnly && !SAFE_METHODS.has(request.method) && !config?.readOnlyAllowed) {
      return reply.code(403).send({ error: READ_ONLY_MESSAGE });
    }
    return undefined;
  });
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
