/** systemd's unit and service properties (D-Bus variants) as a ServiceStatus in the neutral words. */
import type { ServiceStatus } from '../../core/ports.js';
import { systemdState } from './show-parser.js';

const EXEC_MAIN_CODES: Record<number, string> = { 0: '', 1: 'exited', 2: 'killed', 3: 'dumped', 4: 'trapped', 5: 'stopped', 6: 'continued' };

/** The plain values of a GetAll reply (dbus-next gives Variants with a value). */
export function plainProperties(reply: unknown): Map<string, unknown> {
  const values = new Map<string, unknown>();
  for (const [key, variant] of Object.entries((reply ?? {}) as Record<string, { value?: unknown }>)) values.set(key, variant?.value);
  return values;
}

const text = (value: unknown) => (typeof value === 'string' ? value : '');
const number = (value: unknown) => (typeof value === 'bigint' ? Number(value) : typeof value === 'number' ? value : 0);

export function statusFromProperties(name: string, values: ReadonlyMap<string, unknown>): ServiceStatus {
  const loadState = text(values.get('LoadState'));
  const activeState = text(values.get('ActiveState'));
  const activeEnter = number(values.get('ActiveEnterTimestamp'));
  const state = systemdState(loadState, activeState);
  // A job queued for a unit that is down (the stop half of a restart, a start on its way) is a transition, not
  // a fault: pushed changes are read at once, so such a moment is seen, where a 1 s poll rarely saw it.
  const job = values.get('Job') as [unknown, unknown] | undefined;
  const inTransition = (state === 'stopped' || state === 'failed') && job !== undefined && number(job[0]) !== 0;
  return {
    name,
    state: inTransition ? 'starting' : state,
    loadState,
    activeState,
    subState: text(values.get('SubState')),
    unitFileState: text(values.get('UnitFileState')),
    mainPid: number(values.get('MainPID')),
    result: text(values.get('Result')),
    execMainStatus: number(values.get('ExecMainStatus')),
    execMainCode: EXEC_MAIN_CODES[number(values.get('ExecMainCode'))] ?? '',
    restarts: number(values.get('NRestarts')),
    serviceType: text(values.get('Type')),
    // Microseconds, kept to the millisecond: whether a drop-in was written before or after the start often falls
    // within one second (the polling adapter reads whole seconds: there a change in the start's second is "before").
    activeSince: activeEnter > 0 ? Math.floor(activeEnter / 1000) : null,
  };
}
