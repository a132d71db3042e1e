import type { ServiceProfile } from './profile.js';

/** rsyslog 8 as packaged by Debian 12: `rsyslogd -N1` validates the configuration without starting. */
export const rsyslog: ServiceProfile = {
  name: 'rsyslog',
  description: 'rsyslog system logger',
  units: ['rsyslog.service', 'syslog.service'],
  configTest: ['rsyslogd', '-N1'],
  runtimeFiles: ['/run/rsyslogd.pid'],
  configPaths: ['/etc/rsyslog.conf', '/etc/rsyslog.d'],
  // rsyslog.service has no ExecReload; log rotation uses a HUP from logrotate.
  reloadable: false,
  logSignatures: [
    { pattern: 'error during parsing file .*, on or before line \\d+', symptom: 'config_syntax', hint: 'An rsyslog configuration file does not parse; `rsyslogd -N1` names it.' },
    { pattern: 'write error.*No space left on device', symptom: 'no_space', hint: 'The volume holding /var/log is full; rsyslog suspends the action until space returns.' },
    {
      pattern: "could not (open|create) .*Permission denied|file '.*': open error: Permission denied",
      symptom: 'permission_denied',
      hint: 'rsyslog cannot write a log file; check ownership (root:adm, 0640) of files under /var/log.',
    },
  ],
};
