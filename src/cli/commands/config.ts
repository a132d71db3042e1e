/** `orchestrator config validate|schema`. */
import type { Command } from 'commander';
import { globalOptions, output } from '../context.js';
import { loadConfig } from '../../config/load.js';
import { configJsonSchema } from '../../config/schema.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('validate the configuration or print its JSON Schema');
  config
    .command('validate')
    .description('check the configuration file and list every problem')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }, command: Command) => {
      const compiled = loadConfig({ path: globalOptions(command).config });
      output(
        options.json,
        {
          valid: true,
          source: compiled.source,
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
