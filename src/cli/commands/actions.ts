/** `orchestrator actions`: the action catalog, derived from the action definitions. */
import type { Command } from 'commander';
import { output } from '../context.js';
import { table } from '../table.js';
import { catalogListing, fixTemplate } from '../../actions/catalog-listing.js';

export function registerActions(program: Command): void {
  program
    .command('actions')
    .description('list the catalog actions: what each does, its parameters, the adapter capability it needs')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      const listing = catalogListing();
      output(options.json, listing, () =>
        table(
          ['ACTION', 'AS --fix', 'NEEDS', 'WHAT IT DOES'],
          listing.map((entry) => [
            entry.type,
            entry.type === 'escalate' ? '-' : fixTemplate(entry),
            entry.capability ?? '-',
            `${entry.summary}${entry.executable ? '' : ' [not executable yet]'}`,
          ]),
        ),
      );
    });
}
