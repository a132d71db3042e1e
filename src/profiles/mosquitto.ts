import type { ServiceProfile } from './profile.js';

/** Mosquitto 2.0 as packaged by Debian 12: no config-test flag exists, so liveness is a publish with mosquitto_pub (mosquitto-clients). */
export const mosquitto: ServiceProfile = {
  name: 'mosquitto',
  description: 'Eclipse Mosquitto MQTT broker',
  units: ['mosquitto.service'],
  // Fails where anonymous access is disabled on the local listener; supply credentials in a local profile then.
  liveness: ['mosquitto_pub', '-h', 'localhost', '-p', '1883', '-t', 'orchestrator/liveness', '-n'],
  runtimeFiles: ['/run/mosquitto/mosquitto.pid'],
  runtimeDirs: ['/run/mosquitto'],
  configPaths: ['/etc/mosquitto'],
  port: 1883,
  reloadable: true,
  logSignatures: [
    { pattern: 'Error: Address already in use', symptom: 'address_in_use', hint: 'Another broker holds 1883 (or a listener is declared twice); find it with `ss -ltnp`.' },
    {
      pattern: 'Unknown configuration variable|Error found at .*:\\d+|Invalid (listener|bridge|port) ',
      symptom: 'config_syntax',
      hint: 'A file under /etc/mosquitto does not parse; the message names file and line. Restore the last-known-good copy.',
    },
    {
      pattern: 'Unable to open (log|pwfile|acl_file) .*|Unable to write pid file|Error saving in-memory database, unable to open .* for writing',
      symptom: 'permission_denied',
      hint: 'The mosquitto user cannot write its log, pid or persistence file; check /var/log/mosquitto, /run/mosquitto and /var/lib/mosquitto ownership.',
    },
    {
      pattern: 'Unable to load (CA certificates|server certificate|server key)|Unable to load server key file',
      symptom: 'certificate',
      hint: 'A cafile, certfile or keyfile is missing, unreadable by mosquitto, or mismatched.',
    },
    { pattern: 'Error: Out of memory', symptom: 'out_of_memory', hint: 'The broker could not allocate memory; check max_queued_messages and host memory.' },
    {
      pattern: 'disconnected, not authori[sz]ed|Connection error: Connection Refused: not authori[sz]ed',
      symptom: 'auth_failure',
      hint: 'A client lacks valid credentials or ACL; the broker itself is healthy.',
    },
    {
      pattern: 'Unable to restore persistent database|Unrecognised file format|message store corrupt',
      symptom: 'corrupt_data',
      hint: 'mosquitto.db in /var/lib/mosquitto is damaged; move it aside (retained messages are lost) and restart.',
    },
  ],
};
