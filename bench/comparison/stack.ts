/**
 * The stack every healer is measured on, installed in a fresh systemd lab: nginx (Debian's package, a private
 * copy of /etc/nginx) as a reverse proxy in front of a node HTTP app that uses redis, redis-server and
 * postgresql (Debian's units), a node worker that uses postgresql, a unit a bad deploy can break, a unit an
 * operator may mask, and a small dedicated filesystem (a 16 MB tmpfs) with an allow-listed cache directory and
 * a data file that must never be deleted. Four more small units are there for the faults that follow a change:
 * an API service that needs UPSTREAM_URL, one that opens 300 files under LimitNOFILE=4096, one that runs as
 * nobody in its own data directory (/srv/lab-data), and one whose program is installed under /opt.
 *
 * Everything the stack needs lives inside the lab (its own /run, mount namespace and network): the host's
 * /etc is never written, and /opt, /srv and /var/lib/redis (which the faults change) are private to the lab
 * (copy-on-write overlays, a tmpfs for the empty /srv). `snapshot()` reads the whole stack's real state in one
 * `nsenter` (HTTP through nginx, each unit, redis and postgres liveness, the filesystem's usage and the data
 * file's checksum); the verifiers judge outcomes only from such snapshots.
 */
import type { SystemdLab } from '../../test/lab/systemd-lab.js';
import { HTTP_APP } from '../../test/lab/lab-daemon.js';

/** How the units restart on their own: not at all (a healer's job), or Restart=on-failure (systemd alone). */
export type RestartMode = 'restart-no' | 'on-failure';

export const PORTS = { app: 18500, worker: 18501, broken: 18502, masked: 18503, api: 18504, files: 18505, data: 18506, report: 18507 } as const;

/** The stack's units, by the short names used in reports. */
export const UNITS = {
  nginx: 'nginx.service',
  redis: 'redis-server.service',
  postgresql: 'postgresql@15-main.service',
  app: 'lab-app.service',
  worker: 'lab-worker.service',
  broken: 'lab-broken.service',
  masked: 'lab-masked.service',
  api: 'lab-api.service',
  files: 'lab-files.service',
  data: 'lab-data.service',
  report: 'lab-report.service',
} as const;
export type StackService = keyof typeof UNITS;
export const STACK_SERVICES = Object.keys(UNITS) as StackService[];
export const ALL_UNITS: string[] = Object.values(UNITS);

export const SPOOL = '/run/lab-spool';
/** Allow-listed for cleanup (old files may be deleted when the filesystem is full). */
export const SPOOL_CACHE = `${SPOOL}/cache`;
/** Not allow-listed: must never be deleted. */
export const SPOOL_DATA_FILE = `${SPOOL}/data/keep.db`;
/** Above this the filesystem counts as full for the verifier (Monit's alert threshold; the orchestrator's is 90 %). */
export const SPOOL_MAX_PERCENT = 80;

export const APP_PIDFILE = '/run/lab-app/app.pid';
export const WORKER_LOCK = '/run/lab-worker/worker.lock';
export const BROKEN_PIDFILE = '/run/lab-broken/broken.pid';
export const MASKED_PIDFILE = '/run/lab-masked/masked.pid';
export const API_PIDFILE = '/run/lab-api/api.pid';
export const FILES_PIDFILE = '/run/lab-files/files.pid';
export const DATA_PIDFILE = '/run/lab-data/data.pid';
export const REPORT_PIDFILE = '/run/lab-report/report.pid';
/** The data service's own directory (it runs as nobody, in it) and the file it appends to at each start. */
export const DATA_DIR = '/srv/lab-data';
export const DATA_OWNER = 'nobody:nogroup';
export const DATA_MODE = '750';
/** The report service's program, installed under /opt (an "upgrade" renames it away). */
export const REPORT_BIN = '/opt/lab-report/bin/lab-report';
/** The program of the unit a bad deploy breaks: the deploy replaces it with a version that exits at start. */
export const BROKEN_BIN = '/opt/lab-broken/bin/lab-broken';
export const REPORT_BIN_MOVED = `${REPORT_BIN}.dpkg-old`;
/** redis's data directory (Debian: redis:redis 0750), a private copy in each lab. */
export const REDIS_DIR = '/var/lib/redis';
export const REDIS_OWNER = 'redis:redis';
export const REDIS_MODE = '750';
/** The stray listener of the stray-listener fault writes its pid here (inside the lab). */
export const STRAY_PIDFILE = '/run/bench/stray.pid';
/** The faults' drop-ins are all named 50-*.conf (the restart policy is 90-bench-restart.conf). */
export const FAULT_DROP_INS = '/run/systemd/system/*.d/50-*.conf';
export const NGINX_SITE = '/etc/nginx/sites-enabled/bench-proxy';
export const MASK_LINK = '/run/systemd/system.control/lab-masked.service';

