/** Status= and the watchdog through systemd-notify: what is sent, when, and that an unchanged status costs nothing. */
import { describe, expect, it } from 'vitest';
import { systemdNotifier } from '../../src/runtime/systemd-notify.js';
import { silentLogger } from '../../src/core/logger.js';
import { ManualClock } from '../support/manual-clock.js';
import { commandOk } from '../support/memory-adapter.js';
import type { CommandRunner } from '../../src/core/ports.js';

function recording(stopAfter: number, controller: AbortController): { runner: CommandRunner; sent: string[][] } {
  const sent: string[][] = [];
  return {
    sent,
    runner: {
      run: async (argv) => {
        sent.push([...argv]);
        if (sent.length >= stopAfter) controller.abort();
        return commandOk(argv);
      },
    },
  };
}

describe('systemd notifications', () => {
  it('without a watchdog, sends Status= only when it changed', async () => {
    const controller = new AbortController();
    const { runner, sent } = recording(2, controller);
    const clock = new ManualClock();
    const statuses = ['3 services, 0 being fixed', '3 services, 0 being fixed', '3 services, 0 being fixed', '3 services, 1 being fixed'];
    let tick = 0;
    await systemdNotifier({ runner, clock, logger: silentLogger, env: { NOTIFY_SOCKET: '/run/systemd/notify' } }).watchdog(
      () => true,
      controller.signal,
      () => statuses[Math.min(tick++, 3)]!,
    );
    expect(sent).toEqual([
      ['systemd-notify', 'STATUS=3 services, 0 being fixed'],
      ['systemd-notify', 'STATUS=3 services, 1 being fixed'],
    ]);
  });

  it('with a watchdog, feeds it each half period, the status with it, and stops feeding a stalled engine', async () => {
    const controller = new AbortController();
    const { runner, sent } = recording(3, controller);
    let alive = true;
    let ticks = 0;
    const status = () => {
      ticks++;
      if (ticks === 3) alive = false;
      if (ticks === 4) alive = true;
      return 'same';
    };
    await systemdNotifier({ runner, clock: new ManualClock(), logger: silentLogger, env: { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '20000000' } }).watchdog(
      () => alive,
      controller.signal,
      status,
    );
    expect(sent).toEqual([
      ['systemd-notify', 'STATUS=same', 'WATCHDOG=1'],
      ['systemd-notify', 'WATCHDOG=1'],
      ['systemd-notify', 'WATCHDOG=1'],
    ]);
    expect(ticks).toBe(4);
  });

  it('sends nothing outside systemd (no NOTIFY_SOCKET)', async () => {
    const controller = new AbortController();
    const { runner, sent } = recording(1, controller);
    await systemdNotifier({ runner, clock: new ManualClock(), logger: silentLogger, env: {} }).watchdog(
      () => true,
      controller.signal,
      () => 'x',
    );
    expect(sent).toEqual([]);
  });
});
