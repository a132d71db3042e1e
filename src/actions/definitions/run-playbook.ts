/** Run a named argv list the operator wrote in the service's config (never a shell string). */
import { z } from 'zod/v4';
import { commandResult, defineAction } from '../definition.js';

export const runPlaybook = defineAction({
  type: 'run_playbook',
  summary: "run a playbook the operator named in the service's configuration",
  params: z.object({ name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) }).strict(),
  scope: ({ name }, scope) => (Object.hasOwn(scope.service.playbooks, name) ? undefined : `${scope.service.name} has no playbook named ${name}`),
  offer({ service }) {
    const names = Object.keys(service.playbooks);
    return service.unit && names.length > 0
      ? { description: 'run a named playbook of this service', params: { name: `one of ${names.map((name) => `"${name}"`).join(', ')}` } }
      : undefined;
  },
  async run({ name }, runtime) {
    const argv = runtime.scope.service.playbooks[name]!;
    const { commandTimeoutMs, maxOutputBytes } = runtime.config.safety;
    return commandResult(await runtime.runner.run(argv, { timeoutMs: commandTimeoutMs, signal: runtime.signal, maxOutputBytes }));
  },
});
