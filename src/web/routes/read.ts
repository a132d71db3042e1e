/** The read side of the API: health, overview, tasks, one task, escalations, patterns and the Prometheus metrics. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod/v4';
import { TASK_OUTCOMES } from '../../store/task-outcomes.js';
import { ESCALATION_STATUSES } from '../../store/escalation-repository.js';
import type { Phase } from '../../core/types.js';
import { catalogListing, fixTemplate } from '../../actions/catalog-listing.js';
import { httpError, idParams, parse, withoutEmpty, type WebContext } from './common.js';
import { metricsTokenCheck } from '../metrics-token.js';

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/i;
const isoTime = z
  .string()
  .refine((value) => ISO_TIME.test(value) && !Number.isNaN(Date.parse(value)), 'expected an ISO 8601 date or time with a zone, e.g. 2026-01-31 or 2026-01-31T12:00:00Z');

const tasksQuery = z.object({
  service: z.string().min(1).max(200).optional(),
  phase: z.coerce.number().int().min(1).max(4).optional(),
  // 'open' is the older name of pending (links in bookmarks and notifications).
  outcome: z.preprocess((value) => (value === 'open' ? 'pending' : value), z.enum(TASK_OUTCOMES).optional()),
  since: isoTime.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const escalationsQuery = z.object({
  status: z.enum(ESCALATION_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

/**
 * Registers the GET endpoints; all but /health (and /metrics when metricsPublic) need authentication; /metrics
 * also opens to the metrics token (web.metricsTokenEnv / metricsTokenFile).
 */
export function registerReadRoutes(app: FastifyInstance, context: WebContext): void {
  const { data, clock, metrics, config, logger } = context;
  const metricsToken = metricsTokenCheck(config.web, logger);

  app.get('/health', { config: { public: true } }, async () => data.health());

  app.get('/api/overview', async (_request, reply) => reply.type('application/json; charset=utf-8').send(data.overviewJson(clock.now())));

  app.get('/api/tasks', async (request) => {
    const query = parse(tasksQuery, withoutEmpty(request.query));
    return data.tasks({
      service: query.service,
      phase: query.phase as Phase | undefined,
      outcome: query.outcome,
      sinceMs: query.since === undefined ? undefined : Date.parse(query.since),
      limit: query.limit,
    });
  });

  app.get('/api/tasks/:id', async (request) => {
    const { id } = parse(idParams, request.params);
    const detail = data.task(id);
    if (!detail) throw httpError(404, `no task with id "${id}"`);
    return detail;
  });

  app.get('/api/escalations', async (request) => {
    const query = parse(escalationsQuery, withoutEmpty(request.query));
    return data.escalations(query.status, query.limit);
  });

  app.get('/api/patterns', async () => data.patterns(clock.now()));

  /** The catalog actions a person may name as the fix, as --fix templates (from the action definitions). */
  app.get('/api/actions', async () =>
    catalogListing()
      .filter((entry) => entry.executable && entry.type !== 'escalate')
      .map((entry) => ({ ...entry, fix: fixTemplate(entry) })),
  );

  app.get('/metrics', { config: { public: config.web.metricsPublic, acceptsToken: metricsToken } }, async (_request, reply) => {
    const { contentType, body } = await metrics.render();
    return reply.type(contentType).send(body);
  });
}
