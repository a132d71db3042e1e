/** `orchestrator escalation ack|resolve|retry ID`: a human takes over, and tells what fixed it (which is learned). */
import type { Command } from 'commander';
import { cliActor, configFor, globalOptions, output, storesFor, withStores } from '../context.js';
import { createEscalationService, realAdapters } from '../../main.js';
import { systemClock } from '../../runtime/clock.js';
import { silentLogger } from '../../core/logger.js';
import type { Escalation } from '../../store/escalation-repository.js';
import { UsageError } from '../../core/errors.js';
import { when } from '../table.js';

export function registerEscalation(program: Command): void {
  const escalation = program.command('escalation').description('show, acknowledge, resolve or retry an escalation');
  escalation
    .command('show')
    .description('one escalation: its state, who acknowledged, resolved or retried it, and when')
    .argument('<id>', 'escalation id')
    .option('--json', 'print JSON')
    .action((id: string, options: { json?: boolean }, command: Command) =>
      withStores(configFor(globalOptions(command)), (stores) => {
        const found = stores.escalations.get(id);
        if (!found) throw new UsageError(`no escalation with id "${id}" (see orchestrator escalations)`);
        output(options.json, found, () => formatEscalation(found));
      }),
    );
  escalation
    .command('ack')
    .description('acknowledge: you are on it (stops reminders)')
    .argument('<id>', 'escalation id')
    .option('--json', 'print JSON')
    .action((id: string, options: { json?: boolean }, command: Command) =>
      withService(command, (service) => {
        const acknowledged = service.acknowledge(id, cliActor());
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
        const resolved = await service.resolve(id, { fixes: options.fix ?? [], note: options.note, actor: cliActor() });
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
        const requested = service.requestRetry(id, cliActor());
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

/** One escalation for `escalation show`: its state and who did what to it, when. */
function formatEscalation(escalation: Escalation): string {
  const by = (actor: string | null | undefined) => (actor ? ` by ${actor}` : '');
  const lines = [
    `Escalation ${escalation.id}: ${escalation.service} — ${escalation.symptom} (${escalation.status.replace('_', '-')})`,
    `  Opened:        ${when(escalation.createdAt)}${escalation.occurrences > 1 ? `   happened ${escalation.occurrences} times` : ''}`,
    `  Acknowledged:  ${escalation.acknowledgedAt === null ? '-' : `${when(escalation.acknowledgedAt)}${by(escalation.acknowledgedBy)}`}`,
    `  Retry asked:   ${escalation.retryRequestedBy ? `by ${escalation.retryRequestedBy}${escalation.retryRequestedAt ? ` at ${when(escalation.retryRequestedAt)} (waiting for the daemon)` : ''}` : '-'}`,
    `  Resolved:      ${escalation.resolvedAt === null ? '-' : `${when(escalation.resolvedAt)}${by(escalation.resolvedBy)}`}`,
  ];
  if (escalation.grouped.length > 0) lines.push(`  Also affects:  ${escalation.grouped.join(', ')}`);
  if (escalation.resolution) lines.push(`  Resolution:    ${escalation.resolution}`);
  if (escalation.note) lines.push(`  Note:          ${escalation.note}`);
  lines.push(
    `  Task:          ${escalation.taskId} (orchestrator task ${escalation.taskId})`,
    '',
    'Why it reached a human',
    ...escalation.reason.split('\n').map((line) => `  ${line}`),
  );
  return lines.join('\n');
}

function describeResolution(escalation: Escalation): string {
  const learned =
    escalation.fixes.length > 0
      ? `\nLearned: ${escalation.service} / ${escalation.signature} → ${escalation.fixes.map((fix) => fix.type).join(' + ')} (tried first in phase 1 next time).`
      : '';
  return `Escalation ${escalation.id} (${escalation.service}) resolved.${escalation.note ? `\nNote: ${escalation.note}` : ''}${learned}`;
}
