import type { ServiceProfile } from './profile.js';

/** MongoDB (not in Debian 12 main; MongoDB's mongodb-org packages): mongod.service with a data-directory lock file. */
export const mongodb: ServiceProfile = {
  name: 'mongodb',
  description: 'MongoDB document database (mongod)',
  units: ['mongod.service', 'mongodb.service'],
  liveness: ['mongosh', '--quiet', '--eval', 'db.adminCommand({ ping: 1 }).ok'],
  runtimeFiles: ['/var/lib/mongodb/mongod.lock', '/tmp/mongodb-27017.sock'],
  configPaths: ['/etc/mongod.conf'],
  port: 27017,
  reloadable: false,
  logSignatures: [
    { pattern: 'Address already in use', symptom: 'address_in_use', hint: 'Another mongod holds 27017.' },
    {
      pattern: 'Unable to lock the lock file|Another mongod instance is already running',
      symptom: 'stale_lock',
      hint: 'If no mongod runs, mongod.lock is stale; remove it only after confirming, then start (journaling recovers).',
    },
    {
      pattern: 'Failed to unlink socket file',
      symptom: 'permission_denied',
      hint: 'A /tmp/mongodb-27017.sock left by another user blocks the start; remove it when no mongod runs.',
    },
    { pattern: 'No space left on device', symptom: 'no_space', hint: 'The volume holding /var/lib/mongodb is full.' },
    {
      pattern: 'WT_PANIC|WiredTiger error.*(corrupt|WT_TRY_SALVAGE)',
      symptom: 'corrupt_data',
      hint: 'WiredTiger files are damaged; back up the dbpath, then consider `mongod --repair`.',
    },
  ],
};
