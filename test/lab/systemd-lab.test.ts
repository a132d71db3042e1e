/**
 * Tests of the systemd lab harness itself (boots a real systemd; root only)
 * and of the http-app fixture used as a test unit.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../../src/adapters/host/free-port.js';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, SystemdLab, labAvailability } from './systemd-lab.js';
import { describeLab } from './describe-lab.js';

const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'http-app.mjs');

/** A minimal unit running the fixture with the given extra Environment= lines. */
function appUnit(env: Record<string, string>): string {
  const envLines = Object.entries(env).map(([k, v]) => `Environment=${k}=${v}`);
  return ['[Unit]', 'Description=lab fixture http app', '', '[Service]', `ExecStart=/usr/bin/node ${FIXTURE}`, ...envLines, 'Restart=no', ''].join('\n');
}

describe('labAvailability', () => {
  it('returns ok, or a non-empty reason', () => {
    const availability = labAvailability();
    if (availability.ok) {
      expect(availability).toEqual({ ok: true });
    } else {
      expect(typeof availability.reason).toBe('string');
      expect(availability.reason.length).toBeGreaterThan(0);
    }
  });
});

describeLab('SystemdLab', () => {
  let lab: SystemdLab;

  beforeAll(async () => {
    lab = await SystemdLab.boot({ name: 'harness' });
  });

  afterAll(async () => {
    await lab?.stop();
  });

  it('boots systemd as PID 1 of its own namespace', async () => {
    expect(lab.pid).toBeGreaterThan(1);
    const state = (await lab.exec(['systemctl', 'is-system-running'], { allowFailure: true })).stdout.trim();
    expect(['running', 'degraded']).toContain(state);
    // Inside the lab, PID 1 is systemd.
    expect((await lab.exec(['cat', '/proc/1/comm'])).stdout.trim()).toBe('systemd');
    // /tmp is private: a file written inside is not visible on the host.
    const marker = `/tmp/lab-marker-${process.pid}-${Date.now()}`;
    await lab.writeFile(marker, 'inside\n');
    expect((await lab.exec(['cat', marker])).stdout).toBe('inside\n');
    expect(existsSync(marker)).toBe(false);
    // Own cgroup namespace: systemd sits at /init.scope of its private subtree, not the host's.
    expect((await lab.exec(['cat', '/proc/1/cgroup'])).stdout).toMatch(/^0::\/init\.scope$/m);
    expect((await lab.exec(['test', '-d', '/sys/fs/cgroup/systemd/init.scope'], { allowFailure: true })).code).toBe(0);
    // PostgreSQL's state is a private copy-on-write overlay, never shared with other labs.
    if (existsSync('/var/lib/postgresql')) {
      expect((await lab.exec(['findmnt', '-n', '-o', 'FSTYPE', '/var/lib/postgresql'])).stdout.trim()).toBe('overlay');
    }
  });

  it('reports failures with stderr, unless allowFailure', async () => {
    await expect(lab.exec(['ls', '/definitely/not/here'])).rejects.toThrow(/exited with code \d+; stderr: .*not\/here/);
    const res = await lab.exec(['ls', '/definitely/not/here'], { allowFailure: true });
    expect(res.code).not.toBe(0);
    await expect(lab.waitFor(async () => false, { timeoutMs: 300, intervalMs: 50, what: 'the impossible' })).rejects.toThrow(/the impossible/);
  });

  it('runs a unit, serves HTTP, and records a SIGKILL as failed/signal', async () => {
    await lab.writeUnit('lab-app.service', appUnit({ PORT: '18080' }));
    await lab.systemctl('start', 'lab-app.service');
    await lab.waitFor(async () => (await lab.httpGet('http://127.0.0.1:18080/', 2_000)).status === 200, {
      timeoutMs: 20_000,
      what: 'lab-app to answer HTTP',
    });
    expect(await lab.httpGet('http://127.0.0.1:18080/')).toEqual({ status: 200, body: 'ok' });
    expect(await lab.unitState('lab-app.service')).toMatchObject({ activeState: 'active', subState: 'running' });

    const pid = await lab.mainPid('lab-app.service');
    expect(pid).toBeGreaterThan(1);
    await lab.exec(['kill', '-9', String(pid)]);
    await lab.waitFor(
      async () => {
        const s = await lab.unitState('lab-app.service');
        return s.activeState === 'failed' && s.result === 'signal';
      },
      { timeoutMs: 15_000, what: 'lab-app to be failed with result signal' },
    );
    expect(await lab.unitState('lab-app.service')).toEqual({
      activeState: 'failed',
      subState: 'failed',
      mainPid: null,
      result: 'signal',
    });
    expect((await lab.httpGet('http://127.0.0.1:18080/', 1_000)).status).toBeNull();

    await lab.waitFor(async () => (await lab.exec(['journalctl', '-u', 'lab-app', '--no-pager', '-o', 'cat'])).stdout.includes('http-app listening on port 18080'), {
      timeoutMs: 10_000,
      what: 'the app log line in the journal',
    });
  });

  it('refuses to start with a stale pid file, and cleans its own pid file on stop', async () => {
    const pidFile = '/run/lab-app-pidfile.pid';
    const stalePid = '31999';
    expect((await lab.exec(['kill', '-0', stalePid], { allowFailure: true })).code).not.toBe(0);
    await lab.writeFile(pidFile, `${stalePid}\n`);
    await lab.writeUnit('lab-app-pidfile.service', appUnit({ PORT: '18081', PIDFILE: pidFile }));

    // Type=simple: `start` itself succeeds, the process then exits 1.
    await lab.exec(['systemctl', 'start', 'lab-app-pidfile.service'], { allowFailure: true });
    await lab.waitFor(async () => (await lab.unitState('lab-app-pidfile.service')).activeState === 'failed', {
      timeoutMs: 15_000,
      what: 'lab-app-pidfile to fail',
    });
    expect((await lab.unitState('lab-app-pidfile.service')).result).toBe('exit-code');
    await lab.waitFor(
      async () => (await lab.exec(['journalctl', '-u', 'lab-app-pidfile', '--no-pager', '-o', 'cat'])).stdout.includes(`pid file ${pidFile} exists, refusing to start`),
      { timeoutMs: 10_000, what: 'the pid file refusal in the journal' },
    );

    // The remedy: remove the stale file, reset, start again.
    await lab.exec(['rm', '-f', pidFile]);
    await lab.systemctl('reset-failed', 'lab-app-pidfile.service');
    await lab.systemctl('start', 'lab-app-pidfile.service');
    await lab.waitFor(async () => (await lab.httpGet('http://127.0.0.1:18081/', 2_000)).status === 200, {
      timeoutMs: 20_000,
      what: 'lab-app-pidfile to answer HTTP',
    });
    const mainPid = await lab.mainPid('lab-app-pidfile.service');
    expect((await lab.exec(['cat', pidFile])).stdout.trim()).toBe(String(mainPid));
    await lab.systemctl('stop', 'lab-app-pidfile.service');
    expect((await lab.exec(['test', '-e', pidFile], { allowFailure: true })).code).not.toBe(0);
  });

  it('stops: systemd and its namespace are gone, and stop is idempotent', async () => {
    const pid = lab.pid;
    await lab.stop();
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    await lab.stop();
    await expect(lab.exec(['true'])).rejects.toThrow(/stopped/);
  });
});

