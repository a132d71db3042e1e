/** The dashboard over a real socket: /health, the Host check with the bound port, and live updates by server-sent events. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { seed, serverFor, writeTask, type Seeded } from './seed.js';
import type { WebServer } from '../../src/web/server.js';

let seeded: Seeded;
let server: WebServer;
let url: string;

beforeEach(async () => {
  seeded = seed({ port: 0 });
  server = serverFor(seeded);
  url = await server.listen();
});
afterEach(async () => {
  await server.close();
  seeded.cleanup();
});

/** Reads an event stream until `done` says so (or times out), returning everything received. */
async function readEvents(response: Response, done: (text: string) => boolean, timeoutMs: number): Promise<string> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const deadline = Date.now() + timeoutMs;
  while (!done(text) && Date.now() < deadline) {
    const chunk = await Promise.race([reader.read(), new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), deadline - Date.now()))]);
    if (!chunk || chunk.done) break;
    text += decoder.decode(chunk.value, { stream: true });
  }
  await reader.cancel();
  return text;
}

describe('listening on 127.0.0.1:0', () => {
  it('serves /health over the network and checks the Host against the bound port', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, daemon: 'running' });
    const status = await new Promise<number>((resolve, reject) => {
      const port = Number(new URL(url).port);
      request({ host: '127.0.0.1', port, path: '/health', headers: { host: `evil.example:${port}` } }, (response) => {
        response.resume();
        resolve(response.statusCode!);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(421);
  });

  it('sends a change event when a task is written to the store', async () => {
    expect((await fetch(`${url}/api/events`)).status).toBe(401);
    const response = await fetch(`${url}/api/events`, { headers: { authorization: `Bearer ${server.token}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    const received = readEvents(response, (text) => text.includes('event: change'), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    writeTask(seeded.stores, seeded.clock, 'mail');
    const text = await received;
    expect(text).toContain(': connected');
    const data = /event: change\ndata: (.*)\n\n/.exec(text)?.[1];
    expect(data).toBeDefined();
    const event = JSON.parse(data!);
    expect(event.what).toContain('tasks');
    expect(event.at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('closes open event streams when the server stops', async () => {
    const response = await fetch(`${url}/api/events`, { headers: { authorization: `Bearer ${server.token}` } });
    const ended = readEvents(response, () => false, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await server.close();
    await ended;
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
