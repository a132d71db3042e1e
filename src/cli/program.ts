/** The `orchestrator` command tree and how its errors are reported. */
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { ConfigError, OrchestratorError, UsageError } from '../core/errors.js';
import { EXIT } from './context.js';
import { isUnusableDatabaseCode, UnusableDatabaseError } from '../store/database.js';
import { registerRun } from './commands/run.js';
import { registerCheck } from './commands/check.js';
import { registerReports } from './commands/reports.js';
import { registerControl } from './commands/control.js';
import { registerConfig } from './commands/config.js';
import { registerEscalation } from './commands/escalation.js';
import { registerNotify } from './commands/notify.js';
import { registerInstall } from './commands/install.js';
import { registerBackup } from './commands/backup.js';
import { registerDoctor } from './commands/doctor.js';
import { registerDashboard } from './commands/dashboard.js';
import { registerActions } from './commands/actions.js';
import { registerDemo } from './commands/demo.js';
import { registerToken } from './commands/token.js';
import { registerSilence } from './commands/silence.js';
import { registerFleet } from './commands/fleet.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('orchestrator')
    .description('autonomous-orchestrator: a self-healing daemon for Linux hosts')
    .version(version)
    .option('-c, --config <file>', 'configuration file (default /etc/autonomous-orchestrator/config.yaml, else the embedded default)')
    .option('-d, --data-dir <dir>', 'data directory (default /var/lib/autonomous-orchestrator for root)')
    .showHelpAfterError()
    .exitOverride();
  registerRun(program);
  registerCheck(program);
  registerReports(program);
  registerControl(program);
  registerConfig(program);
  registerEscalation(program);
  registerNotify(program);
  registerInstall(program);
  registerBackup(program);
  registerDoctor(program);
  registerDashboard(program);
  registerActions(program);
  registerDemo(program);
  registerToken(program);
  registerSilence(program);
  registerFleet(program);
  for (const command of [program, ...program.commands, ...program.commands.flatMap((command) => command.commands)]) {
    command.exitOverride().showHelpAfterError();
  }
  return program;
}

/** Prints an error the way an operator can act on it, and returns the exit code. */
export function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.ok;
    return EXIT.usage;
  }
  if (error instanceof ConfigError) {
    // Asked for JSON: the problems as JSON on stdout too, so a script reads them as it reads a valid result.
    if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ valid: false, file: error.file, problems: error.problems }, null, 2)}\n`);
    process.stderr.write(`error: invalid configuration ${error.file} (${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}):\n`);
    for (const problem of error.problems as ReadonlyArray<{ path: string; location?: string; message: string }>) {
      process.stderr.write(`  ${error.file}${problem.location ? `:${problem.location}` : ''}  ${problem.path || '(file)'}: ${problem.message}\n`);
    }
    process.stderr.write('The orchestrator does not start with an invalid configuration.\n');
    return EXIT.usage;
  }
  if (error instanceof UsageError) {
    process.stderr.write(`error: ${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof UnusableDatabaseError) {
    process.stderr.write(`error: ${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof OrchestratorError) {
    process.stderr.write(`error: ${error.message}\n`);
    return EXIT.failure;
  }
  const known = systemErrorSentence(error);
  process.stderr.write(`error: ${known?.message ?? oneLine(error)}\n`);
  // The stack helps a developer, never an operator: only on request.
  if (process.env.AO_DEBUG === '1' && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return known?.exitCode ?? EXIT.failure;
}

/** The first line of an error's message (or its string form), without the stack. */
function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  return text.split('\n')[0]!.trim() || 'unexpected failure (set AO_DEBUG=1 to see where)';
}

/** A sentence with what to do for errors the system raises (a damaged database, a full disk, a permission). */
function systemErrorSentence(error: unknown): { message: string; exitCode: number } | undefined {
  const { code, path, syscall } = (error ?? {}) as { code?: unknown; path?: unknown; syscall?: unknown };
  if (typeof code !== 'string') return undefined;
  const where = typeof path === 'string' ? ` (${typeof syscall === 'string' ? `${syscall} ` : ''}${path})` : '';
  if (isUnusableDatabaseCode(code)) {
    return {
      message: `a database in the data directory is not usable (${code}: ${oneLine(error)}): restore a backup with "orchestrator restore <backup directory>" while the daemon is stopped`,
      exitCode: EXIT.usage,
    };
  }
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') {
    return { message: `no space left on device${where}: free some space on the filesystem of the data directory and try again`, exitCode: EXIT.failure };
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return {
      message: `permission denied${where}: run as the user that owns the data directory (the daemon runs as root), or fix the file's owner and mode`,
      exitCode: EXIT.failure,
    };
  }
  if (code === 'EROFS' || code.startsWith('SQLITE_READONLY')) {
    return { message: `the file system is read-only${where}: the data directory must be writable`, exitCode: EXIT.failure };
  }
  if (code.startsWith('SQLITE_BUSY')) {
    return { message: 'a database is locked by another process: try again, or stop the daemon first', exitCode: EXIT.failure };
  }
  if (code.startsWith('SQLITE_CANTOPEN')) {
    return { message: `cannot open a database file${where}: check that the data directory exists and is readable`, exitCode: EXIT.failure };
  }
  if (code === 'ENOENT' && typeof path === 'string') return { message: `no such file or directory: ${path}`, exitCode: EXIT.failure };
  return undefined;
}
