/**
 * The probes worth running for every diagnosis, for an agent that cannot call tools itself (the command
 * backend): the unit's properties, the config test, who holds the service's ports, the state of its
 * dependencies, and owner and mode of a few of its own paths. Most telling first, so a budget cuts the least.
 */
import { servicePorts } from '../actions/scope.js';
import { adapterOf, type ServiceDefinition } from '../core/ports.js';
import { watchedPaths } from '../drift/state-capture.js';
import type { ToolDependencies, ToolName } from './tool.js';

const MAX_PORTS = 2;
const MAX_DEPENDENCIES = 3;
const MAX_PATHS = 3;

export interface ProbeCall {
  name: ToolName;
  input: Record<string, unknown>;
}

const NO_DEFINITION: ServiceDefinition = {
  unitFiles: [],
  environmentFiles: [],
  environment: [],
  user: '',
  group: '',
  workingDirectory: '',
  execPath: '',
  limits: {},
  directories: [],
};

export async function defaultProbes(dependencies: ToolDependencies, signal: AbortSignal): Promise<ProbeCall[]> {
  const { service, scope, probes, config } = dependencies;
  const calls: ProbeCall[] = [];
  if (service.unit) calls.push({ name: 'unit_properties', input: { unit: service.unit } });
  if (service.configTest && service.configTest.length > 0) calls.push({ name: 'config_test', input: {} });
  if (probes.listeners) for (const port of servicePorts(service).slice(0, MAX_PORTS)) calls.push({ name: 'listeners', input: { port } });
  for (const unit of scope.dependencyUnits.slice(0, MAX_DEPENDENCIES)) calls.push({ name: 'dependency_state', input: { unit } });
  const adapter = service.unit ? adapterOf(dependencies.adapter, service.unit) : undefined;
  const canDefine = adapter?.definition && adapter.capabilities.has('definition') && !adapter.unavailable;
  const definition = canDefine ? await adapter.definition!(service.unit, signal).catch(() => NO_DEFINITION) : NO_DEFINITION;
  const paths = watchedPaths(service, definition, config.dataDir).filter((entry) => entry.role !== 'program');
  for (const entry of paths.slice(0, MAX_PATHS)) calls.push({ name: 'path_info', input: { path: entry.path } });
  return calls;
}
