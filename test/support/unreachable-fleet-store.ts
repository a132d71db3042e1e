/** A fleet store that refuses every call with "connection refused" while `down` is true (the database away), then passes them through. */
import type { FleetStore } from '../../src/store/fleet/fleet-store.js';

export function unreachableWhile<S extends FleetStore>(store: S, state: { down: boolean }): S {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || property === 'close') return value;
      return (...args: unknown[]) => (state.down ? Promise.reject(new Error('connection refused')) : (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
}
