/** Start the stopped service, after its config test passes. */
import { commandResult, defineAction, ownUnitOnly, unitParams } from '../definition.js';

export const startUnit = defineAction({
  type: 'start_unit',
  summary: 'start the stopped service (its config test first)',
  params: unitParams,
  ownUnit: true,
  scope: ownUnitOnly,
  offer: ({ service }) => (service.unit ? { description: 'start the stopped service', params: { unit: `"${service.unit}"` } } : undefined),
  async run({ unit }, runtime) {
    await runtime.configTest(runtime.scope.service.configTest, unit);
    return commandResult(await runtime.adapter.start(unit, runtime.signal));
  },
});
