import type { ServiceProfile } from './profile.js';

/** Docker Engine (Debian 12 docker.io 20.10, or docker-ce): socket-activated, needs containerd, and refuses to start over a stale pid file. */
export const docker: ServiceProfile = {
  name: 'docker',
  description: 'Docker Engine daemon (dockerd)',
  units: ['docker.service', 'docker.socket'],
  // Exits non-zero when the daemon cannot be reached. docker.io 20.10 has no `dockerd --validate`.
  liveness: ['docker', 'version'],
  runtimeFiles: ['/run/docker.pid', '/run/docker.sock'],
  runtimeDirs: ['/run/docker'],
  configPaths: ['/etc/docker', '/etc/default/docker'],
  dependencies: ['containerd.service'],
  // No TCP port by default: the API listens on /run/docker.sock.
  reloadable: true,
  logSignatures: [
    {
      pattern: 'pid file found, ensure docker is not running or delete .*docker\\.pid',
      symptom: 'stale_pid',
      hint: 'If no dockerd runs, remove /run/docker.pid and start docker.service.',
    },
    {
      pattern: 'unable to configure the Docker daemon with file .*daemon\\.json',
      symptom: 'config_syntax',
      hint: '/etc/docker/daemon.json is invalid JSON or has an unknown or conflicting key; restore the last-known-good copy.',
    },
    {
      pattern: 'containerd\\.sock.*connection refused|timeout waiting for containerd to start|failed to dial ".*containerd\\.sock"',
      symptom: 'dependency_refused',
      hint: 'containerd is not answering; repair containerd.service first.',
    },
    {
      pattern: 'error while opening volume store metadata database .*timeout',
      symptom: 'stale_lock',
      hint: 'Another dockerd holds /var/lib/docker/volumes/metadata.db; stop the stray daemon before starting.',
    },
    { pattern: 'no space left on device', symptom: 'no_space', hint: 'The volume holding /var/lib/docker is full; `docker system df` then prune unused images and build cache.' },
    { pattern: 'port is already allocated|bind: address already in use', symptom: 'address_in_use', hint: 'A container publishes a port already in use on the host.' },
    {
      pattern: 'permission denied while trying to connect to the Docker daemon socket',
      symptom: 'permission_denied',
      hint: 'The client user is not in the docker group; the daemon may be fine.',
    },
  ],
};
