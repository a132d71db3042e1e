/**
 * systemd over D-Bus, in a real systemd (the lab, reached through its private socket as systemctl would): the
 * conformance suite, a kill pushed to a watch listener without polling, a restart that finds a job already
 * queued waits for it instead of starting a second one, and the fallback to polling with one log line.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SystemdLab } from '../lab/systemd-lab.js';
import { describeLab } from '../lab/describe-lab.js';
import { RemoteAdapter } from '../support/remote-adapter.js';
import { adapterConformance } from './conformance.js';

const MARKER = `dbus-conformance-${process.pid}`;
const TICKER = `[Unit]\nDescription=prints a marker\nStartLimitIntervalSec=0\n\n[Service]\nType=simple\nExecStart=/usr/bin/node -e "setInterval(() => console.log('${MARKER}'), 200)"\nRestart=no\n`;

/** The D-Bus adapter, run inside the lab (systemd takes its private socket only from its own namespaces). */
function dbusAdapter(lab: SystemdLab, socket = ''): RemoteAdapter {
  return new RemoteAdapter(lab, socket);
}

describeLab('systemd over D-Bus: conformance (systemd lab)', () => {
  adapterConformance(async () => {
    const lab = await SystemdLab.boot({ name: 'dbus-conformance' });
    await lab.writeUnit('conf-ticker.service', TICKER);
    await lab.systemctl('daemon-reload');
    await lab.systemctl('start', 'conf-ticker.service');
    const adapter = dbusAdapter(lab);
    return {
      adapter,
      service: 'conf-ticker.service',
      marker: MARKER,
      killMain: async (pid) => void (await lab.exec(['kill', '-9', String(pid)])),
      stalePidSkip: 'systemd tracks a unit’s main pid itself',
      unsupportedSkip: 'the systemd adapter declares every capability',
      cleanup: async () => {
        await adapter.close();
        await lab.stop();
      },
    };
  });
});

describeLab('systemd over D-Bus: jobs, signals, fallback (systemd lab)', () => {
  let lab: SystemdLab;
  beforeAll(async () => {
    lab = await SystemdLab.boot({ name: 'dbus-jobs' });
    await lab.writeUnit('slow-start.service', `[Unit]\nDescription=slow to start\n\n[Service]\nType=simple\nExecStartPre=/bin/sleep 3\nExecStart=/bin/sleep infinity\n`);
    await lab.writeUnit('conf-ticker.service', TICKER);
    await lab.systemctl('daemon-reload');
    await lab.systemctl('start', 'conf-ticker.service');
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('talks D-Bus, reads every property in one call, and says missing for a unit that does not exist', async () => {
    const adapter = dbusAdapter(lab);
    try {
      const statuses = await adapter.statusMany(['conf-ticker.service', 'no-such-unit.service']);
      expect(await adapter.transport()).toBe('dbus');
      expect(statuses.get('conf-ticker.service')).toMatchObject({ state: 'running', activeState: 'active', serviceType: 'simple' });
      expect(statuses.get('conf-ticker.service')!.mainPid).toBeGreaterThan(1);
      expect(statuses.get('no-such-unit.service')!.state).toBe('missing');
      await lab.waitFor(async () => (await adapter.logs('conf-ticker.service', { lines: 5 })).some((line) => line.includes(MARKER)), {
        what: 'the marker in the journal, read as JSON',
        timeoutMs: 10_000,
      });
    } finally {
      await adapter.close();
    }
  });

  it('a second daemon restarting a unit whose restart job is still running waits for that job: one start, not two', async () => {
    const first = dbusAdapter(lab);
    const second = dbusAdapter(lab);
    try {
      const before = Number(await lab.unitProperty('slow-start.service', 'NRestarts').catch(() => '0')) || 0;
      const starts = async () =>
        (await lab.exec(['journalctl', '-u', 'slow-start.service', '-o', 'cat', '--no-pager'])).stdout.split('\n').filter((line) => /^Starting /.test(line)).length;
      const startsBefore = await starts();
      const running = first.restart('slow-start.service');
      await lab.waitFor(async () => (await lab.unitProperty('slow-start.service', 'ActiveState')) === 'activating', { what: 'the restart job running', timeoutMs: 10_000 });
      // The daemon was restarted meanwhile: a new adapter (a new process) is asked to restart the same unit.
      const resumed = await second.restart('slow-start.service');
      expect(resumed.exitCode, resumed.stderr).toBe(0);
      expect(resumed.stdout).toMatch(/waited for the job already queued/);
      expect((await running).exitCode).toBe(0);
      expect(await starts()).toBe(startsBefore + 1);
      expect(Number(await lab.unitProperty('slow-start.service', 'NRestarts').catch(() => '0')) || 0).toBe(before);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('pushes a kill to a watch listener without any status poll in between (latencies printed)', async () => {
    const adapter = dbusAdapter(lab);
    try {
      await adapter.statusMany(['conf-ticker.service']);
      const latencies: number[] = [];
      const state = async () => (await adapter.statusMany(['conf-ticker.service'])).get('conf-ticker.service')!;
      for (let round = 0; round < 20; round++) {
        await lab.waitFor(async () => (await state()).state === 'running', { what: 'the ticker running', timeoutMs: 10_000 });
        const pid = (await state()).mainPid;
        let heardAt = 0;
        const stop = adapter.watch(['conf-ticker.service'], () => (heardAt ||= performance.now()));
        await adapter.transport(); // The driver handles lines in order: the watch is registered now.
        await new Promise((resolve) => setTimeout(resolve, 200));
        heardAt = 0; // Only what the kill causes counts.
        const killedAt = performance.now();
        await lab.exec(['kill', '-9', String(pid)]);
        await lab.waitFor(async () => heardAt > 0, { what: 'the PropertiesChanged signal', timeoutMs: 10_000, intervalMs: 5 });
        latencies.push(heardAt - killedAt);
        stop();
        await lab.waitFor(async () => (await state()).state === 'failed', { what: 'the ticker failed', timeoutMs: 10_000 });
        expect((await adapter.restart('conf-ticker.service')).exitCode).toBe(0);
      }
      latencies.sort((a, b) => a - b);
      console.log(
        `D-Bus kill → listener over 20 kills (includes the nsenter kill command): median ${latencies[10]!.toFixed(1)} ms, p95 ${latencies[18]!.toFixed(1)} ms, max ${latencies[19]!.toFixed(1)} ms`,
      );
      expect(latencies).toHaveLength(20);
    } finally {
      await adapter.close();
    }
  });

  it('falls back to polling with systemctl when the bus cannot be reached, saying so once', async () => {
    await lab.systemctl('restart', 'conf-ticker.service');
    const adapter = dbusAdapter(lab, '/run/no-such-socket');
    try {
      const first = await adapter.statusMany(['conf-ticker.service']);
      await adapter.statusMany(['conf-ticker.service']);
      expect(await adapter.transport()).toBe('polling');
      expect(first.get('conf-ticker.service')!.state).toBe('running');
      expect(adapter.logLines.filter((line) => /cannot reach systemd over D-Bus: polling it with systemctl instead/.test(line))).toHaveLength(1);
    } finally {
      await adapter.close();
    }
  });
});
