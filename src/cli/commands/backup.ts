/** `orchestrator backup` and `orchestrator restore FILE`: online backups, and restore while no daemon runs. */
import type { Command } from 'commander';
import path from 'node:path';
import { configFor, globalOptions, output } from '../context.js';
import { backupDatabases, restoreDatabases } from '../../store/backup.js';
import { acquireInstanceLock } from '../../runtime/instance-lock.js';
import { prepareDataDir } from '../../store/data-dir.js';
import { LockHeldError, UsageError } from '../../core/errors.js';
import { when } from '../table.js';

export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description('write a consistent copy of tasks.db and escalations.db (safe while the daemon runs)')
    .option('--output <dir>', 'where to put it (default: the configured backup directory, DATA/backups)')
    .option('--json', 'print JSON')
    .action(async (options: { output?: string; json?: boolean }, command: Command) => {
      const config = configFor(globalOptions(command));
      const directory = options.output ?? config.backup.directory ?? path.join(config.dataDir, 'backups');
      const backup = await backupDatabases(config.dataDir, directory, Date.now());
      output(
        options.json,
        backup,
        () => `Backup written to ${backup.path} (${backup.files.join(', ')}) at ${when(backup.createdAt)}.\nRestore with: orchestrator restore ${backup.path}`,
      );
    });

  program
    .command('restore')
    .description('replace the databases with a backup; refuses while the daemon runs; the current files are kept aside')
    .argument('<file>', 'a backup directory (or its backup.json)')
    .option('--json', 'print JSON')
    .action((file: string, options: { json?: boolean }, command: Command) => {
      const config = configFor(globalOptions(command));
      // Restoring onto a new host is allowed: the data directory is created (or refused when unsafe) first.
      prepareDataDir(config.dataDir);
      let lock;
      try {
        // Holding the daemon's lock keeps a daemon from starting while the files are replaced.
        lock = acquireInstanceLock(config.dataDir);
      } catch (error) {
        if (error instanceof LockHeldError) throw new UsageError(`${error.message}; restore refuses while the daemon runs (systemctl stop autonomous-orchestrator)`);
        throw error;
      }
      try {
        const result = restoreDatabases(config.dataDir, path.resolve(file), Date.now());
        output(options.json, result, () => `Restored ${result.restored.join(', ')} from ${file}.\nThe previous files are in ${result.previous}.`);
      } finally {
        lock.release();
      }
    });
}
