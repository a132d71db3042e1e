/** Put back the unit's last-known-good drop-ins, unit file and environment files where they drifted (daemon-reload follows). */
import { knownGoodAction } from './known-good-action.js';

export const restoreUnitDefinition = knownGoodAction(
  'restore_unit_definition',
  "restore the unit's drop-ins, unit file and environment files to their last-known-good versions, then daemon-reload",
  "restore the unit's drop-ins, unit file and environment files to their last-known-good versions (start it afterwards)",
  'restoreDefinition',
);