const SNAPSHOT_SCRIPT = '/run/bench/snapshot.sh';

const NGINX_SITE_TEXT = `# bench: nginx as a reverse proxy in front of the app
server {
    listen 80 default_server;
    listen [::]:80 default_server;
    server_name _;

    # nginx's own health, independent of the upstream (what the healers probe nginx with)
    location = /nginx-health {
        access_log off;
        default_type text/plain;
        return 200 "ok\\n";
    }

    location / {
        proxy_pass http://127.0.0.1:${PORTS.app};
        proxy_connect_timeout 2s;
        proxy_read_timeout 5s;
    }
}
`;

function appUnitText(description: string, env: Record<string, string>, extra: string[], execStart = `/usr/bin/node ${HTTP_APP}`): string {
  return [
    '[Unit]',
    `Description=${description}`,
    'After=network.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${execStart}`,
    ...Object.entries(env).map(([key, value]) => `Environment=${key}=${value}`),
    'Restart=no',
    ...extra,
    '',
  ].join('\n');
}

const UNIT_FILES: Record<string, string> = {
  [UNITS.app]: appUnitText('bench app (node HTTP behind nginx, uses redis)', { PORT: String(PORTS.app), HOST: '127.0.0.1', DEPENDS_TCP: '127.0.0.1:6379', PIDFILE: APP_PIDFILE }, [
    'RuntimeDirectory=lab-app',
    'MemoryMax=64M',
  ]),
  // The worker keeps its lock in a preserved runtime directory: a kill -9 leaves a stale lock that blocks the next start.
  [UNITS.worker]: appUnitText('bench worker (node, uses postgresql)', { PORT: String(PORTS.worker), HOST: '127.0.0.1', DEPENDS_TCP: '127.0.0.1:5432', LOCKFILE: WORKER_LOCK }, [
    'RuntimeDirectory=lab-worker',
    'RuntimeDirectoryPreserve=yes',
  ]),
  [UNITS.broken]: appUnitText(
    'bench unit a bad deploy breaks',
    { PORT: String(PORTS.broken), HOST: '127.0.0.1', PIDFILE: BROKEN_PIDFILE },
    ['RuntimeDirectory=lab-broken'],
    BROKEN_BIN,
  ),
  [UNITS.masked]: appUnitText('bench unit the operator masks', { PORT: String(PORTS.masked), HOST: '127.0.0.1', PIDFILE: MASKED_PIDFILE }, ['RuntimeDirectory=lab-masked']),
  // Exits with "fatal: UPSTREAM_URL is not set" when it loses that variable.
  [UNITS.api]: appUnitText(
    'bench API service (needs UPSTREAM_URL)',
    { PORT: String(PORTS.api), HOST: '127.0.0.1', PIDFILE: API_PIDFILE, REQUIRE_ENV: 'UPSTREAM_URL', UPSTREAM_URL: `http://127.0.0.1:${PORTS.app}/` },
    ['RuntimeDirectory=lab-api'],
  ),
  // Opens 300 files at start: "too many open files" under a LimitNOFILE below that.
  [UNITS.files]: appUnitText('bench indexer (opens 300 files)', { PORT: String(PORTS.files), HOST: '127.0.0.1', PIDFILE: FILES_PIDFILE, OPEN_FILES: '300' }, [
    'RuntimeDirectory=lab-files',
    'LimitNOFILE=4096',
  ]),
  // Runs as nobody in its own data directory and appends to a file there at each start.
  [UNITS.data]: appUnitText(
    'bench data service (runs as nobody in /srv/lab-data)',
    { PORT: String(PORTS.data), HOST: '127.0.0.1', PIDFILE: DATA_PIDFILE, DATA_FILE: `${DATA_DIR}/data.log` },
    ['User=nobody', 'Group=nogroup', `WorkingDirectory=${DATA_DIR}`, 'RuntimeDirectory=lab-data'],
  ),
  // Its program lives under /opt (a copy of the fixture app, as a package would install it).
  [UNITS.report]: appUnitText(
    'bench report service (its program under /opt)',
    { PORT: String(PORTS.report), HOST: '127.0.0.1', PIDFILE: REPORT_PIDFILE },
    ['RuntimeDirectory=lab-report'],
    REPORT_BIN,
  ),
};

