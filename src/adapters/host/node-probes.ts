/** Probes over Node's own network and file system APIs: HTTP, TCP connect, statfs, /proc/meminfo. */
import { connect } from 'node:net';
import { readFile, statfs } from 'node:fs/promises';
import type { Probes } from '../../core/ports.js';
import { listenersOn } from './listeners.js';

export const nodeProbes: Probes = {
  listeners: listenersOn,

  async http(url, options) {
    const started = performance.now();
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    try {
      const response = await fetch(url, { method: options.method ?? 'GET', signal, redirect: 'manual' });
      await response.body?.cancel();
      return { ok: true, status: response.status, timedOut: false, durationMs: performance.now() - started };
    } catch (error) {
      const timedOut = timeout.aborted;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      return {
        ok: false,
        timedOut,
        error: timedOut ? `no response within ${options.timeoutMs} ms` : (cause?.code ?? cause?.message ?? (error as Error).message),
        durationMs: performance.now() - started,
      };
    }
  },

  tcp(host, port, options) {
    return new Promise((resolve) => {
      const socket = connect({ host, port });
      const done = (result: { ok: boolean; error?: string; timedOut: boolean }) => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        socket.destroy();
        resolve(result);
      };
      const timer = setTimeout(() => done({ ok: false, timedOut: true, error: `no connection within ${options.timeoutMs} ms` }), options.timeoutMs);
      const onAbort = () => done({ ok: false, timedOut: false, error: 'aborted' });
      options.signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => done({ ok: true, timedOut: false }));
      socket.once('error', (error: NodeJS.ErrnoException) => done({ ok: false, timedOut: false, error: error.code ?? error.message }));
    });
  },

  async filesystem(mount) {
    const stats = await statfs(mount);
    const total = stats.blocks * stats.bsize;
    const available = stats.bavail * stats.bsize;
    const used = total - stats.bfree * stats.bsize;
    // As df: used / (used + available to unprivileged users).
    const usedPercent = used + available > 0 ? (100 * used) / (used + available) : 0;
    const inodesUsedPercent = stats.files > 0 ? (100 * (stats.files - stats.ffree)) / stats.files : 0;
    return { mount, usedPercent, inodesUsedPercent, freeBytes: available };
  },

  async memory() {
    const text = await readFile('/proc/meminfo', 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) * 1024;
    const totalBytes = field('MemTotal');
    const availableBytes = field('MemAvailable');
    return { totalBytes, availableBytes, usedPercent: totalBytes > 0 ? (100 * (totalBytes - availableBytes)) / totalBytes : 0 };
  },
};
