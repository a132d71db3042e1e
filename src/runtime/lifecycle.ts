/**
 * The daemon's lifecycle, in one object: it owns SIGTERM and SIGINT, the shutdown deadline (a second signal or
 * a stuck shutdown exits at once), readiness and the systemd watchdog (fed only while the cycle engine makes
 * progress), and runs the daemon's long-lived loops until shutdown, then its closers (the dashboard, the
 * adapters' connections and supervised children) in order.
 */
import type { Logger } from '../core/logger.js';
import type { SystemdNotifier } from './systemd-notify.js';

export interface LifecycleOptions {
  logger: Logger;
  notifier: SystemdNotifier;
  /** How long in-flight work may take after a signal before the process exits anyway. */
  deadlineMs: number;
  /** Ends the process (process.exit in the daemon). */
  exit: (code: number) => void;
  /** Where signals come from (the process in the daemon). */
  signals?: Pick<NodeJS.Process, 'on' | 'off'>;
}

export class DaemonLifecycle {
  private readonly controller = new AbortController();
  private readonly closers: Array<{ name: string; close: () => Promise<void> | void }> = [];
  private readonly onSignal = (name: string) => this.stop(name);

  constructor(private readonly options: LifecycleOptions) {}

  /** Aborts when shutdown starts. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Something to close after the loops have ended, in the order added. */
  onShutdown(name: string, close: () => Promise<void> | void): void {
    this.closers.push({ name, close });
  }

  /** Starts shutdown; a second call exits at once. */
  stop(reason: string): void {
    const { logger, exit, deadlineMs } = this.options;
    if (this.controller.signal.aborted) {
      logger.warn({ signal: reason }, 'second signal: exiting now');
      exit(1);
      return;
    }
    logger.info({ signal: reason }, 'shutting down: finishing in-flight work');
    this.controller.abort(new Error(`received ${reason}`));
    void this.options.notifier.stopping();
    setTimeout(() => {
      logger.error({ deadlineMs }, 'shutdown deadline passed: exiting');
      exit(1);
    }, deadlineMs).unref();
  }

  /**
   * Runs `loops` until shutdown: says ready with `status`, feeds the watchdog while `alive()` (keeping Status= to
   * `liveStatus()`), then runs the
   * closers. Resolves when everything has stopped.
   */
  async run(loops: ReadonlyArray<(signal: AbortSignal) => Promise<void>>, status: string, alive: () => boolean, liveStatus?: () => string): Promise<void> {
    const signals = this.options.signals ?? process;
    const { notifier, logger } = this.options;
    const onTerm = () => this.onSignal('SIGTERM');
    const onInt = () => this.onSignal('SIGINT');
    signals.on('SIGTERM', onTerm);
    signals.on('SIGINT', onInt);
    try {
      await Promise.all([...loops.map((loop) => loop(this.signal)), notifier.ready(status).then(() => notifier.watchdog(alive, this.signal, liveStatus))]);
    } finally {
      signals.off('SIGTERM', onTerm);
      signals.off('SIGINT', onInt);
      for (const closer of this.closers) {
        try {
          await closer.close();
        } catch (error) {
          logger.error({ error: (error as Error).message, what: closer.name }, 'shutdown: closing failed');
        }
      }
    }
  }
}
