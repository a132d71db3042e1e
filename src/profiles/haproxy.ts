import type { ServiceProfile } from './profile.js';

/** HAProxy 2.6 as packaged by Debian 12: master-worker mode (-Ws) with pid /run/haproxy.pid and master socket /run/haproxy-master.sock. */
export const haproxy: ServiceProfile = {
  name: 'haproxy',
  description: 'HAProxy TCP/HTTP load balancer',
  units: ['haproxy.service'],
  configTest: ['haproxy', '-c', '-f', '/etc/haproxy/haproxy.cfg'],
  runtimeFiles: ['/run/haproxy.pid', '/run/haproxy-master.sock', '/run/haproxy/admin.sock'],
  runtimeDirs: ['/run/haproxy'],
  configPaths: ['/etc/haproxy', '/etc/default/haproxy'],
  // Debian's default haproxy.cfg declares no frontend; 80 is the usual first one.
  port: 80,
  reloadable: true,
  logSignatures: [
    { pattern: 'cannot bind socket \\(Address already in use\\)', symptom: 'address_in_use', hint: 'Another process listens on a frontend port; find it with `ss -ltnp`.' },
    {
      pattern: 'cannot bind socket \\(Permission denied\\)',
      symptom: 'permission_denied',
      hint: 'A privileged port or a UNIX socket path is not allowed; check the user and the stats socket directory.',
    },
    {
      pattern: 'parsing \\[.*:\\d+\\]|Fatal errors found in configuration|Error\\(s\\) found in configuration file',
      symptom: 'config_syntax',
      hint: 'haproxy.cfg does not parse; `haproxy -c -f /etc/haproxy/haproxy.cfg` names the line. Restore the last-known-good copy.',
    },
    {
      pattern: 'unable to (load|stat) SSL (certificate|private key)|No Private Key found in',
      symptom: 'certificate',
      hint: 'A crt file on a bind line is missing, unreadable or lacks its key (HAProxy wants cert and key in one PEM, or a .key beside it).',
    },
    {
      pattern: 'is DOWN, reason: Layer4 (connection problem|timeout)|has no server available!',
      symptom: 'dependency_refused',
      hint: 'Backends are down; fix the backend servers, HAProxy itself is healthy.',
    },
    { pattern: 'Cannot raise FD limit|FD limit \\(\\d+\\) too low for maxconn', symptom: 'too_many_open_files', hint: 'Raise LimitNOFILE= for haproxy.service or lower maxconn.' },
  ],
};
