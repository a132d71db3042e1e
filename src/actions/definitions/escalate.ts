/** Hand the task to a human: nothing safe would fix it. Changes nothing on the host. */
import { z } from 'zod/v4';
import { defineAction } from '../definition.js';

export const escalate = defineAction({
  type: 'escalate',
  summary: 'hand the task to a human (changes nothing on the host)',
  params: z.object({ reason: z.string().max(2000).optional() }).strict() as never,
  scope: () => undefined,
  offer: () => ({ description: 'hand the task to a human: nothing safe would fix it', params: { reason: 'optional text' } }),
  async run() {
    return { ok: true, detail: 'escalation requested' };
  },
});
