/** The lifecycle object: a signal starts shutdown, loops end, closers run in order; a second signal exits at once. */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { DaemonLifecycle } from '../../src/runtime/lifecycle.js';
import { silentLogger } from '../../src/core/logger.js';
import type { SystemdNotifier } from '../../src/runtime/systemd-notify.js';

function notifier(events: string[]): SystemdNotifier {
  return {
    ready: async (status) => void events.push(`ready ${status}`),
    watchdog: async () => undefined,
    stopping: async () => void events.push('stopping'),
  };
}

describe('DaemonLifecycle', () => {
  it('runs the loops until SIGTERM, then closes in order and releases the signal handlers', async () => {
    const events: string[] = [];
    const signals = new EventEmitter();
    const exits: number[] = [];
    const lifecycle = new DaemonLifecycle({
      logger: silentLogger,
      notifier: notifier(events),
      deadlineMs: 60_000,
      exit: (code) => void exits.push(code),
      signals: signals as never,
    });
    lifecycle.onShutdown('dashboard', () => void events.push('closed dashboard'));
    lifecycle.onShutdown('adapters', async () => void events.push('closed adapters'));
    const loop = (name: string) => (signal: AbortSignal) =>
      new Promise<void>((resolve) => signal.addEventListener('abort', () => (events.push(`${name} ended`), resolve()), { once: true }));
    const running = lifecycle.run([loop('cycles'), loop('outbox')], 'watching 2 service(s)', () => true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(signals.listenerCount('SIGTERM')).toBe(1);
    signals.emit('SIGTERM');
    await running;
    expect(events).toEqual(['ready watching 2 service(s)', 'cycles ended', 'outbox ended', 'stopping', 'closed dashboard', 'closed adapters']);
    expect(signals.listenerCount('SIGTERM')).toBe(0);
    expect(exits).toEqual([]);
  });

  it('exits at once on a second signal', () => {
    const exits: number[] = [];
    const lifecycle = new DaemonLifecycle({
      logger: silentLogger,
      notifier: notifier([]),
      deadlineMs: 60_000,
      exit: (code) => void exits.push(code),
      signals: new EventEmitter() as never,
    });
    lifecycle.stop('SIGINT');
    expect(lifecycle.signal.aborted).toBe(true);
    lifecycle.stop('SIGINT');
    expect(exits).toEqual([1]);
  });
});