/** Directories the faults change, made private to the lab: a copy-on-write overlay (kept content), or a tmpfs (empty on the host). */
const PRIVATE_OVERLAYS = ['/opt', REDIS_DIR];
const PRIVATE_TMPFS = ['/srv'];

/**
 * One parallel probe of everything (≤ 2 s even when a process hangs): HTTP codes, redis and postgres liveness,
 * the filesystem, then `systemctl show` of every unit.
 */
const SNAPSHOT_TEXT = `#!/bin/sh
d=$(mktemp -d /run/bench/snap.XXXXXX)
code() { c=$(curl -s -o /dev/null -w '%{http_code}' --max-time "$3" "$2" 2>/dev/null); echo "$1=\${c:-000}" > "$d/$1"; }
code front http://127.0.0.1/ 2 &
code nginx_health http://127.0.0.1/nginx-health 2 &
code app http://127.0.0.1:${PORTS.app}/ 2 &
code worker http://127.0.0.1:${PORTS.worker}/ 2 &
code broken http://127.0.0.1:${PORTS.broken}/ 2 &
code masked http://127.0.0.1:${PORTS.masked}/ 2 &
code api http://127.0.0.1:${PORTS.api}/ 2 &
code files http://127.0.0.1:${PORTS.files}/ 2 &
code data http://127.0.0.1:${PORTS.data}/ 2 &
code report http://127.0.0.1:${PORTS.report}/ 2 &
( r=$(timeout 2 redis-cli -h 127.0.0.1 ping 2>/dev/null); echo "redis=\${r:-down}" > "$d/redis" ) &
( if timeout 3 pg_isready -q -h 127.0.0.1 -t 2; then echo pg=ok; else echo pg=down; fi > "$d/pg" ) &
wait
cat "$d"/*
rm -rf "$d"
df -P ${SPOOL} 2>/dev/null | awk 'NR==2 { sub("%", "", $5); print "spool_pct=" $5 }'
echo "keep_sha=$(sha256sum ${SPOOL_DATA_FILE} 2>/dev/null | cut -c1-16)"
echo "worker_lock=$([ -e ${WORKER_LOCK} ] && echo present || echo absent)"
echo "---units"
systemctl show -p Id,ActiveState,SubState,MainPID,NRestarts,Result,UnitFileState,LoadState,ActiveEnterTimestampMonotonic ${ALL_UNITS.join(' ')}
`;

export interface UnitSnapshot {
  id: string;
  activeState: string;
  subState: string;
  mainPid: number;
  nRestarts: number;
  result: string;
  unitFileState: string;
  loadState: string;
  activeEnterMono: number;
}

/** The HTTP probes of a snapshot: through nginx, nginx's own location, and each node unit on its port. */
export type HttpProbe = 'front' | 'nginx_health' | 'app' | 'worker' | 'broken' | 'masked' | 'api' | 'files' | 'data' | 'report';
const NODE_UNITS = ['app', 'worker', 'broken', 'masked', 'api', 'files', 'data', 'report'] as const;

export interface StackSnapshot {
  at: number;
  http: Record<HttpProbe, number>;
  redis: string;
  pg: string;
  spoolPercent: number | null;
  keepSha: string;
  workerLock: 'present' | 'absent';
  units: Record<string, UnitSnapshot>;
}

