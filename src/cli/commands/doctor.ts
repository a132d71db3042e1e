/** `orchestrator doctor`: what is wrong with this installation and how to fix it. Exit 1 when something is. */
import type { Command } from 'commander';
import { configFor, globalOptions, output, EXIT } from '../context.js';
import { runDoctor } from '../../deploy/doctor.js';
import { ProcessCommandRunner } from '../../runtime/command-runner.js';
import { systemdIsInit } from '../../main.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check the installation: unit, configuration, data directory, databases, notification channels, agents')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const config = configFor(globalOptions(command));
      const checks = await runDoctor(config, { runner: new ProcessCommandRunner(), systemd: systemdIsInit() });
      output(options.json, checks, () =>
        checks
          .map((check) => `${check.warning ? 'warn' : check.ok ? 'ok  ' : 'FAIL'}  ${check.name}: ${check.detail}${!check.ok && check.fix ? `\n      fix: ${check.fix}` : ''}`)
          .join('\n'),
      );
      if (checks.some((check) => !check.ok && !check.warning)) process.exitCode = EXIT.failure;
    });
}
