/** Reload the service's configuration without a restart, when its profile says it can. */
import { commandResult, defineAction, ownUnitOnly, unitParams } from '../definition.js';

export const reloadUnit = defineAction({
  type: 'reload_unit',
  summary: 'reload the configuration without a restart (its config test first)',
  params: unitParams,
  capability: 'reload',
  ownUnit: true,
  scope: ownUnitOnly,
  offer: ({ service }) =>
    service.unit && service.profile?.reloadable ? { description: 'reload the configuration without a restart', params: { unit: `"${service.unit}"` } } : undefined,
  async run({ unit }, runtime) {
    await runtime.configTest(runtime.scope.service.configTest, unit);
    return commandResult(await runtime.adapter.reload!(unit, runtime.signal));
  },
});
