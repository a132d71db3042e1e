/** `orchestrator escalation ack|resolve|retry ID`: a human takes over, and tells what fixed it (which is learned). */
import type { Command } from 'commander';
import { configFor, globalOptions, output, storesFor } from '../context.js';
import { createEscalationService, realAdapters } from '../../main.js';
import { systemClock } from '../../runtime/clock.js';
import { silentLogger } from '../../core/logger.js';
import type { Escalation } from '../../store/escalation-repository.js';

export function registerEscalation(program: Command): void {
  const escalation = program.command('escalation').description('acknowledge, resolve or retry an escalation');
  escalation
    .command('ack')
    .description('acknowledge: you are on it (stops reminders)')
    .argument('<id>', 'escalation id')
    .option('--json', 'print JSON')
    .action((id: string, options: { json?: boolean }, command: Command) =>
      withService(command, (service) => {
        const acknowledged = service.acknowledge(id);
        output(options.json, acknowledged, () => `Escalation ${acknowledged.id} (${acknowledged.service}) acknowledged.`);
      }),
    );
  escalation
    .command('resolve')
    .description('resolve: the fault is fixed; --fix names the catalog action that fixed it, so it is tried first next time')
    .argument('<id>', 'escalation id')
    .option('--fix <action...>', 'what fixed it: a catalog action, e.g. restart_unit or remove_stale_file:path=/run/app.pid')
    .option('--note <text>', 'a note kept with the escalation')
    .option('--json', 'print JSON')
    .action((id: string, options: { fix?: string[]; note?: string; json?: boolean }, command: Command) =>
      withService(command, async (service) => {
        const resolved = await service.resolve(id, { fixes: options.fix ?? [], note: options.note });
        output(options.json, resolved, () => describeResolution(resolved));
      }),
    );
  escalation
    .command('retry')
    .description('retry: you fixed the cause; the daemon starts the service and verifies it at its next cycle, and resolves the escalation when it is healthy')
    .argument('<id>', 'escalation id')
    .option('--json', 'print JSON')
    .action((id: string, options: { json?: boolean }, command: Command) =>
      withService(command, (service) => {
        const requested = service.requestRetry(id);
        output(
          options.json,
          requested,
          () =>
            `Retry of escalation ${requested.id} (${requested.service}) requested: the running daemon finishes the job at its next cycle (see orchestrator task ${requested.taskId}).`,
        );
      }),
    );
}

async function withService(command: Command, work: (service: ReturnType<typeof createEscalationService>) => void | Promise<void>): Promise<void> {
  const config = configFor(globalOptions(command));
  const stores = storesFor(config);
  // The service manager is asked for the escalation's scope (its D-Bus connection is closed afterwards).
  const { adapter } = realAdapters(config);
  try {
    await work(createEscalationService(config, stores, silentLogger, systemClock, adapter));
  } finally {
    await adapter.close?.();
    stores.close();
  }
}

function describeResolution(escalation: Escalation): string {
  const learned =
    escalation.fixes.length > 0
      ? `\nLearned: ${escalation.service} / ${escalation.signature} → ${escalation.fixes.map((fix) => fix.type).join(' + ')} (tried first in phase 1 next time).`
      : '';
  return `Escalation ${escalation.id} (${escalation.service}) resolved.${escalation.note ? `\nNote: ${escalation.note}` : ''}${learned}`;
}
