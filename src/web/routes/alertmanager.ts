/**
 * POST /api/alertmanager: Alertmanager's webhook receiver. It has its own credential (the bearer token or basic
 * auth that Alertmanager's http_config sends), separate from the dashboard's tokens and sessions, so a dashboard
 * cookie cannot post alerts and the alerting credential cannot read the dashboard. Wrong credentials count toward
 * the same lockout as wrong dashboard tokens.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CompiledAlertmanager } from '../../config/compiled.js';
import { readSecret } from '../../notify/create-notifiers.js';
import { bearerToken, tokensEqual } from '../auth.js';
import { alertmanagerPayloadSchema, MAX_PAYLOAD_BYTES } from '../../alerts/alertmanager-payload.js';
import type { AlertIntake } from '../../alerts/alert-intake.js';
import { parse, type WebContext } from './common.js';

export const ALERTMANAGER_ROUTE = '/api/alertmanager';

export function registerAlertmanagerRoute(app: FastifyInstance, context: WebContext, intake: AlertIntake | undefined): void {
  const { config, logger, failures } = context;
  const receiver = config.alertmanager;
  let warned = false;
  app.post(ALERTMANAGER_ROUTE, { config: { public: true }, bodyLimit: MAX_PAYLOAD_BYTES }, async (request, reply) => {
    if (!receiver) return reply.code(404).send({ error: 'the Alertmanager receiver is not configured: add an alertmanager: section to the config' });
    const locked = failures.lockedFor(request.ip);
    if (locked > 0) {
      const seconds = Math.ceil(locked / 1000);
      return reply
        .code(429)
        .header('Retry-After', String(seconds))
        .send({ error: `too many failed authentication attempts from ${request.ip}: retry in ${seconds} s` });
    }
    let expected: Credential;
    try {
      expected = credential(receiver);
    } catch (error) {
      if (!warned) logger.error({ error: (error as Error).message }, 'Alertmanager receiver: its credential cannot be read; alerts are refused');
      warned = true;
      return reply.code(503).send({ error: `the receiver's credential is not available: ${(error as Error).message}` });
    }
    if (!authorized(request, expected)) return refuse(request, reply, context, expected.kind);
    if (!intake) return reply.code(503).send({ error: 'this server does not receive alerts: send them to the daemon' });
    const payload = parse(alertmanagerPayloadSchema, request.body);
    return intake.receive(payload);
  });
}

type Credential = { kind: 'bearer'; token: string } | { kind: 'basic'; username: string; password: string };

/** Read at each request: a rotated secret file or a reloaded environment takes effect without a restart. */
function credential(receiver: CompiledAlertmanager): Credential {
  const { auth } = receiver;
  if (auth.kind === 'bearer') return { kind: 'bearer', token: readSecret('the Alertmanager bearer token', auth.tokenEnv, auth.tokenFile) };
  return { kind: 'basic', username: auth.username, password: readSecret('the Alertmanager password', auth.passwordEnv, auth.passwordFile) };
}

function authorized(request: FastifyRequest, expected: Credential): boolean {
  const header = request.headers.authorization;
  if (header === undefined) return false;
  if (expected.kind === 'bearer') {
    const given = bearerToken(header);
    return given !== undefined && tokensEqual(given, expected.token);
  }
  const match = /^Basic\s+([A-Za-z0-9+/=]{1,1024})\s*$/i.exec(header);
  if (!match) return false;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  // Both compared, always: the answer's time does not say which one was wrong.
  const userOk = tokensEqual(decoded.slice(0, colon), expected.username);
  const passwordOk = tokensEqual(decoded.slice(colon + 1), expected.password);
  return userOk && passwordOk;
}

function refuse(request: FastifyRequest, reply: FastifyReply, context: WebContext, kind: Credential['kind']): FastifyReply {
  const failure = context.failures.recordFailure(request.ip);
  if (failure.log) {
    context.logger.warn(
      { from: request.ip, failures: failure.failures },
      `Alertmanager receiver: wrong or missing ${kind === 'bearer' ? 'bearer token' : 'basic auth'} from ${request.ip}`,
    );
  }
  return reply
    .code(401)
    .header('WWW-Authenticate', kind === 'bearer' ? 'Bearer' : 'Basic realm="autonomous-orchestrator alertmanager receiver"')
    .send({
      error: `authentication required: Alertmanager's http_config must send the receiver's ${kind === 'bearer' ? 'bearer token (authorization: credentials_file)' : 'basic auth (basic_auth)'}`,
    });
}
