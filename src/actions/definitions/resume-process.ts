/** Continue a process that was stopped with SIGSTOP: its unit looks active, but it answers nothing. */
import { commandResult, defineAction, ownUnitOnly, unitParams } from '../definition.js';

export const resumeProcess = defineAction({
  type: 'resume_process',
  summary: 'send SIGCONT to a stopped (SIGSTOP) process',
  params: unitParams,
  capability: 'signal',
  ownUnit: true,
  scope: ownUnitOnly,
  offer: ({ service }) => (service.unit ? { description: 'send SIGCONT to a stopped (SIGSTOP) process', params: { unit: `"${service.unit}"` } } : undefined),
  async run({ unit }, runtime) {
    return commandResult(await runtime.adapter.kill!(unit, 'SIGCONT', runtime.signal));
  },
});
