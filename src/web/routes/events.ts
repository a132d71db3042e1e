/**
 * GET /api/events: server-sent events for live pages. `event: change` with `{"what":[...],"at":"ISO"}` when the
 * databases changed, a `: ping` comment every 15 s so proxies keep the stream open, cleanup on disconnect.
 */
import type { FastifyInstance } from 'fastify';
import type { OutgoingHttpHeaders } from 'node:http';
import { httpError, type WebContext } from './common.js';

export const PING_MS = 15_000;
const MAX_STREAMS = 32;

/** Registers the event stream and ends every open stream when the server closes. */
export function registerEvents(app: FastifyInstance, context: WebContext): void {
  const streams = new Set<() => void>();

  app.get('/api/events', async (request, reply) => {
    if (streams.size >= MAX_STREAMS) throw httpError(503, `too many live connections (${MAX_STREAMS}); close a dashboard tab`);
    reply.hijack();
    const raw = reply.raw;
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) headers[name] = value;
    raw.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    raw.write('retry: 5000\n: connected\n\n');
    const unsubscribe = context.watcher.subscribe((event) => raw.write(`event: change\ndata: ${JSON.stringify(event)}\n\n`));
    const ping = setInterval(() => raw.write(': ping\n\n'), PING_MS);
    const end = () => {
      clearInterval(ping);
      unsubscribe();
      streams.delete(end);
      if (!raw.writableEnded) raw.end();
    };
    streams.add(end);
    request.raw.on('close', end);
    raw.on('close', end);
    raw.on('error', end);
  });

  app.addHook('preClose', async () => {
    for (const end of [...streams]) end();
    context.watcher.stop();
  });
}
