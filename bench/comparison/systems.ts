/**
 * The healers compared on the same stack: the orchestrator (the real daemon, run inside the lab by LabDaemon),
 * Monit (Debian's package, its own process inside the lab, configured the way its documentation recommends,
 * with a 30 s and a 5 s cycle) and systemd alone (Restart=on-failure on every unit, no healer process).
 *
 * Each healer reports what it did as normalized events (detect / action / escalate / refused / ignored /
 * gave-up), read from its own records: the orchestrator's databases, Monit's log file, the lab's journal for
 * systemd. Alert mail from the orchestrator and Monit goes to a real SMTP sink inside the lab.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, type SystemdLab } from '../../test/lab/systemd-lab.js';
import { LabDaemon } from '../../test/lab/lab-daemon.js';
import {
  API_PIDFILE,
  APP_PIDFILE,
  BROKEN_PIDFILE,
  DATA_PIDFILE,
  FILES_PIDFILE,
  MASKED_PIDFILE,
  REPORT_PIDFILE,
  PORTS,
  SPOOL,
  SPOOL_CACHE,
  SPOOL_MAX_PERCENT,
  UNITS,
  WORKER_LOCK,
  journal,
  unitEvents,
  type RestartMode,
  type StackService,
} from './stack.js';

/** A service as the reports name it: a stack service, or the small filesystem. */
export type Subject = StackService | 'spool';

export interface HealerEvent {
  /** Wall-clock ms. */
  at: number;
  kind: 'detect' | 'action' | 'escalate' | 'refused' | 'ignored' | 'fixed' | 'gave-up';
  subject: Subject | 'other';
  text: string;
  /** Orchestrator: phase of the attempt / of the fix. */
  phase?: number;
  source?: string;
}

export interface Usage {
  /** utime + stime of the healer process, seconds. */
  cpuSelfS: number;
  /** Plus its reaped children (systemctl, checks ...). */
  cpuWithChildrenS: number;
  /** VmHWM of the healer process. */
  peakRssMb: number;
  /** How long the healer process has been running (s), so CPU can be compared as a share of one core. */
  elapsedS: number;
  pid: number;
}

export interface Healer {
  readonly id: 'orchestrator' | 'monit-30s' | 'monit-5s' | 'systemd';
  readonly label: string;
  readonly restartMode: RestartMode;
  /** How often it looks (ms): the full cycle, Monit's cycle, systemd's RestartSec. Sets the faults' time limits. */
  readonly cycleMs: number;
  /** How long it may wait for a start it ordered before it looks again (Monit's start timeout); 0 if it does not block. */
  readonly startWaitMs: number;
  /** What the healer was configured with (for the report). */
  readonly configSummary: string;
  /** Starts the healer on an installed, healthy stack and waits until it has looked at everything once. */
  start(): Promise<void>;
  /** Events since `sinceMs` (wall clock). */
  events(sinceMs: number): Promise<HealerEvent[]>;
  /**
   * Before a fault on `subjects`: the healer's transient state is clean (no task in flight ...); with
   * `knownGood`, the healer has what it compares a change against (the orchestrator: a last-known-good state of each).
   */
  prepare(subjects: readonly Subject[], log: (line: string) => void, options?: { knownGood?: boolean }): Promise<void>;
  /** After a fault and the stack's restore: put the healer back to monitoring everything (resolve, re-monitor). */
  afterRestore(log: (line: string) => void): Promise<void>;
  /** CPU and peak RSS of the healer process over its whole run; null when there is no healer process. */
  usage(): Promise<Usage | null>;
  /** Stops the healer and copies its raw records to `rawDir`. */
  stop(rawDir: string): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SMTP_SINK = path.join(REPO_ROOT, 'test', 'fixtures', 'smtp-sink.mjs');
const SMTP_PORT = 2525;
const ALERT_TO = 'ops@lab.invalid';

/** Reads utime/stime/cutime/cstime, start time and VmHWM of a pid inside the lab. */
export async function processUsage(lab: SystemdLab, pid: number): Promise<Usage | null> {
  const res = await lab.exec(
    ['sh', '-c', `cat /proc/${pid}/stat; echo; grep VmHWM /proc/${pid}/status; echo "tick $(getconf CLK_TCK)"; echo "uptime $(cut -d' ' -f1 /proc/uptime)"`],
    {
      allowFailure: true,
    },
  );
  const [stat = '', ...rest] = res.stdout.split('\n');
  if (!stat.includes(')')) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is the state (field 3): utime is field 14 → index 11; starttime is field 22 → index 19.
  const [utime, stime, cutime, cstime, starttime] = [11, 12, 13, 14, 19].map((i) => Number(fields[i] ?? 0));
  const text = rest.join('\n');
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const tick = Number(/tick (\d+)/.exec(text)?.[1] ?? 100) || 100;
  const uptime = Number(/uptime ([\d.]+)/.exec(text)?.[1] ?? 0);
  return {
    pid,
    cpuSelfS: round2((utime! + stime!) / tick),
    cpuWithChildrenS: round2((utime! + stime! + cutime! + cstime!) / tick),
    peakRssMb: Math.round((hwm / 1024) * 10) / 10,
    elapsedS: Math.round(uptime - starttime! / tick),
  };
}

const round2 = (value: number) => Math.round(value * 100) / 100;

/** A real SMTP server inside the lab receiving the healers' alert mail (the repo's test fixture). */
class MailSink {
  private child: ChildProcess | undefined;
  constructor(
    private readonly lab: SystemdLab,
    readonly file: string,
  ) {}

