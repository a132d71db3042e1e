/**
 * A fault suite in the systemd lab against the real daemon (default heuristic agents): each fault is injected,
 * the daemon's outcome awaited (fixed or escalated, with a time limit), the clean state restored whatever the
 * outcome, and the phase that fixed it recorded. Gives the fix rate per phase.
 */
import { SystemdLab } from '../test/lab/systemd-lab.js';
import { appUnit, LabDaemon, type TaskRow, HOST_CHECKS_OFF } from '../test/lab/lab-daemon.js';

interface Fault {
  name: string;
  service: string;
  inject(lab: SystemdLab): Promise<void>;
  /** Brings the service back to a clean, healthy state (after any outcome). */
  restore(lab: SystemdLab): Promise<void>;
}

const kill9 = (unit: string) => async (lab: SystemdLab) => {
  await lab.exec(['kill', '-9', String(await lab.mainPid(unit))]);
};
const restart =
  (...units: string[]) =>
  async (lab: SystemdLab) => {
    await lab.exec(['systemctl', 'restart', ...units], { allowFailure: true });
  };

const FAULTS: Fault[] = [
  { name: 'kill -9 of the app', service: 'app', inject: kill9('lab-app.service'), restore: restart('lab-app.service') },
  {
    name: 'SIGSTOP of the app (requests hang)',
    service: 'hung',
    inject: async (lab) => {
      await lab.exec(['kill', '-STOP', String(await lab.mainPid('lab-hung.service'))]);
    },
    restore: restart('lab-hung.service'),
  },
  {
    name: 'stale lock file no profile knows',
    service: 'lock',
    inject: kill9('lab-lock.service'),
    restore: async (lab) => {
      await lab.exec(['rm', '-f', '/run/lab-lock/app.lock']);
      await restart('lab-lock.service')(lab);
    },
  },
  {
    name: 'dependency stopped',
    service: 'webapp',
    inject: async (lab) => {
      await lab.systemctl('stop', 'lab-db.service');
    },
    restore: restart('lab-db.service'),
  },
  {
    name: 'configuration changed to a broken one',
    service: 'conf',
    inject: async (lab) => {
      await lab.exec(['tee', '-a', '/run/lab-conf/app.conf'], { input: 'broken\n' });
      await kill9('lab-conf.service')(lab);
    },
    restore: async (lab) => {
      await lab.writeFile('/run/lab-conf/app.conf', 'listen 18205\n');
      await restart('lab-conf.service')(lab);
    },
  },
];

export interface FaultOutcome {
  fault: string;
  round: number;
  outcome: 'fixed' | 'escalated' | 'timeout';
  phase: number | null;
  source: string | null;
  detectToVerifiedMs: number | null;
}

export async function runFaultSuite(rounds: number, log: (line: string) => void): Promise<{ outcomes: FaultOutcome[]; byPhase: Record<string, number>; fixRate: number }> {
  const lab = await SystemdLab.boot({ name: 'bench-faults' });
  const daemon = new LabDaemon(lab, 'bench-faults');
  try {
    await lab.writeUnit('lab-app.service', appUnit('app', { PORT: '18201' }));
    await lab.writeUnit('lab-hung.service', appUnit('hung', { PORT: '18202' }));
    await lab.writeUnit('lab-lock.service', appUnit('lock', { PORT: '18203', LOCKFILE: '/run/lab-lock/app.lock' }, 'RuntimeDirectory=lab-lock\nRuntimeDirectoryPreserve=yes'));
    await lab.writeUnit('lab-db.service', appUnit('db', { PORT: '18210' }));
    await lab.writeUnit('lab-webapp.service', appUnit('webapp', { PORT: '18204', DEPENDS_TCP: '127.0.0.1:18210' }));
    await lab.writeFile('/run/lab-conf/app.conf', 'listen 18205\n');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await lab.writeUnit('lab-conf.service', appUnit('conf', { PORT: '18205', CONFIG_FILE: '/run/lab-conf/app.conf' }));
    await lab.systemctl('start', 'lab-app.service', 'lab-hung.service', 'lab-lock.service', 'lab-db.service', 'lab-webapp.service', 'lab-conf.service');
    const http = (port: number) => `      - { type: http, url: "http://127.0.0.1:${port}/", timeout: 1s }`;
    daemon.writeConfig(`
cycle: { interval: 2s, watchInterval: 1s, watchFailedUnits: false }
safety: { budget: { actions: 1000, window: 15m }, rateLimit: { actions: 1000, window: 1m } }
${HOST_CHECKS_OFF}
services:
  - name: app
    unit: lab-app.service
    checks:
${http(18201)}
  - name: hung
    unit: lab-hung.service
    checks:
${http(18202)}
  - name: lock
    unit: lab-lock.service
    checks:
${http(18203)}
  - name: webapp
    unit: lab-webapp.service
    dependsOn: [lab-db.service]
    checks:
${http(18204)}
  - name: conf
    unit: lab-conf.service
    configPaths: [/run/lab-conf]
    checks:
${http(18205)}
`);
    await daemon.startAndWait();
    await lab.waitFor(async () => daemon.query('tasks', 'SELECT 1 FROM cycles').length > 2, { what: 'snapshots', timeoutMs: 30_000 });
    const outcomes: FaultOutcome[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const fault of FAULTS) {
        const before = daemon.tasks(fault.service).length;
        await fault.inject(lab);
        let task: TaskRow | undefined;
        try {
          await lab.waitFor(
            async () => {
              task = daemon.tasks(fault.service)[before];
              return task !== undefined && (task.status === 'fixed' || task.status === 'escalated');
            },
            { what: fault.name, timeoutMs: 120_000, intervalMs: 200 },
          );
        } catch {
          task = undefined;
        }
        const fix = task?.status === 'fixed' ? daemon.attempts(task.id).find((attempt) => attempt.outcome === 'success') : undefined;
        const outcome: FaultOutcome = {
          fault: fault.name,
          round,
          outcome: task ? (task.status as 'fixed' | 'escalated') : 'timeout',
          phase: task?.fixed_by_phase ?? null,
          source: fix?.source ?? null,
          detectToVerifiedMs: task?.status === 'fixed' ? task.duration_ms : null,
        };
        outcomes.push(outcome);
        log(`  round ${round}, ${fault.name}: ${outcome.outcome}${outcome.phase ? ` in phase ${outcome.phase} (${outcome.source})` : ''}`);
        if (outcome.outcome !== 'fixed') await fault.restore(lab);
        // Let the service settle healthy and the daemon close its books before the next fault.
        await lab.waitFor(async () => daemon.query('tasks', `SELECT 1 FROM tasks WHERE status IN ('open', 'running')`).length === 0, { what: 'quiet', timeoutMs: 60_000 });
        await new Promise((resolve) => setTimeout(resolve, 2_500));
      }
    }
    const byPhase: Record<string, number> = {};
    for (const outcome of outcomes) if (outcome.phase) byPhase[String(outcome.phase)] = (byPhase[String(outcome.phase)] ?? 0) + 1;
    return { outcomes, byPhase, fixRate: outcomes.filter((outcome) => outcome.outcome === 'fixed').length / outcomes.length };
  } finally {
    await daemon.kill('SIGTERM').catch(() => undefined);
    await lab.stop();
  }
}
