import type { ServiceProfile } from './profile.js';

/** Prometheus as packaged by Debian 12: promtool validates the configuration; SIGHUP reloads it. */
export const prometheus: ServiceProfile = {
  name: 'prometheus',
  description: 'Prometheus monitoring server',
  units: ['prometheus.service'],
  configTest: ['promtool', 'check', 'config', '/etc/prometheus/prometheus.yml'],
  configPaths: ['/etc/prometheus', '/etc/default/prometheus'],
  port: 9090,
  reloadable: true,
  logSignatures: [
    { pattern: 'bind: address already in use', symptom: 'address_in_use', hint: 'Another process holds port 9090.' },
    { pattern: "Error loading config|couldn't load configuration", symptom: 'config_syntax', hint: 'prometheus.yml is invalid; `promtool check config` names the error.' },
    { pattern: 'lock DB directory: resource temporarily unavailable', symptom: 'stale_lock', hint: 'Another prometheus holds the TSDB lock in /var/lib/prometheus/metrics2.' },
    { pattern: 'no space left on device', symptom: 'no_space', hint: 'The TSDB volume is full; lower retention or free space.' },
  ],
};
