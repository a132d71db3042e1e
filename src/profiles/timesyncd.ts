import type { ServiceProfile } from './profile.js';

/** systemd-timesyncd, Debian 12's default SNTP client: a client only, with nothing to test or reload. */
export const timesyncd: ServiceProfile = {
  name: 'timesyncd',
  description: 'systemd-timesyncd SNTP client',
  units: ['systemd-timesyncd.service'],
  configPaths: ['/etc/systemd/timesyncd.conf', '/etc/systemd/timesyncd.conf.d'],
  reloadable: false,
  logSignatures: [
    {
      pattern: 'Timed out waiting for reply from .*:123',
      symptom: 'no_time_source',
      hint: 'The NTP server does not answer; check the network path for UDP 123 and the NTP= setting.',
    },
    { pattern: 'No network connectivity, watching for changes', symptom: 'dependency_refused', hint: 'The network is down, so no time server can be reached.' },
  ],
};
