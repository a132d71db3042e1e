/**
 * The daemon's lifecycle, in one object: it owns SIGTERM and SIGINT, the shutdown deadline (a second signal or
 * a stuck shutdown exits at once), SIGHUP (a configuration reload, told to systemd as RELOADING=1 then READY=1),
 * readiness and the systemd watchdog (fed only while the cycle engine makes progress), and runs the daemon's
 * long-lived loops until shutdown, then its closers (the dashboard, the adapters' connections and supervised
 * children) in order.
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

/** What a reload does; it may return a follow-up to run once systemd has been told the reload is over. */
export type ReloadHandler = () => Promise<void | (() => Promise<void>)>;

export class DaemonLifecycle {
  private readonly controller = new AbortController();
  private readonly closers: Array<{ name: string; close: () => Promise<void> | void }> = [];
  private readonly onSignal = (name: string) => this.stop(name);
  private reloadHandler: ReloadHandler | undefined;
  /** The reload running now; a SIGHUP during it asks for one more after it. */
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;
  private status = '';
  private markReady: () => void = () => undefined;
  /** Resolves once systemd has been told the daemon is ready. */
  readonly ready: Promise<void> = new Promise((resolve) => (this.markReady = resolve));

  constructor(private readonly options: LifecycleOptions) {}

  /** What SIGHUP does. Without a handler, SIGHUP is logged and ignored (never the default: exiting). */
  onReload(handler: ReloadHandler): void {
    this.reloadHandler = handler;
  }

  /**
   * Reloads (SIGHUP calls this): RELOADING=1, the handler, READY=1, then the handler's follow-up. One at a time;
   * signals during a reload make one more reload after it. A handler that throws is logged; the daemon goes on.
   */
  reload(): Promise<void> {
    const { logger, notifier } = this.options;
    const handler = this.reloadHandler;
    if (!handler) {
      logger.warn({ signal: 'SIGHUP' }, 'SIGHUP: this daemon has no reload; ignored');
      return Promise.resolve();
    }
    if (this.signal.aborted) return Promise.resolve();
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      do {
        this.reloadAgain = false;
        await notifier.reloading();
        let followUp: void | (() => Promise<void>) = undefined;
        try {
          followUp = await handler();
        } catch (error) {
          logger.error({ error: (error as Error).message }, 'reload failed: the daemon goes on as it was');
        }
        await notifier.ready(this.status);
        if (followUp) await followUp().catch((error: Error) => logger.error({ error: error.message }, 'after the reload: failed'));
      } while (this.reloadAgain && !this.signal.aborted);
    })().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

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
    const onHup = () => void this.reload();
    this.status = status;
    signals.on('SIGTERM', onTerm);
    signals.on('SIGINT', onInt);
    signals.on('SIGHUP', onHup);
    try {
      const readyThenWatchdog = notifier.ready(status).then(() => {
        this.markReady();
        return notifier.watchdog(alive, this.signal, liveStatus);
      });
      await Promise.all([...loops.map((loop) => loop(this.signal)), readyThenWatchdog]);
    } finally {
      signals.off('SIGTERM', onTerm);
      signals.off('SIGINT', onInt);
      signals.off('SIGHUP', onHup);
      // A reload under way finishes (or sees the shutdown) before anything is closed under it.
      await this.reloading?.catch(() => undefined);
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
