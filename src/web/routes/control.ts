/**
 * Silences and per-service autonomy over the API, as the CLI does them: who did it is the token or session used.
 * GET /api/silences, POST /api/silences, POST /api/silences/:id/expire, GET /api/autonomy and
 * POST /api/services/:name/autonomy.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod/v4';
import { parseDuration } from '../../config/duration.js';
import { describeAutonomy, effectiveAutonomy, parseAutonomy, switchAutonomy } from '../../control/autonomy.js';
import { addFleetSilence, describeMatchers } from '../../control/silences.js';
import type { Silence } from '../../store/silence-repository.js';
import { actorOf, httpError, idParams, parse, type WebContext } from './common.js';

const time = z
  .string()
  .max(64)
  .refine((text) => !Number.isNaN(Date.parse(text)), { error: 'expected an ISO 8601 time such as 2026-12-03T22:00:00Z' });

const silenceBody = z
  .object({
    /** Matchers such as service="web"; or `service` for one service by name. */
    matchers: z.array(z.string().min(1).max(512)).max(20).optional(),
    service: z.string().min(1).max(128).optional(),
    startsAt: time.optional(),
    endsAt: time.optional(),
    /** Instead of endsAt: how long from its start, such as 2h or 1h30m. */
    duration: z.string().max(32).optional(),
    comment: z.string().max(1000),
    /** On every host of the fleet (needs a fleet store). */
    fleet: z.boolean().optional(),
  })
  .strict()
  .refine((body) => (body.matchers?.length ?? 0) > 0 || body.service !== undefined, { error: 'give matchers (such as ["service=\\"web\\""]) or a service' })
  .refine((body) => (body.endsAt === undefined) !== (body.duration === undefined), { error: 'give either endsAt or duration' });

const autonomyBody = z.object({ mode: z.string().max(16), reason: z.string().max(500).optional() }).strict();
const serviceParams = z.object({ name: z.string().min(1).max(128) });

export function registerControlRoutes(app: FastifyInstance, context: WebContext): void {
  const { stores, clock, logger, config, silences } = context;

  app.get('/api/silences', async () => {
    const now = clock.now();
    const active = silences.activeMany(config.services, now);
    // Fleet-wide ones as the fleet store has them now (null without one; an error says why they are missing).
    let fleet: { silences: ReturnType<typeof view>[] } | { error: string } | null = null;
    if (context.fleet) {
      try {
        fleet = { silences: (await context.fleet.fleetSilences(now)).map((silence) => view(silence, now)) };
      } catch (error) {
        fleet = { error: `the fleet store cannot be read now: ${(error as Error).message}` };
      }
    }
    return {
      services: Object.fromEntries(active),
      fleet,
      silences: stores.silences.all().map((silence) => view(silence, now)),
      maintenance: config.maintenance.map((window) => ({ name: window.name, matchers: describeMatchers(window.matchers), ...window.window, comment: window.comment })),
    };
  });

  app.post('/api/silences', async (request, reply) => {
    const body = parse(silenceBody, request.body);
    const startsAt = body.startsAt === undefined ? clock.now() : Date.parse(body.startsAt);
    let endsAt: number;
    if (body.duration !== undefined) {
      const ms = parseDuration(body.duration);
      if (ms === undefined || ms <= 0) throw httpError(400, `duration: expected a duration such as 2h or 1h30m (got ${JSON.stringify(body.duration)})`);
      endsAt = startsAt + ms;
    } else endsAt = Date.parse(body.endsAt!);
    const wanted = {
      matchers: [...(body.matchers ?? []), ...(body.service ? [`service="${body.service}"`] : [])],
      startsAt,
      endsAt,
      author: actorOf(request),
      comment: body.comment,
    };
    if (body.fleet) {
      if (!context.fleet) throw httpError(400, 'fleet: this daemon has no fleet store (store.postgres in the configuration)');
      const silence = silences.build(wanted);
      await addFleetSilence(context.fleet, silence, clock.now());
      logger.info({ silence: silence.id, matchers: describeMatchers(silence.matchers), by: silence.author, from: request.ip }, 'fleet-wide silence added from the dashboard');
      return reply.code(201).send({ ...view(silence, clock.now()), fleet: true });
    }
    const silence = silences.add(wanted);
    logger.info(
      { silence: silence.id, matchers: describeMatchers(silence.matchers), until: new Date(silence.endsAt).toISOString(), by: silence.author, from: request.ip },
      'silence added from the dashboard',
    );
    return reply.code(201).send(view(silence, clock.now()));
  });

  app.post('/api/silences/:id/expire', async (request) => {
    const { id } = parse(idParams, request.params);
    if (!stores.silences.get(id) && context.fleet) {
      // Not this host's: a fleet-wide one.
      if (!(await context.fleet.expireFleetSilence(id, actorOf(request), clock.now()))) throw httpError(404, `no silence in force with id "${id}", here or fleet-wide`);
      logger.info({ silence: id, by: actorOf(request), from: request.ip }, 'fleet-wide silence expired from the dashboard');
      return { id, fleet: true, expiredBy: actorOf(request) };
    }
    const silence = silences.expire(id, actorOf(request));
    logger.info({ silence: id, by: silence.expiredBy, from: request.ip }, 'silence expired from the dashboard');
    return view(silence, clock.now());
  });

  app.get('/api/autonomy', async () => {
    const overrides = stores.state.autonomyOverrides();
    return config.services.map((service) => {
      const effective = effectiveAutonomy(service, overrides);
      return { service: service.name, mode: effective.mode, configured: service.autonomy, override: effective.override ?? null, description: describeAutonomy(effective) };
    });
  });

  app.post('/api/services/:name/autonomy', async (request) => {
    const { name } = parse(serviceParams, request.params);
    const service = config.services.find((candidate) => candidate.name === name);
    if (!service) throw httpError(404, `no configured service named "${name}"`);
    const body = parse(autonomyBody, request.body);
    const mode = parseAutonomy(body.mode);
    switchAutonomy(stores.state, name, mode, actorOf(request), clock.now(), body.reason);
    const effective = effectiveAutonomy(service, stores.state.autonomyOverrides());
    logger.warn(
      { service: name, mode: effective.mode, by: actorOf(request), reason: body.reason, from: request.ip },
      `autonomy of ${name} switched to ${effective.mode} from the dashboard`,
    );
    return { service: name, mode: effective.mode, configured: service.autonomy, override: effective.override ?? null, description: describeAutonomy(effective) };
  });
}

function view(silence: Silence, now: number): Silence & { state: 'active' | 'pending' | 'expired'; matchersText: string } {
  const state = silence.expiredAt !== null || silence.endsAt <= now ? 'expired' : silence.startsAt > now ? 'pending' : 'active';
  return { ...silence, state, matchersText: describeMatchers(silence.matchers) };
}
