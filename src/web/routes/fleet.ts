/**
 * The fleet's read-only API (GET /api/fleet, /api/fleet/tasks, /api/fleet/tasks/:host/:id, /api/fleet/patterns):
 * what every host of the fleet replicated to the fleet store. Authenticated like every /api route; a daemon
 * without a fleet store answers 404.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod/v4';
import { TASK_STATUSES } from '../../core/types.js';
import { FleetData } from '../fleet-data.js';
import { httpError, parse, withoutEmpty, type WebContext } from './common.js';

export const NO_FLEET_STORE = 'this daemon has no fleet store (store.postgres in the configuration)';

const MAX_ID = 128;
const hostId = z.string().min(1).max(MAX_ID);

const tasksQuery = z.object({
  host: hostId.optional(),
  service: z.string().min(1).max(200).optional(),
  status: z.enum(TASK_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const taskParams = z.object({ host: hostId, id: z.string().min(1).max(MAX_ID) });

export function registerFleetRoutes(app: FastifyInstance, context: WebContext): void {
  const { clock, config } = context;
  const data = context.fleet && new FleetData(context.fleet, config.fleet.silentAfterMs);
  const fleet = (): FleetData => {
    if (!data) throw httpError(404, NO_FLEET_STORE);
    return data;
  };
  /** A fleet store that cannot be read now is said as such (503, logged), not as a bare 500. */
  const read = async <T>(work: (source: FleetData) => Promise<T>): Promise<T> => {
    const source = fleet();
    try {
      return await work(source);
    } catch (error) {
      const status = (error as { statusCode?: unknown }).statusCode;
      if (typeof status === 'number' && status < 500) throw error;
      context.logger.warn({ error: (error as Error).message }, 'the fleet store cannot be read for the dashboard');
      throw httpError(503, `the fleet store cannot be read now: ${(error as Error).message}`);
    }
  };

  app.get('/api/fleet', async () => read((source) => source.overview(clock.now())));

  app.get('/api/fleet/tasks', async (request) => {
    const query = parse(tasksQuery, withoutEmpty(request.query));
    return read((source) => source.tasks(query));
  });

  app.get('/api/fleet/tasks/:host/:id', async (request) => {
    const { host, id } = parse(taskParams, request.params);
    const detail = await read((source) => source.task(host, id));
    if (!detail) throw httpError(404, `host "${host}" has no task with id "${id}" in the fleet store`);
    return detail;
  });

  app.get('/api/fleet/patterns', async () => read((source) => source.patterns()));
}
