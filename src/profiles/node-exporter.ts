import type { ServiceProfile } from './profile.js';

/** Prometheus node exporter as packaged by Debian 12 (prometheus-node-exporter): stateless, only its port can conflict. */
export const nodeExporter: ServiceProfile = {
  name: 'node-exporter',
  description: 'Prometheus node exporter (host metrics)',
  units: ['prometheus-node-exporter.service', 'node_exporter.service'],
  configPaths: ['/etc/default/prometheus-node-exporter'],
  port: 9100,
  reloadable: false,
  logSignatures: [{ pattern: 'bind: address already in use', symptom: 'address_in_use', hint: 'Another exporter holds port 9100.' }],
};
