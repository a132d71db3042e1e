/** A manual clock (for tests and simulations): time moves only when the test says so; sleeping advances it. */
import type { Clock } from '../../src/core/ports.js';

export class ManualClock implements Clock {
  constructor(
    private wall = Date.parse('2026-11-24T12:00:00Z'),
    private mono = 1_000,
  ) {}
  now(): number {
    return this.wall;
  }
  monotonic(): number {
    return this.mono;
  }
  advance(ms: number): void {
    this.wall += ms;
    this.mono += ms;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    this.advance(ms);
  }
}
