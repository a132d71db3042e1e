/**
 * Drains the outbox: delivers due rows through their channel's notifier, retries with backoff and gives up
 * after `maxAttempts`. At-least-once: a row is marked only after its send returned, so a crash re-sends it.
 */
import type { Clock } from '../core/ports.js';
import type { Logger } from '../core/logger.js';
import { OrchestratorError } from '../core/errors.js';
import { sanitizeText } from '../core/sanitize.js';
import type { Notifier } from '../core/notification.js';
import type { OutboxEntry, OutboxRepository } from '../store/outbox-repository.js';
import { retryDelay } from './backoff.js';

/** A delivery failed; the message says what (never a secret). Retried unless `retryable` is false. */
export class NotifyError extends OrchestratorError {
  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super('NOTIFY_FAILED', message, { cause: options.cause, retryable: options.retryable ?? true });
  }
}

/** Everything the dispatcher needs, injected so tests drive time and channels. */
export interface DispatcherOptions {
  outbox: OutboxRepository;
  notifiers: readonly Notifier[];
  clock: Clock;
  logger: Logger;
  retry: { maxAttempts: number; initialDelayMs: number; maxDelayMs: number };
  /** Jitter source in [0, 1); Math.random by default. */
  random?: () => number;
  /** Rows taken per pass. */
  batchSize?: number;
}

/** The shortest pause between passes. */
const MIN_PAUSE_MS = 100;

/** What one pass did, for logs and tests. */
export interface DeliveryCounts {
  delivered: number;
  retried: number;
  failed: number;
}

/** Sends outbox rows; the orchestrator never waits on it, it only enqueues. */
export class OutboxDispatcher {
  private readonly byChannel: ReadonlyMap<string, Notifier>;
  private readonly random: () => number;

  constructor(private readonly options: DispatcherOptions) {
    this.byChannel = new Map(options.notifiers.map((notifier) => [notifier.channel, notifier]));
    this.random = options.random ?? Math.random;
  }

  /** One pass over the due rows; channels are sent in parallel, rows of a channel in order. Never throws. */
  async deliverDue(signal: AbortSignal): Promise<DeliveryCounts> {
    const counts: DeliveryCounts = { delivered: 0, retried: 0, failed: 0 };
    let entries: OutboxEntry[];
    try {
      entries = this.options.outbox.due(this.options.clock.now(), this.options.batchSize ?? 50);
    } catch (error) {
      this.options.logger.error({ err: describe(error) }, 'cannot read the notification outbox');
      return counts;
    }
    const groups = new Map<string, OutboxEntry[]>();
    for (const entry of entries) groups.set(entry.channel, [...(groups.get(entry.channel) ?? []), entry]);
    await Promise.all(
      [...groups.values()].map(async (group) => {
        for (const entry of group) {
          if (signal.aborted) return;
          const outcome = await this.deliver(entry, signal);
          if (outcome) counts[outcome]++;
        }
      }),
    );
    return counts;
  }

  /**
   * Delivers until `signal` aborts. Between passes it sleeps until the next retry is due, or until a row is
   * queued through the same store (the escalation service), and at most `pollMs` (rows another process queued,
   * such as `notify test`). The clock's sleep must really wait.
   */
  async run(signal: AbortSignal, pollMs = 5_000): Promise<void> {
    let wake = new AbortController();
    const stopListening = this.options.outbox.onEnqueue(() => wake.abort());
    try {
      while (!signal.aborted) {
        await this.deliverDue(signal);
        // Never a tight loop: a row that stays due (its store cannot be written) is tried again after a pause.
        const wait = Math.min(pollMs, Math.max(MIN_PAUSE_MS, (this.nextDueAt() ?? Number.POSITIVE_INFINITY) - this.options.clock.now()));
        // A row queued during the pass skips the sleep.
        if (!wake.signal.aborted) await this.options.clock.sleep(wait, AbortSignal.any([signal, wake.signal])).catch(() => undefined);
        if (wake.signal.aborted) wake = new AbortController();
      }
    } finally {
      stopListening();
    }
  }

  private nextDueAt(): number | undefined {
    try {
      return this.options.outbox.nextDueAt();
    } catch {
      return undefined;
    }
  }

  private async deliver(entry: OutboxEntry, signal: AbortSignal): Promise<keyof DeliveryCounts | undefined> {
    const notifier = this.byChannel.get(entry.channel);
    if (!notifier) {
      return this.fail(entry, `channel "${entry.channel}" is no longer configured; notification dropped`);
    }
    try {
      await notifier.send(entry.notification, signal);
    } catch (error) {
      // Shutting down: leave the row as it was; it is sent again after restart.
      if (signal.aborted) return undefined;
      const message = describe(error);
      const permanent = error instanceof NotifyError && !error.retryable;
      if (permanent || entry.attempts + 1 >= this.options.retry.maxAttempts) return this.fail(entry, message);
      return this.retry(entry, message);
    }
    return this.record(() => {
      this.options.outbox.markDelivered(entry.id, this.options.clock.now());
      this.options.logger.info({ channel: entry.channel, dedupKey: entry.dedupKey, attempt: entry.attempts + 1 }, 'notification delivered');
      return 'delivered';
    });
  }

  private retry(entry: OutboxEntry, message: string): keyof DeliveryCounts | undefined {
    const attempt = entry.attempts + 1;
    const delay = retryDelay(attempt, this.options.retry, this.random);
    return this.record(() => {
      this.options.outbox.markRetry(entry.id, message, this.options.clock.now() + delay);
      this.options.logger.warn({ channel: entry.channel, dedupKey: entry.dedupKey, attempt, retryInMs: delay, error: message }, 'notification delivery failed; will retry');
      return 'retried';
    });
  }

  private fail(entry: OutboxEntry, message: string): keyof DeliveryCounts | undefined {
    return this.record(() => {
      this.options.outbox.markFailed(entry.id, message, this.options.clock.now());
      this.options.logger.error({ channel: entry.channel, dedupKey: entry.dedupKey, attempts: entry.attempts + 1, error: message }, 'notification delivery gave up');
      return 'failed';
    });
  }

  /** Database errors while marking are logged, not thrown: the row stays pending and is retried. */
  private record(mark: () => keyof DeliveryCounts): keyof DeliveryCounts | undefined {
    try {
      return mark();
    } catch (error) {
      this.options.logger.error({ err: describe(error) }, 'cannot update the notification outbox');
      return undefined;
    }
  }
}

function describe(error: unknown): string {
  return sanitizeText(error instanceof Error ? error.message : String(error), 1_000);
}
