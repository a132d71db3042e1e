import type { ServiceProfile } from './profile.js';

/** nginx as packaged by Debian 12 (nginx 1.22): `nginx -t` guards every restart, and the error log names its failures precisely. */
export const nginx: ServiceProfile = {
  name: 'nginx',
  description: 'nginx web server and reverse proxy',
  units: ['nginx.service'],
  configTest: ['nginx', '-t'],
  runtimeFiles: ['/run/nginx.pid'],
  runtimeDirs: ['/var/lib/nginx'],
  configPaths: ['/etc/nginx'],
  port: 80,
  reloadable: true,
  logSignatures: [
    {
      pattern: 'bind\\(\\) to .* failed \\(98: Address already in use\\)',
      symptom: 'address_in_use',
      hint: 'Another process holds the port (often apache2 or a second nginx): find it with `ss -ltnp` before restarting.',
    },
    {
      pattern: '\\[emerg\\].*(unknown directive|unexpected|directive is not allowed here|invalid number of arguments|is duplicate).* in /etc/nginx/',
      symptom: 'config_syntax',
      hint: 'The configuration does not parse; `nginx -t` names the file and line. Restore the last-known-good copy.',
    },
    {
      pattern: 'failed \\(13: Permission denied\\)',
      symptom: 'permission_denied',
      hint: 'A log, cache or socket path is not accessible to the www-data workers or to root at startup; check ownership and mode.',
    },
    {
      pattern: 'connect\\(\\) (to .* )?failed \\(111: Connection refused\\) while connecting to upstream',
      symptom: 'dependency_refused',
      hint: 'The upstream (php-fpm, an application server) is down; fix the upstream, not nginx.',
    },
    { pattern: '\\(24: Too many open files\\)', symptom: 'too_many_open_files', hint: 'Raise worker_rlimit_nofile and LimitNOFILE= in a drop-in for nginx.service.' },
    { pattern: 'failed \\(28: No space left on device\\)', symptom: 'no_space', hint: 'The disk holding /var/log/nginx or /var/lib/nginx is full.' },
    {
      pattern: 'cannot load certificate( key)? ".*"|SSL_CTX_use_PrivateKey(_file)?\\(.*\\) failed',
      symptom: 'certificate',
      hint: 'A certificate or key file is missing, unreadable or mismatched; check ssl_certificate and ssl_certificate_key paths.',
    },
    { pattern: 'invalid PID number ".*" in ".*\\.pid"', symptom: 'stale_pid', hint: '/run/nginx.pid is empty or stale; if no nginx master runs, remove it and start the service.' },
  ],
};
