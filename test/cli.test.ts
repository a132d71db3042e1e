/** The `orchestrator` command as an operator uses it: exit codes, messages, the data directory, the lock. */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStores } from '../src/store/stores.js';
import { verifySignature } from '../src/notify/webhook-notifier.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');
const work = mkdtempSync(path.join(tmpdir(), 'orchestrator-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

// A configuration that never reaches for systemd, so these tests run on any Linux host.
const hostOnly = path.join(work, 'host-only.yaml');
writeFileSync(
  hostOnly,
  'cycle: { watchFailedUnits: false }\nweb: { port: 0 }\nhost: { disk: { maxUsedPercent: 100 }, inodes: { maxUsedPercent: 100 }, memory: { maxUsedPercent: 100 } }\n',
);

/** Starts a long-running command and waits until its log contains `ready`. */
async function startLogging(args: string[], ready: string): Promise<{ log: () => string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (chunk) => (log += chunk));
  child.stderr.on('data', (chunk) => (log += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (let waited = 0; !log.includes(ready) && waited < 200; waited++) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(log, `"${ready}" never appeared in the log of ${args.join(' ')}`).toContain(ready);
  return {
    log: () => log,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

function dashboardUrl(log: string): string {
  const match = /"url":"(http:\/\/[^"]+)"[^\n]*dashboard listening/.exec(log);
  expect(match, 'no "dashboard listening" line with a url').not.toBeNull();
  return match![1]!;
}

describe('orchestrator CLI', () => {
  it('prints usage and exits 2 on an unknown flag or command', async () => {
    const flag = await cli(['--bogus']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/unknown option '--bogus'/);
    expect(flag.stderr).toMatch(/Usage: orchestrator/);
    expect((await cli(['explode'])).code).toBe(2);
    expect((await cli(['stats', '--days', 'zero', '-d', work])).code).toBe(2);
  });

  it('rejects a bad configuration with every problem and exit 2, and never starts', async () => {
    const bad = path.join(work, 'bad.yaml');
    writeFileSync(bad, 'cycle:\n  interval: -1m\nservices:\n  - name: x\n    unit: x.service\n    checks:\n      - { type: command, argv: "rm -rf /" }\n      - { type: tcp }\n');
    const validate = await cli(['config', 'validate', '-c', bad]);
    expect(validate.code).toBe(2);
    expect(validate.stderr).toContain(`${bad}:2:13  cycle.interval: a duration cannot be negative`);
    expect(validate.stderr).toContain('services[0].checks[0].argv: expected an argv array');
    expect(validate.stderr).toContain('services[0].checks[1].port: required');
    const run = await cli(['run', '--once', '-c', bad, '-d', path.join(work, 'never')]);
    expect(run.code).toBe(2);
    expect(existsSync(path.join(work, 'never'))).toBe(false);
    expect((await cli(['config', 'validate', '-c', path.join(work, 'missing.yaml')])).stderr).toMatch(/cannot read the file/);
    // --json: the same problems as JSON on stdout, exit 2.
    const json = await cli(['config', 'validate', '-c', bad, '--json']);
    expect(json.code).toBe(2);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ valid: false, file: bad });
    expect(report.problems).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'cycle.interval', location: '2:13' })]));
  });

  it('cuts long reasons in lists unless --wide asks for them whole', async () => {
    const file = path.join(work, 'wide.yaml');
    const dataDir = path.join(work, 'data-wide');
    writeFileSync(file, 'cycle: { watchFailedUnits: false }\nhost: { disk: { maxUsedPercent: 1 }, inodes: { enabled: false }, memory: { enabled: false } }\n');
    await cli(['run', '--once', '-c', file, '-d', dataDir]);
    const stores = openStores(dataDir);
    const [escalation] = stores.escalations.list();
    stores.escalations.update({ ...escalation!, reason: `${'a long reason '.repeat(12)}ends here` });
    stores.close();
    const narrow = await cli(['escalations', '-c', file, '-d', dataDir]);
    const wide = await cli(['escalations', '--wide', '-c', file, '-d', dataDir]);
    expect(narrow.code).toBe(0);
    expect(narrow.stdout).toMatch(/a long reason a long reason.*…$/m);
    expect(narrow.stdout).not.toMatch(/ends here/);
    expect(wide.stdout).toMatch(/ends here$/m);
    expect((await cli(['tasks', '-w', '-c', file, '-d', dataDir])).code).toBe(0);
  });

  it('prints the action catalog from the action definitions, as text and JSON', async () => {
    const text = await cli(['actions']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/remove_stale_file\s+remove_stale_file:path=/);
    const json = await cli(['actions', '--json']);
    const reset = JSON.parse(json.stdout).find((entry: { type: string }) => entry.type === 'reset_failed');
    expect(reset).toMatchObject({ capability: 'reset-failed', executable: true, params: { unit: 'string' } });
  });

  it('validates a good configuration and prints the JSON Schema', async () => {
    const validate = await cli(['config', 'validate', '-c', hostOnly, '--json']);
    expect(validate.code).toBe(0);
    expect(JSON.parse(validate.stdout)).toMatchObject({ valid: true, services: [] });
    const schema = JSON.parse((await cli(['config', 'schema'])).stdout);
    expect(schema.properties.services.type).toBe('array');
    expect(schema.additionalProperties).toBe(false);
  });

  it('runs one cycle on a new data directory (mode 0700) and prints the summary', async () => {
    const dataDir = path.join(work, 'data-once');
    const run = await cli(['run', '--once', '-c', hostOnly, '-d', dataDir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Issues detected: +0/);
    expect(run.stdout).toMatch(/Execution time: +[\d.]+s/);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const statusRun = await cli(['status', '--json', '-c', hostOnly, '-d', dataDir]);
    // No daemon runs: exit 3, as systemctl status says of a unit that is not active.
    expect(statusRun.code).toBe(3);
    const status = JSON.parse(statusRun.stdout);
    expect(status).toMatchObject({ running: false, paused: false, lastCycle: { kind: 'full', issuesDetected: 0 } });
    expect(JSON.parse((await cli(['tasks', '--json', '-c', hostOnly, '-d', dataDir])).stdout)).toEqual([]);
    expect((await cli(['task', 'nope', '-c', hostOnly, '-d', dataDir])).code).toBe(2);
  });

  it('says clearly when the data directory cannot be created', async () => {
    const file = path.join(work, 'a-file');
    writeFileSync(file, '');
    const run = await cli(['run', '--once', '-c', hostOnly, '-d', path.join(file, 'data')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot create data directory .*a-file\/data/);
  });

  it('persists the kill switch', async () => {
    const dataDir = path.join(work, 'data-pause');
    expect((await cli(['pause', '--reason', 'maintenance', '-c', hostOnly, '-d', dataDir])).code).toBe(0);
    expect(JSON.parse((await cli(['status', '--json', '-c', hostOnly, '-d', dataDir])).stdout).paused).toBe(true);
    expect((await cli(['resume', '-c', hostOnly, '-d', dataDir])).code).toBe(0);
    expect(JSON.parse((await cli(['status', '--json', '-c', hostOnly, '-d', dataDir])).stdout).paused).toBe(false);
  });

  it('refuses a second daemon on the same data directory, and stops cleanly on SIGTERM', async () => {
    const dataDir = path.join(work, 'data-lock');
    const daemon = spawn(process.execPath, [CLI, 'run', '-c', hostOnly, '-d', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    daemon.stdout.on('data', (chunk) => (log += chunk));
    const exited = new Promise<number | null>((resolve) => daemon.on('exit', (code) => resolve(code)));
    for (let waited = 0; !log.includes('full cycle') && waited < 200; waited++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(log).toContain('orchestrator started');
    const second = await cli(['run', '--once', '-c', hostOnly, '-d', dataDir]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`another orchestrator \\(pid ${daemon.pid}\\) is already running on ${dataDir}`));
    expect(JSON.parse((await cli(['status', '--json', '-c', hostOnly, '-d', dataDir])).stdout).running).toBe(true);
    daemon.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(log).toContain('orchestrator stopped');
    for (const line of log.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('serves the dashboard from the daemon, with a generated 0600 token, and read-only from `orchestrator dashboard`', async () => {
    const dataDir = path.join(work, 'data-web');
    const started = await startLogging([CLI, 'run', '-c', hostOnly, '-d', dataDir], 'full cycle');
    const url = dashboardUrl(started.log());
    const tokenFile = path.join(dataDir, 'web-token');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(started.log()).toContain(`dashboard access token generated: read it from ${tokenFile}`);
    const token = readFileSync(tokenFile, 'utf8').trim();
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await fetch(`${url}/api/overview`)).status).toBe(401);
    const overview = await fetch(`${url}/api/overview`, { headers: { authorization: `Bearer ${token}` } });
    expect(overview.status).toBe(200);
    expect(((await overview.json()) as { daemon: { running: boolean } }).daemon.running).toBe(true);
    const metrics = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
    expect(metrics).toMatch(/^orchestrator_checks_run_total [1-9]/m);

    const dashboard = await startLogging([CLI, 'dashboard', '--port', '0', '-c', hostOnly, '-d', dataDir], 'dashboard listening');
    const readOnlyUrl = dashboardUrl(dashboard.log());
    expect(dashboard.log()).not.toContain('token generated');
    const pause = await fetch(`${readOnlyUrl}/api/pause`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(pause.status).toBe(403);
    expect(JSON.parse((await cli(['status', '--json', '-c', hostOnly, '-d', dataDir])).stdout).paused).toBe(false);
    expect(await dashboard.stop()).toBe(0);
    expect(await started.stop()).toBe(0);
  });

  it('says why the dashboard cannot start, and keeps healing without it', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const config = path.join(work, 'busy-port.yaml');
    writeFileSync(config, `cycle: { watchFailedUnits: false }\nweb: { port: ${port} }\n`);
    const refused = await cli(['dashboard', '-c', config, '-d', path.join(work, 'data-web')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`the dashboard cannot listen on 127.0.0.1:${port}: the port is already in use`);
    const daemon = await startLogging([CLI, 'run', '-c', config, '-d', path.join(work, 'data-busy')], 'full cycle');
    expect(daemon.log()).toContain('dashboard not started');
    expect(await daemon.stop()).toBe(0);
    blocker.close();
  });

  it('refuses an unset secret variable with its place, the variable and the environment file; the file beside the config supplies it', async () => {
    const directory = mkdtempSync(path.join(work, 'secrets-'));
    const file = path.join(directory, 'config.yaml');
    const received: Array<{ body: string; timestamp: string; signature: string }> = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        received.push({ body, timestamp: String(request.headers['x-orchestrator-timestamp']), signature: String(request.headers['x-orchestrator-signature']) });
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    writeFileSync(
      file,
      `cycle: { watchFailedUnits: false }\nnotify:\n  webhooks:\n    - { name: ops, url: "http://127.0.0.1:${port}/hook", secretEnv: AO_CLI_TEST_HOOK_SECRET }\n`,
    );
    const validate = await cli(['config', 'validate', '-c', file]);
    expect(validate.code).toBe(2);
    expect(validate.stderr).toContain(
      `${file}  notify.webhooks[0].secretEnv: environment variable AO_CLI_TEST_HOOK_SECRET is not set: it holds the signing secret of webhook ops.`,
    );
    expect(validate.stderr).toContain(`The service gets its environment from ${path.join(directory, 'env')} (EnvironmentFile=)`);
    // The daemon does not start either, and creates nothing.
    const run = await cli(['run', '--once', '-c', file, '-d', path.join(directory, 'data')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('AO_CLI_TEST_HOOK_SECRET is not set');
    expect(existsSync(path.join(directory, 'data'))).toBe(false);
    // --no-strict: a plainly worded warning, and valid.
    const lenient = await cli(['config', 'validate', '--no-strict', '-c', file, '--json']);
    expect(lenient.code).toBe(0);
    expect(lenient.stderr).toMatch(/^warning: .*notify\.webhooks\[0\]\.secretEnv: environment variable AO_CLI_TEST_HOOK_SECRET is not set/m);
    expect(JSON.parse(lenient.stdout)).toMatchObject({ valid: true, warnings: [{ path: 'notify.webhooks[0].secretEnv' }] });
    // In the environment file the unit loads: validate and notify test from a shell see it, as the service does.
    writeFileSync(path.join(directory, 'env'), '# the unit\'s secrets\nAO_CLI_TEST_HOOK_SECRET="s3cret value"\n', { mode: 0o600 });
    expect((await cli(['config', 'validate', '-c', file])).code).toBe(0);
    const sent = await cli(['notify', 'test', '-c', file]);
    server.close();
    expect(sent.code, sent.stdout + sent.stderr).toBe(0);
    const [request] = received;
    expect(verifySignature(request!.body, request!.timestamp, request!.signature, 's3cret value')).toBe(true);
  });

  it("keeps an agent's unset API key an error even with --no-strict: the daemon cannot start without it", async () => {
    const file = path.join(work, 'agent-key.yaml');
    writeFileSync(file, 'agents:\n  research: { backend: openai, baseURL: "http://127.0.0.1:9/v1", model: m, apiKeyEnv: AO_CLI_TEST_AGENT_KEY }\n');
    const validate = await cli(['config', 'validate', '--no-strict', '-c', file]);
    expect(validate.code).toBe(2);
    expect(validate.stderr).toContain('agents.research.apiKeyEnv: environment variable AO_CLI_TEST_AGENT_KEY is not set: it holds the API key of the research agent');
  });

  it('notify test reports each channel, and exits 1 when one fails', async () => {
    const received: string[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        received.push(body);
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const file = path.join(work, 'notify.yaml');
    writeFileSync(file, `notify:\n  webhooks:\n    - { name: good, url: "http://127.0.0.1:${port}/hook" }\n    - { name: down, url: "http://127.0.0.1:9/hook", timeout: 1s }\n`);
    const result = await cli(['notify', 'test', '-c', file]);
    server.close();
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^ok +webhook:good +delivered/m);
    expect(result.stdout).toMatch(/^FAIL +webhook:down/m);
    expect(JSON.parse(received[0]!)).toMatchObject({ version: 1, kind: 'test' });
  });

  it('rejects bad notification settings with every problem listed', async () => {
    const file = path.join(work, 'bad-notify.yaml');
    writeFileSync(file, 'notify:\n  email: { port: 99999, from: nobody, to: [] }\n  webhooks:\n    - { name: x, url: "ftp://example.com" }\n');
    const result = await cli(['config', 'validate', '-c', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('notify.email.host: required');
    expect(result.stderr).toContain('notify.email.port');
    expect(result.stderr).toContain('notify.email.from: expected an email address');
    expect(result.stderr).toContain('notify.email.to: expected at least one recipient');
    expect(result.stderr).toContain('notify.webhooks[0].url: expected an http:// or https:// URL');
  });

  it('shows a notification that could not be delivered in status', async () => {
    const dataDir = path.join(work, 'data-notify');
    const file = path.join(work, 'full-disk.yaml');
    // A disk limit of 1% makes the root filesystem "full": nothing may clean it, so it is escalated.
    writeFileSync(
      file,
      'cycle: { watchFailedUnits: false }\nhost: { disk: { maxUsedPercent: 1 }, inodes: { enabled: false }, memory: { enabled: false } }\nnotify:\n  webhooks: [{ name: down, url: "http://127.0.0.1:9/hook", timeout: 1s }]\n  retry: { maxAttempts: 1 }\n',
    );
    const run = await cli(['run', '--once', '-c', file, '-d', dataDir]);
    expect(run.stdout).toMatch(/Escalations: +1/);
    const status = await cli(['status', '-c', file, '-d', dataDir]);
    expect(status.stdout).toMatch(/Notifications: +0 waiting, 1 failed/);
    expect(status.stdout).toMatch(/failed: webhook:down .*escalation.opened after 1 attempt/);
    const escalations = JSON.parse((await cli(['escalations', '--json', '-c', file, '-d', dataDir])).stdout);
    expect(escalations[0]).toMatchObject({ service: 'host', symptom: 'disk_full', status: 'open' });
    // A retry is asked for (the running daemon takes it at its next cycle); an unknown id is a usage error.
    const retry = await cli(['escalation', 'retry', escalations[0].id, '--json', '-c', file, '-d', dataDir]);
    expect(retry.code, retry.stderr).toBe(0);
    expect(JSON.parse(retry.stdout).retryRequestedAt).toEqual(expect.any(Number));
    const unknown = await cli(['escalation', 'retry', 'no-such-id', '-c', file, '-d', dataDir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no escalation with id "no-such-id"/);
  });
});
