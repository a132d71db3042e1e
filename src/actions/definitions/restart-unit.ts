/** Restart the service, after its config test passes. */
import { commandResult, defineAction, ownUnitOnly, unitParams } from '../definition.js';

export const restartUnit = defineAction({
  type: 'restart_unit',
  summary: 'restart the service (its config test first, when its profile has one)',
  params: unitParams,
  ownUnit: true,
  scope: ownUnitOnly,
  offer: ({ service }) => (service.unit ? { description: 'restart the service', params: { unit: `"${service.unit}"` } } : undefined),
  async run({ unit }, runtime) {
    await runtime.configTest(runtime.scope.service.configTest, unit);
    return commandResult(await runtime.adapter.restart(unit, runtime.signal));
  },
});
