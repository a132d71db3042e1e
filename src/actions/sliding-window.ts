/** Counts events in a sliding window on monotonic time (budgets and rate limits). Pure: time is passed in. */
export class SlidingWindow {
  private readonly times: number[] = [];
  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  count(now: number): number {
    while (this.times.length > 0 && this.times[0]! <= now - this.windowMs) this.times.shift();
    return this.times.length;
  }

  hasRoom(now: number): boolean {
    return this.count(now) < this.limit;
  }

  record(now: number): void {
    this.times.push(now);
  }

  /** Milliseconds until the oldest event leaves the window. */
  retryAfter(now: number): number {
    this.count(now);
    return this.times.length < this.limit ? 0 : this.times[0]! + this.windowMs - now;
  }
}
