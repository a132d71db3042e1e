/**
 * The demo's faults, on a schedule, done from outside as a chaos tool would: kill the app, kill the cache it
 * depends on, kill the worker so its lock file is left behind, kill the app again (now fixed from what was
 * learned), and flood the worker's spool (no automatic fix: an escalation a person resolves; the demo clears it
 * after a while, as that person would).
 */
import { rmSync, writeFileSync } from 'node:fs';
import type { Clock } from '../core/ports.js';
import type { DemoStack } from './stack.js';

export interface DemoFault {
  /** Seconds after the previous fault. */
  afterS: number;
  say: string;
  act: (stack: DemoStack, pidOf: (service: string) => number) => void;
}

const kill = (pid: number) => {
  if (pid > 0) process.kill(pid, 'SIGKILL');
};

export const DEMO_FAULTS: readonly DemoFault[] = [
  { afterS: 12, say: 'kill -9 the app', act: (_stack, pidOf) => kill(pidOf('app')) },
  { afterS: 20, say: 'kill -9 the cache the app depends on', act: (_stack, pidOf) => kill(pidOf('cache')) },
  { afterS: 20, say: 'kill -9 the worker: its lock file stays behind, so a plain restart fails', act: (_stack, pidOf) => kill(pidOf('worker')) },
  { afterS: 20, say: 'kill -9 the app again: fixed from what was learned', act: (_stack, pidOf) => kill(pidOf('app')) },
  { afterS: 20, say: "flood the worker's spool: nothing safe fixes that, so a person is asked (see Escalations)", act: (stack) => writeFileSync(stack.floodFlag, '') },
  {
    afterS: 45,
    say: 'a person empties the spool: the escalation resolves itself after 2 healthy cycles',
    act: (stack) => {
      rmSync(stack.floodFlag, { force: true });
      rmSync(stack.spoolDir, { recursive: true, force: true });
    },
  },
];

/** Runs the faults in order, then again from the start, until `signal` aborts. */
export async function runDemoFaults(
  stack: DemoStack,
  pids: () => Promise<ReadonlyMap<string, number>>,
  clock: Clock,
  say: (text: string) => void,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    for (const fault of DEMO_FAULTS) {
      await clock.sleep(fault.afterS * 1000, signal).catch(() => undefined);
      if (signal.aborted) return;
      say(`fault: ${fault.say}`);
      try {
        const current = await pids();
        fault.act(stack, (service) => current.get(service) ?? 0);
      } catch (error) {
        say(`fault could not be made: ${(error as Error).message}`);
      }
    }
    await clock.sleep(30_000, signal).catch(() => undefined);
  }
}