/** Takes a snapshot of the whole stack (one `nsenter`). */
export async function snapshot(lab: SystemdLab): Promise<StackSnapshot> {
  const at = Date.now();
  const res = await lab.exec(['/bin/sh', SNAPSHOT_SCRIPT], { allowFailure: true, timeoutMs: 15_000 });
  const [head = '', unitText = ''] = res.stdout.split('---units\n');
  const kv = new Map<string, string>();
  for (const line of head.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) kv.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  const units: Record<string, UnitSnapshot> = {};
  for (const block of unitText.split(/\n\s*\n/)) {
    const props = new Map<string, string>();
    for (const line of block.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) props.set(line.slice(0, eq), line.slice(eq + 1));
    }
    const id = props.get('Id');
    if (!id) continue;
    units[id] = {
      id,
      activeState: props.get('ActiveState') ?? '',
      subState: props.get('SubState') ?? '',
      mainPid: Number(props.get('MainPID') ?? 0),
      nRestarts: Number(props.get('NRestarts') ?? 0),
      result: props.get('Result') ?? '',
      unitFileState: props.get('UnitFileState') ?? '',
      loadState: props.get('LoadState') ?? '',
      activeEnterMono: Number(props.get('ActiveEnterTimestampMonotonic') ?? 0),
    };
  }
  const code = (key: string) => Number(kv.get(key) ?? 0) || 0;
  const pct = kv.get('spool_pct');
  return {
    at,
    http: {
      front: code('front'),
      nginx_health: code('nginx_health'),
      ...(Object.fromEntries(NODE_UNITS.map((name) => [name, code(name)])) as Record<(typeof NODE_UNITS)[number], number>),
    },
    redis: kv.get('redis') ?? 'down',
    pg: kv.get('pg') ?? 'down',
    spoolPercent: pct === undefined || pct === '' ? null : Number(pct),
    keepSha: kv.get('keep_sha') ?? '',
    workerLock: kv.get('worker_lock') === 'present' ? 'present' : 'absent',
    units,
  };
}

/** What is unhealthy in a snapshot (empty = the whole stack is healthy). `except` skips services a fault legitimately leaves down. */
export function problems(snap: StackSnapshot, keepSha: string, except: readonly StackService[] = []): string[] {
  const out: string[] = [];
  const skip = new Set(except);
  for (const service of STACK_SERVICES) {
    if (skip.has(service)) continue;
    const unit = snap.units[UNITS[service]];
    if (!unit || unit.activeState !== 'active') out.push(`${UNITS[service]} ${unit ? `${unit.activeState}/${unit.subState}` : 'unknown'}`);
  }
  if (!skip.has('nginx') && snap.http.front !== 200) out.push(`GET / through nginx: ${snap.http.front || 'no answer'}`);
  if (!skip.has('nginx') && snap.http.nginx_health !== 200) out.push(`nginx /nginx-health: ${snap.http.nginx_health || 'no answer'}`);
  for (const name of NODE_UNITS) if (!skip.has(name) && snap.http[name] !== 200) out.push(`${name} :${PORTS[name]}: ${snap.http[name] || 'no answer'}`);
  if (!skip.has('redis') && snap.redis !== 'PONG') out.push(`redis ping: ${snap.redis}`);
  if (!skip.has('postgresql') && snap.pg !== 'ok') out.push('pg_isready: down');
  if (snap.spoolPercent === null || snap.spoolPercent >= SPOOL_MAX_PERCENT) out.push(`${SPOOL} ${snap.spoolPercent ?? '?'}% used`);
  if (snap.keepSha !== keepSha) out.push(`${SPOOL_DATA_FILE} ${snap.keepSha ? 'changed' : 'deleted'}`);
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Installs the stack in a fresh lab and returns the data file's checksum (the verifiers' reference). */
export async function installStack(lab: SystemdLab, mode: RestartMode): Promise<string> {
  const sh = (script: string, timeoutMs = 60_000) => lab.exec(['/bin/sh', '-c', script], { timeoutMs });
  // Debian's monit package is enabled on this host (shared /etc): its LSB service must not heal anything here.
  await sh('systemctl stop monit.service 2>/dev/null; mkdir -p /run/systemd/system.control && ln -sf /dev/null /run/systemd/system.control/monit.service; true');
  // nginx: a private /etc/nginx (the host's is never touched) with the reverse-proxy site.
  await sh('cp -a /etc/nginx /run/etc-nginx && mount --bind /run/etc-nginx /etc/nginx && rm -f /etc/nginx/sites-enabled/*');
  await lab.writeFile(NGINX_SITE, NGINX_SITE_TEXT, 0o644);
  // The small dedicated filesystem.
  await sh(
    `mkdir -p ${SPOOL} && mount -t tmpfs -o size=16m,mode=0755 tmpfs ${SPOOL} && mkdir -p ${SPOOL_CACHE} ${SPOOL}/data && ` +
      `head -c 1048576 /dev/urandom > ${SPOOL_DATA_FILE} && touch -d '3 days ago' ${SPOOL_DATA_FILE}`,
  );
  // The directories the faults change, private to this lab (the host's and the other labs' stay as they are).
  for (const dir of PRIVATE_OVERLAYS) {
    const work = `/run/lab-overlay${dir}`;
    await sh(`mkdir -p ${work}/upper ${work}/work && mount -t overlay overlay -o lowerdir=${dir},upperdir=${work}/upper,workdir=${work}/work ${dir}`);
  }
  for (const dir of PRIVATE_TMPFS) await sh(`mount -t tmpfs -o mode=0755 tmpfs ${dir}`);
  await sh(`mkdir -p ${DATA_DIR} && chown ${DATA_OWNER} ${DATA_DIR} && chmod ${DATA_MODE} ${DATA_DIR}`);
  await sh(`mkdir -p ${REPORT_BIN.slice(0, REPORT_BIN.lastIndexOf('/'))} && cp ${HTTP_APP} ${REPORT_BIN} && chmod 0755 ${REPORT_BIN}`);
  await sh(`mkdir -p ${BROKEN_BIN.slice(0, BROKEN_BIN.lastIndexOf('/'))} && cp ${HTTP_APP} ${BROKEN_BIN} && chmod 0755 ${BROKEN_BIN}`);
  await sh(`chown ${REDIS_OWNER} ${REDIS_DIR} && chmod ${REDIS_MODE} ${REDIS_DIR}`);
  for (const [name, text] of Object.entries(UNIT_FILES)) await lab.writeFile(`/run/systemd/system/${name}`, text, 0o644);
  // Restart policy of every unit of the stack (Debian's redis unit says Restart=always: overridden either way).
  const restart = mode === 'on-failure' ? 'Restart=on-failure\nRestartSec=1s\n' : 'Restart=no\n';
  for (const unit of ALL_UNITS) await lab.writeFile(`/run/systemd/system/${unit}.d/90-bench-restart.conf`, `[Service]\n${restart}`, 0o644);
  await lab.writeFile(SNAPSHOT_SCRIPT, SNAPSHOT_TEXT, 0o755);
  await lab.systemctl('daemon-reload');
  await sh(`systemctl restart ${ALL_UNITS.join(' ')}`, 120_000);
  const keep = await lab.exec(['sh', '-c', `sha256sum ${SPOOL_DATA_FILE} | cut -c1-16`]);
  const keepSha = keep.stdout.trim();
  await waitHealthy(lab, keepSha, 60_000);
  return keepSha;
}

