/**
 * Named tokens and "who did it" through the built `orchestrator` command against a temporary data directory:
 * token create (printed once, only the hash kept), list, revoke (a running server refuses the token at its next
 * request), the read-only `orchestrator dashboard` process accepting a session the daemon's server opened, and
 * the CLI's acknowledgements, resolutions, retries and pauses recorded as cli:<user>.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStores, type Stores } from '../src/store/stores.js';
import { parseConfigText } from '../src/config/load.js';
import { EscalationService } from '../src/escalation/escalation-service.js';
import { createWebServer, type WebServer } from '../src/web/server.js';
import { silentLogger } from '../src/core/logger.js';
import { systemClock } from '../src/runtime/clock.js';
import { writeTask } from './support/tasks.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');
const work = mkdtempSync(path.join(tmpdir(), 'orchestrator-cli-tokens-'));
const dataDir = path.join(work, 'data');
const configFile = path.join(work, 'config.yaml');
const CONFIG = 'cycle: { watchFailedUnits: false }\nweb: { port: 0 }\nservices:\n  - { name: web, unit: web.service }\n  - { name: db, unit: db.service }\n';
// The CLI names its user from SUDO_USER, then USER: the test decides who that is.
const env = Object.fromEntries(Object.entries({ ...process.env, USER: 'tester' }).filter(([key]) => key !== 'SUDO_USER'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args, '-c', configFile, '-d', dataDir], { timeout: 60_000, env }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** A web server as the daemon builds it, over its own connection to the data directory. */
function daemonServer(): { server: WebServer; stores: Stores } {
  const stores = openStores(dataDir);
  const parsed = parseConfigText(CONFIG, configFile);
  // Not listening (inject): the Host check expects the configured port.
  const config = { ...parsed, dataDir, web: { ...parsed.web, port: 8888 } };
  return { server: createWebServer({ config, stores, readOnly: false, logger: silentLogger, isDaemonRunning: () => true }), stores };
}

const request = (server: WebServer, url: string, headers: Record<string, string>) => server.app.inject({ method: 'GET', url, headers: { host: '127.0.0.1:8888', ...headers } });

let webEscalation: string;
let dbEscalation: string;

beforeAll(() => {
  writeFileSync(configFile, CONFIG);
  const stores = openStores(dataDir);
  const config = { ...parseConfigText(CONFIG, configFile), dataDir };
  let ids = 0;
  const service = new EscalationService({ stores, config, clock: systemClock, newId: () => `esc-${++ids}`, logger: silentLogger, host: 'host1', channels: [] });
  const escalate = (name: string) =>
    service.escalate({
      task: writeTask(stores, Date.now(), name, { id: `task-${name}`, status: 'escalated', phase: 3, reason: 'not fixed' }),
      reason: 'phases 1-3 failed',
      causeKey: null,
      hypotheses: [],
    }).id;
  webEscalation = escalate('web');
  dbEscalation = escalate('db');
  stores.close();
});

