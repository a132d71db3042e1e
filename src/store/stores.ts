/** Opens the data directory's two databases and hands out their repositories. */
import { join } from 'node:path';
import { openDatabase, type SqliteDatabase } from './database.js';
import { prepareDataDir } from './data-dir.js';
import { ESCALATIONS_MIGRATIONS, TASKS_MIGRATIONS } from './migrations.js';
import { TaskRepository } from './task-repository.js';
import { AttemptRepository } from './attempt-repository.js';
import { PatternRepository } from './pattern-repository.js';
import { StateRepository } from './state-repository.js';
import { EscalationRepository } from './escalation-repository.js';
import { VerdictRepository } from './verdict-repository.js';
import { OutboxRepository } from './outbox-repository.js';
import { ServiceStateRepository } from './service-state-repository.js';
import { SilenceRepository } from './silence-repository.js';
import { AlertRepository } from './alert-repository.js';
import { AccessTokenRepository } from './access-token-repository.js';
import { SessionRepository } from './session-repository.js';
import { ReplicationQueue } from './replication-queue.js';

export interface Stores {
  readonly dataDir: string;
  readonly tasks: TaskRepository;
  readonly attempts: AttemptRepository;
  readonly patterns: PatternRepository;
  readonly state: StateRepository;
  readonly escalations: EscalationRepository;
  readonly verdicts: VerdictRepository;
  /** Notifications waiting for delivery; lives in escalations.db so it commits with the escalation. */
  readonly outbox: OutboxRepository;
  /** Each service's last-known-good state, with history. */
  readonly serviceStates: ServiceStateRepository;
  /** Silences people added (maintenance windows from the config are not stored). */
  readonly silences: SilenceRepository;
  /** What Alertmanager sent and what became of it. */
  readonly alerts: AlertRepository;
  /** Named dashboard access tokens (hashes only), in escalations.db. */
  readonly accessTokens: AccessTokenRepository;
  /** Dashboard login sessions, in escalations.db: they survive a restart and hold in `orchestrator dashboard` too. */
  readonly sessions: SessionRepository;
  /** Rows the fleet store has not seen yet (while one is configured). */
  readonly replication: ReplicationQueue;
  /** Runs `work` in one transaction on tasks.db. */
  transaction<T>(work: () => T): T;
  close(): void;
}

export function openStores(dataDir: string): Stores {
  prepareDataDir(dataDir);
  const tasksDb: SqliteDatabase = openDatabase(join(dataDir, 'tasks.db'), TASKS_MIGRATIONS);
  const escalationsDb: SqliteDatabase = openDatabase(join(dataDir, 'escalations.db'), ESCALATIONS_MIGRATIONS);
  return {
    dataDir,
    tasks: new TaskRepository(tasksDb),
    attempts: new AttemptRepository(tasksDb),
    patterns: new PatternRepository(tasksDb),
    state: new StateRepository(tasksDb),
    escalations: new EscalationRepository(escalationsDb),
    verdicts: new VerdictRepository(tasksDb),
    outbox: new OutboxRepository(escalationsDb),
    serviceStates: new ServiceStateRepository(tasksDb),
    silences: new SilenceRepository(tasksDb),
    alerts: new AlertRepository(tasksDb),
    accessTokens: new AccessTokenRepository(escalationsDb),
    sessions: new SessionRepository(escalationsDb),
    replication: new ReplicationQueue(tasksDb, escalationsDb),
    transaction: <T>(work: () => T): T => tasksDb.transaction(work)(),
    close() {
      tasksDb.close();
      escalationsDb.close();
    },
  };
}
