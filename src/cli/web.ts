/** Starting the dashboard from the CLI: one place for `run` (read-write) and `dashboard` (read-only). */
import type { CompiledConfig } from '../config/compiled.js';
import type { Logger } from '../core/logger.js';
import type { Stores } from '../store/stores.js';
import type { EscalationService } from '../escalation/escalation-service.js';
import { OrchestratorError } from '../core/errors.js';
import { createWebServer, type WebServer, type WebServerOptions } from '../web/server.js';
import { createEscalationService } from '../main.js';
import type { PrometheusMetrics } from '../web/metrics.js';

export interface DashboardStart {
  config: CompiledConfig;
  stores: Stores;
  logger: Logger;
  readOnly: boolean;
  metrics?: PrometheusMetrics;
  escalations?: EscalationService;
  /** The daemon's: Alertmanager's alerts and the silences (see WebServerOptions). */
  alerts?: WebServerOptions['alerts'];
  silences?: WebServerOptions['silences'];
  /** The fleet store: the dashboard then shows every host (see WebServerOptions). */
  fleet?: WebServerOptions['fleet'];
}

/**
 * Builds and starts the web server, and says where the token is when this start generated it. Returns the server
 * once it listens; a listen failure is thrown for the caller to decide (the daemon keeps healing without it).
 */
export async function startDashboard(options: DashboardStart): Promise<WebServer> {
  const { config, logger } = options;
  const server = createWebServer({ ...options, escalations: options.escalations ?? createEscalationService(options.config, options.stores, logger) });
  try {
    const url = await server.listen();
    logger.info({ url, readOnly: options.readOnly, tokenFile: server.tokenFile }, 'dashboard listening');
  } catch (error) {
    await server.close().catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    const where = `${config.web.listen}:${config.web.port}`;
    const reason =
      code === 'EADDRINUSE' ? 'the port is already in use' : code === 'EADDRNOTAVAIL' ? `${config.web.listen} is not an address of this host` : (error as Error).message;
    throw new OrchestratorError('WEB_LISTEN', `the dashboard cannot listen on ${where}: ${reason} (set web.port / web.listen, or web.enabled: false)`, { cause: error });
  }
  if (server.tokenRevoked) {
    logger.info({ tokenFile: server.tokenFile }, `the token in ${server.tokenFile} ("admin") is revoked: log in with a named token (orchestrator token create NAME)`);
  } else if (server.tokenCreated) {
    logger.warn({ tokenFile: server.tokenFile }, `dashboard access token generated: read it from ${server.tokenFile} (mode 0600) to log in`);
  }
  return server;
}
