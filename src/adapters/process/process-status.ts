/**
 * A process service's ServiceStatus from what its supervisor knows, in the neutral states the core decides on
 * and in systemd's words for the detail fields (so agents and humans read one vocabulary whatever the adapter).
 * Pure, so every state's wording is easy to check.
 */
import type { ServiceState, ServiceStatus } from '../../core/ports.js';
import { dumpsCore } from './process-table.js';

/** How the last run of the main process ended. */
export interface ProcessEnd {
  /** The exit code, or null when a signal ended it. */
  code: number | null;
  /** The number of the signal that ended it, or null. */
  signalNumber: number | null;
  /** The adapter ended it (stop, restart, close): then it is stopped, not failed. */
  byAdapter: boolean;
}

export interface ProcessSnapshot {
  name: string;
  state: ServiceState;
  mainPid: number;
  /** The last end, when the service has run and ended; undefined when it never ended (or the end is unknown). */
  end?: ProcessEnd;
  /** A failure whose cause the adapter cannot know (a found process that vanished): systemd's words have none. */
  unknownEnd?: boolean;
  /** Why it could not be spawned (ENOSPC, EAGAIN ...): systemd calls that result "resources". */
  spawnFailed?: boolean;
  restarts: number;
  activeSince: number | null;
}

const WORDS: Record<ServiceState, { activeState: string; subState: string }> = {
  running: { activeState: 'active', subState: 'running' },
  starting: { activeState: 'activating', subState: 'start' },
  stopped: { activeState: 'inactive', subState: 'dead' },
  failed: { activeState: 'failed', subState: 'failed' },
  missing: { activeState: 'inactive', subState: 'dead' },
};

export function processStatus(snapshot: ProcessSnapshot): ServiceStatus {
  const { end } = snapshot;
  return {
    name: snapshot.name,
    state: snapshot.state,
    loadState: snapshot.state === 'missing' ? 'not-found' : 'loaded',
    ...WORDS[snapshot.state],
    unitFileState: '',
    mainPid: snapshot.state === 'running' || snapshot.state === 'starting' ? snapshot.mainPid : 0,
    result: result(snapshot),
    execMainStatus: end ? (end.signalNumber ?? end.code ?? 0) : 0,
    execMainCode: !end ? '' : end.signalNumber === null ? 'exited' : dumpsCore(end.signalNumber) ? 'dumped' : 'killed',
    restarts: snapshot.restarts,
    serviceType: 'simple',
    activeSince: snapshot.activeSince === null ? null : Math.floor(snapshot.activeSince / 1000) * 1000,
  };
}

function result(snapshot: ProcessSnapshot): string {
  if (snapshot.spawnFailed) return 'resources';
  if (snapshot.unknownEnd && snapshot.state === 'failed') return 'unknown';
  const { end } = snapshot;
  if (!end || end.byAdapter) return 'success';
  if (end.signalNumber !== null) return dumpsCore(end.signalNumber) ? 'core-dump' : 'signal';
  return end.code === 0 ? 'success' : 'exit-code';
}
