import type { ServiceProfile } from './profile.js';

/** Postfix as packaged by Debian 12: umbrella postfix.service over the postfix@-.service instance; `postfix check` validates the setup. */
export const postfix: ServiceProfile = {
  name: 'postfix',
  description: 'Postfix mail transfer agent',
  units: ['postfix.service', 'postfix@-.service'],
  configTest: ['postfix', 'check'],
  runtimeFiles: ['/var/spool/postfix/pid/master.pid', '/var/lib/postfix/master.lock'],
  configPaths: ['/etc/postfix', '/etc/aliases', '/etc/mailname'],
  port: 25,
  reloadable: true,
  logSignatures: [
    { pattern: 'fatal: bind .* port \\d+: Address already in use', symptom: 'address_in_use', hint: 'Another MTA (exim4, sendmail) holds port 25.' },
    { pattern: 'fatal: /etc/postfix/(main|master)\\.cf, line \\d+', symptom: 'config_syntax', hint: 'main.cf or master.cf does not parse; `postfix check` names the line.' },
    { pattern: 'not enough free space in mail queue|No space left on device', symptom: 'no_space', hint: 'The volume holding /var/spool/postfix is full; mail is deferred.' },
    { pattern: 'SASL (LOGIN|PLAIN) authentication failed', symptom: 'auth_failure', hint: 'Clients fail SMTP AUTH; often password guessing, the daemon is healthy.' },
    {
      pattern: 'open lock file .*master\\.lock: unable to set exclusive lock',
      symptom: 'stale_lock',
      hint: 'Another postfix master runs (the lock is held, not stale); stop it before starting.',
    },
  ],
};
