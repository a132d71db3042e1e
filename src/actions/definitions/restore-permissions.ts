/** Put back the owner, group and mode of the service's own directories and files where they drifted. */
import { knownGoodAction } from './known-good-action.js';

export const restorePermissions = knownGoodAction(
  'restore_permissions',
  "restore the owner, group and mode of the service's own directories and files to their last-known-good values",
  "restore owner, group and mode of the service's own directories and files to their last-known-good values (start it afterwards)",
  'restorePermissions',
);
