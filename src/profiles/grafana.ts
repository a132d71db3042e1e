import type { ServiceProfile } from './profile.js';

/** Grafana (not in Debian 12 main; Grafana's apt repository): grafana-server.service on port 3000 with a SQLite database. */
export const grafana: ServiceProfile = {
  name: 'grafana',
  description: 'Grafana dashboards',
  units: ['grafana-server.service'],
  runtimeFiles: ['/run/grafana/grafana-server.pid'],
  runtimeDirs: ['/run/grafana'],
  configPaths: ['/etc/grafana', '/etc/default/grafana-server'],
  port: 3000,
  reloadable: false,
  logSignatures: [
    { pattern: 'bind: address already in use', symptom: 'address_in_use', hint: 'Another process holds port 3000.' },
    { pattern: 'database is locked', symptom: 'stale_lock', hint: 'SQLite contention in /var/lib/grafana/grafana.db; check for a second grafana or a backup job holding it.' },
    { pattern: '/var/lib/grafana.*permission denied', symptom: 'permission_denied', hint: '/var/lib/grafana must be owned by grafana:grafana.' },
  ],
};
