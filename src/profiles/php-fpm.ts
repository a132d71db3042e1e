import type { ServiceProfile } from './profile.js';

/** PHP-FPM 8.2 as packaged by Debian 12: `php-fpm8.2 -t` tests pools; it listens on a UNIX socket, not a TCP port. */
export const phpFpm: ServiceProfile = {
  name: 'php-fpm',
  description: 'PHP FastCGI Process Manager (PHP 8.2)',
  units: ['php8.2-fpm.service', 'php-fpm.service'],
  configTest: ['php-fpm8.2', '-t'],
  runtimeFiles: ['/run/php/php8.2-fpm.pid', '/run/php/php8.2-fpm.sock'],
  runtimeDirs: ['/run/php'],
  configPaths: ['/etc/php/8.2/fpm'],
  reloadable: true,
  logSignatures: [
    {
      pattern: 'unable to bind listening socket for address .*: Address already in use',
      symptom: 'address_in_use',
      hint: 'Another FPM master (or another pool) listens on that socket or port.',
    },
    {
      pattern: 'ERROR: \\[.*:\\d+\\] (unknown entry|value is NULL)|FPM initialization failed|failed to load configuration file',
      symptom: 'config_syntax',
      hint: 'A pool file does not parse; `php-fpm8.2 -t` names it.',
    },
    {
      pattern: 'server reached (pm\\.)?max_children setting',
      symptom: 'worker_exhaustion',
      hint: 'All children are busy; raise pm.max_children if memory allows, or find slow scripts.',
    },
    { pattern: 'Allowed memory size of \\d+ bytes exhausted', symptom: 'out_of_memory', hint: 'A script hit memory_limit; the service is healthy, the script is not.' },
  ],
};
