/** `orchestrator check`: detect only; writes nothing and changes nothing. Exit 1 when something is unhealthy. */
import type { Command } from 'commander';
import { configFor, globalOptions, output, EXIT } from '../context.js';
import { createDetector, realAdapters } from '../../main.js';
import { formatIssues } from '../format.js';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('run every check once and report issues; changes nothing')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const config = configFor(globalOptions(command));
      const adapters = realAdapters(config);
      const detector = createDetector(config, adapters);
      const detection = await detector.detect('full').finally(() => adapters.adapter.close?.());
      output(options.json, { checksRun: detection.checksRun, issues: detection.issues, healthy: [...detection.healthy] }, () =>
        formatIssues(detection.issues, detection.checksRun),
      );
      if (detection.issues.length > 0) process.exitCode = EXIT.failure;
    });
}
