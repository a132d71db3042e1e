/** `orchestrator install|uninstall [--dry-run]`: run the orchestrator as a hardened systemd service. */
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { globalOptions, output, EXIT } from '../context.js';
import { EXAMPLE_CONFIG, installSteps, performFileStep, uninstallSteps, type InstallStep } from '../../deploy/installer.js';
import { defaultDataDir, loadConfig, parseConfigText } from '../../config/load.js';
import type { CompiledConfig } from '../../config/compiled.js';
import { ProcessCommandRunner } from '../../runtime/command-runner.js';
import { OrchestratorError } from '../../core/errors.js';

interface DeployOptions {
  unitDir: string;
  configDir: string;
  dryRun?: boolean;
  json?: boolean;
}

export function registerInstall(program: Command): void {
  program
    .command('install')
    .description('install as a systemd service: unit, config directory with an example, data directory; enable and start it')
    .option('--unit-dir <dir>', 'where the unit file goes', '/etc/systemd/system')
    .option('--config-dir <dir>', 'configuration directory', '/etc/autonomous-orchestrator')
    .option('--no-start', 'enable but do not start')
    .option('--dry-run', 'show what would be done, do nothing')
    .option('--json', 'print JSON')
    .action(async (options: DeployOptions & { start: boolean }, command: Command) => {
      const dataDir = globalOptions(command).dataDir ?? defaultDataDir();
      const configFile = path.join(options.configDir, 'config.yaml');
      const config = existsSync(configFile) ? loadConfig({ path: configFile }) : exampleConfig(configFile);
      await carryOut(installSteps({ unitDir: options.unitDir, configDir: options.configDir, dataDir, start: options.start, config }), options);
    });

  program
    .command('uninstall')
    .description('stop, disable and remove the systemd service (the data and configuration stay unless --purge)')
    .option('--unit-dir <dir>', 'where the unit file is', '/etc/systemd/system')
    .option('--config-dir <dir>', 'configuration directory', '/etc/autonomous-orchestrator')
    .option('--purge', 'also remove the configuration and the data directory')
    .option('--dry-run', 'show what would be done, do nothing')
    .option('--json', 'print JSON')
    .action(async (options: DeployOptions & { purge?: boolean }, command: Command) => {
      const dataDir = globalOptions(command).dataDir ?? defaultDataDir();
      await carryOut(uninstallSteps({ unitDir: options.unitDir, configDir: options.configDir, dataDir, purge: options.purge ?? false }), options);
    });
}

/** The example install writes when there is no configuration yet: its paths and secrets are the ones to prepare. */
function exampleConfig(configFile: string): CompiledConfig | undefined {
  try {
    return parseConfigText(readFileSync(EXAMPLE_CONFIG, 'utf8'), configFile);
  } catch {
    return undefined;
  }
}

async function carryOut(steps: InstallStep[], options: { dryRun?: boolean; json?: boolean }): Promise<void> {
  if (options.dryRun) {
    output(
      options.json,
      steps.map(({ describe, kind }) => ({ kind, describe })),
      () => ['Would:', ...steps.map((step) => `  - ${step.describe}${step.kind === 'run' ? `  (${step.argv.join(' ')})` : ''}`)].join('\n'),
    );
    return;
  }
  const runner = new ProcessCommandRunner();
  const done: string[] = [];
  for (const step of steps) {
    switch (step.kind) {
      case 'mkdir':
      case 'write':
      case 'remove':
        performFileStep(step);
        break;
      case 'run': {
        const result = await runner.run(step.argv, { timeoutMs: 120_000 });
        if (result.exitCode !== 0 && !step.allowFailure) {
          process.exitCode = EXIT.failure;
          throw new OrchestratorError('INSTALL_FAILED', `${step.describe} failed: ${step.argv.join(' ')} exited ${result.exitCode ?? result.spawnError}: ${result.stderr.trim()}`);
        }
        break;
      }
    }
    done.push(step.describe);
  }
  output(options.json, { done }, () => done.map((line) => `done: ${line}`).join('\n'));
}
