/**
 * Frees a port of the service held by a process that no managed service owns: SIGTERM, then SIGKILL after a grace
 * period. Who listens is probed again just before each signal, and a process that belongs to a unit of a service,
 * to a managed service or to the orchestrator is never signalled (stray-listener.ts). Without a pid, whichever
 * stray holds the port (so a learned fix still applies when the pid differs next time).
 */
import { z } from 'zod/v4';
import type { ActionResult, ActionRuntime } from '../definition.js';
import { defineAction } from '../definition.js';
import { servicePorts } from '../scope.js';
import { strayOn } from '../stray-listener.js';
import { sanitizeText } from '../../core/sanitize.js';

/** How long a stray has to exit after SIGTERM before it is sent SIGKILL. */
export const STRAY_GRACE_MS = 5_000;
const POLL_MS = 100;

export const killStrayListener = defineAction({
  type: 'kill_stray_listener',
  summary: 'free a port of the service held by a process no managed service owns (SIGTERM, then SIGKILL after 5 s); start follows',
  params: z.object({ port: z.number().int().min(1).max(65535), pid: z.number().int().min(2).optional() }).strict(),
  capability: 'signal',
  scope: ({ port }, scope) => (servicePorts(scope.service).includes(port) ? undefined : `port ${port} is not a port of ${scope.service.name}`),
  offer: ({ service }) => {
    const ports = servicePorts(service);
    return ports.length > 0
      ? {
          description:
            'free a port of the service held by a process that no managed service owns (SIGTERM, SIGKILL after 5 s), then start; refused for any process of a unit, a managed service or the orchestrator',
          params: { port: `one of ${ports.join(', ')}`, pid: 'optional: the pid the findings name as holding the port' },
        }
      : undefined;
  },
  async run({ port, pid }, runtime) {
    if (!runtime.probes.listeners) return { ok: false, detail: 'this host cannot tell who listens on a port' };
    const found = await findStray(port, pid, runtime);
    if ('detail' in found) return found;
    const { stray } = found;
    const who = `pid ${stray.pid} (${sanitizeText(stray.cmdline || stray.command, 200)})`;
    const term = await signal(stray.pid, 'TERM', runtime);
    if (!term.ok) {
      // Gone between the look and the signal (it exited, or someone else stopped it): the port is what matters.
      if (!(await holds(port, stray.pid, runtime))) return { ok: true, detail: `port ${port} freed: ${who} was gone before the SIGTERM` };
      return { ok: false, detail: `SIGTERM to ${who} failed: ${term.detail}` };
    }
    const deadline = runtime.clock.monotonic() + STRAY_GRACE_MS;
    while (runtime.clock.monotonic() < deadline) {
      if (!(await holds(port, stray.pid, runtime))) return { ok: true, detail: `port ${port} freed: ${who} exited on SIGTERM` };
      await runtime.clock.sleep(POLL_MS, runtime.signal);
    }
    // Still there after the grace period: judge it again (the pid may have been reused) before the SIGKILL.
    const again = await findStray(port, stray.pid, runtime);
    if ('detail' in again) return again.ok ? again : { ok: false, detail: `after SIGTERM: ${again.detail}` };
    const kill = await signal(stray.pid, 'KILL', runtime);
    if (!kill.ok) return { ok: false, detail: `SIGKILL to ${who} failed: ${kill.detail}` };
    for (let tries = 0; tries < 20 && (await holds(port, stray.pid, runtime)); tries++) await runtime.clock.sleep(POLL_MS, runtime.signal);
    return (await holds(port, stray.pid, runtime))
      ? { ok: false, detail: `${who} still holds port ${port} after SIGKILL` }
      : { ok: true, detail: `port ${port} freed: ${who} ignored SIGTERM for ${STRAY_GRACE_MS / 1000} s and was killed` };
  },
});

type Found = { stray: NonNullable<ReturnType<typeof strayOn>['stray']> } | ActionResult;

async function findStray(port: number, pid: number | undefined, runtime: ActionRuntime): Promise<Found> {
  const listeners = await runtime.probes.listeners!(port);
  const { stray, refusal } = strayOn(listeners, await runtime.owners(), pid);
  if (stray) return { stray };
  if (listeners.length === 0) return { ok: true, detail: `port ${port} is already free` };
  return { ok: false, detail: `not signalled: on port ${port}, ${refusal}` };
}

async function holds(port: number, pid: number, runtime: ActionRuntime): Promise<boolean> {
  return (await runtime.probes.listeners!(port)).some((listener) => listener.pid === pid);
}

async function signal(pid: number, name: 'TERM' | 'KILL', runtime: ActionRuntime): Promise<ActionResult> {
  const result = await runtime.runner.run(['kill', `-${name}`, String(pid)], {
    timeoutMs: runtime.config.safety.commandTimeoutMs,
    signal: runtime.signal,
    maxOutputBytes: runtime.config.safety.maxOutputBytes,
  });
  if (result.exitCode === 0) return { ok: true, detail: 'sent' };
  return { ok: false, detail: sanitizeText((result.stderr || result.spawnError || `exit ${result.exitCode}`).trim(), 300) };
}
