/**
 * The state-changing endpoints: acknowledge and resolve an escalation (through phase 4's service, exactly as the
 * CLI does, so a resolution's fixes are learned), and the kill switch. Refused in the read-only dashboard.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod/v4';
import { actorOf, httpError, idParams, parse, type WebContext } from './common.js';

const resolveBody = z
  .object({
    fixes: z.array(z.string().trim().min(1).max(200)).max(10).optional(),
    note: z.string().max(2000).optional(),
  })
  .strict();

const pauseBody = z.object({ reason: z.string().max(500).optional() }).strict();

/** Registers ack, resolve, pause and resume. Each change is logged with where it came from. */
export function registerWriteRoutes(app: FastifyInstance, context: WebContext): void {
  const { stores, clock, logger } = context;

  const existing = (request: FastifyRequest): string => {
    const { id } = parse(idParams, request.params);
    if (!stores.escalations.get(id)) throw httpError(404, `no escalation with id "${id}"`);
    return id;
  };

  app.post('/api/escalations/:id/ack', async (request) => {
    const id = existing(request);
    const actor = actorOf(request);
    const acknowledged = context.escalations().acknowledge(id, actor);
    logger.info({ escalation: id, service: acknowledged.service, from: request.ip, by: actor }, `escalation acknowledged from the dashboard by ${actor}`);
    return acknowledged;
  });

  app.post('/api/escalations/:id/resolve', async (request) => {
    const id = existing(request);
    const body = parse(resolveBody, request.body);
    const actor = actorOf(request);
    const resolved = await context.escalations().resolve(id, { fixes: body.fixes ?? [], note: body.note, actor });
    logger.info({ escalation: id, service: resolved.service, fixes: body.fixes ?? [], from: request.ip, by: actor }, `escalation resolved from the dashboard by ${actor}`);
    return resolved;
  });

  app.post('/api/escalations/:id/retry', async (request) => {
    const id = existing(request);
    const actor = actorOf(request);
    const requested = context.escalations().requestRetry(id, actor);
    logger.info({ escalation: id, service: requested.service, from: request.ip, by: actor }, `escalation retry requested from the dashboard by ${actor}`);
    return requested;
  });

  app.post('/api/pause', async (request) => {
    const body = parse(pauseBody, request.body);
    const actor = actorOf(request);
    stores.state.setPause(true, clock.now(), body.reason, actor);
    logger.warn({ reason: body.reason, from: request.ip, by: actor }, `kill switch turned on from the dashboard by ${actor}: no actions will be taken`);
    return pauseState(context);
  });

  app.post('/api/resume', async (request) => {
    const actor = actorOf(request);
    stores.state.setPause(false, clock.now(), undefined, actor);
    logger.info({ from: request.ip, by: actor }, `kill switch turned off from the dashboard by ${actor}: actions are allowed again`);
    return pauseState(context);
  });
}

function pauseState({ stores }: WebContext): { paused: boolean; since: number | null; reason: string | null; by: string | null } {
  const pause = stores.state.pause();
  return { paused: pause.paused, since: pause.since ?? null, reason: pause.reason ?? null, by: pause.by ?? null };
}
