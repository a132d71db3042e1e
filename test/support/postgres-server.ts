/**
 * A throwaway PostgreSQL server for tests, from Debian's package (/usr/lib/postgresql/<newest>/bin): initdb in a
 * temporary directory, postgres on a free loopback port with durability off (fsync, full pages), databases made
 * on demand, a restart on the same port for the "database restarts" tests, and a stop that leaves nothing
 * behind, not even when the test process dies (a watchdog kills the server when its pipe from us closes).
 * When the binaries are missing, describePostgres (describe-postgres.ts) says so and skips (never silently).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, chownSync, closeSync, constants, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

const POSTGRESQL_ROOT = '/usr/lib/postgresql';

/** The bin directory of the newest major version installed (15 on Debian 12). */
export const POSTGRES_BIN = (() => {
  const versions = (() => {
    try {
      return readdirSync(POSTGRESQL_ROOT).filter((name) => /^\d+$/.test(name));
    } catch {
      return [];
    }
  })().sort((a, b) => Number(b) - Number(a));
  const bins = versions.map((version) => path.join(POSTGRESQL_ROOT, version, 'bin'));
  return bins.find((bin) => executable(path.join(bin, 'postgres'))) ?? path.join(POSTGRESQL_ROOT, '15', 'bin');
})();

/** Who the server runs as: ourselves, or (postgres refuses to run as root) the postgres system user. */
const RUN_AS: { uid: number; gid: number } | null = process.getuid?.() === 0 ? systemUser('postgres') : { uid: process.getuid!(), gid: process.getgid!() };

const UNAVAILABLE_REASON = !executable(path.join(POSTGRES_BIN, 'postgres'))
  ? `${POSTGRES_BIN}/postgres is missing (as root, npm test installs it; or apt-get install postgresql)`
  : !executable(path.join(POSTGRES_BIN, 'initdb'))
    ? `${POSTGRES_BIN}/initdb is missing (apt-get install postgresql)`
    : RUN_AS === null
      ? 'running as root and there is no postgres system user to run the server as (apt-get install postgresql creates it)'
      : null;

/** Whether a throwaway server can be started here. */
export const POSTGRES_AVAILABLE = UNAVAILABLE_REASON === null;

/** Why a throwaway server cannot be started here (null when it can). */
export const POSTGRES_UNAVAILABLE_REASON = UNAVAILABLE_REASON;

export interface PostgresServer {
  /** postgresql://postgres@127.0.0.1:<port>/postgres (trust authentication: no password). */
  url: string;
  port: number;
  /** Creates an empty database; returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** A database's URL through the server's unix socket (reachable from another network namespace). */
  socketUrl(database: string): string;
  /** Stops the server (fast shutdown: sessions are ended) and starts it again on the same port with the same data. */
  restart(): Promise<void>;
  /** Stops the server and removes its directory (idempotent). */
  stop(): Promise<void>;
}

/** Servers still running, killed at once if the process exits without stopping them. */
const running = new Set<Instance>();
process.on('exit', () => {
  for (const instance of running) instance.killNow();
});

/**
 * Starts a server in a new temporary directory (under `baseDir`, default the system's temporary directory: give a
 * shared place such as test-output/ when processes in a lab, whose /tmp is private, must reach its socket);
 * throws with its log when it does not come up.
 */
