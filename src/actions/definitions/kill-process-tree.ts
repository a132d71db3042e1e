/** SIGKILL every process of a stuck service (reset-failed and start follow in the plan). */
import { commandResult, defineAction, ownUnitOnly, unitParams } from '../definition.js';

export const killProcessTree = defineAction({
  type: 'kill_process_tree',
  summary: 'SIGKILL every process of the service, then reset-failed and start',
  params: unitParams,
  capability: 'signal',
  ownUnit: true,
  scope: ownUnitOnly,
  offer: ({ service }) => (service.unit ? { description: 'SIGKILL every process of the unit, reset-failed, start', params: { unit: `"${service.unit}"` } } : undefined),
  async run({ unit }, runtime) {
    return commandResult(await runtime.adapter.kill!(unit, 'SIGKILL', runtime.signal));
  },
});
