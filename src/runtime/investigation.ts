/**
 * The read-only investigation of a failed service before anything is tried: its drift since it was last known
 * good, and whether a process that no managed service owns holds one of its ports.
 */
import type { CompiledConfig, CompiledService } from '../config/compiled.js';
import type { Probes, ServiceAdapter } from '../core/ports.js';
import type { Investigation } from '../phases/pipeline.js';
import { servicePorts } from '../actions/scope.js';
import type { LastKnownGood } from './last-known-good.js';

export interface InvestigatorDependencies {
  lastKnownGood: LastKnownGood;
  probes: Probes;
  adapter: ServiceAdapter;
  config: CompiledConfig;
}

export function createInvestigator(dependencies: InvestigatorDependencies): (service: CompiledService, signal: AbortSignal) => Promise<Investigation> {
  return async (service, signal) => {
    const drift = await dependencies.lastKnownGood.drift(service, signal);
    return { drift, strayListener: await strayListener(service, dependencies, signal) };
  };
}

/** The first listener on a port of the service that belongs to no unit of a service (and is not us). */
async function strayListener(service: CompiledService, dependencies: InvestigatorDependencies, signal: AbortSignal): Promise<Investigation['strayListener']> {
  if (!dependencies.probes.listeners) return undefined;
  const managedUnits = new Set(dependencies.config.services.map((candidate) => candidate.unit));
  const mainPids = new Set([...(await dependencies.adapter.statusMany([...managedUnits], signal).catch(() => new Map())).values()].map((status) => status.mainPid));
  for (const port of servicePorts(service)) {
    for (const listener of await dependencies.probes.listeners(port).catch(() => [])) {
      if (listener.pid === process.pid || mainPids.has(listener.pid)) continue;
      if (listener.unit?.endsWith('.service')) continue;
      return { port, pid: listener.pid, command: listener.cmdline || listener.command };
    }
  }
  return undefined;
}
