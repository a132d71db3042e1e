/**
 * The fault suite: each fault is injected into a healthy stack, the healer's outcome awaited (with a time
 * limit), judged from the stack's real state, and undone whatever the outcome (the fault's own restore, then
 * `restoreClean` of the whole stack, verified healthy before the next fault).
 */
import type { SystemdLab } from '../../test/lab/systemd-lab.js';
import { NGINX_SITE, MASK_LINK, SPOOL_CACHE, UNITS, sleep, type StackService } from './stack.js';
import type { Subject } from './systems.js';

/**
 * What the right outcome is: fixed (the checks pass again), escalated (handed to a human, the fault persists),
 * left alone (operator intent), no action (nothing is wrong), fixed in phase 1 (a recurrence of a fault the
 * orchestrator first fixed in phase 2 or 3; for the others simply fixed), fixed then escalated (a fault that
 * recurs after each fix: fixed, and escalated when it comes back).
 */
export type Expected = 'fixed' | 'escalated' | 'left-alone' | 'no-action' | 'fixed-in-phase-1' | 'fixed-then-escalated';

export interface FaultContext {
  lab: SystemdLab;
  log: (line: string) => void;
}

export interface Fault {
  id: string;
  title: string;
  expected: Expected;
  /** The correct outcome, as the issue words it. */
  expectation: string;
  /** Services the fault is about: the healer's detections, actions and escalations on them are its reaction. */
  subjects: Subject[];
  /** Units whose restart is (part of) the right fix. Any other unit started or stopped by the healer is a wrong action. */
  targets: string[];
  /** Units that depend on a target: restarting them after the target is back is noted as unnecessary, before it as wrong. */
  dependents?: string[];
  /** Services the verifier does not require up (the masked unit stays down). */
  leftDown?: StackService[];
  /** Give up waiting after this long (ms) from the injection, at least (see {@link timeLimitMs}). */
  timeoutMs: number;
  /** For left-alone and no-action: the observation window (ms), at least (see {@link timeLimitMs}). */
  observeMs?: number;
  /** Runs while no other lab runs an exclusive fault (the load spike: concurrent spikes would be a harsher test). */
  exclusive?: boolean;
  /** Start attempts of a target above this are a restart loop (a wrong action). */
  maxStartAttempts?: number;
  /** An escalation counts only if the escalation (its text, the healer's log or its mail) shows this. */
  escalationMustShow?: { pattern: RegExp; what: string };
  /** Injects the fault; returns the moment the fault took effect (default: when inject returns). */
  inject(ctx: FaultContext): Promise<number | void>;
  /** Undoes what restoreClean does not know about (it handles drop-ins, the mask, the typo, locks, the cache). */
  restore?(ctx: FaultContext): Promise<void>;
  /** A note on what the injection did (read after the window), for the report. */
  describe?(ctx: FaultContext): Promise<string | undefined>;
  /** The injection itself (re)starts the targets (a deploy): those jobs are not counted as the healer's. */
  injectStartsTargets?: boolean;
  /** The fault does not show at once (a leak): the moment it manifests is taken from the journal (this unit killed). */
  manifestsAsKillOf?: string;
}

const SPIKE_LOG = '/run/bench/spike.log';
const FIX_TIMEOUT = 45_000;
const ESCALATION_TIMEOUT = 75_000;

/**
 * The time limit of a fault for a healer that looks every `cycleMs` and may wait `startWaitMs` for a start it
 * ordered (Monit waits for the process up to its start timeout, 30 s by default, before its next cycle): the
 * fault's own limit, but never less than the healer needs by design. A fix gets two tries (2 rounds of cycle and
 * start wait); an escalation after "5 restarts within 5 cycles" needs 5 such rounds and one more cycle; a fault
 * that manifests late (the leak) gets 20 s more; an observation window holds at least one full cycle. So
 * Monit's default 30 s cycle is judged on what it does, not cut off before it can do it (its run is longer; its
 * times are measured all the same).
 */
export function timeLimitMs(fault: Fault, healer: { cycleMs: number; startWaitMs: number }): number {
  const round = healer.cycleMs + healer.startWaitMs;
  if (fault.observeMs !== undefined) return Math.max(fault.observeMs, healer.cycleMs + 10_000);
  const late = fault.manifestsAsKillOf ? 20_000 : 0;
  if (fault.expected === 'escalated' || fault.expected === 'fixed-then-escalated') return Math.max(fault.timeoutMs, 5 * round + healer.cycleMs + 15_000 + late);
  return Math.max(fault.timeoutMs, 2 * round + 15_000 + late);
}

