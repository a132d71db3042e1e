import type { ServiceProfile } from './profile.js';

/** fail2ban 1.0 as packaged by Debian 12: `fail2ban-client -t` tests jails, `fail2ban-client ping` proves the server answers. */
export const fail2ban: ServiceProfile = {
  name: 'fail2ban',
  description: 'fail2ban intrusion prevention',
  units: ['fail2ban.service'],
  liveness: ['fail2ban-client', 'ping'],
  configTest: ['fail2ban-client', '-t'],
  runtimeFiles: ['/run/fail2ban/fail2ban.sock', '/run/fail2ban/fail2ban.pid'],
  runtimeDirs: ['/run/fail2ban'],
  configPaths: ['/etc/fail2ban'],
  reloadable: true,
  logSignatures: [
    {
      pattern: 'Have not found any log file for \\S+ jail',
      symptom: 'missing_log',
      hint: 'Debian 12 logs to journald by default: set backend = systemd for the jail, or install rsyslog.',
    },
    { pattern: 'Failed during configuration|Errors in jail .* Skipping', symptom: 'config_syntax', hint: 'A jail or filter is invalid; `fail2ban-client -t` names it.' },
    {
      pattern: 'unexpected state \\(not running but the socket exists\\)',
      symptom: 'stale_lock',
      hint: 'A crash left /run/fail2ban/fail2ban.sock; remove it if no fail2ban-server runs.',
    },
  ],
};
