/**
 * Runs the real orchestrator inside a systemd lab and reads its outcomes from the data directory's databases,
 * which live on the shared root filesystem (test-output/) so the test process can query them directly.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { REPO_ROOT, TEST_OUTPUT_DIR, type SystemdLab } from './systemd-lab.js';

export const CLI = path.join(REPO_ROOT, 'dist', 'cli', 'main.js');
/** The V8 flags the daemon runs with everywhere (the bin's shebang, npm start): a 1 MB young generation keeps RSS low. */
export const DAEMON_NODE_FLAGS = ['--max-semi-space-size=1', '--single-threaded'];
/** Config line that turns the host checks off, so a lab test sees only the faults it injects. */
export const HOST_CHECKS_OFF = 'host: { disk: { enabled: false }, inodes: { enabled: false }, memory: { enabled: false } }';
export const HTTP_APP = path.join(REPO_ROOT, 'test', 'fixtures', 'http-app.mjs');

export interface TaskRow {
  id: string;
  service: string;
  symptom: string;
  signature: string;
  status: string;
  fix_successful: number;
  fixed_by_phase: number | null;
  duration_ms: number | null;
  reason: string | null;
  detected_at: string;
}

export interface AttemptRow {
  id: string;
  task_id: string;
  phase: number;
  source: string;
  plan_key: string;
  outcome: string | null;
  detail: string;
  acted: number;
}

/** A unit running the fixture HTTP app with the given environment (Restart=no unless told). */
export function appUnit(description: string, environment: Record<string, string>, extra = ''): string {
  const lines = Object.entries(environment).map(([key, value]) => `Environment=${key}=${value}`);
  return `[Unit]\nDescription=${description}\n\n[Service]\nType=simple\nExecStart=/usr/bin/node ${HTTP_APP}\n${lines.join('\n')}\nRestart=no\n${extra}\n`;
}

/** Attempts that acted with nothing but (re)starts of the unit, however hard: the restarts spent on a fault. */
export function restartsSpent(attempts: readonly AttemptRow[]): AttemptRow[] {
  return attempts.filter(
    (attempt) => attempt.acted === 1 && attempt.plan_key.split(' + ').every((action) => /^(restart_unit|start_unit|reset_failed|kill_process_tree)\(/.test(action)),
  );
}

export class LabDaemon {
  readonly dataDir: string;
  readonly configPath: string;
  readonly logPath: string;
  private process: ChildProcess | undefined;

  constructor(
    private readonly lab: SystemdLab,
    readonly name: string,
  ) {
    const base = path.join(TEST_OUTPUT_DIR, `daemon-${name}-${Date.now()}`);
    rmSync(base, { recursive: true, force: true });
    mkdirSync(base, { recursive: true });
    this.dataDir = path.join(base, 'data');
    this.configPath = path.join(base, 'config.yaml');
    this.logPath = path.join(base, 'daemon.log');
  }

  writeConfig(yaml: string): void {
    writeFileSync(this.configPath, yaml);
  }

  /** Starts `orchestrator run` inside the lab. */
  start(extraArgs: string[] = [], nodeFlags: string[] = DAEMON_NODE_FLAGS): void {
    this.process = this.lab.spawn(['/usr/bin/node', ...nodeFlags, CLI, 'run', '--config', this.configPath, '--data-dir', this.dataDir, ...extraArgs], {
      stdoutFile: this.logPath,
    });
  }

  /** Starts the daemon and waits until its first full cycle is recorded. */
  async startAndWait(extraArgs: string[] = []): Promise<void> {
    this.start(extraArgs);
    await this.lab.waitFor(async () => this.query('tasks', 'SELECT 1 FROM cycles').length > 0, { what: `first full cycle (daemon log: ${this.logPath})`, timeoutMs: 30_000 });
  }

  /** Runs a CLI verb inside the lab against the same config and data. */
  cli(args: string[], allowFailure = true) {
    return this.lab.exec(['/usr/bin/node', CLI, ...args, '--config', this.configPath, '--data-dir', this.dataDir], { allowFailure, timeoutMs: 60_000 });
  }

  /** Kills the daemon: SIGKILL (a crash) or SIGTERM (a graceful stop). */
  async kill(signal: 'SIGKILL' | 'SIGTERM' = 'SIGTERM'): Promise<void> {
    const pid = this.daemonPid();
    if (pid) await this.lab.exec(['kill', signal === 'SIGKILL' ? '-9' : '-15', String(pid)], { allowFailure: true });
    await this.lab.waitFor(async () => this.daemonPid() === undefined || !(await this.alive(pid!)), { what: 'daemon to exit', timeoutMs: 30_000 });
    this.process = undefined;
  }

  daemonPid(): number | undefined {
    const file = path.join(this.dataDir, 'daemon.pid');
    return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined;
  }

  private async alive(pid: number): Promise<boolean> {
    return (await this.lab.exec(['kill', '-0', String(pid)], { allowFailure: true })).code === 0;
  }

  /** Runs a query on tasks.db or escalations.db (read-only, a fresh connection each time). */
  query<T>(database: 'tasks' | 'escalations', sql: string, ...params: unknown[]): T[] {
    const file = path.join(this.dataDir, `${database}.db`);
    if (!existsSync(file)) return [];
    const connection = new Database(file, { readonly: true, fileMustExist: true });
    try {
      connection.pragma('busy_timeout = 5000');
      return connection.prepare(sql).all(...params) as T[];
    } finally {
      connection.close();
    }
  }

  tasks(service: string): TaskRow[] {
    return this.query<TaskRow>('tasks', 'SELECT * FROM tasks WHERE service = ? ORDER BY detected_at', service);
  }

  attempts(taskId: string): AttemptRow[] {
    return this.query<AttemptRow>('tasks', 'SELECT * FROM attempts WHERE task_id = ? ORDER BY started_at, rowid', taskId);
  }

  /** Waits until a last-known-good state of the service is recorded. */
  async knownGood(service: string): Promise<void> {
    await this.lab.waitFor(async () => this.query('tasks', 'SELECT 1 FROM service_states WHERE service = ?', service).length > 0, {
      what: `last-known-good state of ${service} (daemon log: ${this.logPath})`,
      timeoutMs: 30_000,
    });
  }

  /** Waits for a task of `service` matching `predicate` and returns it. */
  async waitForTask(service: string, predicate: (task: TaskRow) => boolean, what: string, timeoutMs = 60_000): Promise<TaskRow> {
    let found: TaskRow | undefined;
    await this.lab.waitFor(
      async () => {
        found = this.tasks(service).find(predicate);
        return found !== undefined;
      },
      { what: `${what} (daemon log: ${this.logPath})`, timeoutMs, intervalMs: 200 },
    );
    return found!;
  }

  log(): string {
    return existsSync(this.logPath) ? readFileSync(this.logPath, 'utf8') : '';
  }
}
