/** Shrink the systemd journal when its filesystem is full. */
import { z } from 'zod/v4';
import { commandResult, defineAction } from '../definition.js';

export const vacuumJournal = defineAction({
  type: 'vacuum_journal',
  summary: 'shrink the systemd journal to a size',
  params: z.object({ maxSizeMb: z.number().int().min(16).max(1_000_000) }).strict(),
  capability: 'journal-vacuum',
  scope: () => undefined,
  offer: () => ({ description: 'shrink the systemd journal', params: { maxSizeMb: 'a size in MB, at least 16' } }),
  async run({ maxSizeMb }, runtime) {
    return commandResult(await runtime.adapter.vacuumJournal!(maxSizeMb, runtime.signal));
  },
});
