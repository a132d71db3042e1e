/** Once a day, an online backup of both databases; backups older than keepDays are pruned. On the injected clock. */
import path from 'node:path';
import type { CompiledConfig } from '../config/compiled.js';
import type { Clock } from '../core/ports.js';
import type { Logger } from '../core/logger.js';
import { backupDatabases, listBackups, pruneBackups } from '../store/backup.js';

const BACKUP_CHECK_MS = 10 * 60_000;
const DAY_MS = 86_400_000;

export async function runDailyBackups(config: CompiledConfig, clock: Clock, logger: Logger, signal: AbortSignal): Promise<void> {
  if (!config.backup.enabled) return;
  const directory = config.backup.directory ?? path.join(config.dataDir, 'backups');
  while (!signal.aborted) {
    try {
      const newest = listBackups(directory)[0];
      if (!newest || clock.now() - newest.createdAt >= DAY_MS) {
        const backup = await backupDatabases(config.dataDir, directory, clock.now());
        const pruned = pruneBackups(directory, config.backup.keepDays, clock.now());
        logger.info({ backup: backup.path, pruned: pruned.length }, 'daily backup written');
      }
    } catch (error) {
      logger.error({ error: (error as Error).message }, 'daily backup failed');
    }
    await clock.sleep(BACKUP_CHECK_MS, signal).catch(() => undefined);
  }
}
