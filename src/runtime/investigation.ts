/**
 * The read-only investigation of a failed service before anything is tried: its drift since it was last known
 * good, and whether a process that no managed service owns holds one of its ports.
 */
import type { CompiledConfig, CompiledService } from '../config/compiled.js';
import type { Probes, ServiceAdapter } from '../core/ports.js';
import type { Investigation } from '../phases/pipeline.js';
import { servicePorts } from '../actions/scope.js';
import { currentOwners, strayOn } from '../actions/stray-listener.js';
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

/** The first listener on a port of the service that nothing managed owns (the rule kill_stray_listener runs by). */
async function strayListener(service: CompiledService, dependencies: InvestigatorDependencies, signal: AbortSignal): Promise<Investigation['strayListener']> {
  if (!dependencies.probes.listeners) return undefined;
  const ports = servicePorts(service);
  if (ports.length === 0) return undefined;
  const owners = await currentOwners(dependencies.adapter, dependencies.config, signal).catch(() => undefined);
  if (!owners) return undefined;
  for (const port of ports) {
    const { stray } = strayOn(await dependencies.probes.listeners(port).catch(() => []), owners);
    if (stray) return { port, pid: stray.pid, command: stray.cmdline || stray.command };
  }
  return undefined;
}
