import type { ServiceProfile } from './profile.js';

/** PostgreSQL 15 as packaged by Debian 12: an umbrella postgresql.service over the real postgresql@15-main.service cluster unit. */
export const postgresql: ServiceProfile = {
  name: 'postgresql',
  description: 'PostgreSQL relational database (Debian cluster 15/main)',
  units: ['postgresql.service', 'postgresql@15-main.service'],
  liveness: ['pg_isready', '-q'],
  runtimeFiles: ['/var/run/postgresql/.s.PGSQL.5432.lock', '/var/run/postgresql/.s.PGSQL.5432', '/var/run/postgresql/15-main.pid', '/var/lib/postgresql/15/main/postmaster.pid'],
  runtimeDirs: ['/var/run/postgresql'],
  dataDirs: ['/var/lib/postgresql/15/main'],
  configPaths: ['/etc/postgresql', '/etc/postgresql-common'],
  port: 5432,
  reloadable: true,
  logSignatures: [
    {
      pattern: 'could not bind IPv[46] address .*: Address already in use|could not create any TCP/IP sockets',
      symptom: 'address_in_use',
      hint: 'Another postmaster (often a second cluster on the same port) holds 5432; see `pg_lsclusters`.',
    },
    {
      pattern: 'lock file "postmaster\\.pid" already exists',
      symptom: 'stale_pid',
      hint: 'If the PID named in the HINT is not a postgres process, remove postmaster.pid from the data directory and start again.',
    },
    {
      pattern: 'lock file ".*\\.s\\.PGSQL\\.\\d+\\.lock" already exists',
      symptom: 'stale_lock',
      hint: 'A crashed postmaster left its socket lock; if no postgres runs, remove the .s.PGSQL.*.lock file.',
    },
    {
      pattern: 'No space left on device',
      symptom: 'no_space',
      hint: 'WAL or data cannot be written; free space on the volume holding /var/lib/postgresql. Never delete files from pg_wal by hand.',
    },
    {
      pattern: 'data directory ".*" has (invalid permissions|wrong ownership)|could not open file .*: Permission denied',
      symptom: 'permission_denied',
      hint: 'The data directory must be owned by postgres with mode 0700 or 0750.',
    },
    {
      pattern: 'password authentication failed for user|no pg_hba\\.conf entry for host',
      symptom: 'auth_failure',
      hint: 'A client is rejected by pg_hba.conf or a wrong password; the server itself is healthy.',
    },
    {
      pattern: 'syntax error in file ".*" line \\d+|configuration file ".*" contains errors',
      symptom: 'config_syntax',
      hint: 'postgresql.conf or pg_hba.conf does not parse; restore the last-known-good copy.',
    },
    {
      pattern: 'could not load (server certificate|private key) file|private key file ".*" has group or world access',
      symptom: 'certificate',
      hint: 'ssl_cert_file or ssl_key_file is missing, unreadable, or the key is too permissive (needs 0600 or 0640 root:ssl-cert).',
    },
  ],
};
