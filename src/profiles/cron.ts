import type { ServiceProfile } from './profile.js';

/** Vixie cron as packaged by Debian 12: no config test and no port, so liveness only asks whether a cron process exists. */
export const cron: ServiceProfile = {
  name: 'cron',
  description: 'cron job scheduler',
  units: ['cron.service', 'crond.service'],
  liveness: ['pgrep', '-x', 'cron'],
  runtimeFiles: ['/run/crond.pid'],
  configPaths: ['/etc/crontab', '/etc/cron.d', '/etc/default/cron'],
  // cron.service has no ExecReload; cron rereads changed crontabs every minute by itself.
  reloadable: false,
  logSignatures: [
    {
      pattern: "can't lock .*crond\\.pid, otherpid may be \\d+",
      symptom: 'stale_pid',
      hint: 'Another cron holds the flock on /run/crond.pid; a flock dies with its process, so look for the other cron before removing anything.',
    },
    {
      pattern: 'BAD FILE MODE|WRONG FILE OWNER|WRONG INODE INFO|INSECURE MODE',
      symptom: 'permission_denied',
      hint: 'Files in /etc/cron.d and /etc/crontab must be owned by root and not group/world-writable; cron ignores them otherwise.',
    },
    {
      pattern: 'Syntax error, this crontab file will be ignored|Error: bad (minute|hour|day-of-month|month|day-of-week|command|username)',
      symptom: 'config_syntax',
      hint: 'A crontab line does not parse and the whole file is skipped.',
    },
    { pattern: "can't fork", symptom: 'out_of_memory', hint: 'fork() failed: memory or the process limit is exhausted.' },
    {
      pattern: 'PAM ERROR \\(.*\\)|Authentication token is no longer valid',
      symptom: 'auth_failure',
      hint: 'The job owner is refused by PAM (often an expired password); that job does not run.',
    },
  ],
};
