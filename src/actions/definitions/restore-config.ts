/** Put back the last-known-good configuration snapshot where the current files differ (restart follows). */
import { defineAction, ownUnitOnly, unitParams } from '../definition.js';

export const restoreConfig = defineAction({
  type: 'restore_config',
  summary: 'restore the last-known-good configuration snapshot where the files differ, then restart',
  params: unitParams,
  ownUnit: true,
  scope: ownUnitOnly,
  offer: ({ service }, { hasSnapshot }) =>
    service.unit && hasSnapshot ? { description: 'restore the last-known-good configuration snapshot, then restart', params: { unit: `"${service.unit}"` } } : undefined,
  async run(_params, { snapshots, clock, scope }) {
    const { service } = scope;
    if (!snapshots.has(service.name)) return { ok: false, detail: `no last-known-good snapshot of ${service.name}'s configuration` };
    const changes = snapshots.diff(service.name, service.configPaths);
    if (changes.length === 0) return { ok: false, detail: `${service.name}'s configuration matches its last-known-good snapshot; nothing to restore` };
    const done = snapshots.restore(service.name, service.configPaths, clock.now());
    return { ok: true, detail: `restored the last-known-good configuration: ${done.join('; ')}` };
  },
});
