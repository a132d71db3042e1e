import type { ServiceProfile } from './profile.js';

/** chrony 4.3 as packaged by Debian 12: `chronyd -p` parses the configuration and exits; `chronyc tracking` fails when chronyd is silent. */
export const chrony: ServiceProfile = {
  name: 'chrony',
  description: 'chrony NTP client and server',
  units: ['chrony.service', 'chronyd.service'],
  liveness: ['chronyc', '-n', 'tracking'],
  configTest: ['chronyd', '-p'],
  runtimeFiles: ['/run/chrony/chronyd.pid', '/run/chrony/chronyd.sock'],
  runtimeDirs: ['/run/chrony'],
  configPaths: ['/etc/chrony', '/etc/default/chrony'],
  // NTP is UDP 123; there is no TCP port to probe.
  reloadable: false,
  logSignatures: [
    { pattern: 'Could not (bind|open) IPv[46] NTP socket.*Address already in use', symptom: 'address_in_use', hint: 'Another NTP server (ntpd, ntpsec, openntpd) holds UDP 123.' },
    { pattern: '(Invalid|Could not parse .*) directive at line \\d+ in file', symptom: 'config_syntax', hint: 'chrony.conf does not parse; `chronyd -p` names the line.' },
    {
      pattern: "Can't synchroni[sz]e: no (selectable|majority|reachable) sources",
      symptom: 'no_time_source',
      hint: 'No NTP server is reachable or agreeing; check network, DNS and firewall for UDP 123.',
    },
  ],
};
