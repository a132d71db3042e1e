import type { ServiceProfile } from './profile.js';

/** RabbitMQ 3.10 as packaged by Debian 12: Type=notify, needs epmd; its pid file is host-named, so no runtime file is listed. */
export const rabbitmq: ServiceProfile = {
  name: 'rabbitmq',
  description: 'RabbitMQ message broker',
  units: ['rabbitmq-server.service'],
  liveness: ['rabbitmq-diagnostics', '-q', 'ping'],
  // The only pid file is /var/lib/rabbitmq/mnesia/rabbit@<hostname>.pid; there is no fixed runtime path.
  configPaths: ['/etc/rabbitmq', '/etc/default/rabbitmq-server'],
  dependencies: ['epmd.socket'],
  port: 5672,
  // No ExecReload; configuration is read at boot only.
  reloadable: false,
  logSignatures: [
    {
      pattern: 'eaddrinuse|could not bind to distribution port \\d+',
      symptom: 'address_in_use',
      hint: 'Another node or process holds 5672, 15672 or the distribution port 25672; find it with `ss -ltnp`.',
    },
    {
      pattern: 'Cookie file .* must be accessible by owner only',
      symptom: 'permission_denied',
      hint: '/var/lib/rabbitmq/.erlang.cookie must be mode 0400 or 0600, owned by rabbitmq.',
    },
    {
      pattern: 'disk resource limit alarm set on node',
      symptom: 'no_space',
      hint: 'Free disk fell under disk_free_limit and publishers are blocked; free space under /var/lib/rabbitmq.',
    },
    {
      pattern: 'memory resource limit alarm set on node',
      symptom: 'out_of_memory',
      hint: 'Memory passed vm_memory_high_watermark and publishers are blocked; drain queues or add memory.',
    },
    {
      pattern: "login refused: user '.*' - invalid credentials|Invalid challenge reply|access denied: user '.*'",
      symptom: 'auth_failure',
      hint: 'A client (or CLI with a different Erlang cookie) is rejected; the broker itself is healthy.',
    },
    {
      pattern: 'Syntax error in .* after line \\d+ column \\d+|Error preparing configuration in phase',
      symptom: 'config_syntax',
      hint: 'rabbitmq.conf does not parse or names an unknown setting; restore the last-known-good copy.',
    },
    { pattern: "Protocol 'inet_tcp': register/listen error: econnrefused", symptom: 'dependency_refused', hint: 'epmd is not reachable; start epmd.socket (or epmd.service).' },
  ],
};
