import type { ServiceProfile } from './profile.js';

/** containerd as packaged by Debian 12 (containerd 1.6): the runtime under docker.io; `ctr version` fails when it does not answer. */
export const containerd: ServiceProfile = {
  name: 'containerd',
  description: 'containerd container runtime',
  units: ['containerd.service'],
  liveness: ['ctr', 'version'],
  runtimeFiles: ['/run/containerd/containerd.sock', '/run/containerd/containerd.sock.ttrpc'],
  runtimeDirs: ['/run/containerd'],
  configPaths: ['/etc/containerd'],
  reloadable: false,
  logSignatures: [
    { pattern: 'failed to load TOML', symptom: 'config_syntax', hint: '/etc/containerd/config.toml does not parse; restore the last-known-good copy.' },
    { pattern: 'no space left on device', symptom: 'no_space', hint: 'The volume holding /var/lib/containerd is full.' },
  ],
};
