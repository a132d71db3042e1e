/** Restart a dependency that is down or broken, not the service itself. */
import { commandResult, defineAction, unitParams } from '../definition.js';

export const restartDependency = defineAction({
  type: 'restart_dependency',
  summary: 'restart a dependency that is down or broken, not the service (its config test first)',
  params: unitParams,
  scope: ({ unit }, scope) => (scope.dependencyUnits.includes(unit) ? undefined : `${unit} is not a dependency of ${scope.service.name}`),
  offer: ({ service, dependencyUnits }) =>
    service.unit && dependencyUnits.length > 0
      ? { description: 'restart a dependency that is down or broken, not the service', params: { unit: `one of ${dependencyUnits.map((name) => `"${name}"`).join(', ')}` } }
      : undefined,
  async run({ unit }, runtime) {
    await runtime.configTest(runtime.scope.configTestFor(unit), unit);
    return commandResult(await runtime.adapter.restart(unit, runtime.signal));
  },
});
