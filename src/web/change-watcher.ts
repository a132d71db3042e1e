/**
 * Live updates without coupling to the daemon: while anyone listens, polls the databases' change markers (cheap,
 * and it sees writes from another process too) and tells each listener which kinds of data changed.
 */
import type { ChangeMarkers } from './dashboard-data.js';

/** What an `event: change` carries: the kinds of data that changed, and when it was noticed (ISO 8601). */
export interface ChangeEvent {
  what: Array<keyof ChangeMarkers>;
  at: string;
}

export type ChangeListener = (event: ChangeEvent) => void;

/** One poller shared by every live connection; it runs only while at least one is subscribed. */
export class ChangeWatcher {
  private readonly listeners = new Set<ChangeListener>();
  private timer: NodeJS.Timeout | undefined;
  private last: ChangeMarkers | undefined;

  constructor(
    private readonly options: {
      read: () => ChangeMarkers;
      pollMs: number;
      now: () => number;
      onError: (error: unknown) => void;
    },
  ) {}

  /** Starts listening; returns the function that stops. */
  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    if (!this.timer) {
      this.last = this.safeRead();
      this.timer = setInterval(() => this.poll(), this.options.pollMs);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  get size(): number {
    return this.listeners.size;
  }

  /** Compares the markers with the last poll and notifies when any changed. */
  poll(): void {
    const current = this.safeRead();
    if (!current) return;
    const previous = this.last;
    this.last = current;
    if (!previous) return;
    const what = (Object.keys(current) as Array<keyof ChangeMarkers>).filter((key) => current[key] !== previous[key]);
    if (what.length === 0) return;
    const event = { what, at: new Date(this.options.now()).toISOString() };
    for (const listener of [...this.listeners]) listener(event);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.last = undefined;
  }

  private safeRead(): ChangeMarkers | undefined {
    try {
      return this.options.read();
    } catch (error) {
      this.options.onError(error);
      return undefined;
    }
  }
}
