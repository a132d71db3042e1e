import type { ServiceProfile } from './profile.js';

/** Apache httpd 2.4 as packaged by Debian 12: apachectl configtest guards restarts; run and lock dirs come from /etc/apache2/envvars. */
export const apache2: ServiceProfile = {
  name: 'apache2',
  description: 'Apache HTTP Server',
  units: ['apache2.service', 'httpd.service'],
  configTest: ['apachectl', 'configtest'],
  runtimeFiles: ['/run/apache2/apache2.pid'],
  runtimeDirs: ['/run/apache2', '/run/lock/apache2'],
  configPaths: ['/etc/apache2'],
  port: 80,
  reloadable: true,
  logSignatures: [
    {
      pattern: '\\(98\\)Address already in use: AH00072: make_sock: could not bind to address',
      symptom: 'address_in_use',
      hint: 'Another server (often nginx) holds the port; find it with `ss -ltnp`.',
    },
    {
      pattern: 'AH00526: Syntax error on line \\d+ of|Invalid command .*, perhaps misspelled or defined by a module not included',
      symptom: 'config_syntax',
      hint: 'The configuration does not parse (or a needed module is not enabled); restore the last-known-good copy.',
    },
    { pattern: '\\(13\\)Permission denied', symptom: 'permission_denied', hint: 'A log, document root or socket path is not accessible; check ownership and mode.' },
    {
      pattern: '\\(111\\)Connection refused: AH0(0957|2454)|AH01079: failed to make connection to backend',
      symptom: 'dependency_refused',
      hint: 'The proxied backend or php-fpm is down; fix the backend.',
    },
    {
      pattern:
        'AH02572: Failed to configure at least one certificate and key|SSLCertificate(Key)?File: file .* does not exist or is empty|AH02565: Certificate and private key .* do not match',
      symptom: 'certificate',
      hint: 'An SSL certificate or key is missing, empty or mismatched.',
    },
    {
      pattern: '\\(28\\)No space left on device',
      symptom: 'no_space',
      hint: 'Either the disk is full or System V semaphores are exhausted (common after crashes): check `df` and `ipcs -s`.',
    },
    {
      pattern: 'AH00098: pid file .* overwritten -- Unclean shutdown of previous Apache run',
      symptom: 'stale_pid',
      hint: 'A previous run left its pid file; Apache replaced it. Look for why the previous run died.',
    },
    {
      pattern: 'AH00161: server reached MaxRequestWorkers setting',
      symptom: 'worker_exhaustion',
      hint: 'All workers are busy; raise MaxRequestWorkers (mpm config) or find slow requests.',
    },
  ],
};
