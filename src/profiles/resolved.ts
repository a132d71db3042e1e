import type { ServiceProfile } from './profile.js';

/** systemd-resolved (a separate package in Debian 12): stub resolver on 127.0.0.53; `resolvectl status` fails when it is down. */
export const resolved: ServiceProfile = {
  name: 'resolved',
  description: 'systemd-resolved stub DNS resolver',
  units: ['systemd-resolved.service'],
  liveness: ['resolvectl', 'status'],
  configPaths: ['/etc/systemd/resolved.conf', '/etc/systemd/resolved.conf.d'],
  // Listens on 127.0.0.53 and 127.0.0.54 only, not on 127.0.0.1.
  port: 53,
  reloadable: false,
  logSignatures: [
    {
      pattern: 'Failed to listen on (UDP|TCP) socket 127\\.0\\.0\\.5[34]:53: Address already in use',
      symptom: 'address_in_use',
      hint: 'Another DNS server (dnsmasq, bind9) holds 127.0.0.53:53; set DNSStubListener=no or move the other server.',
    },
    {
      pattern: 'Using degraded feature set .* for DNS server',
      symptom: 'dependency_refused',
      hint: 'The upstream DNS server misbehaves (EDNS0, DNSSEC); resolution may be slow or fail.',
    },
  ],
};