const kill9 =
  (unit: string) =>
  async ({ lab }: FaultContext) => {
    const pid = await lab.mainPid(unit);
    if (!pid) throw new Error(`${unit} has no main pid to kill`);
    const at = Date.now();
    await lab.exec(['kill', '-9', String(pid)]);
    return at;
  };

const dropIn = (unit: string, body: string) => async (lab: SystemdLab) => {
  await lab.writeFile(`/run/systemd/system/${unit}.d/50-bench-fault.conf`, `[Service]\n${body}\n`, 0o644);
  await lab.systemctl('daemon-reload');
};

/**
 * In this order. The order spaces the faults on one service apart (the orchestrator's budget window, see
 * systems.ts), keeps the second stale lock well after the first, and ends with the leak (it leaves an escalation).
 */
export const FAULTS: Fault[] = [
  {
    id: 'no-fault',
    title: 'no fault for 45 s, with a benign load spike',
    expected: 'no-action',
    expectation: 'no action taken',
    subjects: ['nginx', 'redis', 'postgresql', 'app', 'worker', 'broken', 'masked', 'spool'],
    targets: [],
    timeoutMs: 45_000,
    observeMs: 45_000,
    exclusive: true,
    inject: async ({ lab }) => {
      // 15 s in: both CPUs busy for 15 s and 400 requests through nginx (the app and redis serve them); what
      // happened is written down, so the report can show the spike took place.
      await lab.exec(['rm', '-f', SPIKE_LOG]);
      lab.spawn([
        '/bin/sh',
        '-c',
        `sleep 15; echo "spike from $(date +%T)" > ${SPIKE_LOG}; stress-ng --cpu 2 --cpu-load 90 --timeout 15s --metrics-brief >> ${SPIKE_LOG} 2>&1 & ` +
          'ok=0; for i in $(seq 400); do c=$(curl -s -o /dev/null -w "%{http_code}" --max-time 2 http://127.0.0.1/); [ "$c" = 200 ] && ok=$((ok+1)); done; ' +
          `wait; echo "to $(date +%T): $ok of 400 requests through nginx answered 200" >> ${SPIKE_LOG}`,
      ]);
    },
    describe: async ({ lab }) => {
      const text = (await lab.exec(['cat', SPIKE_LOG], { allowFailure: true })).stdout;
      const window = /spike from ([\d:]+)/.exec(text)?.[1];
      const end = /to ([\d:]+): (\d+) of 400 requests/.exec(text);
      const cpu = /stress-ng: (?:info|metrc):\s+\[\d+\]\s+cpu\s+(\d+)\s+([\d.]+)/.exec(text);
      if (!window || !end) return `load spike: no record of it (${SPIKE_LOG}: ${text.trim().slice(0, 200) || 'empty'})`;
      return `load spike ${window}–${end[1]}: stress-ng on 2 CPUs at 90 %${cpu ? ` (${cpu[1]} bogo ops in ${cpu[2]} s)` : ''}, ${end[2]} of 400 requests through nginx answered 200`;
    },
  },
  {
    id: 'kill-app',
    title: 'kill -9 of the app',
    expected: 'fixed',
    expectation: 'fixed',
    subjects: ['app'],
    targets: [UNITS.app],
    timeoutMs: FIX_TIMEOUT,
    inject: kill9(UNITS.app),
  },
  {
    id: 'stale-lock',
    title: "stale lock file blocks the worker's start (kill -9 left it)",
    expected: 'fixed',
    expectation: 'fixed',
    subjects: ['worker'],
    targets: [UNITS.worker],
    timeoutMs: FIX_TIMEOUT,
    inject: kill9(UNITS.worker),
  },
  {
    id: 'kill-nginx',
    title: 'kill -9 of nginx',
    expected: 'fixed',
    expectation: 'fixed',
    subjects: ['nginx'],
    targets: [UNITS.nginx],
    timeoutMs: FIX_TIMEOUT,
    inject: kill9(UNITS.nginx),
  },
  {
    id: 'disk-full',
    title: 'old cache files fill the small dedicated filesystem (94 %)',
    expected: 'fixed',
    expectation: 'fixed by cleaning allow-listed files only',
    subjects: ['spool'],
    targets: [],
    timeoutMs: FIX_TIMEOUT,
    inject: async ({ lab }) => {
      const at = Date.now();
      await lab.exec(['/bin/sh', '-c', `for i in $(seq 1 14); do head -c 1048576 /dev/zero > ${SPOOL_CACHE}/blob-$i.bin; done; touch -d '2 days ago' ${SPOOL_CACHE}/*`]);
      return at;
    },
  },
  {
    id: 'exits-at-start',
    title: 'a bad deploy: the unit exits 1 on every start',
    expected: 'escalated',
    expectation: 'escalated once, budget respected',
    subjects: ['broken'],
    targets: [UNITS.broken],
    timeoutMs: ESCALATION_TIMEOUT,
    maxStartAttempts: 5,
    injectStartsTargets: true,
    inject: async ({ lab }) => {
      await dropIn(UNITS.broken, 'Environment=FAIL_AT_START=1')(lab);
      const at = Date.now();
      await lab.exec(['systemctl', 'restart', UNITS.broken], { allowFailure: true });
      return at;
    },
  },
  {
    id: 'kill-redis',
    title: 'kill -9 of redis',
    expected: 'fixed',
    expectation: 'fixed',
    subjects: ['redis', 'app'],
    targets: [UNITS.redis],
    dependents: [UNITS.app],
    timeoutMs: FIX_TIMEOUT,
    inject: kill9(UNITS.redis),
  },
  {
    id: 'nginx-typo',
    title: "a typo in nginx's config, then nginx dies",
    expected: 'escalated',
    expectation: "escalated with the config test's output, never restart-looped",
    subjects: ['nginx'],
    targets: [UNITS.nginx],
    timeoutMs: ESCALATION_TIMEOUT,
    maxStartAttempts: 2,
    escalationMustShow: { pattern: /proxy_pas_typo|unknown directive/, what: 'nginx -t\'s output (unknown directive "proxy_pas_typo")' },
    inject: async (ctx) => {
      await ctx.lab.exec(['sed', '-i', 's/proxy_pass /proxy_pas_typo /', NGINX_SITE]);
      return kill9(UNITS.nginx)(ctx);
    },
  },
  {
    id: 'sigstop-app',
    title: 'SIGSTOP of the app (active, requests hang)',
    expected: 'fixed',
    expectation: 'fixed',
    subjects: ['app'],
    targets: [UNITS.app],
    timeoutMs: FIX_TIMEOUT,
    inject: async ({ lab }) => {
      const pid = await lab.mainPid(UNITS.app);
      const at = Date.now();
      await lab.exec(['kill', '-STOP', String(pid)]);
      return at;
    },
    restore: async ({ lab }) => {
      const pid = await lab.mainPid(UNITS.app);
      if (pid) await lab.exec(['kill', '-CONT', String(pid)], { allowFailure: true });
    },
  },
  {
    id: 'masked',
    title: 'a masked unit whose process dies',
    expected: 'left-alone',
    expectation: 'left alone',
    subjects: ['masked'],
    targets: [],
    leftDown: ['masked'],
    timeoutMs: 30_000,
    observeMs: 30_000,
    inject: async (ctx) => {
      await ctx.lab.exec(['/bin/sh', '-c', `mkdir -p ${MASK_LINK.slice(0, MASK_LINK.lastIndexOf('/'))} && ln -sf /dev/null ${MASK_LINK}`]);
      await ctx.lab.systemctl('daemon-reload');
      return kill9(UNITS.masked)(ctx);
    },
  },
  {
    id: 'dependency-stopped',
    title: "the app's dependency (redis) stopped",
    expected: 'fixed',
    expectation: 'fixed by restarting the dependency',
    subjects: ['redis', 'app'],
    targets: [UNITS.redis],
    dependents: [UNITS.app],
    timeoutMs: FIX_TIMEOUT,
    inject: async ({ lab }) => {
      const at = Date.now();
      // A clean shutdown (exit 0), as when redis is told to stop: not a failure in systemd's eyes.
      await lab.exec(['redis-cli', '-h', '127.0.0.1', 'shutdown', 'nosave'], { allowFailure: true });
      return at;
    },
  },
  {
    id: 'stale-lock-again',
    title: 'the stale lock again (second occurrence)',
    expected: 'fixed-in-phase-1',
    expectation: 'fixed in phase 1 (a fault fixed earlier in phase 2 or 3)',
    subjects: ['worker'],
    targets: [UNITS.worker],
    timeoutMs: FIX_TIMEOUT,
    inject: kill9(UNITS.worker),
  },
  {
    id: 'memory-leak',
    title: 'memory leak: the app is OOM-killed under MemoryMax=64M, again after each restart',
    expected: 'fixed-then-escalated',
    expectation: 'fixed, and escalated when it recurs',
    subjects: ['app'],
    targets: [UNITS.app],
    timeoutMs: 90_000,
    manifestsAsKillOf: UNITS.app,
    injectStartsTargets: true,
    inject: async ({ lab }) => {
      // The leaking build is deployed (restart); at 4 MB/s it hits MemoryMax after ~13 s, and after every restart.
      await dropIn(UNITS.app, 'Environment=LEAK_MB_PER_SEC=4')(lab);
      await lab.exec(['systemctl', 'restart', UNITS.app]);
      await sleep(200);
    },
  },
];
