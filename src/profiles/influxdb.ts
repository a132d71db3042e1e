import type { ServiceProfile } from './profile.js';

/** InfluxDB 1.x as packaged by Debian 12 (influxdb): HTTP API on port 8086, no configuration test. */
export const influxdb: ServiceProfile = {
  name: 'influxdb',
  description: 'InfluxDB time series database',
  units: ['influxdb.service'],
  configPaths: ['/etc/influxdb'],
  port: 8086,
  reloadable: false,
  logSignatures: [
    { pattern: 'bind: address already in use', symptom: 'address_in_use', hint: 'Another process holds 8086 (or 8088 for the RPC service).' },
    { pattern: 'no space left on device', symptom: 'no_space', hint: 'The volume holding /var/lib/influxdb is full.' },
    { pattern: '/var/lib/influxdb.*permission denied', symptom: 'permission_denied', hint: '/var/lib/influxdb must be owned by influxdb.' },
  ],
};
