/** Put back the owner, group and mode of the service's own directories and files where they drifted. */
import { defineAction, ownUnitOnly, unitParams } from '../definition.js';

export const restorePermissions = defineAction({
  type: 'restore_permissions',
  summary: "restore the owner, group and mode of the service's own directories and files to their last-known-good values",
  params: unitParams,
  capability: 'definition',
  ownUnit: true,
  scope: ownUnitOnly,
  offer: ({ service }, { hasKnownGood }) =>
    service.unit && hasKnownGood
      ? {
          description: "restore owner, group and mode of the service's own directories and files to their last-known-good values (start it afterwards)",
          params: { unit: `"${service.unit}"` },
        }
      : undefined,
  async run(_params, { knownGood, scope, signal }) {
    if (!knownGood?.has(scope.service.name)) return { ok: false, detail: `no last-known-good state of ${scope.service.name} is recorded` };
    return knownGood.restorePermissions(scope.service, signal);
  },
});
