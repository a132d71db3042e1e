/**
 * The demo's small stack of real processes, written into a temporary directory: a cache (a line protocol
 * answering PING), an app (HTTP, 503 while the cache is down) and a worker (holds a lock file, spools files).
 * The configuration runs them under the process adapter, so the demo needs neither root nor systemd.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const CACHE = `import net from 'node:net';
const port = Number(process.env.PORT);
net.createServer((socket) => socket.on('data', (data) => { if (String(data).trim() === 'PING') socket.write('+PONG\\r\\n'); }).on('error', () => {}))
  .listen(port, '127.0.0.1', () => console.log('cache ready on 127.0.0.1:' + port));
`;

const APP = `import http from 'node:http';
import net from 'node:net';
const port = Number(process.env.PORT);
const cachePort = Number(process.env.CACHE_PORT);
const ping = () => new Promise((resolve) => {
  const socket = net.connect(cachePort, '127.0.0.1');
  const done = (ok) => { socket.destroy(); resolve(ok); };
  socket.setTimeout(300, () => done(false));
  socket.on('connect', () => socket.write('PING\\n'));
  socket.on('data', (data) => done(String(data).includes('PONG')));
  socket.on('error', () => done(false));
});
http.createServer(async (request, response) => {
  const ok = await ping();
  if (!ok) console.log('cache unavailable: answering 503');
  response.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\\n' : 'cache unavailable\\n');
}).listen(port, '127.0.0.1', () => console.log('app listening on 127.0.0.1:' + port));
`;

const WORKER = `import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
const lock = process.env.LOCK_FILE;
const spool = process.env.SPOOL_DIR;
if (existsSync(lock)) {
  console.log('FATAL: lock file ' + lock + ' exists: is another worker running?');
  process.exit(1);
}
writeFileSync(lock, String(process.pid) + '\\n');
const release = () => { rmSync(lock, { force: true }); process.exit(0); };
process.on('SIGTERM', release);
process.on('SIGINT', release);
mkdirSync(spool, { recursive: true });
let n = 0;
setInterval(() => {
  const flood = existsSync(path.join(spool, '..', 'flood'));
  writeFileSync(path.join(spool, 'job-' + (n++) + '.out'), flood ? Buffer.alloc(512 * 1024) : 'done\\n');
  if (!flood) for (const name of readdirSync(spool).sort().slice(0, -20)) rmSync(path.join(spool, name), { force: true });
}, 500);
console.log('worker started, lock ' + lock);
`;

const SPOOL_CHECK = `import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
const [dir, limitMb] = process.argv.slice(2);
let bytes = 0;
for (const name of readdirSync(dir)) bytes += statSync(path.join(dir, name)).size;
const mb = bytes / 1048576;
console.log('spool holds ' + mb.toFixed(1) + ' MB (limit ' + limitMb + ' MB)');
process.exit(mb > Number(limitMb) ? 1 : 0);
`;

export interface DemoStack {
  directory: string;
  dataDir: string;
  configYaml: string;
  lockFile: string;
  spoolDir: string;
  floodFlag: string;
}

/** Writes the stack's scripts and its configuration into `directory`; nothing is started. */
export function writeDemoStack(directory: string, options: { appPort: number; cachePort: number; webPort: number }): DemoStack {
  const scripts = path.join(directory, 'stack');
  const run = path.join(directory, 'run', 'worker');
  const spoolDir = path.join(directory, 'spool', 'jobs');
  mkdirSync(scripts, { recursive: true });
  mkdirSync(run, { recursive: true });
  mkdirSync(spoolDir, { recursive: true });
  for (const [name, text] of Object.entries({ 'cache.mjs': CACHE, 'app.mjs': APP, 'worker.mjs': WORKER, 'spool-check.mjs': SPOOL_CHECK }))
    writeFileSync(path.join(scripts, name), text);
  const node = process.execPath;
  const lockFile = path.join(run, 'worker.lock');
  const dataDir = path.join(directory, 'data');
  const configYaml = `# The demo's configuration: three real processes under the process adapter.
dataDir: ${dataDir}
cycle: { interval: 10s, watchInterval: 1s, watchFailedUnits: false }
verification: { settle: 500ms }
safety: { budget: { actions: 6, window: 5m } }
escalation: { autoResolveCycles: 2 }
host: { disk: { enabled: false }, inodes: { enabled: false }, memory: { enabled: false } }
backup: { enabled: false }
web: { port: ${options.webPort} }
services:
  - name: cache
    process: { argv: [${node}, ${path.join(scripts, 'cache.mjs')}], env: { PORT: "${options.cachePort}" } }
    checks:
      - { type: tcp, port: ${options.cachePort}, timeout: 1s }
  - name: app
    dependsOn: [cache]
    process: { argv: [${node}, ${path.join(scripts, 'app.mjs')}], env: { PORT: "${options.appPort}", CACHE_PORT: "${options.cachePort}" } }
    checks:
      - { type: http, url: "http://127.0.0.1:${options.appPort}/", timeout: 2s }
  - name: worker
    runtimeFiles: [${lockFile}]
    process: { argv: [${node}, ${path.join(scripts, 'worker.mjs')}], env: { LOCK_FILE: ${lockFile}, SPOOL_DIR: ${spoolDir} } }
    checks:
      - { type: command, name: spool, argv: [${node}, ${path.join(scripts, 'spool-check.mjs')}, ${spoolDir}, "20"], timeout: 5s }
`;
  return { directory, dataDir, configYaml, lockFile, spoolDir, floodFlag: path.join(spoolDir, '..', 'flood') };
}
