/**
 * An object that always reads through to `current()`: what a long-lived consumer (the dashboard) is given in
 * place of a value that a reload replaces (the configuration, the daemon's escalation service). Methods are bound
 * to the current target; the view itself holds nothing.
 */
export function liveView<T extends object>(current: () => T): T {
  return new Proxy({} as T, {
    get: (_view, key) => {
      const target = current();
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...parameters: unknown[]) => unknown).bind(target) : value;
    },
    has: (_view, key) => Reflect.has(current(), key),
    ownKeys: () => Reflect.ownKeys(current()),
    // The view's own (empty, extensible) target allows any property to be reported, as long as it is configurable.
    getOwnPropertyDescriptor: (_view, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(current(), key);
      return descriptor && { ...descriptor, configurable: true };
    },
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
}
