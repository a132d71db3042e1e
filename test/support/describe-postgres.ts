/** `describe` for tests that need a real PostgreSQL: when it cannot run here they say why, once, and skip (never silently). */
import { describe } from 'vitest';
import { POSTGRES_AVAILABLE, POSTGRES_UNAVAILABLE_REASON } from './postgres-server.js';

let skipWarned = false;

export function describePostgres(name: string, fn: () => void): void {
  if (POSTGRES_AVAILABLE) return void describe(name, fn);
  if (!skipWarned) {
    skipWarned = true;
    console.warn(`PostgreSQL tests skipped: ${POSTGRES_UNAVAILABLE_REASON}`);
  }
  describe.skip(name, fn);
}
