/** What the route modules share: their dependencies, input validation and HTTP errors. */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod/v4';
import type { CompiledConfig } from '../../config/compiled.js';
import type { Clock } from '../../core/ports.js';
import type { Logger } from '../../core/logger.js';
import type { Stores } from '../../store/stores.js';
import type { EscalationService } from '../../escalation/escalation-service.js';
import type { DashboardData } from '../dashboard-data.js';
import type { PrometheusMetrics } from '../metrics.js';
import type { AccessControl } from '../access-control.js';
import type { ChangeWatcher } from '../change-watcher.js';
import type { AuthFailureLimiter } from '../auth-failures.js';
import type { Silences } from '../../control/silences.js';
import type { FleetStore } from '../../store/fleet/fleet-store.js';

/** Everything a route needs, built once by createWebServer. */
export interface WebContext {
  config: CompiledConfig;
  stores: Stores;
  data: DashboardData;
  clock: Clock;
  logger: Logger;
  /** Named tokens and login sessions (in escalations.db). */
  access: AccessControl;
  metrics: PrometheusMetrics;
  watcher: ChangeWatcher;
  /** Phase 4's service for ack and resolve (created on first use). */
  escalations(): EscalationService;
  /** Wrong credentials per client address (the dashboard's tokens and the Alertmanager receiver's). */
  failures: AuthFailureLimiter;
  /** Silences and maintenance windows. */
  silences: Silences;
  /** The fleet's shared store (store.postgres); absent, the /api/fleet routes answer 404. */
  fleet?: FleetStore;
}

/** An error Fastify answers with its status code; the error handler turns it into `{ error }`. */
export function httpError(statusCode: number, message: string): Error & { statusCode: number } {
  return Object.assign(new Error(message), { statusCode });
}

/** Validates input with a zod schema; a 400 that names each bad field otherwise. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw httpError(400, result.error.issues.map((issue) => `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`).join('; '));
}

/** A query string without its empty parameters (forms send "service=" for "any"). */
export function withoutEmpty(query: unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries((query ?? {}) as Record<string, unknown>).filter(([, value]) => value !== ''));
}

/** `:id` path parameters: ids are short; anything else cannot exist. */
export const idParams = z.object({ id: z.string().min(1).max(100) });

/** Who made a request, for the record of every change: `token:<name>` of the token or session it authenticated with. */
export function actorOf(request: FastifyRequest): string {
  return request.actor || 'dashboard';
}
