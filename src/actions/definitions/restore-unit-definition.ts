/** Put back the unit's last-known-good drop-ins, unit file and environment files where they drifted (daemon-reload follows). */
import { defineAction, ownUnitOnly, unitParams } from '../definition.js';

export const restoreUnitDefinition = defineAction({
  type: 'restore_unit_definition',
  summary: "restore the unit's drop-ins, unit file and environment files to their last-known-good versions, then daemon-reload",
  params: unitParams,
  capability: 'definition',
  ownUnit: true,
  scope: ownUnitOnly,
  offer: ({ service }, { hasKnownGood }) =>
    service.unit && hasKnownGood
      ? {
          description: "restore the unit's drop-ins, unit file and environment files to their last-known-good versions (start it afterwards)",
          params: { unit: `"${service.unit}"` },
        }
      : undefined,
  async run(_params, { knownGood, scope, signal }) {
    if (!knownGood?.has(scope.service.name)) return { ok: false, detail: `no last-known-good state of ${scope.service.name} is recorded` };
    return knownGood.restoreDefinition(scope.service, signal);
  },
});
