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
    reloading: async () => void events.push('reloading'),
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
  it('SIGHUP reloads: RELOADING=1, the handler, READY=1, then its follow-up; one more reload for signals during one', async () => {
    const events: string[] = [];
    const signals = new EventEmitter();
    const lifecycle = new DaemonLifecycle({ logger: silentLogger, notifier: notifier(events), deadlineMs: 60_000, exit: () => undefined, signals: signals as never });
    let release: () => void = () => undefined;
    let reloads = 0;
    lifecycle.onReload(async () => {
      reloads++;
      events.push(`reload ${reloads}`);
      if (reloads === 1) await new Promise<void>((resolve) => (release = resolve));
      return async () => void events.push(`after reload ${reloads}`);
    });
    const running = lifecycle.run(
      [(signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))],
      'watching 1 service(s)',
      () => true,
    );
    await lifecycle.ready;
    expect(signals.listenerCount('SIGHUP')).toBe(1);
    signals.emit('SIGHUP');
    await new Promise((resolve) => setImmediate(resolve));
    // Two more during the first: coalesced into one.
    signals.emit('SIGHUP');
    signals.emit('SIGHUP');
    release();
    await lifecycle.reload();
    await new Promise((resolve) => setImmediate(resolve));
    expect(reloads).toBe(2);
    expect(events).toEqual([
      'ready watching 1 service(s)',
      'reloading',
      'reload 1',
      'ready watching 1 service(s)',
      'after reload 1',
      'reloading',
      'reload 2',
      'ready watching 1 service(s)',
      'after reload 2',
    ]);
    signals.emit('SIGTERM');
    await running;
    expect(signals.listenerCount('SIGHUP')).toBe(0);
  });

  it('a reload that throws is logged and the daemon goes on; without a handler SIGHUP is ignored, not fatal', async () => {
    const events: string[] = [];
    const errors: string[] = [];
    const logger = { ...silentLogger, error: (_object: unknown, message?: string) => void errors.push(String(message)) } as typeof silentLogger;
    const lifecycle = new DaemonLifecycle({ logger, notifier: notifier(events), deadlineMs: 60_000, exit: () => undefined, signals: new EventEmitter() as never });
    await lifecycle.reload();
    expect(events).toEqual([]);
    lifecycle.onReload(async () => {
      throw new Error('boom');
    });
    await lifecycle.reload();
    expect(events).toEqual(['reloading', 'ready ']);
    expect(errors).toEqual(['reload failed: the daemon goes on as it was']);
    expect(lifecycle.signal.aborted).toBe(false);
  });
});