/** Runs the fixture on the host and collects its exit code and output. */
function runFixture(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FIXTURE], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('http-app fixture (on the host)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'http-app-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('FAIL_AT_START exits 1 with a fatal message', async () => {
    const res = await runFixture({ PORT: '1', FAIL_AT_START: '1' });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('fatal: cannot start');
  });

  it('a CONFIG_FILE with a `broken` line is a syntax error', async () => {
    const config = path.join(dir, 'app.conf');
    writeFileSync(config, 'listen 80\nbroken\n');
    const res = await runFixture({ PORT: String(await freePort()), CONFIG_FILE: config });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`config syntax error in ${config}`);
  });

  it('an existing LOCKFILE prevents start', async () => {
    const lock = path.join(dir, 'app.lock');
    writeFileSync(lock, '');
    const res = await runFixture({ PORT: String(await freePort()), LOCKFILE: lock });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`lock file ${lock} exists, refusing to start`);
  });

  it('EXIT_AFTER_MS exits with EXIT_CODE', async () => {
    const res = await runFixture({ PORT: String(await freePort()), EXIT_AFTER_MS: '100', EXIT_CODE: '3' });
    expect(res.code).toBe(3);
    expect(res.stdout).toContain('http-app listening on port');
  });

  it('DEPENDS_TCP answers 503 when the dependency is down', async () => {
    const port = await freePort();
    const deadPort = await freePort();
    const child = spawn(process.execPath, [FIXTURE], {
      env: { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', DEPENDS_TCP: `127.0.0.1:${deadPort}` },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`fixture exited early (${code}): ${stderr}`)));
        child.stdout.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
      });
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect(res.status).toBe(503);
      expect(await res.text()).toBe('dependency unavailable');
      // The log line is written before the response, but the pipe may deliver it later.
      for (let i = 0; i < 40 && !stderr.includes('connection refused'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(stderr).toContain(`connection refused to dependency 127.0.0.1:${deadPort}`);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
