/**
 * unit_properties: how the service's own unit, or one of its dependencies, is in effect now: its state, the unit
 * file and drop-ins in the order the manager reads them, user, group, working directory, program, environment
 * (secret values hashed), limits and directories.
 */
import { z } from 'zod/v4';
import { adapterOf } from '../core/ports.js';
import { redactAssignment } from '../drift/service-state.js';
import { statusLines } from './status-text.js';
import { defineTool, listOrNone, outsideOwnOrDependency, unitName } from './tool.js';

export const unitPropertiesTool = defineTool({
  name: 'unit_properties',
  description:
    "Effective properties of the service's own unit or of one of its dependencies: state, unit file and drop-ins, user, group, working directory, program, environment (secrets hashed), resource limits and directories.",
  input: z.object({ unit: unitName.describe('the unit, e.g. nginx.service') }).strict(),
  scope: ({ unit }, dependencies) => outsideOwnOrDependency(unit, dependencies),
  async run({ unit }, { adapter: registry }, signal) {
    const adapter = adapterOf(registry, unit);
    if (adapter.unavailable) return `${unit}: ${adapter.unavailable}`;
    const status = (await adapter.statusMany([unit], signal)).get(unit);
    const lines = statusLines(status, unit);
    if (!adapter.definition || !adapter.capabilities.has('definition')) {
      lines.push(`the ${adapter.kind} adapter cannot tell how ${unit} is defined`);
      return lines.join('\n');
    }
    const definition = await adapter.definition(unit, signal);
    const [unitFile, ...dropIns] = definition.unitFiles;
    const limits = Object.entries(definition.limits).map(([name, value]) => `${name}=${value}`);
    lines.push(
      `unit file: ${unitFile ?? '(none)'}`,
      `drop-ins: ${listOrNone(dropIns)}`,
      `user: ${definition.user || '(root or unset)'}; group: ${definition.group || '(unset)'}`,
      `working directory: ${definition.workingDirectory || '(unset)'}`,
      `program: ${definition.execPath || '(unknown)'}`,
      `environment files: ${listOrNone(definition.environmentFiles)}`,
      `environment: ${listOrNone(definition.environment.slice(0, 30).map((assignment) => redactAssignment(assignment).slice(0, 200)))}`,
      `limits: ${listOrNone(limits)}`,
      `directories: ${listOrNone(definition.directories)}`,
    );
    return lines.join('\n');
  },
});
