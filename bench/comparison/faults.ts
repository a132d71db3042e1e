/**
 * The fault suite: each fault is injected into a healthy stack, the healer's outcome awaited (with a time
 * limit), judged from the stack's real state, and undone whatever the outcome (the fault's own restore, then
 * `restoreClean` of the whole stack, verified healthy before the next fault).
 */
import type { SystemdLab } from '../../test/lab/systemd-lab.js';
import {
  BROKEN_BIN,
  DATA_DIR,
  NGINX_SITE,
  MASK_LINK,
  PORTS,
  REDIS_DIR,
  REPORT_BIN,
  REPORT_BIN_MOVED,
  SPOOL_CACHE,
  STRAY_PIDFILE,
  UNITS,
  sleep,
  type StackService,
} from './stack.js';
import type { Subject } from './systems.js';

/**
 * What the right outcome is: fixed (the checks pass again), escalated (handed to a human, the fault persists),
 * left alone (operator intent), no action (nothing is wrong), fixed in phase 1 (a recurrence of a fault the
 * orchestrator first fixed in phase 2 or 3; for the others simply fixed), fixed then escalated (a fault that
 * recurs after each fix: fixed, and escalated when it comes back), escalated then fixed (a cause only a human can
 * clear: escalated; the harness then clears the cause as the human would, without starting anything, and the
 * healer must bring the service back by itself).
 */
export type Expected = 'fixed' | 'escalated' | 'left-alone' | 'no-action' | 'fixed-in-phase-1' | 'fixed-then-escalated' | 'escalated-then-fixed';

/** Whether a fix of the stack is part of the correct outcome. */
export const expectsFix = (expected: Expected) =>
  expected === 'fixed' || expected === 'fixed-in-phase-1' || expected === 'fixed-then-escalated' || expected === 'escalated-then-fixed';
/** Whether an escalation is part of the correct outcome. */
export const expectsEscalation = (expected: Expected) => expected === 'escalated' || expected === 'fixed-then-escalated' || expected === 'escalated-then-fixed';

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
  /** Start attempts of a target above this are a restart loop (a wrong action); for escalated-then-fixed, those before the repair. */
  maxStartAttempts?: number;
  /**
   * A restart alone cannot fix it (the cause outlives any number of restarts): each start of a target that fails
   * again is counted as a restart spent in vain (the figure "restarts spent on faults a restart cannot fix").
   */
  restartCannotHelp?: boolean;
  /** The fault follows a change: the orchestrator must have recorded its subjects' last-known-good state first. */
  needsKnownGood?: boolean;
  /** Killing (SIGKILL, a fatal signal) a process of any unit of the stack is a wrong action. */
  noUnitKills?: boolean;
  /** For escalated-then-fixed: the human's repair of the cause (it starts nothing), run once the healer escalated or gave up. */
  repair?(ctx: FaultContext): Promise<void>;
  /** An escalation counts only if the escalation (its text, the healer's log or its mail) shows this. */
  escalationMustShow?: { pattern: RegExp; what: string };
  /** Injects the fault; returns the moment the fault took effect (default: when inject returns). */
  inject(ctx: FaultContext): Promise<number | void>;
  /**
   * Undoes what restoreClean does not know about (it handles the faults' 50-*.conf drop-ins, the mask, the typo,
   * locks, the cache, the stray listener, the renamed program and the owner and mode of the data and redis directories).
   */
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
  const { escalateBy, fixWithin } = repairLimitsMs(fault, healer);
  if (fault.expected === 'escalated-then-fixed') return escalateBy + REPAIR_DELAY_MS + fixWithin;
  const round = healer.cycleMs + healer.startWaitMs;
  if (fault.observeMs !== undefined) return Math.max(fault.observeMs, healer.cycleMs + 10_000);
  const late = fault.manifestsAsKillOf ? 20_000 : 0;
  if (fault.expected === 'escalated' || fault.expected === 'fixed-then-escalated') return Math.max(fault.timeoutMs, 5 * round + healer.cycleMs + 15_000 + late);
  return Math.max(fault.timeoutMs, 2 * round + 15_000 + late);
}

