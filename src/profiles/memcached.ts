import type { ServiceProfile } from './profile.js';

/** memcached as packaged by Debian 12: started from /etc/memcached.conf, whose default writes /var/run/memcached/memcached.pid. */
export const memcached: ServiceProfile = {
  name: 'memcached',
  description: 'memcached in-memory cache',
  units: ['memcached.service'],
  // memcping comes from libmemcached-tools (Debian renames memping to memcping).
  liveness: ['memcping', '--servers=127.0.0.1:11211'],
  runtimeFiles: ['/run/memcached/memcached.pid'],
  runtimeDirs: ['/run/memcached'],
  configPaths: ['/etc/memcached.conf', '/etc/default/memcached'],
  port: 11211,
  // No ExecReload; memcached reads its options only at start.
  reloadable: false,
  logSignatures: [
    {
      pattern: 'failed to listen on (TCP|UDP) port \\d+: Address already in use|bind\\(\\): Address already in use',
      symptom: 'address_in_use',
      hint: 'Another memcached instance holds 11211; find it with `ss -ltnp`.',
    },
    {
      pattern: 'failed to set rlimit for open files|accept\\(\\): Too many open files',
      symptom: 'too_many_open_files',
      hint: 'Lower -c (max connections) in /etc/memcached.conf or raise LimitNOFILE= for memcached.service.',
    },
    {
      pattern: 'Could not open the pid file .* for writing: Permission denied',
      symptom: 'permission_denied',
      hint: 'The memcache user cannot write into /run/memcached; check the directory ownership.',
    },
    {
      pattern: 'Failed to allocate (requested )?memory|Cannot allocate memory',
      symptom: 'out_of_memory',
      hint: 'Lower -m in /etc/memcached.conf or free memory; -k (lock pages) also needs a large RLIMIT_MEMLOCK.',
    },
    {
      pattern: "invalid option -- '.*'|Illegal argument|can't run as root without the -u switch",
      symptom: 'config_syntax',
      hint: 'An option in /etc/memcached.conf is unknown or missing (-u memcache); restore the last-known-good copy.',
    },
  ],
};
