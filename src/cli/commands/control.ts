/** `orchestrator pause|resume`: the persisted kill switch. Detection and alerting continue while paused. */
import type { Command } from 'commander';
import { cliActor, configFor, globalOptions, output } from '../context.js';
import { openStores } from '../../store/stores.js';

export function registerControl(program: Command): void {
  program
    .command('pause')
    .description('turn the kill switch on: no actions are taken; detection and alerting continue')
    .option('--reason <text>', 'why (shown in status)')
    .option('--json', 'print JSON')
    .action((options: { reason?: string; json?: boolean }, command: Command) => setPause(command, true, options));

  program
    .command('resume')
    .description('turn the kill switch off: actions are allowed again')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }, command: Command) => setPause(command, false, options));
}

function setPause(command: Command, paused: boolean, options: { reason?: string; json?: boolean }): void {
  const config = configFor(globalOptions(command));
  const stores = openStores(config.dataDir);
  try {
    stores.state.setPause(paused, Date.now(), options.reason, cliActor());
    output(options.json, stores.state.pause(), () =>
      paused ? 'Paused: no actions will be taken; detection continues. Undo with "orchestrator resume".' : 'Resumed: actions are allowed again.',
    );
  } finally {
    stores.close();
  }
}
