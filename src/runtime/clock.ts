import { randomBytes } from 'node:crypto';

/** The real clock: Date.now for records, performance.now for windows and durations. */
import type { Clock } from '../core/ports.js';

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** Random, sortable-enough ids: a time prefix and random suffix, short enough to type. */
export function createIdGenerator(now: () => number = Date.now): () => string {
  return () => `${now().toString(36)}${randomBytes(3).toString('hex')}`;
}
