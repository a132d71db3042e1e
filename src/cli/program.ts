/** The `orchestrator` command tree and how its errors are reported. */
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { ConfigError, OrchestratorError, UsageError } from '../core/errors.js';
import { EXIT } from './context.js';
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
  if (error instanceof OrchestratorError) {
    process.stderr.write(`error: ${error.message}\n`);
    return EXIT.failure;
  }
  process.stderr.write(`error: ${(error as Error)?.stack ?? String(error)}\n`);
  return EXIT.failure;
}
