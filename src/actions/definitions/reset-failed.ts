/** Clear the manager's failed state (after start-limit-hit), so the service can be started again. */
import { commandResult, defineAction, ownUnitOnly, unitParams } from '../definition.js';

export const resetFailed = defineAction({
  type: 'reset_failed',
  summary: 'clear the failed state (after start-limit-hit), then start',
  params: unitParams,
  capability: 'reset-failed',
  ownUnit: true,
  scope: ownUnitOnly,
  offer: ({ service }) => (service.unit ? { description: 'clear the failed state (e.g. after start-limit-hit), then start', params: { unit: `"${service.unit}"` } } : undefined),
  async run({ unit }, runtime) {
    return commandResult(await runtime.adapter.resetFailed!(unit, runtime.signal));
  },
});
