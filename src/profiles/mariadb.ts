import type { ServiceProfile } from './profile.js';

/** MariaDB 10.11 as packaged by Debian 12, which also answers to the mysql and mysqld unit aliases. */
export const mariadb: ServiceProfile = {
  name: 'mariadb',
  description: 'MariaDB (and MySQL-compatible) database server',
  units: ['mariadb.service', 'mysql.service', 'mysqld.service'],
  // Exit code 0 whenever the server answers, even with "Access denied".
  liveness: ['mysqladmin', 'ping'],
  runtimeFiles: ['/run/mysqld/mysqld.pid', '/run/mysqld/mysqld.sock'],
  runtimeDirs: ['/run/mysqld'],
  configPaths: ['/etc/mysql'],
  port: 3306,
  // SIGHUP only flushes logs and privileges; it does not apply configuration changes.
  reloadable: false,
  logSignatures: [
    {
      pattern: "Can't start server: Bind on TCP/IP port\\. Got error: 98: Address already in use|Do you already have another (mysqld|mariadbd) server running on port",
      symptom: 'address_in_use',
      hint: 'Another mysqld/mariadbd holds 3306; find it with `ss -ltnp`.',
    },
    {
      pattern: 'InnoDB: Unable to lock \\./ibdata1|Another process with pid \\d+ is using unix socket file',
      symptom: 'stale_lock',
      hint: 'Another server instance still holds the data files or socket; make sure it is gone before removing anything.',
    },
    {
      pattern: 'Errcode: 13|Operating system error number 13 in a file operation|\\(errno: 13',
      symptom: 'permission_denied',
      hint: 'The mysql user cannot access a file in /var/lib/mysql or /run/mysqld; check ownership (mysql:mysql).',
    },
    {
      pattern: 'Disk full|No space left on device|Errcode: 28',
      symptom: 'no_space',
      hint: 'MariaDB waits for space to be freed; clean the volume holding /var/lib/mysql or tmpdir.',
    },
    {
      pattern: 'Cannot allocate memory for the buffer pool|mmap\\(\\d+ bytes\\) failed; errno 12|Out of memory',
      symptom: 'out_of_memory',
      hint: 'Lower innodb_buffer_pool_size or free memory.',
    },
    {
      pattern: "unknown (variable|option) '|Found option without preceding group in config file",
      symptom: 'config_syntax',
      hint: 'A file under /etc/mysql has a bad option; restore the last-known-good copy.',
    },
    {
      pattern: 'Database page corruption on disk|is marked as crashed and should be repaired|Page \\[page id: .*\\] log sequence number .* is in the future',
      symptom: 'corrupt_data',
      hint: 'Table or tablespace damage; back up /var/lib/mysql before repair (mariadb-check, innodb_force_recovery).',
    },
    { pattern: "Access denied for user '.*'@'.*'", symptom: 'auth_failure', hint: 'A client (or a maintenance script) uses wrong credentials; the server itself answers.' },
  ],
};