describe('orchestrator token', () => {
  it('creates a token, prints it once and keeps only its hash; lists it; refuses bad and taken names with exit 2', async () => {
    const created = await cli(['token', 'create', 'alice', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const alice = JSON.parse(created.stdout);
    expect(alice).toMatchObject({ name: 'alice', createdBy: 'cli:tester', createdAt: expect.any(Number) });
    expect(Buffer.from(alice.token, 'base64url')).toHaveLength(32);
    for (const file of ['escalations.db', 'escalations.db-wal'].map((name) => path.join(dataDir, name)).filter((name) => existsSync(name))) {
      expect(readFileSync(file).includes(alice.token), file).toBe(false);
    }

    const text = await cli(['token', 'create', 'grafana.read-only_1']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/Token "grafana.read-only_1" created\. It is shown this once; only its hash is kept:\n\n {2}[A-Za-z0-9_-]{43}\n/);
    expect(text.stdout).toContain('orchestrator token revoke grafana.read-only_1');

    const list = await cli(['token', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const tokens = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
    expect(tokens.map((token) => token.name)).toEqual(['alice', 'grafana.read-only_1']);
    expect(tokens[0]).toEqual({
      name: 'alice',
      createdAt: alice.createdAt,
      createdBy: 'cli:tester',
      lastUsedAt: null,
      revokedAt: null,
      revokedBy: null,
      revoked: false,
      liveSessions: 0,
    });
    expect(list.stdout).not.toContain(alice.token);
    const table = await cli(['token', 'list']);
    expect(table.stdout).toMatch(/^NAME +CREATED +CREATED BY +LAST USED +SESSIONS +REVOKED$/m);
    expect(table.stdout).toMatch(/^alice +\d{4}-\d\d-\d\d [\d:]+ UTC +cli:tester +- +0 +-$/m);

    const refusals: Array<[string, RegExp]> = [
      ['bad name!', /may contain only letters, digits, "_", "\." and "-"/],
      ['a'.repeat(65), /is 65 characters long; at most 64/],
      ['alice', /a token named "alice" exists: choose another name/],
      ['admin', /"admin" is the name of the token file's token/],
    ];
    for (const [name, message] of refusals) {
      const refused = await cli(['token', 'create', name]);
      expect(refused.code, name).toBe(2);
      expect(refused.stderr).toMatch(message);
    }
    expect((await cli(['token', 'create'])).code).toBe(2);
  });

  it('revokes a token: a running server refuses it and its sessions at the next request', async () => {
    const bob = JSON.parse((await cli(['token', 'create', 'bob', '--json'])).stdout).token as string;
    const { server, stores } = daemonServer();
    try {
      expect((await request(server, '/api/overview', { authorization: `Bearer ${bob}` })).statusCode).toBe(200);
      const login = await server.app.inject({
        method: 'POST',
        url: '/api/login',
        headers: { host: '127.0.0.1:8888', 'content-type': 'application/json' },
        payload: { token: bob },
      });
      const cookie = `ao_session=${login.cookies.find((each) => each.name === 'ao_session')!.value}`;
      expect((await request(server, '/api/overview', { cookie })).statusCode).toBe(200);

      const dryRun = await cli(['token', 'revoke', 'bob', '--dry-run']);
      expect(dryRun.code, dryRun.stderr).toBe(0);
      expect(dryRun.stdout).toBe('Would revoke the token "bob" and end its 1 session. Nothing was changed (--dry-run).\n');
      expect((await request(server, '/api/overview', { cookie })).statusCode).toBe(200);

      const revoked = await cli(['token', 'revoke', 'bob']);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(revoked.stdout).toBe('Token "bob" revoked by cli:tester: it and its 1 session are refused from the next request on.\n');
      expect((await request(server, '/api/overview', { authorization: `Bearer ${bob}` })).statusCode).toBe(401);
      expect((await request(server, '/api/overview', { cookie })).statusCode).toBe(401);

      const listed = (JSON.parse((await cli(['token', 'list', '--json'])).stdout) as Array<{ name: string }>).find((token) => token.name === 'bob');
      expect(listed).toMatchObject({ revoked: true, revokedBy: 'cli:tester', revokedAt: expect.any(Number), lastUsedAt: expect.any(Number), liveSessions: 0 });
      const admin = (JSON.parse((await cli(['token', 'list', '--json'])).stdout) as Array<{ name: string }>).find((token) => token.name === 'admin');
      expect(admin).toMatchObject({ createdBy: `file:${path.join(dataDir, 'web-token')}`, revoked: false });

      const again = await cli(['token', 'revoke', 'bob']);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/the token "bob" is already revoked; nothing was changed/);
      const unknown = await cli(['token', 'revoke', 'nobody']);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/no token named "nobody" \(see orchestrator token list\)/);
      expect((await cli(['token', 'revoke', '../etc'])).code).toBe(2);
    } finally {
      await server.close();
      stores.close();
    }
  });

  it('the read-only `orchestrator dashboard` accepts a session opened on the daemon server, and a restart of it keeps it', async () => {
    const carol = JSON.parse((await cli(['token', 'create', 'carol', '--json'])).stdout).token as string;
    const { server, stores } = daemonServer();
    let cookie: string;
    try {
      const login = await server.app.inject({
        method: 'POST',
        url: '/api/login',
        headers: { host: '127.0.0.1:8888', 'content-type': 'application/json' },
        payload: { token: carol },
      });
      expect(login.statusCode).toBe(200);
      cookie = `ao_session=${login.cookies.find((each) => each.name === 'ao_session')!.value}`;
    } finally {
      await server.close();
      stores.close();
    }
    for (let start = 0; start < 2; start++) {
      const dashboard = spawn(process.execPath, [CLI, 'dashboard', '--port', '0', '-c', configFile, '-d', dataDir], { stdio: ['ignore', 'pipe', 'pipe'], env });
      let log = '';
      dashboard.stdout.on('data', (chunk) => (log += chunk));
      dashboard.stderr.on('data', (chunk) => (log += chunk));
      const exited = new Promise<number | null>((resolve) => dashboard.on('exit', (code) => resolve(code)));
      try {
        for (let waited = 0; !/dashboard listening/.test(log) && waited < 200; waited++) await new Promise((resolve) => setTimeout(resolve, 100));
        const url = /"url":"(http:\/\/[^"]+)"/.exec(log)?.[1];
        expect(url, log).toBeDefined();
        const overview = await fetch(`${url}/api/overview`, { headers: { cookie } });
        expect(overview.status).toBe(200);
        expect(((await overview.json()) as { readOnly: boolean }).readOnly).toBe(true);
        expect((await fetch(`${url}/api/overview`, { headers: { cookie: 'ao_session=forged' } })).status).toBe(401);
      } finally {
        dashboard.kill('SIGTERM');
        await exited;
      }
    }
  });
});

describe('who did it, from the CLI', () => {
  it('records cli:<user> on ack, retry, resolve and pause, and shows it in escalation show, escalations and status', async () => {
    const ack = await cli(['escalation', 'ack', webEscalation, '--json']);
    expect(ack.code, ack.stderr).toBe(0);
    expect(JSON.parse(ack.stdout)).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'cli:tester' });
    const retry = await cli(['escalation', 'retry', webEscalation, '--json']);
    expect(JSON.parse(retry.stdout)).toMatchObject({ retryRequestedBy: 'cli:tester' });
    const resolved = await cli(['escalation', 'resolve', dbEscalation, '--note', 'fixed by hand', '--json']);
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(JSON.parse(resolved.stdout)).toMatchObject({ status: 'resolved', resolvedBy: 'cli:tester' });

    const show = await cli(['escalation', 'show', webEscalation, '--json']);
    expect(JSON.parse(show.stdout)).toMatchObject({ id: webEscalation, acknowledgedBy: 'cli:tester', retryRequestedBy: 'cli:tester', resolvedBy: null });
    const showText = await cli(['escalation', 'show', webEscalation]);
    expect(showText.stdout).toMatch(/^ {2}Acknowledged: +\d{4}-\d\d-\d\d [\d:]+ UTC by cli:tester$/m);
    expect(showText.stdout).toMatch(/^ {2}Retry asked: +by cli:tester at .* \(waiting for the daemon\)$/m);
    expect((await cli(['escalation', 'show', dbEscalation])).stdout).toMatch(/^ {2}Resolved: +.* by cli:tester$/m);
    const missing = await cli(['escalation', 'show', 'nope']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no escalation with id "nope"/);
    const listed = JSON.parse((await cli(['escalations', '--json'])).stdout) as Array<{ id: string }>;
    expect(listed.find((each) => each.id === dbEscalation)).toMatchObject({ resolvedBy: 'cli:tester' });

    expect((await cli(['pause', '--reason', 'maintenance'])).code).toBe(0);
    const status = await cli(['status', '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ paused: true, pausedBy: 'cli:tester' });
    expect((await cli(['status'])).stdout).toMatch(/Kill switch: +PAUSED since .* UTC by cli:tester \(no actions; detection continues\)/);
    const resumed = await cli(['resume', '--json']);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ paused: false, by: 'cli:tester' });
    expect(JSON.parse((await cli(['status', '--json'])).stdout)).toMatchObject({ paused: false, pausedBy: null });
  });
});
