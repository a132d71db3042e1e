import type { ServiceProfile } from './profile.js';

/** Redis as packaged by Debian 12 (redis-server 7.0): answers `redis-cli ping`, has no config test, and dies loudly on persistence problems. */
export const redis: ServiceProfile = {
  name: 'redis',
  description: 'Redis in-memory data store',
  units: ['redis-server.service', 'redis.service'],
  liveness: ['redis-cli', 'ping'],
  runtimeFiles: ['/run/redis/redis-server.pid', '/run/redis/redis-server.sock'],
  runtimeDirs: ['/run/redis'],
  dataDirs: ['/var/lib/redis'],
  configPaths: ['/etc/redis/redis.conf', '/etc/default/redis-server'],
  port: 6379,
  // The Debian unit has no ExecReload; Redis rereads nothing on SIGHUP.
  reloadable: false,
  logSignatures: [
    {
      pattern: 'Could not create server TCP listening socket .*: bind: Address already in use',
      symptom: 'address_in_use',
      hint: 'Another redis-server (or something else) listens on 6379; find it with `ss -ltnp`.',
    },
    { pattern: 'FATAL CONFIG FILE ERROR', symptom: 'config_syntax', hint: 'redis.conf has a bad directive; the lines after this one quote it. Restore the last-known-good copy.' },
    {
      pattern: "(Failed opening|Can't open|Opening) .*: Permission denied",
      symptom: 'permission_denied',
      hint: 'The redis user cannot write its dump, AOF or log file; check ownership of /var/lib/redis and /var/log/redis.',
    },
    {
      pattern: 'No space left on device',
      symptom: 'no_space',
      hint: 'Snapshots (RDB/AOF) cannot be written and writes are refused (MISCONF) until space is freed in /var/lib/redis.',
    },
    {
      pattern: "Out Of Memory allocating \\d+ bytes|Can't save in background: fork: Cannot allocate memory",
      symptom: 'out_of_memory',
      hint: 'Lower maxmemory, or set vm.overcommit_memory=1 so the background save fork succeeds.',
    },
    {
      pattern: 'Too many open files|requiring at least \\d+ max file descriptors',
      symptom: 'too_many_open_files',
      hint: 'Raise LimitNOFILE= for redis-server.service or lower maxclients.',
    },
    {
      pattern: 'Bad file format reading the append only file|Short read or OOM loading DB|Wrong signature trying to load DB from file',
      symptom: 'corrupt_data',
      hint: 'The RDB or AOF file is damaged; back it up, then repair with redis-check-aof --fix or redis-check-rdb.',
    },
  ],
};
