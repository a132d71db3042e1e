/**
 * listeners: who listens on a TCP port, and for each listener who owns it (its unit, a managed service, the
 * orchestrator) or that nobody does (a stray), judged by the same rule kill_stray_listener acts by.
 */
import { z } from 'zod/v4';
import { currentOwners, ownerOf } from '../actions/stray-listener.js';
import { servicePorts } from '../actions/scope.js';
import type { Listener } from '../core/ports.js';
import { defineTool, type ListenerFact } from './tool.js';

const MAX_LISTENERS = 16;

export const listenersTool = defineTool({
  name: 'listeners',
  description:
    'Who listens on a TCP port of this host: each listening process with its pid, command, systemd unit and address, and who owns it (a unit, a managed service, the orchestrator) or "stray" when nothing managed owns it. "none" when nothing listens.',
  input: z.object({ port: z.number().int().min(1).max(65535).describe('the TCP port') }).strict(),
  async run({ port }, dependencies, signal) {
    const { probes, adapter, config, service } = dependencies;
    if (!probes.listeners) throw new Error('listeners cannot be probed on this host');
    const listeners = (await probes.listeners(port)).slice(0, MAX_LISTENERS);
    const own = servicePorts(service).includes(port) ? ` (a port of ${service.name})` : '';
    if (listeners.length === 0) return { text: `port ${port}${own}: none (nothing listens on it)`, facts: [] };
    const owners = await currentOwners(adapter, config, signal);
    const facts: ListenerFact[] = listeners.map((listener) => ({
      type: 'listener',
      port,
      pid: listener.pid,
      command: listener.command,
      ...(listener.unit ? { unit: listener.unit } : {}),
      ...(ownerOf(listener, owners) ? { owner: ownerOf(listener, owners) } : {}),
    }));
    const lines = [`port ${port}${own}: ${listeners.length} listener(s)`];
    listeners.forEach((listener, index) => lines.push(describe(listener, facts[index]!)));
    return { text: lines.join('\n'), facts };
  },
});

function describe(listener: Listener, fact: ListenerFact): string {
  const cmdline = listener.cmdline && listener.cmdline !== listener.command ? ` (${listener.cmdline.slice(0, 200)})` : '';
  const where = `${readableAddress(listener.address)}:${listener.port}`;
  const unit = listener.unit ? `, cgroup unit ${listener.unit}` : ', no unit';
  const owner = fact.owner ? `owned: ${fact.owner}` : 'stray: no unit, managed service or the orchestrator owns it';
  return `- pid ${listener.pid} ${listener.command || '?'}${cmdline} on ${where}${unit}; ${owner}`;
}

/** /proc/net/tcp's hex address (little-endian words) as a readable IPv4 or IPv6 address; anything else as given. */
export function readableAddress(address: string): string {
  if (/^[0-9A-Fa-f]{8}$/.test(address)) {
    const bytes = Buffer.from(address, 'hex').reverse();
    return [...bytes].join('.');
  }
  if (/^[0-9A-Fa-f]{32}$/.test(address)) {
    const words = address.match(/.{8}/g)!.map((word) => Buffer.from(word, 'hex').reverse().toString('hex'));
    const groups = words
      .join('')
      .match(/.{4}/g)!
      .map((group) => group.replace(/^0+(?=.)/, ''));
    const text = groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
    return `[${text}]`;
  }
  return address || '?';
}
