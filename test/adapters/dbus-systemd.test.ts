/**
 * systemd over D-Bus, in a real systemd (the lab, reached through its private socket as systemctl would): the
 * conformance suite, a kill pushed to a watch listener without polling, a restart that finds a job already
 * queued waits for it instead of starting a second one, and the fallback to polling with one log line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatEntry, parseJournalJson } from '../../src/adapters/systemd/journal.js';
import path from 'node:path';
import { REPO_ROOT, SystemdLab } from '../lab/systemd-lab.js';
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
    await lab.writeUnit('slow-stop.service', `[Unit]\nDescription=slow to stop\n\n[Service]\nType=simple\nExecStart=/bin/sleep infinity\nExecStop=/bin/sleep 3\n`);
    await lab.writeUnit('conf-ticker.service', TICKER);
    await lab.systemctl('daemon-reload');
    await lab.systemctl('start', 'conf-ticker.service');
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('talks D-Bus, reads a running unit’s status (its pid, type, file state) and says missing for a unit that does not exist', async () => {
    const adapter = dbusAdapter(lab);
    try {
      const statuses = await adapter.statusMany(['conf-ticker.service', 'no-such-unit.service']);
      expect(await adapter.transport()).toBe('dbus');
      expect(statuses.get('conf-ticker.service')).toMatchObject({ state: 'running', activeState: 'active', subState: 'running', serviceType: 'simple', result: 'success' });
      expect(statuses.get('conf-ticker.service')!.unitFileState).not.toBe('');
      expect(statuses.get('conf-ticker.service')!.activeSince).toBeGreaterThan(Date.parse('2026-01-01'));
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
      // What running a command in the lab costs by itself, the part of each latency that is not systemd or D-Bus.
      const spawnCosts: number[] = [];
      for (let round = 0; round < 5; round++) {
        const started = performance.now();
        await lab.exec(['true']);
        spawnCosts.push(performance.now() - started);
      }
      spawnCosts.sort((a, b) => a - b);
      console.log(
        `D-Bus kill → listener over 20 kills (includes the nsenter kill command): median ${latencies[10]!.toFixed(1)} ms, p95 ${latencies[18]!.toFixed(1)} ms, max ${latencies[19]!.toFixed(1)} ms; one nsenter command alone: median ${spawnCosts[2]!.toFixed(1)} ms`,
      );
      expect(latencies).toHaveLength(20);
    } finally {
      await adapter.close();
    }
  });

  it('keeps a running unit’s status between signals: watch passes cost no call, full reads one list; a kill, a mask and a failed stranger are pushed', async () => {
    const adapter = dbusAdapter(lab);
    try {
      await lab.systemctl('restart', 'conf-ticker.service');
      let changes = 0;
      const failed: string[] = [];
      const stop = adapter.watch(['conf-ticker.service'], () => changes++);
      const stopFailed = adapter.watchFailed((name) => failed.push(name));
      const state = async () => (await adapter.statusMany(['conf-ticker.service'], undefined, { cached: true })).get('conf-ticker.service')!;
      expect((await state()).state).toBe('running');
      expect(await adapter.eventsLiveThere(['conf-ticker.service'])).toBe(true);
      const reads = await adapter.propertyReads();
      for (let pass = 0; pass < 50; pass++) expect((await state()).state).toBe('running');
      expect(await adapter.propertyReads()).toBe(reads);
      // A read that is not the watch's (a full cycle, a verification) asks systemd for the state in one list of
      // all units; the other properties of a unit still running as it was are not read again.
      expect((await adapter.statusMany(['conf-ticker.service'])).get('conf-ticker.service')!.state).toBe('running');
      expect(await adapter.propertyReads()).toBe(reads);

      // A kill: the signal makes the next read ask systemd, which says failed.
      await lab.exec(['kill', '-9', String((await state()).mainPid)]);
      await lab.waitFor(async () => changes > 0, { what: 'the kill pushed', timeoutMs: 10_000, intervalMs: 5 });
      await lab.waitFor(async () => (await state()).state === 'failed', { what: 'the failed state read', timeoutMs: 10_000 });
      expect(await adapter.propertyReads()).toBeGreaterThan(reads);

      // Masking changes UnitFileState, which systemd does not signal per unit: the reload it does empties the cache.
      expect((await adapter.restart('conf-ticker.service')).exitCode).toBe(0);
      expect((await state()).unitFileState).not.toBe('masked');
      await lab.systemctl('mask', 'conf-ticker.service');
      try {
        await lab.waitFor(async () => (await state()).unitFileState === 'masked', { what: 'the mask seen', timeoutMs: 10_000 });
      } finally {
        await lab.systemctl('unmask', 'conf-ticker.service');
      }
      await lab.waitFor(async () => (await state()).unitFileState !== 'masked', { what: 'the unmask seen', timeoutMs: 10_000 });

      // A unit nobody watches fails: watchFailed hears it by name, decoded from its object path.
      await lab.writeUnit('stranger-fails.service', `[Unit]\nDescription=fails at once\n\n[Service]\nType=simple\nExecStart=/bin/false\n`);
      await lab.systemctl('daemon-reload');
      await lab.systemctl('start', 'stranger-fails.service').catch(() => undefined);
      await lab.waitFor(async () => failed.includes('stranger-fails.service'), { what: 'the stranger’s failure pushed', timeoutMs: 10_000, intervalMs: 20 });
      stop();
      stopFailed();
    } finally {
      await lab.systemctl('reset-failed', 'stranger-fails.service').catch(() => undefined);
      await adapter.close();
    }
  });

  it('watches a unit by an alias (as sshd.service is ssh.service on Debian): its kill is pushed under the name configured', async () => {
    await lab.writeUnit('alias-target.service', TICKER);
    await lab.exec(['ln', '-sf', '/run/systemd/system/alias-target.service', '/run/systemd/system/alias-name.service']);
    await lab.systemctl('daemon-reload');
    await lab.systemctl('start', 'alias-target.service');
    const adapter = dbusAdapter(lab);
    try {
      const heard: string[] = [];
      const stop = adapter.watch(['alias-name.service'], (name) => heard.push(name));
      const state = async () => (await adapter.statusMany(['alias-name.service'], undefined, { cached: true })).get('alias-name.service')!;
      expect((await state()).state).toBe('running');
      expect(await adapter.eventsLiveThere(['alias-name.service'])).toBe(true);
      await lab.exec(['kill', '-9', String((await state()).mainPid)]);
      await lab.waitFor(async () => heard.includes('alias-name.service'), { what: 'the kill pushed under the alias', timeoutMs: 10_000, intervalMs: 5 });
      await lab.waitFor(async () => (await state()).state === 'failed', { what: 'the alias read as failed', timeoutMs: 10_000 });
      stop();
    } finally {
      await adapter.close();
      await lab.systemctl('reset-failed', 'alias-target.service').catch(() => undefined);
    }
  });

  it('reads 300 units in one pass through the system bus, which refuses more than 128 pending replies per connection', async () => {
    const adapter = dbusAdapter(lab);
    try {
      const names = Array.from({ length: 300 }, (_, index) => `nobody-${index}.service`);
      const statuses = await adapter.statusMany(names);
      expect(await adapter.transport()).toBe('dbus');
      expect(statuses.size).toBe(300);
      expect([...statuses.values()].every((status) => status.state === 'missing')).toBe(true);
    } finally {
      await adapter.close();
    }
  });

  it('reads a unit between the two halves of a restart (its job queued) as starting, not as a fault', async () => {
    const adapter = dbusAdapter(lab);
    try {
      await lab.systemctl('start', 'slow-stop.service');
      const restarting = lab.systemctl('restart', 'slow-stop.service');
      const seen = new Set<string>();
      // Through the stop (3 s) and the start: every read is running or starting, never stopped.
      const until = performance.now() + 4_000;
      while (performance.now() < until) seen.add((await adapter.statusMany(['slow-stop.service'])).get('slow-stop.service')!.state);
      await restarting;
      expect([...seen].filter((state) => state !== 'running' && state !== 'starting')).toEqual([]);
      expect(seen.has('starting')).toBe(true);
    } finally {
      await adapter.close();
    }
  });

  it('a restart while a stop job runs queues its own job instead of joining the stop', async () => {
    const adapter = dbusAdapter(lab);
    try {
      await lab.systemctl('start', 'slow-stop.service');
      await lab.systemctl('--no-block', 'stop', 'slow-stop.service');
      await lab.waitFor(async () => (await lab.unitProperty('slow-stop.service', 'ActiveState')) === 'deactivating', { what: 'the stop job running', timeoutMs: 10_000 });
      const restarted = await adapter.restart('slow-stop.service');
      expect(restarted.stdout).not.toMatch(/waited for the job already queued/);
      await lab.waitFor(async () => (await lab.unitProperty('slow-stop.service', 'ActiveState')) === 'active', { what: 'the unit active again', timeoutMs: 15_000 });
    } finally {
      await adapter.close();
    }
  });

  it('reconnects by itself when its connection closes, and the watch hears kills again', async () => {
    // A relay between the adapter and systemd's socket that can cut every connection, as a bus daemon restart does.
    const relay = [
      "const net = require('net'); const open = new Set();",
      "net.createServer((client) => { const upstream = net.connect('/run/systemd/private'); client.pipe(upstream).pipe(client); open.add(client);",
      "  const drop = () => { client.destroy(); upstream.destroy(); open.delete(client); }; client.on('close', drop); upstream.on('close', drop); client.on('error', drop); upstream.on('error', drop); }).listen('/run/dbus-relay.sock');",
      "net.createServer((control) => { for (const client of open) client.destroy(); control.end(); }).listen('/run/dbus-relay-cut.sock');",
    ].join('\n');
    const relayProcess = lab.spawn(['/usr/bin/node', '-e', relay]);
    await lab.waitFor(async () => (await lab.exec(['test', '-S', '/run/dbus-relay-cut.sock'], { allowFailure: true })).code === 0, { what: 'the relay listening' });
    await lab.systemctl('restart', 'conf-ticker.service');
    const adapter = dbusAdapter(lab, '/run/dbus-relay.sock');
    try {
      await adapter.statusMany(['conf-ticker.service']);
      expect(await adapter.transport(), adapter.logLines.join('\n')).toBe('dbus');
      let heard = 0;
      const stop = adapter.watch(['conf-ticker.service'], () => heard++);
      await adapter.transport();
      await lab.exec(['/usr/bin/node', '-e', "require('net').connect('/run/dbus-relay-cut.sock').resume()"]);
      // Without any call from us: the watch is told to look at once (polling meanwhile), and the adapter reconnects.
      await lab.waitFor(async () => heard > 0, { what: 'the look when the connection dropped', timeoutMs: 20_000, intervalMs: 20 });
      await lab.waitFor(async () => adapter.logLines.filter((line) => /talking to systemd over D-Bus/.test(line)).length === 2, {
        what: 'the reconnection',
        timeoutMs: 20_000,
        intervalMs: 20,
      });
      expect(adapter.logLines.filter((line) => /the D-Bus connection to systemd closed: reconnecting/.test(line))).toHaveLength(1);
      expect(adapter.logLines.filter((line) => /talking to systemd over D-Bus/.test(line))).toHaveLength(2);
      const pid = await lab.mainPid('conf-ticker.service');
      heard = 0;
      await lab.exec(['kill', '-9', String(pid)]);
      await lab.waitFor(async () => heard > 0, { what: 'the kill after reconnecting', timeoutMs: 10_000, intervalMs: 20 });
      stop();
      expect(await adapter.transport()).toBe('dbus');
      expect((await adapter.statusMany(['conf-ticker.service'])).get('conf-ticker.service')!.state).toBe('failed');
      expect((await adapter.restart('conf-ticker.service')).exitCode).toBe(0);
    } finally {
      await adapter.close();
      relayProcess.kill();
    }
  });

  it('gets an answer to the first call on every fresh connection to the private socket (30 in a row)', async () => {
    // systemd leaves a message that came in one read with the handshake's BEGIN unread; the connection pings it awake.
    const bus = path.join(REPO_ROOT, 'dist', 'adapters', 'systemd', 'systemd-bus.js');
    const script = [
      `import { connectSystemdBus } from ${JSON.stringify(bus)};`,
      'let answered = 0;',
      'for (let round = 0; round < 30; round++) {',
      "  const connection = await connectSystemdBus({ socket: '/run/systemd/private', callTimeoutMs: 2000 });",
      "  await connection.call('/org/freedesktop/systemd1', 'org.freedesktop.systemd1.Manager', 'Subscribe').then(() => answered++, () => undefined);",
      '  connection.close();',
      '}',
      'console.log(answered);',
    ].join('\n');
    await lab.writeFile('/run/dbus-connect-rounds.mjs', script);
    expect((await lab.exec(['/usr/bin/node', '/run/dbus-connect-rounds.mjs'], { timeoutMs: 90_000 })).stdout.trim()).toBe('30');
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

describe('journal entries as lines (journalctl -o json)', () => {
  const entry = { __REALTIME_TIMESTAMP: String(Date.UTC(2026, 11, 2, 8, 0, 0) * 1000 + 123_456), _HOSTNAME: 'host', SYSLOG_IDENTIFIER: 'redis', _PID: '42' };

  it('formats an entry like short-iso output, so log rules keep matching', () => {
    expect(formatEntry({ ...entry, MESSAGE: 'Ready to accept connections' })).toBe('2026-12-02T08:00:00+0000 host redis[42]: Ready to accept connections');
  });

  it('keeps a message journald stored as bytes (not valid UTF-8 text, or with control characters)', () => {
    const bytes = [...Buffer.from('lock file exists')];
    expect(formatEntry({ ...entry, MESSAGE: bytes })).toBe('2026-12-02T08:00:00+0000 host redis[42]: lock file exists');
  });

  it('caps a long line at 8 KiB, skips entries without a message and a cut row, and gives the newest oldest-first', () => {
    // journalctl --reverse: newest first.
    const rows = [
      JSON.stringify({ ...entry, MESSAGE: 'newest' }),
      JSON.stringify({ ...entry, MESSAGE: null }),
      JSON.stringify({ ...entry, MESSAGE: 'x'.repeat(100_000) }),
      '{"MESSAGE":"cut',
    ];
    const lines = parseJournalJson(rows.join('\n'));
    expect(lines).toHaveLength(2);
    expect(lines[0]!.length).toBeLessThanOrEqual(8 * 1024);
    expect(lines[1]).toMatch(/redis\[42\]: newest$/);
    expect(formatEntry({ ...entry, MESSAGE: ['first', 'second'] })).toMatch(/: first$/);
  });

  it('keeps the newest lines within the total cap', () => {
    const rows = Array.from({ length: 10 }, (_, index) => JSON.stringify({ ...entry, MESSAGE: `line ${9 - index} ${'y'.repeat(80)}` }));
    const lines = parseJournalJson(rows.join('\n'), 400);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(10);
    expect(lines.at(-1)).toMatch(/line 9 /);
  });
});
