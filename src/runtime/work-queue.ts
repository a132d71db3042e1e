/** A keyed work queue with a concurrency limit: a key already queued or running is not added twice. */
export class WorkQueue<T> {
  private readonly pending: Array<{ key: string; item: T }> = [];
  private readonly active = new Set<string>();
  private readonly waiters: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly worker: (item: T) => Promise<void>,
  ) {}

  /** Adds work unless the key is already queued or running; returns whether it was added. */
  push(key: string, item: T): boolean {
    if (this.has(key)) return false;
    this.pending.push({ key, item });
    this.pump();
    return true;
  }

  has(key: string): boolean {
    return this.active.has(key) || this.pending.some((entry) => entry.key === key);
  }

  get size(): number {
    return this.pending.length + this.active.size;
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    return this.size === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  private pump(): void {
    while (this.active.size < this.concurrency && this.pending.length > 0) {
      const { key, item } = this.pending.shift()!;
      this.active.add(key);
      void this.worker(item)
        .catch(() => undefined)
        .finally(() => {
          this.active.delete(key);
          this.pump();
          if (this.size === 0) this.waiters.splice(0).forEach((resolve) => resolve());
        });
    }
  }
}
