/**
 * Idle cost side by side with Monit, in one lab and the same run: 20 healthy units watched for 60 s by the
 * orchestrator (its defaults: D-Bus events, a 1 s watch, a 5 min full cycle, the dashboard on) and by Monit
 * with a 5 s cycle (process checks by pid file), each after a minute's warm-up. CPU is the process plus its reaped children (utime, stime,
 * cutime, cstime from /proc/PID/stat); memory is VmRSS at the end and VmHWM (peak).
 *   npx tsx bench/idle-cost.ts   (root: it boots the systemd lab; Monit from Debian's package)
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SystemdLab } from '../test/lab/systemd-lab.js';
import { LabDaemon, HOST_CHECKS_OFF } from '../test/lab/lab-daemon.js';

const UNITS = 20;
const WINDOW_S = Number(process.env.IDLE_WINDOW_S ?? 60);
/**
 * Both systems run a minute before the window opens: the daemon's start-up (its first full cycle, loading
 * modules) and V8's one-time shrinking of the heap after it (a full GC some 30–60 s in) are not idle cost.
 */
const WARMUP_MS = Number(process.env.IDLE_WARMUP_S ?? 60) * 1000;
const CLOCK_TICKS = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface IdleCost {
  system: string;
  cpuPercent: number;
  rssMb: number;
  peakRssMb: number;
}

async function cpuTicks(lab: SystemdLab, pid: number): Promise<number> {
  const stat = (await lab.exec(['cat', `/proc/${pid}/stat`])).stdout;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14-17 of stat (utime, stime, cutime, cstime), counted after the state field (3).
  return [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields[index]), 0);
}

async function memory(lab: SystemdLab, pid: number): Promise<{ rssMb: number; peakRssMb: number }> {
  const status = (await lab.exec(['cat', `/proc/${pid}/status`])).stdout;
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
}

async function measure(lab: SystemdLab, system: string, pid: number): Promise<IdleCost> {
  await sleep(WARMUP_MS);
  const before = await cpuTicks(lab, pid);
  const started = Date.now();
  await sleep(WINDOW_S * 1000);
  const ticks = (await cpuTicks(lab, pid)) - before;
  const seconds = (Date.now() - started) / 1000;
  return { system, cpuPercent: (100 * ticks) / CLOCK_TICKS / seconds, ...(await memory(lab, pid)) };
}

export async function benchIdleCost(log: (line: string) => void): Promise<IdleCost[]> {
  const lab = await SystemdLab.boot({ name: 'bench-idle' });
  const results: IdleCost[] = [];
  try {
    for (let index = 1; index <= UNITS; index++) {
      await lab.writeUnit(
        `idle-${index}.service`,
        `[Unit]\nDescription=idle ${index}\n\n[Service]\nType=simple\nExecStart=/bin/sh -c 'echo $$$$ > /run/idle-${index}.pid; exec sleep infinity'\n`,
      );
    }
    await lab.systemctl('daemon-reload');
    await lab.systemctl('start', ...Array.from({ length: UNITS }, (_, index) => `idle-${index + 1}.service`));

    const daemon = new LabDaemon(lab, 'bench-idle');
    daemon.writeConfig(
      `${HOST_CHECKS_OFF}\ncycle: { watchFailedUnits: false${process.env.IDLE_WATCH ? `, watchInterval: ${process.env.IDLE_WATCH}` : ''} }\nservices:\n${Array.from({ length: UNITS }, (_, index) => `  - { name: idle-${index + 1}, unit: idle-${index + 1}.service }`).join('\n')}\n`,
    );
    await daemon.startAndWait();
    results.push(await measure(lab, 'orchestrator', daemon.daemonPid()!));
    log(`idle: orchestrator ${JSON.stringify(results.at(-1))}`);
    await daemon.kill('SIGTERM');

    if (existsSync('/usr/bin/monit')) {
      const rc = ['set daemon 5', 'set pidfile /run/monit-idle.pid', 'set statefile /run/monit-idle.state', 'set idfile /run/monit-idle.id', 'set logfile /run/monit-idle.log'];
      for (let index = 1; index <= UNITS; index++) {
        rc.push(
          `check process idle-${index} with pidfile /run/idle-${index}.pid`,
          `  start program = "/bin/systemctl start idle-${index}.service"`,
          `  stop program = "/bin/systemctl stop idle-${index}.service"`,
        );
      }
      await lab.writeFile('/run/monitrc-idle', `${rc.join('\n')}\n`, 0o600);
      lab.spawn(['/usr/bin/monit', '-I', '-c', '/run/monitrc-idle']);
      await lab.waitFor(async () => (await lab.exec(['cat', '/run/monit-idle.pid'], { allowFailure: true })).stdout.trim() !== '', { what: 'monit pid file', timeoutMs: 20_000 });
      const pid = Number((await lab.exec(['cat', '/run/monit-idle.pid'])).stdout.trim());
      results.push(await measure(lab, 'monit (5 s cycle)', pid));
      log(`idle: monit ${JSON.stringify(results.at(-1))}`);
    } else {
      log('idle: monit is not installed (apt-get install monit): its column is missing');
    }
  } finally {
    await lab.stop();
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await benchIdleCost((line) => console.log(line));
  const directory = path.join(path.dirname(new URL(import.meta.url).pathname), 'results');
  mkdirSync(directory, { recursive: true });
  writeFileSync(
    path.join(directory, 'idle-cost.json'),
    `${JSON.stringify({ units: UNITS, windowS: WINDOW_S, warmupS: WARMUP_MS / 1000, at: new Date().toISOString(), results }, null, 2)}\n`,
  );
  console.log(
    `\n| system | CPU % of a core | RSS MB | peak RSS MB |\n|---|---|---|---|\n${results.map((r) => `| ${r.system} | ${r.cpuPercent.toFixed(2)} | ${r.rssMb.toFixed(1)} | ${r.peakRssMb.toFixed(1)} |`).join('\n')}`,
  );
}
