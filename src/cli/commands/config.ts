/** `orchestrator config validate|schema`. */
import type { Command } from 'commander';
import { globalOptions, output, secretProblemsFor } from '../context.js';
import { loadConfig } from '../../config/load.js';
import { configJsonSchema } from '../../config/schema.js';
import { ConfigError } from '../../core/errors.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('validate the configuration or print its JSON Schema');
  config
    .command('validate')
    .description('check the configuration file and list every problem, unset secret variables included')
    .option('--no-strict', "report unset secret variables as warnings (an agent's API key stays an error: the daemon cannot start without it)")
    .option('--json', 'print JSON')
    .action((options: { json?: boolean; strict: boolean }, command: Command) => {
      const compiled = loadConfig({ path: globalOptions(command).config });
      // Secrets come from the environment (and the unit's environment file): checked here as the daemon does.
      const secrets = secretProblemsFor(compiled);
      const errors = options.strict ? secrets : secrets.filter((problem) => problem.fatal);
      if (errors.length > 0) throw new ConfigError(compiled.source, errors);
      const warnings = secrets.filter((problem) => !errors.includes(problem)).map(({ path, message }) => ({ path, message }));
      for (const warning of warnings) process.stderr.write(`warning: ${compiled.source}  ${warning.path}: ${warning.message}\n`);
      output(
        options.json,
        {
          valid: true,
          source: compiled.source,
          ...(warnings.length > 0 ? { warnings } : {}),
          services: compiled.services.map((service) => ({ name: service.name, unit: service.unit, checks: service.checks.map((check) => check.id) })),
        },
        () =>
          [
            `${compiled.source}: valid`,
            `  ${compiled.services.length} service(s): ${compiled.services.map((service) => `${service.name} (${service.unit}, ${service.checks.length} checks)`).join(', ') || 'none (host checks only)'}`,
            `  data directory ${compiled.dataDir}, full cycle every ${compiled.cycle.intervalMs / 1000}s, unit watch every ${compiled.cycle.watchIntervalMs / 1000}s`,
          ].join('\n'),
      );
    });
  config
    .command('schema')
    .description('print the JSON Schema of the configuration file (for editors)')
    .action(() => {
      process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    });
}