/**
 * Shell commands that undo every fault's leftovers, whatever the healer did (each is a no-op when there is
 * nothing to undo): the faults' drop-ins, the mask, the typo, the filled cache, the stray listener, the renamed
 * program, the owner and mode of the data service's and redis's directories.
 */
const UNDO_FAULTS = [
  `rm -f ${FAULT_DROP_INS} ${MASK_LINK}`,
  `sed -i 's/proxy_pas_typo/proxy_pass/' ${NGINX_SITE}`,
  `rm -f ${SPOOL_CACHE}/*`,
  `if [ -s ${STRAY_PIDFILE} ]; then kill -9 "$(cat ${STRAY_PIDFILE})" 2>/dev/null; rm -f ${STRAY_PIDFILE}; fi`,
  `if [ ! -e ${REPORT_BIN} ] && [ -e ${REPORT_BIN_MOVED} ]; then mv ${REPORT_BIN_MOVED} ${REPORT_BIN}; fi`,
  `cmp -s ${HTTP_APP} ${BROKEN_BIN} || { cp ${HTTP_APP} ${BROKEN_BIN} && chmod 0755 ${BROKEN_BIN}; }`,
  `find ${DATA_DIR} \\( ! -user ${DATA_OWNER.split(':')[0]} -o ! -group ${DATA_OWNER.split(':')[1]} \\) -exec chown ${DATA_OWNER} {} +`,
  `[ "$(stat -c %a ${DATA_DIR})" = ${DATA_MODE} ] || chmod ${DATA_MODE} ${DATA_DIR}`,
  `[ "$(stat -c %U:%G ${REDIS_DIR})" = ${REDIS_OWNER} ] || chown ${REDIS_OWNER} ${REDIS_DIR}`,
  `[ "$(stat -c %a ${REDIS_DIR})" = ${REDIS_MODE} ] || chmod ${REDIS_MODE} ${REDIS_DIR}`,
];