/** For escalated-then-fixed: the repair comes this long after the escalation (or the healer giving up). */
export const REPAIR_DELAY_MS = 3_000;

/**
 * For escalated-then-fixed: the escalation is awaited as for an escalated fault (the repair comes at that limit
 * at the latest, escalated or not); after the repair the fix gets what a fix gets (two rounds and 15 s).
 */
export function repairLimitsMs(fault: Fault, healer: { cycleMs: number; startWaitMs: number }): { escalateBy: number; fixWithin: number } {
  const round = healer.cycleMs + healer.startWaitMs;
  return { escalateBy: Math.max(fault.timeoutMs, 5 * round + healer.cycleMs + 15_000), fixWithin: Math.max(FIX_TIMEOUT, 2 * round + 15_000) };
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

const dropIn =
  (unit: string, body: string, name = '50-bench-fault.conf') =>
  async (lab: SystemdLab) => {
    await lab.writeFile(`/run/systemd/system/${unit}.d/${name}`, `[Service]\n${body}\n`, 0o644);
    await lab.systemctl('daemon-reload');
  };

/** A change rolled out with a restart of the unit (the restart is the injection's, not the healer's). */
const changeThenRestart =
  (unit: string, change: (lab: SystemdLab) => Promise<unknown>) =>
  async ({ lab }: FaultContext) => {
    await change(lab);
    const at = Date.now();
    // `timeout` inside the lab: a stop that never ends (TimeoutStopSec=0) must not hang the harness.
    await lab.exec(['timeout', '60', 'systemctl', 'restart', unit], { allowFailure: true, timeoutMs: 70_000 });
    return at;
  };

const NGINX_TYPO_EVIDENCE = { pattern: /proxy_pas_typo|unknown directive/, what: 'nginx -t\'s output (unknown directive "proxy_pas_typo")' };

/** A node listener someone left running: it retries binding the port until it gets it, then holds it, never answering. */
const STRAY_SCRIPT = (port: number) =>
  `require('fs').writeFileSync(${JSON.stringify(STRAY_PIDFILE)}, String(process.pid)); const net = require('net'); ` +
  `const grab = () => { const s = net.createServer(() => {}); s.once('error', () => setTimeout(grab, 10)); s.listen(${port}, '127.0.0.1'); }; grab();`;

/** The pid listening on 127.0.0.1:port inside the lab (ss), or 0. */
async function listenerPid(lab: SystemdLab, port: number): Promise<number> {
  const res = await lab.exec(['ss', '-Hltnp', `sport = :${port}`], { allowFailure: true });
  return Number(/pid=(\d+)/.exec(res.stdout)?.[1] ?? 0);
}

/**
 * In this order. The order spaces the faults on one service apart (the orchestrator's budget window, see
 * systems.ts), keeps the second stale lock well after the first, and puts the leak (it leaves an escalation) after
 * the first thirteen; the faults that follow a change (issue 12) come after it, each on a unit of its own except
 * redis, the app and nginx, which come last so that the earlier faults' budget windows have passed.
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
    restartCannotHelp: true,
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
    title: 'a bad deploy: a new version of the program exits 1 on every start',
    expected: 'escalated',
    expectation: 'escalated once, budget respected',
    subjects: ['broken'],
    targets: [UNITS.broken],
    timeoutMs: ESCALATION_TIMEOUT,
    maxStartAttempts: 5,
    injectStartsTargets: true,
    restartCannotHelp: true,
    inject: async ({ lab }) => {
      // The deploy installs a new version of the program (same path, owner and mode): nothing in the unit changed.
      await lab.writeFile(BROKEN_BIN, '#!/bin/sh\necho "fatal: database schema 7 expected, found 6" >&2\nexit 1\n', 0o755);
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
    escalationMustShow: NGINX_TYPO_EVIDENCE,
    restartCannotHelp: true,
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
    restartCannotHelp: true,
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
  // ---- Faults that follow a change (issue 12): what changed since the service was last known good.
  {
    id: 'env-lost',
    title: 'a drop-in that "tidies" Environment= loses UPSTREAM_URL, rolled out with a restart (the API exits "UPSTREAM_URL is not set")',
    expected: 'fixed',
    expectation: 'fixed by restoring the last-known-good definition (the drop-in removed)',
    subjects: ['api'],
    targets: [UNITS.api],
    timeoutMs: FIX_TIMEOUT,
    restartCannotHelp: true,
    needsKnownGood: true,
    injectStartsTargets: true,
    inject: changeThenRestart(
      UNITS.api,
      dropIn(
        UNITS.api,
        `# tidy up: one Environment= line instead of five\nEnvironment=\nEnvironment=PORT=${PORTS.api} HOST=127.0.0.1 PIDFILE=/run/lab-api/api.pid REQUIRE_ENV=UPSTREAM_URL`,
        '50-tidy-environment.conf',
      ),
    ),
  },
  {
    id: 'nofile-lowered',
    title: 'a drop-in lowers LimitNOFILE to 128 (the service opens 300 files), rolled out with a restart',
    expected: 'fixed',
    expectation: 'fixed by restoring the last-known-good definition (the drop-in removed)',
    subjects: ['files'],
    targets: [UNITS.files],
    timeoutMs: FIX_TIMEOUT,
    restartCannotHelp: true,
    needsKnownGood: true,
    injectStartsTargets: true,
    inject: changeThenRestart(UNITS.files, dropIn(UNITS.files, '# hardening, copied from another service\nLimitNOFILE=128', '50-limits.conf')),
  },
  {
    id: 'chown-data-dir',
    title: `\`chown -R root:root ${DATA_DIR}\` (the service runs as nobody in it), then the service is restarted`,
    expected: 'fixed',
    expectation: 'fixed by putting back owner and mode',
    subjects: ['data'],
    targets: [UNITS.data],
    timeoutMs: FIX_TIMEOUT,
    restartCannotHelp: true,
    needsKnownGood: true,
    injectStartsTargets: true,
    inject: changeThenRestart(UNITS.data, (lab) => lab.exec(['chown', '-R', 'root:root', DATA_DIR])),
    describe: async ({ lab }) => `${DATA_DIR} at the end: ${(await lab.exec(['stat', '-c', '%U:%G %a', DATA_DIR], { allowFailure: true })).stdout.trim()}`,
  },
  {
    id: 'binary-removed',
    title: `an "upgrade" renames the program away (${REPORT_BIN} → .dpkg-old), then the process dies (kill -9)`,
    expected: 'escalated',
    expectation: 'escalated naming the missing program, no restart attempted (a restart gets 203/EXEC)',
    subjects: ['report'],
    targets: [UNITS.report],
    timeoutMs: ESCALATION_TIMEOUT,
    maxStartAttempts: 0,
    restartCannotHelp: true,
    needsKnownGood: true,
    escalationMustShow: {
      pattern: new RegExp(`${REPORT_BIN.replace(/[/.]/g, '\\$&')}\\b[^\\n]{0,40}(does not exist|[Nn]o such file)`),
      what: `that the program ${REPORT_BIN} does not exist`,
    },
    inject: async (ctx) => {
      await ctx.lab.exec(['mv', REPORT_BIN, REPORT_BIN_MOVED]);
      return kill9(UNITS.report)(ctx);
    },
  },
  {
    // What really fails: a running redis cannot save into the directory any more, so a stop never ends
    // ("Error trying to save the DB, can't exit", and Debian's unit has TimeoutStopSec=0); once the process is
    // gone (killed, here as by the OOM killer), every start fails: redis cannot chdir to its `dir` (Permission denied).
    id: 'chown-redis-dir',
    title: `\`chown root:root ${REDIS_DIR}; chmod 0700 ${REDIS_DIR}\`, then redis dies (kill -9) and cannot start again`,
    expected: 'fixed',
    expectation: "fixed by putting back owner and mode of redis's directory",
    subjects: ['redis', 'app'],
    targets: [UNITS.redis],
    dependents: [UNITS.app],
    timeoutMs: FIX_TIMEOUT,
    restartCannotHelp: true,
    needsKnownGood: true,
    inject: async (ctx) => {
      await ctx.lab.exec(['chown', 'root:root', REDIS_DIR]);
      await ctx.lab.exec(['chmod', '0700', REDIS_DIR]);
      return kill9(UNITS.redis)(ctx);
    },
    describe: async ({ lab }) => `${REDIS_DIR} at the end: ${(await lab.exec(['stat', '-c', '%U:%G %a', REDIS_DIR], { allowFailure: true })).stdout.trim()}`,
  },
  {
    id: 'stray-listener',
    title: "a node listener someone left running takes the app's port while the app is restarted (the app exits EADDRINUSE)",
    expected: 'fixed',
    expectation: 'fixed by stopping the stray, no process of a unit killed',
    subjects: ['app'],
    targets: [UNITS.app],
    timeoutMs: FIX_TIMEOUT,
    restartCannotHelp: true,
    needsKnownGood: true,
    noUnitKills: true,
    injectStartsTargets: true,
    inject: async ({ lab }) => {
      await lab.exec(['rm', '-f', STRAY_PIDFILE]);
      lab.spawn(['/usr/bin/node', '-e', STRAY_SCRIPT(PORTS.app)]);
      await lab.waitFor(async () => (await lab.exec(['test', '-s', STRAY_PIDFILE], { allowFailure: true })).code === 0, { what: 'the stray to run', timeoutMs: 15_000 });
      const at = Date.now();
      await lab.exec(['systemctl', 'restart', UNITS.app], { allowFailure: true });
      const stray = Number((await lab.exec(['cat', STRAY_PIDFILE])).stdout.trim());
      await lab.waitFor(async () => (await listenerPid(lab, PORTS.app)) === stray, { what: `the stray (pid ${stray}) to hold port ${PORTS.app}`, timeoutMs: 5_000 });
      return at;
    },
    describe: async ({ lab }) => {
      const stray = Number((await lab.exec(['cat', STRAY_PIDFILE], { allowFailure: true })).stdout.trim()) || 0;
      const alive = stray > 0 && (await lab.exec(['kill', '-0', String(stray)], { allowFailure: true })).code === 0;
      const holder = await listenerPid(lab, PORTS.app);
      return `stray pid ${stray || '?'} ${alive ? 'still running' : 'gone'} at the end; port ${PORTS.app} held by ${holder ? `pid ${holder}${holder === stray ? ' (the stray)' : ''}` : 'nobody'}`;
    },
  },
  {
    id: 'nginx-typo-repaired',
    title: "a typo in nginx's config, then nginx dies; the human fixes the typo while the escalation is open (and starts nothing)",
    expected: 'escalated-then-fixed',
    expectation: "escalated with the config test's output, then fixed by the healer once the typo is repaired",
    subjects: ['nginx'],
    targets: [UNITS.nginx],
    timeoutMs: ESCALATION_TIMEOUT,
    maxStartAttempts: 2,
    restartCannotHelp: true,
    escalationMustShow: NGINX_TYPO_EVIDENCE,
    inject: async (ctx) => {
      await ctx.lab.exec(['sed', '-i', 's/proxy_pass /proxy_pas_typo /', NGINX_SITE]);
      return kill9(UNITS.nginx)(ctx);
    },
    repair: async ({ lab }) => {
      await lab.exec(['sed', '-i', 's/proxy_pas_typo/proxy_pass/', NGINX_SITE]);
    },
  },
];
