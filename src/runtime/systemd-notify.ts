/**
 * Readiness and watchdog for Type=notify units. Node has no unix datagram sockets, so the messages go through
 * systemd-notify (the unit sets NotifyAccess=all). The watchdog is fed only while the cycle engine is alive:
 * a hung daemon stops feeding it and systemd restarts it.
 */
import type { Clock, CommandRunner } from '../core/ports.js';
import type { Logger } from '../core/logger.js';

export interface SystemdNotifier {
  ready(status: string): Promise<void>;
  /**
   * Feeds the watchdog until `signal` aborts, as long as `alive()` says the engine made progress, and keeps the
   * unit's Status= (what `systemctl status` shows) to `status()` when it changed: with the watchdog's message, or
   * every 30 s without a watchdog.
   */
  watchdog(alive: () => boolean, signal: AbortSignal, status?: () => string): Promise<void>;
  stopping(): Promise<void>;
  /** A reload starts (RELOADING=1 with MONOTONIC_USEC, as systemd asks); ready() says when it is done. */
  reloading(): Promise<void>;
}

/** Without a watchdog, Status= is brought up to date this often (one systemd-notify each time it changed). */
const STATUS_EVERY_MS = 30_000;

export function systemdNotifier(options: {
  runner: CommandRunner;
  clock: Clock;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** CLOCK_MONOTONIC in microseconds (what MONOTONIC_USEC carries); process.hrtime by default, which reads that clock. */
  monotonicUsec?: () => bigint;
}): SystemdNotifier {
  const env = options.env ?? process.env;
  const enabled = Boolean(env.NOTIFY_SOCKET);
  const send = async (...messages: string[]) => {
    if (!enabled) return;
    const result = await options.runner.run(['systemd-notify', ...messages], { timeoutMs: 5_000 });
    if (result.exitCode !== 0) options.logger.warn({ messages, error: result.stderr.trim() || result.spawnError }, 'systemd-notify failed');
  };
  const watchdogUsec = Number(env.WATCHDOG_USEC ?? 0);
  return {
    ready: (status) => send('--ready', `--status=${status}`),
    stopping: () => send('STOPPING=1'),
    reloading: () => send('RELOADING=1', `MONOTONIC_USEC=${(options.monotonicUsec ?? (() => process.hrtime.bigint() / 1000n))()}`),
    async watchdog(alive, signal, status) {
      if (!enabled || (!watchdogUsec && !status)) return;
      const intervalMs = watchdogUsec ? Math.max(1_000, watchdogUsec / 1000 / 2) : STATUS_EVERY_MS;
      let shown = '';
      while (!signal.aborted) {
        const messages: string[] = [];
        const now = status?.().slice(0, 200);
        if (now && now !== shown) {
          messages.push(`STATUS=${now}`);
          shown = now;
        }
        if (watchdogUsec) {
          if (alive()) messages.push('WATCHDOG=1');
          else options.logger.error({}, 'the cycle engine made no progress: not feeding the watchdog');
        }
        if (messages.length > 0) await send(...messages);
        await options.clock.sleep(intervalMs, signal).catch(() => undefined);
      }
    },
  };
}
