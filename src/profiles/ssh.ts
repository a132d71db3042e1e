import type { ServiceProfile } from './profile.js';

/** OpenSSH server as packaged by Debian 12 (ssh.service, alias sshd.service): `sshd -t` must pass before any restart, or remote access is lost. */
export const ssh: ServiceProfile = {
  name: 'ssh',
  description: 'OpenSSH server',
  units: ['ssh.service', 'sshd.service', 'ssh.socket'],
  configTest: ['sshd', '-t'],
  runtimeFiles: ['/run/sshd.pid'],
  runtimeDirs: ['/run/sshd'],
  configPaths: ['/etc/ssh', '/etc/default/ssh'],
  port: 22,
  reloadable: true,
  logSignatures: [
    {
      pattern: 'Bind to port \\d+ on .* failed: Address already in use|Cannot bind any address',
      symptom: 'address_in_use',
      hint: 'Another sshd (or ssh.socket) already listens on the port; do not stop the session you are using.',
    },
    {
      pattern: 'line \\d+: Bad configuration option|terminating, \\d+ bad configuration options|line \\d+: missing argument',
      symptom: 'config_syntax',
      hint: 'sshd_config does not parse; restore the last-known-good copy and verify with `sshd -t`.',
    },
    { pattern: 'Missing privilege separation directory: /run/sshd', symptom: 'missing_runtime_dir', hint: 'Create /run/sshd (root, 0755); RuntimeDirectory= normally does this.' },
    {
      pattern: 'no hostkeys available -- exiting|Unable to load host key',
      symptom: 'certificate',
      hint: 'Host keys are missing or unreadable; regenerate with `ssh-keygen -A` (clients will see a new host key).',
    },
    { pattern: "Permissions 0\\d+ for '.*' are too open", symptom: 'permission_denied', hint: 'Host private keys must be mode 0600 root:root.' },
    {
      pattern: 'Failed (password|publickey) for (invalid user )?\\S+ from',
      symptom: 'auth_failure',
      hint: 'Failed logins; the daemon is healthy. Repeated failures from one address are fail2ban material.',
    },
  ],
};
