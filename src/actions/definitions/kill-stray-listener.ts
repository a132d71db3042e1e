/**
 * A port of the service held by a process no managed service owns. In the catalog so a human can name it; the
 * executor cannot run it yet, so it is never offered to an agent nor learned.
 */
import { z } from 'zod/v4';
import { defineAction } from '../definition.js';
import { servicePorts } from '../scope.js';

export const killStrayListener = defineAction({
  type: 'kill_stray_listener',
  summary: 'kill a process no managed service owns that holds a port of the service',
  params: z.object({ port: z.number().int().min(1).max(65535), pid: z.number().int().min(2) }).strict(),
  capability: 'signal',
  executable: false,
  scope: ({ port }, scope) => (servicePorts(scope.service).includes(port) ? undefined : `port ${port} is not a port of ${scope.service.name}`),
  offer: () => undefined,
  async run() {
    return { ok: false, detail: 'kill_stray_listener is not available in this version of the executor' };
  },
});
