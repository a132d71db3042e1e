/** Learned patterns: (service, symptom signature, plan) → decayed success and failure counts. */
import type { SqliteDatabase } from './database.js';
import type { Action, LearnedPattern } from '../core/types.js';
import { decayFactor, wilsonLowerBound } from '../learning/confidence.js';
import { fromSqlTime, toSqlTime } from './time.js';

interface PatternRow {
  service: string;
  signature: string;
  plan_key: string;
  actions: string;
  successes: number;
  failures: number;
  weighted_successes: number;
  weighted_failures: number;
  updated_at: string;
  last_used: string;
}

export class PatternRepository {
  constructor(private readonly database: SqliteDatabase) {}

  /** Adds one outcome; older weight decays by the time since the last update. */
  record(entry: { service: string; signature: string; planKey: string; actions: Action[]; success: boolean; at: number }): void {
    this.database.transaction(() => {
      const row = this.database.prepare('SELECT * FROM patterns WHERE service = ? AND signature = ? AND plan_key = ?').get(entry.service, entry.signature, entry.planKey) as
        PatternRow | undefined;
      const factor = row ? decayFactor(entry.at - fromSqlTime(row.updated_at)) : 1;
      const weightedSuccesses = (row?.weighted_successes ?? 0) * factor + (entry.success ? 1 : 0);
      const weightedFailures = (row?.weighted_failures ?? 0) * factor + (entry.success ? 0 : 1);
      this.database
        .prepare(
          `INSERT INTO patterns (service, signature, plan_key, actions, successes, failures, weighted_successes, weighted_failures, updated_at, last_used)
           VALUES (@service, @signature, @planKey, @actions, @successes, @failures, @ws, @wf, @at, @at)
           ON CONFLICT (service, signature, plan_key) DO UPDATE SET
             successes = successes + @successes, failures = failures + @failures,
             weighted_successes = @ws, weighted_failures = @wf, updated_at = @at, last_used = @at, actions = @actions`,
        )
        .run({
          service: entry.service,
          signature: entry.signature,
          planKey: entry.planKey,
          actions: JSON.stringify(entry.actions),
          successes: entry.success ? 1 : 0,
          failures: entry.success ? 0 : 1,
          ws: weightedSuccesses,
          wf: weightedFailures,
          at: toSqlTime(entry.at),
        });
    })();
  }

  /** Patterns for a service and signature, most confident first, with confidence as of `now`. */
  lookup(service: string, signature: string, now: number): LearnedPattern[] {
    const rows = this.database.prepare('SELECT * FROM patterns WHERE service = ? AND signature = ?').all(service, signature) as PatternRow[];
    return rows.map((row) => fromRow(row, now)).sort((a, b) => b.confidence - a.confidence);
  }

  /** One pattern by its key, with confidence as of `now`. */
  get(key: { service: string; signature: string; planKey: string }, now: number): LearnedPattern | undefined {
    const row = this.database.prepare('SELECT * FROM patterns WHERE service = ? AND signature = ? AND plan_key = ?').get(key.service, key.signature, key.planKey) as
      PatternRow | undefined;
    return row && fromRow(row, now);
  }

  all(now: number): LearnedPattern[] {
    const rows = this.database.prepare('SELECT * FROM patterns ORDER BY service, signature').all() as PatternRow[];
    return rows.map((row) => fromRow(row, now));
  }
}

function fromRow(row: PatternRow, now: number): LearnedPattern {
  const factor = decayFactor(now - fromSqlTime(row.updated_at));
  const weightedSuccesses = row.weighted_successes * factor;
  const weightedFailures = row.weighted_failures * factor;
  return {
    service: row.service,
    signature: row.signature,
    planKey: row.plan_key,
    actions: JSON.parse(row.actions) as Action[],
    successes: row.successes,
    failures: row.failures,
    weightedSuccesses,
    weightedFailures,
    confidence: wilsonLowerBound(weightedSuccesses, weightedFailures),
    lastUsed: fromSqlTime(row.last_used),
  };
}
