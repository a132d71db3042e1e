import type { ServiceProfile } from './profile.js';

/** BIND 9.18 as packaged by Debian 12 (named.service, alias bind9.service): named-checkconf before restarts, rndc for liveness. */
export const bind9: ServiceProfile = {
  name: 'bind9',
  description: 'BIND 9 DNS server (named)',
  units: ['named.service', 'bind9.service'],
  liveness: ['rndc', 'status'],
  configTest: ['named-checkconf'],
  runtimeFiles: ['/run/named/named.pid', '/run/named/session.key'],
  runtimeDirs: ['/run/named'],
  configPaths: ['/etc/bind', '/etc/default/named'],
  port: 53,
  reloadable: true,
  logSignatures: [
    { pattern: 'socket: address in use', symptom: 'address_in_use', hint: 'Another DNS server (systemd-resolved stub, dnsmasq) holds port 53 on that address.' },
    {
      pattern: ':\\d+: (missing|unknown option|expected|unexpected|undefined)|loading configuration: failure',
      symptom: 'config_syntax',
      hint: 'named.conf does not parse; `named-checkconf` names file and line.',
    },
    {
      pattern: 'zone .*: (loading from master file .* failed|not loaded due to errors)',
      symptom: 'zone_load_failed',
      hint: 'A zone file is broken; check it with named-checkzone.',
    },
    {
      pattern: ': permission denied',
      symptom: 'permission_denied',
      hint: 'named (user bind) cannot read a key or zone file, or write its journal under /var/cache/bind or /var/lib/bind.',
    },
  ],
};
