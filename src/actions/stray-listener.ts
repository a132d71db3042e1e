/**
 * Whether a process listening on a port is a stray: one that no managed service, no unit of a service and not
 * the orchestrator owns. The investigation and kill_stray_listener judge with this one rule, so what is proposed
 * is what may run, and the executor judges again just before it signals.
 */
import type { CompiledConfig } from '../config/compiled.js';
import type { Listener, ServiceAdapter } from '../core/ports.js';

export interface Owners {
  /** Main pids of the managed services (whatever their adapter). */
  managedMainPids: ReadonlySet<number>;
  /** The orchestrator's own pid and its parent's. */
  selfPids: ReadonlySet<number>;
}

/** Who owns the listener, in words, or undefined when nothing does (it is a stray). */
export function ownerOf(listener: Listener, owners: Owners): string | undefined {
  if (listener.pid <= 1) return `pid ${listener.pid} is the init process`;
  if (owners.selfPids.has(listener.pid)) return `pid ${listener.pid} is the orchestrator itself`;
  if (owners.managedMainPids.has(listener.pid)) return `pid ${listener.pid} is the main process of a managed service`;
  if (listener.unit?.endsWith('.service')) return `pid ${listener.pid} belongs to ${listener.unit}`;
  const parent = listener.ancestors.find((pid) => owners.selfPids.has(pid) || owners.managedMainPids.has(pid));
  if (parent !== undefined) return `pid ${listener.pid} is a descendant of pid ${parent}, ${owners.selfPids.has(parent) ? 'the orchestrator' : 'a managed service'}`;
  return undefined;
}

/** The first stray listener on the port (or the given pid only, when it is one). */
export function strayOn(listeners: readonly Listener[], owners: Owners, pid?: number): { stray?: Listener; refusal?: string } {
  const candidates = pid === undefined ? listeners : listeners.filter((listener) => listener.pid === pid);
  if (candidates.length === 0) return { refusal: pid === undefined ? 'nothing listens on it' : `pid ${pid} does not listen on it` };
  const refusals: string[] = [];
  for (const listener of candidates) {
    const owner = ownerOf(listener, owners);
    if (!owner) return { stray: listener };
    refusals.push(owner);
  }
  return { refusal: refusals.join('; ') };
}

/** The owners as they are now: every managed service's main pid, and the orchestrator's own. */
export async function currentOwners(adapter: ServiceAdapter, config: CompiledConfig, signal?: AbortSignal): Promise<Owners> {
  const names = config.services.map((service) => service.unit || service.name);
  const statuses = await adapter.statusMany(names, signal);
  const managedMainPids = new Set([...statuses.values()].map((status) => status.mainPid).filter((pid): pid is number => typeof pid === 'number' && pid > 0));
  return { managedMainPids, selfPids: new Set([process.pid, process.ppid]) };
}
