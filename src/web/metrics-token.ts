/**
 * The bearer token that opens /metrics and nothing else (web.metricsTokenEnv, else web.metricsTokenFile), so a
 * Prometheus can scrape without holding the dashboard's token. Read at each scrape: rotating it needs no restart.
 */
import type { FastifyRequest } from 'fastify';
import type { CompiledConfig } from '../config/compiled.js';
import type { Logger } from '../core/logger.js';
import { readSecret } from '../notify/create-notifiers.js';
import { bearerToken, tokensEqual } from './auth.js';

const MIN_TOKEN_LENGTH = 16;

/**
 * Whether a request carries the metrics token; undefined when none is configured. A token that cannot be read
 * (or is too short to be one) opens nothing and is logged once per problem; the dashboard token still works.
 */
export function metricsTokenCheck(
  web: Pick<CompiledConfig['web'], 'metricsTokenEnv' | 'metricsTokenFile'>,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): ((request: FastifyRequest) => boolean) | undefined {
  if (!web.metricsTokenEnv && !web.metricsTokenFile) return undefined;
  let reported: string | undefined;
  return (request) => {
    const given = bearerToken(request.headers.authorization);
    if (given === undefined) return false;
    let expected: string;
    try {
      expected = readSecret('the metrics token (web.metricsTokenEnv, web.metricsTokenFile)', web.metricsTokenEnv, web.metricsTokenFile, env).trim();
      if (expected.length < MIN_TOKEN_LENGTH) throw new Error(`the metrics token is shorter than ${MIN_TOKEN_LENGTH} characters`);
    } catch (error) {
      const problem = (error as Error).message;
      if (problem !== reported) logger.error({ problem }, `${problem}: /metrics accepts only the dashboard token until it is fixed`);
      reported = problem;
      return false;
    }
    reported = undefined;
    return tokensEqual(given, expected);
  };
}
