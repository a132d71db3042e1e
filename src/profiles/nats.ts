import type { ServiceProfile } from './profile.js';

/** NATS server: a single Go binary; `nats-server -t -c <file>` tests a config, but packaged config paths differ, so none is assumed. */
export const nats: ServiceProfile = {
  name: 'nats',
  description: 'NATS messaging server',
  units: ['nats-server.service', 'nats.service'],
  port: 4222,
  reloadable: true,
  logSignatures: [
    { pattern: 'Error listening on port: .*address already in use', symptom: 'address_in_use', hint: 'Another nats-server holds 4222 (or the monitoring/cluster port).' },
    { pattern: 'Authorization Violation|authentication error', symptom: 'auth_failure', hint: 'A client presents wrong credentials; the server is healthy.' },
    { pattern: 'No space left on device', symptom: 'no_space', hint: 'The JetStream store directory is full.' },
  ],
};
