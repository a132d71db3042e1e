/**
 * Ships this host's changed rows (tasks, attempts, patterns, escalations, and as they are verdicts, state,
 * last-known-good states and the outbox) from its own stores to the fleet store,
 * tagged with its host id. The host's stores are the write-ahead queue: every write lands there first, so while
 * the fleet store is unreachable nothing waits and nothing is lost; the backlog (at most one entry per row) is
 * said in `status` and pushed when the fleet store is back. Pushes are idempotent upserts.
 */
import type { Clock } from '../core/ports.js';
import type { Logger } from '../core/logger.js';
import type { Stores } from '../store/stores.js';
import type { QueueEntry } from '../store/replication-queue.js';
import { FLEET_ROW_KINDS, type FleetStore } from '../store/fleet/fleet-store.js';
import type { Attempt, LearnedPattern, Task } from '../core/types.js';
import type { Escalation } from '../store/escalation-repository.js';

export const REPLICATION_BATCH = 500;

export interface ReplicationStatus {
  /** Rows not yet in the fleet store. */
  backlog: number;
  /** Rows pushed since the daemon started. */
  pushed: number;
  lastPushAt: number | null;
  /** The last push's error while it keeps failing; null once one succeeds. */
  error: string | null;
  failingSince: number | null;
}

export class Replicator {
  private pushed = 0;
  private lastPushAt: number | null = null;
  private error: string | null = null;
  private failingSince: number | null = null;

  constructor(
    private readonly dependencies: {
      stores: Stores;
      fleet: FleetStore;
      hostId: string;
      /** The profile of a configured service (patterns match across hosts by it); null when none. */
      profileOf(service: string): string | null;
      clock: Pick<Clock, 'now'>;
      logger: Logger;
      batch?: number;
    },
  ) {}

  /** Pushes what is queued, batch by batch, until the queue is empty or a push fails; true when it is empty. */
  async flush(): Promise<boolean> {
    const { stores, logger, clock } = this.dependencies;
    const batch = this.dependencies.batch ?? REPLICATION_BATCH;
    for (;;) {
      const entries = stores.replication.take(batch);
      if (entries.length === 0) return true;
      try {
        await this.push(entries);
      } catch (error) {
        const message = (error as Error).message;
        if (this.error !== message)
          logger.warn({ error: message, backlog: stores.replication.backlog() }, "the fleet store cannot take this host's rows now: they wait here and go when it is back");
        this.error = message;
        this.failingSince ??= clock.now();
        return false;
      }
      stores.replication.done(entries);
      this.pushed += entries.length;
      this.lastPushAt = clock.now();
      if (this.error !== null) logger.info({ since: this.failingSince }, "the fleet store takes this host's rows again");
      this.error = null;
      this.failingSince = null;
      if (entries.length < batch) return stores.replication.backlog() === 0;
    }
  }

  status(): ReplicationStatus {
    return { backlog: this.dependencies.stores.replication.backlog(), pushed: this.pushed, lastPushAt: this.lastPushAt, error: this.error, failingSince: this.failingSince };
  }

  private async push(entries: readonly QueueEntry[]): Promise<void> {
    const { stores, fleet, hostId, clock } = this.dependencies;
    const ids = (table: QueueEntry['table']) => entries.filter((entry) => entry.table === table).map((entry) => entry.id);
    const present = <T>(rows: Array<T | undefined>): T[] => rows.filter((row): row is T => row !== undefined);
    const now = clock.now();
    // Rows removed since they were queued are simply gone; each table in one upsert.
    const tasks: Task[] = present(ids('tasks').map((id) => stores.tasks.get(id)));
    const attempts: Array<Attempt & { service: string }> = present(ids('attempts').map((id) => stores.attempts.get(id)));
    const patterns: Array<LearnedPattern & { profile: string | null }> = present(
      ids('patterns').map((key) => {
        const [service, signature, planKey] = JSON.parse(key) as [string, string, string];
        const pattern = stores.patterns.get({ service, signature, planKey }, now);
        return pattern && { ...pattern, profile: this.dependencies.profileOf(service) };
      }),
    );
    const escalations: Escalation[] = present(ids('escalations').map((id) => stores.escalations.get(id)));
    if (tasks.length) await fleet.pushTasks(hostId, tasks);
    if (attempts.length) await fleet.pushAttempts(hostId, attempts);
    if (patterns.length) await fleet.pushPatterns(hostId, patterns);
    if (escalations.length) await fleet.pushEscalations(hostId, escalations);
    // The other repositories go as their rows are.
    for (const kind of FLEET_ROW_KINDS) {
      const keys = ids(kind);
      if (keys.length === 0) continue;
      const rows = stores.replication.rawRows(kind, keys).map(({ id, row }) => ({ id, data: row }));
      if (rows.length) await fleet.pushRows(hostId, kind, rows, now);
    }
  }
}
