/** dependency_state: the state of one of the service's dependencies (and only of those), as its manager tells it. */
import { z } from 'zod/v4';
import { adapterOf } from '../core/ports.js';
import { statusLines } from './status-text.js';
import { defineTool, listOrNone, unitName } from './tool.js';

export const dependencyStateTool = defineTool({
  name: 'dependency_state',
  description: 'The state of one of the dependencies of the failing service (running, failed, stopped, missing), its last result, main pid and restarts.',
  input: z.object({ unit: unitName.describe('a dependency unit, e.g. postgresql.service') }).strict(),
  scope: ({ unit }, { service, scope }) =>
    scope.dependencyUnits.includes(unit) ? undefined : `${unit} is not a dependency of ${service.unit} (its dependencies: ${listOrNone(scope.dependencyUnits)})`,
  async run({ unit }, { adapter: registry, config }, signal) {
    const adapter = adapterOf(registry, unit);
    if (adapter.unavailable) return `${unit}: ${adapter.unavailable}`;
    const status = (await adapter.statusMany([unit], signal)).get(unit);
    const managed = config.services.find((service) => service.unit === unit);
    return [...statusLines(status, unit), managed ? `${unit} is the managed service ${managed.name}` : `${unit} is not a managed service`].join('\n');
  },
});