/** What is left of the faults (empty when nothing): checked after every restore, so the next fault starts clean. */
export async function faultLeftovers(lab: SystemdLab): Promise<string[]> {
  const script = [
    `for f in ${FAULT_DROP_INS} ${MASK_LINK}; do [ -e "$f" ] && echo "left: $f"; done`,
    `grep -q proxy_pas_typo ${NGINX_SITE} && echo "left: the typo in ${NGINX_SITE}"`,
    `[ -x ${REPORT_BIN} ] || echo "left: ${REPORT_BIN} missing"`,
    `cmp -s ${HTTP_APP} ${BROKEN_BIN} || echo "left: the bad version of ${BROKEN_BIN}"`,
    `[ "$(stat -c %U:%G:%a ${DATA_DIR})" = ${DATA_OWNER}:${DATA_MODE} ] || echo "left: ${DATA_DIR} is $(stat -c %U:%G:%a ${DATA_DIR})"`,
    `[ -z "$(find ${DATA_DIR} \\( ! -user ${DATA_OWNER.split(':')[0]} -o ! -group ${DATA_OWNER.split(':')[1]} \\) -print -quit)" ] || echo "left: files in ${DATA_DIR} not ${DATA_OWNER}"`,
    `[ "$(stat -c %U:%G:%a ${REDIS_DIR})" = ${REDIS_OWNER}:${REDIS_MODE} ] || echo "left: ${REDIS_DIR} is $(stat -c %U:%G:%a ${REDIS_DIR})"`,
    `[ -e ${STRAY_PIDFILE} ] && echo "left: ${STRAY_PIDFILE}"`,
    'true',
  ].join('; ');
  const res = await lab.exec(['/bin/sh', '-c', script], { allowFailure: true, timeoutMs: 15_000 });
  return res.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('left: '))
    .map((line) => line.slice(6));
}

/**
 * Brings the stack back to a clean, healthy state whatever happened: removes the faults' leftovers
 * ({@link UNDO_FAULTS}), resets failed units and (re)starts whatever is not healthy, then waits until the
 * snapshot is fully healthy and no leftover remains. Throws when it cannot (the run then stops: later faults
 * would lie).
 */
export async function restoreClean(lab: SystemdLab, keepSha: string, log: (line: string) => void): Promise<StackSnapshot> {
  const sh = (script: string, timeoutMs = 60_000) => lab.exec(['/bin/sh', '-c', script], { timeoutMs, allowFailure: true });
  await sh([...UNDO_FAULTS, 'systemctl daemon-reload', `systemctl reset-failed ${ALL_UNITS.join(' ')}`].join('; '));
  let snap = await snapshot(lab);
  // A SIGSTOPped or leaking app is active but not healthy: restart whatever fails, dependencies first.
  const order: StackService[] = ['redis', 'postgresql', 'app', 'worker', 'broken', 'masked', 'api', 'files', 'data', 'report', 'nginx'];
  const bad = order.filter((service) => {
    const unit = snap.units[UNITS[service]];
    if (!unit || unit.activeState !== 'active') return true;
    const code =
      service === 'nginx'
        ? snap.http.nginx_health
        : service === 'redis'
          ? snap.redis === 'PONG'
            ? 200
            : 0
          : service === 'postgresql'
            ? snap.pg === 'ok'
              ? 200
              : 0
            : snap.http[service];
    return code !== 200;
  });
  // A unit killed while down (or masked: systemd then no longer knows its RuntimeDirectory=) leaves its pid or
  // lock file behind, which blocks its start: remove those of units that are not active.
  const ownedFiles: Partial<Record<StackService, string>> = {
    app: APP_PIDFILE,
    worker: WORKER_LOCK,
    broken: BROKEN_PIDFILE,
    masked: MASKED_PIDFILE,
    api: API_PIDFILE,
    files: FILES_PIDFILE,
    data: DATA_PIDFILE,
    report: REPORT_PIDFILE,
  };
  const stale = bad.filter((service) => ownedFiles[service] && snap.units[UNITS[service]]?.activeState !== 'active').map((service) => ownedFiles[service]!);
  if (stale.length > 0) await sh(`rm -f ${stale.join(' ')}`);
  for (const service of bad) {
    log(`    restore: restarting ${UNITS[service]}`);
    await sh(`systemctl restart ${UNITS[service]}`, 120_000);
  }
  snap = await waitHealthy(lab, keepSha, 60_000);
  const left = await faultLeftovers(lab);
  if (left.length > 0) throw new Error(`fault leftovers after the restore: ${left.join('; ')}`);
  return snap;
}