  async start(): Promise<void> {
    mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileSync(this.file, '');
    this.child = this.lab.spawn(['/usr/bin/node', SMTP_SINK], {
      env: { PORT: String(SMTP_PORT), OUT_FILE: this.file },
      stdoutFile: `${this.file}.stdout.txt`,
    });
    await this.lab.waitFor(async () => (await this.lab.exec(['sh', '-c', `ss -ltn | grep -q ':${SMTP_PORT} '`], { allowFailure: true })).code === 0, {
      what: 'smtp sink listening',
      timeoutMs: 20_000,
    });
  }

  /** Messages received so far: [{ at (arrival order only), raw }]. */
  messages(): Array<{ raw: string }> {
    if (!existsSync(this.file)) return [];
    return readFileSync(this.file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        try {
          return JSON.parse(line) as { raw: string };
        } catch {
          return { raw: line };
        }
      });
  }

  stop(): void {
    this.child?.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------------------------------------------------
// The orchestrator

const ORCH_SERVICE_OF: Record<string, Subject> = { host: 'spool' };
const sqlTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
const fromSql = (text: string | null | undefined) => (text ? Date.parse(`${text.replace(' ', 'T')}Z`) : NaN);

export const ORCHESTRATOR_CYCLE = '5s';
/** The per-service action budget: the default count (3), over a window shortened to fit a 25-minute benchmark. */
export const ORCHESTRATOR_BUDGET_WINDOW_S = 60;

export function orchestratorConfig(): string {
  const http = (url: string) => `      - { type: http, url: "${url}", timeout: 2s }`;
  return `# bench/comparison: the orchestrator's configuration for the comparison stack.
cycle: { interval: ${ORCHESTRATOR_CYCLE}, watchInterval: 1s, watchFailedUnits: false }
safety:
  budget: { actions: 3, window: ${ORCHESTRATOR_BUDGET_WINDOW_S}s }
host:
  disk: { mounts: [${SPOOL}], maxUsedPercent: 90 }
  cleanup:
    - { path: ${SPOOL_CACHE}, olderThan: 1d }
notify:
  email: { host: 127.0.0.1, port: ${SMTP_PORT}, from: orchestrator@lab.invalid, to: [${ALERT_TO}] }
  retry: { maxAttempts: 3, initialDelay: 2s, maxDelay: 10s }
services:
  - name: nginx
    profile: nginx
    checks:
${http('http://127.0.0.1/nginx-health')}
  - name: redis
    profile: redis
    checks:
      - { type: tcp, host: 127.0.0.1, port: 6379, timeout: 1s }
  - name: postgresql
    profile: postgresql
    unit: ${UNITS.postgresql}
    checks:
      - { type: tcp, host: 127.0.0.1, port: 5432, timeout: 1s }
  - name: app
    unit: ${UNITS.app}
    dependsOn: [redis]
    runtimeFiles: [${APP_PIDFILE}]
    checks:
${http(`http://127.0.0.1:${PORTS.app}/`)}
  # The worker's lock file (${WORKER_LOCK}) is deliberately not declared: a lock no profile knows.
  - name: worker
    unit: ${UNITS.worker}
    dependsOn: [postgresql]
    checks:
${http(`http://127.0.0.1:${PORTS.worker}/`)}
  - name: broken
    unit: ${UNITS.broken}
    checks:
${http(`http://127.0.0.1:${PORTS.broken}/`)}
  - name: masked
    unit: ${UNITS.masked}
    checks:
${http(`http://127.0.0.1:${PORTS.masked}/`)}
  - name: api
    unit: ${UNITS.api}
    checks:
${http(`http://127.0.0.1:${PORTS.api}/`)}
  - name: files
    unit: ${UNITS.files}
    checks:
${http(`http://127.0.0.1:${PORTS.files}/`)}
  - name: data
    unit: ${UNITS.data}
    checks:
${http(`http://127.0.0.1:${PORTS.data}/`)}
  - name: report
    unit: ${UNITS.report}
    checks:
${http(`http://127.0.0.1:${PORTS.report}/`)}
`;
}

interface OrchTask {
  id: string;
  service: string;
  symptom: string;
  message: string;
  status: string;
  detected_at: string;
  closed_at: string | null;
  fixed_by_phase: number | null;
  reason: string | null;
}
interface OrchAttempt {
  id: string;
  task_id: string;
  service: string;
  phase: number;
  source: string;
  plan_key: string;
  started_at: string;
  finished_at: string | null;
  outcome: string | null;
  detail: string;
  acted: number;
}
interface OrchEscalation {
  id: string;
  service: string;
  status: string;
  reason: string;
  evidence: string;
  created_at: string;
  updated_at: string;
  occurrences: number;
}

export class OrchestratorHealer implements Healer {
  readonly id = 'orchestrator' as const;
  readonly label = `orchestrator (cycle ${ORCHESTRATOR_CYCLE}, watch 1s)`;
  readonly restartMode = 'restart-no' as const;
  readonly cycleMs = 5_000;
  readonly startWaitMs = 0;
  readonly configSummary: string;
  readonly daemon: LabDaemon;
  private readonly mail: MailSink;

  constructor(
    private readonly lab: SystemdLab,
    rawDir: string,
  ) {
    this.daemon = new LabDaemon(lab, 'bench-comparison');
    this.mail = new MailSink(lab, path.join(rawDir, 'mail.jsonl'));
    this.configSummary =
      `real daemon (dist/), heuristic agents; full cycle every ${ORCHESTRATOR_CYCLE}, unit watch every 1 s; budget 3 actions per service per ${ORCHESTRATOR_BUDGET_WINDOW_S} s ` +
      '(default count, window shortened from 15 min); profiles nginx/redis/postgresql; app dependsOn redis, worker dependsOn postgresql; ' +
      `host.disk.mounts [${SPOOL}] with cleanup allow-list [${SPOOL_CACHE}]; escalations mailed to an SMTP sink`;
  }

  async start(): Promise<void> {
    await this.mail.start();
    this.daemon.writeConfig(orchestratorConfig());
    const validate = await this.daemon.cli(['config', 'validate']);
    if (validate.code !== 0) throw new Error(`orchestrator config invalid: ${validate.stdout}${validate.stderr}`);
    this.daemon.start();
    const cycles = () => this.daemon.query<{ n: number }>('tasks', `SELECT COUNT(*) AS n FROM cycles WHERE kind = 'full'`)[0]?.n ?? 0;
    await this.lab.waitFor(async () => cycles() >= 2, { what: 'two full cycles of the orchestrator', timeoutMs: 60_000, intervalMs: 500 });
    const tasks = this.daemon.query<{ n: number }>('tasks', 'SELECT COUNT(*) AS n FROM tasks')[0]?.n ?? 0;
    if (tasks > 0) throw new Error(`orchestrator found ${tasks} issue(s) on the healthy stack before any fault (see ${this.daemon.logPath})`);
  }

  async events(sinceMs: number): Promise<HealerEvent[]> {
    const since = sqlTime(sinceMs - 1_000);
    const subject = (service: string): Subject | 'other' => ORCH_SERVICE_OF[service] ?? ((service in UNITS ? service : 'other') as Subject | 'other');
    const events: HealerEvent[] = [];
    for (const task of this.daemon.query<OrchTask>('tasks', 'SELECT * FROM tasks WHERE detected_at >= ? OR closed_at >= ? ORDER BY detected_at', since, since)) {
      const detectedAt = fromSql(task.detected_at);
      if (detectedAt >= sinceMs)
        events.push({ at: detectedAt, kind: 'detect', subject: subject(task.service), text: `task ${task.id.slice(0, 8)}: ${task.symptom}: ${task.message}` });
      const closedAt = fromSql(task.closed_at);
      if (!Number.isNaN(closedAt) && closedAt >= sinceMs) {
        if (task.status === 'fixed')
          events.push({
            at: closedAt,
            kind: 'fixed',
            subject: subject(task.service),
            text: `task ${task.id.slice(0, 8)} fixed in phase ${task.fixed_by_phase}`,
            phase: task.fixed_by_phase ?? undefined,
          });
        if (task.status === 'ignored')
          events.push({ at: closedAt, kind: 'ignored', subject: subject(task.service), text: `task ${task.id.slice(0, 8)} ignored: ${task.reason ?? ''}` });
      }
    }
    for (const attempt of this.daemon.query<OrchAttempt>('tasks', 'SELECT * FROM attempts WHERE started_at >= ? ORDER BY started_at, rowid', since)) {
      const at = fromSql(attempt.started_at);
      if (at < sinceMs) continue;
      const refused = attempt.outcome === 'refused' || attempt.outcome === 'dry_run';
      events.push({
        at,
        kind: refused ? 'refused' : 'action',
        subject: subject(attempt.service),
        text: `phase ${attempt.phase} ${attempt.source}: ${attempt.plan_key} → ${attempt.outcome ?? 'in progress'}${attempt.detail ? ` (${attempt.detail.slice(0, 300)})` : ''}`,
        phase: attempt.phase,
        source: attempt.source,
      });
    }
    // Escalations opened in the window, or (re)opened or joined in it: the harness resolves every escalation after
    // each fault, so an older one that is open again was reopened by this fault (flapping).
    for (const escalation of this.daemon.query<OrchEscalation>(
      'escalations',
      `SELECT * FROM escalations WHERE created_at >= ? OR (updated_at >= ? AND status IN ('open', 'acknowledged'))`,
      since,
      since,
    )) {
      const created = fromSql(escalation.created_at);
      const at = created >= sinceMs ? created : fromSql(escalation.updated_at);
      events.push({
        at,
        kind: 'escalate',
        subject: subject(escalation.service),
        text: `escalation ${escalation.id.slice(0, 8)} (${escalation.status}, ${escalation.occurrences}×): ${escalation.reason}`,
      });
    }
    return events.sort((a, b) => a.at - b.at);
  }

  async prepare(subjects: readonly Subject[], log: (line: string) => void, options: { knownGood?: boolean } = {}): Promise<void> {
    await this.waitIdle();
    if (options.knownGood)
      await this.waitKnownGood(
        subjects.filter((s) => s !== 'spool'),
        log,
      );
    // The budget is per service over a sliding window: wait until the window holds none of an earlier fault's
    // actions on the services this fault is about, so that faults do not eat each other's budget.
    const services = subjects.map((s) => (s === 'spool' ? 'host' : s));
    const windowMs = ORCHESTRATOR_BUDGET_WINDOW_S * 1000;
    const started = Date.now();
    for (;;) {
      const rows = this.daemon.query<{ started_at: string }>(
        'tasks',
        `SELECT started_at FROM attempts WHERE acted = 1 AND service IN (${services.map(() => '?').join(',')}) ORDER BY started_at DESC LIMIT 1`,
        ...services,
      );
      const last = fromSql(rows[0]?.started_at);
      const clearAt = Number.isNaN(last) ? 0 : last + windowMs + 1_000;
      if (Date.now() >= clearAt) break;
      if (Date.now() - started > windowMs + 5_000) break;
      await sleep(Math.min(1_000, clearAt - Date.now()));
    }
    if (Date.now() - started > 1_500) log(`    (waited ${Math.round((Date.now() - started) / 1000)} s for the orchestrator's budget window on ${services.join(', ')} to clear)`);
  }

  /**
   * A fault that follows a change needs the last-known-good state of its services (recorded in a full cycle while
   * they are healthy and their files predate their start): wait until each has one.
   */
  private async waitKnownGood(services: readonly string[], log: (line: string) => void): Promise<void> {
    const missing = () => services.filter((service) => this.daemon.query('tasks', 'SELECT 1 FROM service_states WHERE service = ? LIMIT 1', service).length === 0);
    const started = Date.now();
    await this.lab.waitFor(async () => missing().length === 0, { what: 'last-known-good states', timeoutMs: 60_000, intervalMs: 500 }).catch(() => undefined);
    const still = missing();
    if (still.length > 0) log(`    (no last-known-good state of ${still.join(', ')} after 60 s: the fault runs without one)`);
    else if (Date.now() - started > 1_500) log(`    (waited ${Math.round((Date.now() - started) / 1000)} s for the last-known-good state of ${services.join(', ')})`);
  }

  private async waitIdle(): Promise<void> {
    await this.lab
      .waitFor(async () => this.daemon.query('tasks', `SELECT 1 FROM tasks WHERE status IN ('open', 'running')`).length === 0, {
        what: 'orchestrator idle',
        timeoutMs: 60_000,
        intervalMs: 500,
      })
      .catch(() => undefined);
  }

  async afterRestore(log: (line: string) => void): Promise<void> {
    await this.waitIdle();
    // Open escalations are resolved as the operator would after fixing the cause (no --fix: nothing is taught).
    for (const escalation of this.daemon.query<{ id: string; service: string }>('escalations', `SELECT id, service FROM escalations WHERE status IN ('open', 'acknowledged')`)) {
      const res = await this.daemon.cli(['escalation', 'resolve', escalation.id, '--note', 'bench: fault restored by the harness']);
      log(`    resolved escalation ${escalation.id.slice(0, 8)} (${escalation.service})${res.code === 0 ? '' : `: exit ${res.code} ${res.stderr.trim()}`}`);
    }
  }

  async usage(): Promise<Usage | null> {
    const pid = this.daemon.daemonPid();
    return pid ? processUsage(this.lab, pid) : null;
  }

  /** Mail messages received so far. */
  mails(): Array<{ raw: string }> {
    return this.mail.messages();
  }

  async stop(rawDir: string): Promise<void> {
    await this.daemon.kill('SIGTERM').catch(() => undefined);
    this.mail.stop();
    mkdirSync(rawDir, { recursive: true });
    // The databases as SQL text (the daemon has closed them; binary copies are not kept in the repository).
    for (const name of ['tasks', 'escalations']) {
      const source = path.join(this.daemon.dataDir, `${name}.db`);
      if (!existsSync(source)) continue;
      try {
        writeFileSync(path.join(rawDir, `${name}.sql`), execFileSync('sqlite3', [source, '.dump'], { encoding: 'utf8', maxBuffer: 256 * 2 ** 20 }));
      } catch (err) {
        copyFileSync(source, path.join(rawDir, `${name}.db`));
        writeFileSync(path.join(rawDir, `${name}.sql`), `-- sqlite3 .dump failed (${(err as Error).message.split('\n')[0]}); the binary copy ${name}.db is next to this file\n`);
      }
    }
    if (existsSync(this.daemon.logPath)) copyFileSync(this.daemon.logPath, path.join(rawDir, 'daemon.jsonl'));
    copyFileSync(this.daemon.configPath, path.join(rawDir, 'config.yaml'));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Monit

const MONIT_DIR = '/run/monit-lab';
const MONITRC = `${MONIT_DIR}/monitrc`;
const MONIT_LOG = `${MONIT_DIR}/monit.log`;

/**
 * The monitrc: process checks by pid file with systemctl start/stop programs and protocol tests (http, redis,
 * pgsql), `depends on` for the app and the worker, a filesystem check with a space-usage alert, and
 * `if 5 restarts within 5 cycles then unmonitor` against restart loops, as in Monit's manual; alerts are mailed.
 */
export function monitrc(cycleS: number): string {
  const processCheck = (name: string, pidfile: string, unit: string, test: string, dependsOn?: string) =>
    [
      `check process ${name} with pidfile ${pidfile}`,
      `  start program = "/usr/bin/systemctl start ${unit}"`,
      `  stop program = "/usr/bin/systemctl stop ${unit}"`,
      `  ${test}`,
      '  if 5 restarts within 5 cycles then unmonitor',
      ...(dependsOn ? [`  depends on ${dependsOn}`] : []),
      '',
    ].join('\n');
  return [
    `set daemon ${cycleS}`,
    `set log ${MONIT_LOG}`,
    `set pidfile ${MONIT_DIR}/monit.pid`,
    `set idfile ${MONIT_DIR}/id`,
    `set statefile ${MONIT_DIR}/state`,
    `set eventqueue basedir ${MONIT_DIR}/events slots 100`,
    `set mailserver 127.0.0.1 port ${SMTP_PORT}`,
    `set alert ${ALERT_TO}`,
    'set httpd port 2812 and use address 127.0.0.1',
    '  allow localhost',
    '',
    processCheck('nginx', '/run/nginx.pid', UNITS.nginx, 'if failed host 127.0.0.1 port 80 protocol http request "/nginx-health" then restart'),
    processCheck('redis', '/run/redis/redis-server.pid', UNITS.redis, 'if failed host 127.0.0.1 port 6379 protocol redis then restart'),
    processCheck('postgresql', '/run/postgresql/15-main.pid', UNITS.postgresql, 'if failed host 127.0.0.1 port 5432 protocol pgsql then restart'),
    processCheck('app', APP_PIDFILE, UNITS.app, `if failed host 127.0.0.1 port ${PORTS.app} protocol http then restart`, 'redis'),
    processCheck('worker', WORKER_LOCK, UNITS.worker, `if failed host 127.0.0.1 port ${PORTS.worker} protocol http then restart`, 'postgresql'),
    processCheck('broken', BROKEN_PIDFILE, UNITS.broken, `if failed host 127.0.0.1 port ${PORTS.broken} protocol http then restart`),
    processCheck('masked', MASKED_PIDFILE, UNITS.masked, `if failed host 127.0.0.1 port ${PORTS.masked} protocol http then restart`),
    processCheck('api', API_PIDFILE, UNITS.api, `if failed host 127.0.0.1 port ${PORTS.api} protocol http then restart`),
    processCheck('files', FILES_PIDFILE, UNITS.files, `if failed host 127.0.0.1 port ${PORTS.files} protocol http then restart`),
    processCheck('data', DATA_PIDFILE, UNITS.data, `if failed host 127.0.0.1 port ${PORTS.data} protocol http then restart`),
    processCheck('report', REPORT_PIDFILE, UNITS.report, `if failed host 127.0.0.1 port ${PORTS.report} protocol http then restart`),
    `check filesystem spool with path ${SPOOL}`,
    `  if space usage > ${SPOOL_MAX_PERCENT}% then alert`,
    '',
  ].join('\n');
}

interface MonitLine {
  /** Best estimate of when Monit wrote it (its 1-second timestamp narrowed by when the harness first saw it). */
  at: number;
  stamp: number;
  text: string;
}

export class MonitHealer implements Healer {
  readonly id: 'monit-30s' | 'monit-5s';
  readonly label: string;
  readonly restartMode = 'restart-no' as const;
  readonly cycleMs: number;
  /** Monit's default start timeout: it waits this long for a started process before its next cycle. */
  readonly startWaitMs = 30_000;
  readonly configSummary: string;
  private child: ChildProcess | undefined;
  private readonly mail: MailSink;
  private lines: MonitLine[] = [];
  private lastPollAt = 0;
  private lastLength = 0;
  private pid = 0;

  constructor(
    private readonly lab: SystemdLab,
    private readonly cycleS: 30 | 5,
    private readonly rawDir: string,
  ) {
    this.id = cycleS === 30 ? 'monit-30s' : 'monit-5s';
    this.cycleMs = cycleS * 1000;
    this.label = `Monit ${cycleS} s cycle`;
    this.mail = new MailSink(lab, path.join(rawDir, 'mail.jsonl'));
    this.configSummary =
      `Debian's monit 5.33 as its own process in the lab, \`set daemon ${cycleS}\`; process checks by pid file with systemctl start/stop programs and ` +
      'protocol tests (nginx http on /nginx-health, redis, pgsql, http on each node unit), `depends on` redis/postgresql, ' +
      `\`check filesystem spool … if space usage > ${SPOOL_MAX_PERCENT}% then alert\`, \`if 5 restarts within 5 cycles then unmonitor\`; alerts mailed to an SMTP sink`;
  }

  private monit(args: string[]) {
    return this.lab.exec(['/usr/bin/monit', '-c', MONITRC, ...args], { allowFailure: true, timeoutMs: 30_000 });
  }

  async start(): Promise<void> {
    await this.mail.start();
    await this.lab.exec(['mkdir', '-p', `${MONIT_DIR}/events`]);
    await this.lab.writeFile(MONITRC, monitrc(this.cycleS), 0o600);
    const syntax = await this.monit(['-t']);
    if (syntax.code !== 0) throw new Error(`monitrc rejected: ${syntax.stdout}${syntax.stderr}`);
    this.child = this.lab.spawn(['/usr/bin/monit', '-I', '-c', MONITRC], { stdoutFile: path.join(this.rawDir, 'monit-stdout.txt') });
    await this.lab.waitFor(async () => (await this.lab.exec(['cat', `${MONIT_DIR}/monit.pid`], { allowFailure: true })).stdout.trim() !== '', {
      what: 'monit pid file',
      timeoutMs: 20_000,
    });
    this.pid = Number((await this.lab.exec(['cat', `${MONIT_DIR}/monit.pid`])).stdout.trim());
    // Monit checks everything once at start; let it finish that first cycle.
    await sleep(3_000);
    await this.poll();
    const complaints = this.lines.filter((line) => /error|trying to restart/.test(line.text));
    if (complaints.length > 0) throw new Error(`monit complained about the healthy stack: ${complaints.map((l) => l.text).join(' | ')}`);
  }

  /** Reads new log lines; each gets its time from Monit's stamp narrowed by the poll window it appeared in. */
  private async poll(): Promise<void> {
    const now = Date.now();
    const res = await this.lab.exec(['tail', '-c', `+${this.lastLength + 1}`, MONIT_LOG], { allowFailure: true });
    const text = res.stdout;
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    this.lastLength += Buffer.byteLength(complete);
    for (const line of complete.split('\n')) {
      const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4})\]\s+(\w+)\s*:\s*(.*)$/.exec(line);
      if (!m) {
        if (line.trim() && this.lines.length > 0) this.lines[this.lines.length - 1]!.text += ` ${line.trim()}`;
        continue;
      }
      const stamp = Date.parse(m[1]!.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
      const lower = Math.max(stamp, this.lastPollAt);
      const upper = Math.min(stamp + 999, now);
      const at = lower <= upper ? (lower + upper) / 2 : stamp + 500;
      this.lines.push({ at, stamp, text: `${m[2]}: ${m[3]}` });
    }
    this.lastPollAt = now;
  }

  async events(sinceMs: number): Promise<HealerEvent[]> {
    await this.poll();
    const events: HealerEvent[] = [];
    for (const line of this.lines) {
      if (line.at < sinceMs - 1_000) continue;
      const m = /'([^']+)'/.exec(line.text);
      const name = m?.[1] ?? '';
      const subject: Subject | 'other' = name === 'spool' || name in UNITS ? (name as Subject) : 'other';
      const text = line.text;
      let kind: HealerEvent['kind'] | undefined;
      if (/restarted \d+ times within \d+ cycle|unmonitor/i.test(text) && !/monitor action done|'[^']+' monitor on user request/.test(text)) kind = 'escalate';
      else if (/trying to restart|\bstart:|\bstop:|\brestart:|\bexec:/.test(text)) kind = 'action';
      else if (/^error/.test(text) || /matches resource limit|failed protocol test|failed,|not running|connection failed|doesn't exist|does not exist/i.test(text)) kind = 'detect';
      if (!kind) continue;
      if (line.at < sinceMs) continue;
      events.push({ at: line.at, kind, subject, text });
    }
    // The filesystem check's action is `alert`: an alert mail about the space usage is Monit's escalation.
    for (const mail of this.mail.messages()) {
      if (/space usage/i.test(mail.raw) && /spool/.test(mail.raw)) {
        const first = this.lines.find((line) => /'spool' space usage/.test(line.text) && line.at >= sinceMs);
        if (first) events.push({ at: first.at + 1, kind: 'escalate', subject: 'spool', text: 'alert mail: spool space usage' });
        break;
      }
    }
    return events.sort((a, b) => a.at - b.at);
  }

  /** Raw log text (for evidence searches, e.g. the config test's output). */
  logText(sinceMs: number): string {
    return this.lines
      .filter((line) => line.at >= sinceMs - 1_000)
      .map((line) => line.text)
      .join('\n');
  }

  mails(): Array<{ raw: string }> {
    return this.mail.messages();
  }

  async prepare(): Promise<void> {
    await this.poll();
  }

  async afterRestore(log: (line: string) => void): Promise<void> {
    // Whatever Monit gave up on (unmonitor) is monitored again, as the operator does after fixing the cause.
    const summary = await this.monit(['summary', '-B']);
    const unmonitored = summary.stdout
      .split('\n')
      .filter((line) => /Not monitored|Unmonitored/i.test(line))
      .map((line) => line.trim().split(/\s+/)[0]);
    if (unmonitored.length > 0) {
      await this.monit(['monitor', 'all']);
      log(`    monit: monitor all (was not monitoring ${unmonitored.join(', ')})`);
    }
    await this.poll();
  }

  async usage(): Promise<Usage | null> {
    return this.pid ? processUsage(this.lab, this.pid) : null;
  }

  async stop(rawDir: string): Promise<void> {
    await this.poll();
    const status = await this.monit(['status']);
    mkdirSync(rawDir, { recursive: true });
    writeFileSync(path.join(rawDir, 'monit-status-at-end.txt'), status.stdout + status.stderr);
    const logText = await this.lab.exec(['cat', MONIT_LOG], { allowFailure: true });
    writeFileSync(path.join(rawDir, 'monit.txt'), logText.stdout);
    writeFileSync(path.join(rawDir, 'monitrc.txt'), monitrc(this.cycleS));
    await this.monit(['quit']);
    await sleep(1_000);
    this.child?.kill('SIGKILL');
    this.mail.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------
// systemd alone

export class SystemdHealer implements Healer {
  readonly id = 'systemd' as const;
  readonly label = 'systemd alone (Restart=on-failure)';
  readonly restartMode = 'on-failure' as const;
  readonly cycleMs = 1_000;
  readonly startWaitMs = 0;
  readonly configSummary =
    'no healer process: a drop-in `Restart=on-failure`, `RestartSec=1s` on every unit of the stack; systemd 252 defaults otherwise (StartLimitBurst=5 in 10 s)';

  constructor(private readonly lab: SystemdLab) {}

  async start(): Promise<void> {}

  async events(sinceMs: number): Promise<HealerEvent[]> {
    const entries = await journal(this.lab, sinceMs);
    const subjectOf = (unit: string): Subject | 'other' => (Object.entries(UNITS).find(([, u]) => u === unit)?.[0] as Subject | undefined) ?? 'other';
    const events: HealerEvent[] = [];
    for (const event of unitEvents(entries)) {
      if (event.kind === 'restart-scheduled') {
        events.push({ at: event.at, kind: 'detect', subject: subjectOf(event.unit), text: event.message });
        events.push({ at: event.at, kind: 'action', subject: subjectOf(event.unit), text: event.message });
      } else if (event.kind === 'start-limit') {
        events.push({ at: event.at, kind: 'gave-up', subject: subjectOf(event.unit), text: `${event.message} (nobody is told)` });
      }
    }
    return events;
  }

  async prepare(): Promise<void> {}
  async afterRestore(): Promise<void> {}
  async usage(): Promise<Usage | null> {
    return null;
  }
  async stop(): Promise<void> {}
}