export async function startPostgres(options: { baseDir?: string } = {}): Promise<PostgresServer> {
  if (UNAVAILABLE_REASON !== null || RUN_AS === null) throw new Error(`cannot start PostgreSQL: ${UNAVAILABLE_REASON}`);
  // mkdtemp makes it 0700; it becomes the server user's, as initdb wants.
  const port = await freePort();
  const directory = mkdtempSync(path.join(options.baseDir ?? os.tmpdir(), 'orchestrator-pg-'));
  try {
    chownSync(directory, RUN_AS.uid, RUN_AS.gid);
    await runAs(RUN_AS, directory, path.join(POSTGRES_BIN, 'initdb'), [
      '-D',
      path.join(directory, 'data'),
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
  } catch (error) {
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  const instance = new Instance(directory, port, RUN_AS);
  try {
    await instance.start();
  } catch (error) {
    await instance.stop();
    throw error;
  }
  return instance;
}

class Instance implements PostgresServer {
  readonly url: string;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private watchdog: ChildProcess | null = null;
  private stopped = false;

  constructor(
    private readonly directory: string,
    readonly port: number,
    private readonly user: { uid: number; gid: number },
  ) {
    this.url = this.urlFor('postgres');
  }

  async createDatabase(name: string): Promise<string> {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a plain database name: ${name}`);
    await withClient(this.url, (client) => client.query(`CREATE DATABASE ${name}`));
    return this.urlFor(name);
  }

  async restart(): Promise<void> {
    await this.halt();
    await this.start();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.halt();
    running.delete(this);
    rmSync(this.directory, { recursive: true, force: true });
  }

  /** Starts postgres (and its watchdog) and waits until it accepts connections. */
  async start(): Promise<void> {
    const log = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(
        path.join(POSTGRES_BIN, 'postgres'),
        [
          '-D',
          path.join(this.directory, 'data'),
          '-k',
          this.directory,
          '-p',
          String(this.port),
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          'fsync=off',
          '-c',
          'full_page_writes=off',
        ],
        // Its own process group, so a kill reaches its backends too.
        { ...this.user, cwd: this.directory, env: serverEnv(), stdio: ['ignore', log, log], detached: true },
      );
    } finally {
      closeSync(log);
    }
    this.child = child;
    let exitStatus: string | null = null;
    this.exited = new Promise((resolve) => {
      child.once('error', (error) => {
        exitStatus = error.message;
        resolve();
      });
      child.once('exit', (code, signal) => {
        exitStatus = signal ?? `exit code ${code}`;
        resolve();
      });
    });
    running.add(this);
    this.watchdog = startWatchdog(child.pid, this.directory);
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exitStatus !== null) throw new Error(`postgres exited (${exitStatus}) before accepting connections:\n${this.logTail()}`);
      if (await accepts(this.url)) return;
      if (Date.now() > deadline) {
        await this.halt();
        throw new Error(`postgres did not accept connections within 30 s:\n${this.logTail()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Stops the server: SIGINT, postgres' fast shutdown (SIGTERM would be its smart shutdown, which waits for every
   * pooled connection to leave), then SIGKILL to its whole process group after 5 s.
   */
  private async halt(): Promise<void> {
    const child = this.child;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5_000).unref());
      if ((await Promise.race([this.exited.then(() => 'exited' as const), timer])) === 'timeout') {
        killGroup(child.pid);
        await this.exited;
      }
    }
    // Gone: the watchdog has nothing left to do.
    this.watchdog?.stdin?.end('stop\n');
    this.watchdog = null;
    this.child = null;
  }

  /** From the process' 'exit' handler: synchronous only. */
  killNow(): void {
    if (this.child?.pid !== undefined) killGroup(this.child.pid);
    rmSync(this.directory, { recursive: true, force: true });
  }

  socketUrl(database: string): string {
    return `postgresql://postgres@/${database}?host=${encodeURIComponent(this.directory)}&port=${this.port}`;
  }

  private urlFor(database: string): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  private get logFile(): string {
    return path.join(this.directory, 'postgres.log');
  }

  private logTail(): string {
    try {
      return readFileSync(this.logFile, 'utf8').slice(-4_000);
    } catch {
      return '(no log)';
    }
  }
}

/**
 * A shell that waits on a pipe from this process: when the pipe closes without "stop" (this process died, even by
 * SIGKILL), it kills the server's process group and removes the directory. Neither it nor its pipe keeps us alive.
 */
function startWatchdog(pid: number | undefined, directory: string): ChildProcess | null {
  if (pid === undefined) return null;
  const script = 'read line; [ "$line" = stop ] || { kill -KILL -"$1" 2>/dev/null; rm -rf -- "$2"; }';
  const watchdog = spawn('/bin/sh', ['-c', script, 'postgres-watchdog', String(pid), directory], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  watchdog.on('error', () => undefined);
  watchdog.stdin!.on('error', () => undefined);
  watchdog.unref();
  (watchdog.stdin as unknown as net.Socket).unref();
  return watchdog;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Whether the server takes a connection and a query now. */
async function accepts(url: string): Promise<boolean> {
  try {
    await withClient(url, (client) => client.query('SELECT 1'));
    return true;
  } catch {
    return false;
  }
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs a program as `user` and rejects with its output when it fails. */
function runAs(user: { uid: number; gid: number }, cwd: string, file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...user, cwd, env: serverEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(file)} failed (${signal ?? `exit code ${code}`}):\n${output.slice(-4_000)}`)),
    );
  });
}

/** A plain environment: the C locale whatever the caller's, and none of the caller's PG* variables. */
function serverEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', TZ: 'UTC' };
}

/** A loopback TCP port free right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function systemUser(name: string): { uid: number; gid: number } | null {
  const id = (flag: string) => {
    const result = spawnSync('id', [flag, name], { encoding: 'utf8' });
    return result.status === 0 && /^\d+$/.test(result.stdout.trim()) ? Number(result.stdout.trim()) : null;
  };
  const uid = id('-u');
  const gid = id('-g');
  return uid === null || gid === null ? null : { uid, gid };
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