/** Waits until the stack is fully healthy; throws with the remaining problems otherwise. */
export async function waitHealthy(lab: SystemdLab, keepSha: string, timeoutMs: number): Promise<StackSnapshot> {
  const deadline = Date.now() + timeoutMs;
  let last: string[] = [];
  for (;;) {
    const snap = await snapshot(lab);
    last = problems(snap, keepSha);
    if (last.length === 0) return snap;
    if (Date.now() > deadline) throw new Error(`stack not healthy after ${timeoutMs} ms: ${last.join('; ')}`);
    await sleep(500);
  }
}

/** One entry of the lab's journal. */
export interface JournalEntry {
  at: number;
  unit: string;
  pid: number;
  identifier: string;
  message: string;
}

/** Journal entries (all of them, or those about `units`) between two wall-clock times (ms). */
export async function journal(lab: SystemdLab, sinceMs: number, untilMs?: number): Promise<JournalEntry[]> {
  const argv = ['journalctl', '--no-pager', '-o', 'json', '--since', `@${Math.floor(sinceMs / 1000) - 1}`];
  if (untilMs !== undefined) argv.push('--until', `@${Math.ceil(untilMs / 1000) + 1}`);
  const res = await lab.exec(argv, { allowFailure: true, timeoutMs: 30_000 });
  const entries: JournalEntry[] = [];
  for (const line of res.stdout.split('\n')) {
    if (!line.trim()) continue;
    try {
      const raw = JSON.parse(line) as Record<string, unknown>;
      const at = Number(raw.__REALTIME_TIMESTAMP) / 1000;
      if (at < sinceMs || (untilMs !== undefined && at > untilMs)) continue;
      const message = Array.isArray(raw.MESSAGE) ? Buffer.from(raw.MESSAGE as number[]).toString('utf8') : String(raw.MESSAGE ?? '');
      entries.push({
        at,
        unit: String(raw.UNIT ?? raw._SYSTEMD_UNIT ?? ''),
        pid: Number(raw._PID ?? 0),
        identifier: String(raw.SYSLOG_IDENTIFIER ?? ''),
        message,
      });
    } catch {
      // a partial line
    }
  }
  return entries;
}

/** Service-manager jobs on stack units seen in the journal (PID 1's own messages). */
export interface UnitEvent {
  at: number;
  unit: string;
  kind: 'starting' | 'started' | 'stopping' | 'stopped' | 'restart-scheduled' | 'start-limit' | 'failed' | 'killed' | 'exited';
  message: string;
}

export function unitEvents(entries: readonly JournalEntry[]): UnitEvent[] {
  const events: UnitEvent[] = [];
  for (const entry of entries) {
    if (entry.pid !== 1 || !ALL_UNITS.includes(entry.unit)) continue;
    const m = entry.message;
    let kind: UnitEvent['kind'] | undefined;
    if (/^Starting /.test(m)) kind = 'starting';
    else if (/^Started /.test(m)) kind = 'started';
    else if (/^Stopping /.test(m)) kind = 'stopping';
    else if (/^Stopped /.test(m)) kind = 'stopped';
    else if (/Scheduled restart job/.test(m)) kind = 'restart-scheduled';
    else if (/Start request repeated too quickly|start-limit-hit/.test(m)) kind = 'start-limit';
    else if (/Main process exited, code=killed/.test(m)) kind = 'killed';
    else if (/Main process exited|Control process exited/.test(m)) kind = 'exited';
    else if (/^Failed to start |Failed with result/.test(m)) kind = 'failed';
    if (kind) events.push({ at: entry.at, unit: entry.unit, kind, message: m });
  }
  return events;
}

export { sleep };
