/** Read-only reports over the data directory: status, stats, tasks, task, escalations, patterns. */
import type { FleetStatus } from '../../fleet/fleet-member.js';
import type { Stores } from '../../store/stores.js';
import type { CompiledConfig } from '../../config/compiled.js';
import type { FleetPatternRow } from '../../store/fleet/fleet-store.js';
import { openFleetStore } from '../../fleet/open-fleet-store.js';
import { silentLogger } from '../../core/logger.js';
import type { Command } from 'commander';
import { EXIT, globalOptions, output, positiveInteger, withStores, configFor } from '../context.js';
import { UsageError } from '../../core/errors.js';
import { TASK_STATUSES, type TaskStatus } from '../../core/types.js';
import { formatEscalations, formatFleetPatterns, formatPatterns, formatStats, formatTask, formatTaskList } from '../format.js';
import { isLockHeld } from '../../runtime/instance-lock.js';
import { when } from '../table.js';
import { ESCALATION_STATUSES, type EscalationStatus } from '../../store/escalation-repository.js';
import { outcomeCounts } from '../../store/task-outcomes.js';

export function registerReports(program: Command): void {
  program
    .command('status')
    .description('is the daemon running (exit 3 when not, as systemctl status), is it paused, what is open')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }, command: Command) => {
      const config = configFor(globalOptions(command));
      withStores(config, (stores) => {
        const pause = stores.state.pause();
        const lastCycle = stores.state.lastCycle('full') ?? null;
        const tracking = stores.tasks.listTracking();
        const status = {
          running: isLockHeld(config.dataDir),
          dataDir: config.dataDir,
          config: config.source,
          paused: pause.paused,
          pausedSince: pause.paused ? (pause.since ?? null) : null,
          pausedBy: pause.paused ? (pause.by ?? null) : null,
          lastCycle,
          watching: stores.state.watching() ?? null,
          openTasks: tracking.filter((task) => task.status === 'open' || task.status === 'running').length,
          escalatedTasks: tracking.filter((task) => task.status === 'escalated').length,
          ignoredTasks: tracking.filter((task) => task.status === 'ignored').length,
          openEscalations: stores.escalations.countActive(),
          outbox: stores.outbox.backlog(),
          deliveryFailures: stores.outbox.recentFailures(5),
          fleet: config.store.postgres ? fleetLine(stores) : null,
        };
        output(options.json, status, () =>
          [
            `Daemon:          ${status.running ? 'running' : 'not running'} (data ${status.dataDir})`,
            `Configuration:   ${status.config}`,
            `Kill switch:     ${status.paused ? `PAUSED since ${when(status.pausedSince)}${status.pausedBy ? ` by ${status.pausedBy}` : ''} (no actions; detection continues)` : 'off (actions allowed)'}`,
            `Watching:        ${status.watching ? `${status.running ? '' : 'when it last ran: '}${status.watching.how} (since ${when(status.watching.since)})` : 'not recorded yet'}`,
            `Last full cycle: ${lastCycle ? `${when(lastCycle.startedAt)}: ${lastCycle.issuesDetected} issue(s), ${lastCycle.tasksCreated} created, ${lastCycle.fixes} fixed, ${lastCycle.escalations} escalated in ${(lastCycle.durationMs / 1000).toFixed(2)}s` : 'none yet'}`,
            `Tasks:           ${status.openTasks} in progress, ${status.escalatedTasks} escalated, ${status.ignoredTasks} left alone`,
            `Escalations:     ${status.openEscalations} open`,
            `Notifications:   ${status.outbox.pending} waiting, ${status.outbox.failed} failed`,
            ...status.deliveryFailures.map((failure) => `  failed: ${failure.channel} ${failure.dedupKey} after ${failure.attempts} attempt(s): ${failure.error}`),
            ...(status.fleet ? [`Fleet store:     ${status.fleet.text}`] : []),
          ].join('\n'),
        );
        // As systemctl status: 3 when the daemon is not running, so scripts and monitors can tell.
        if (!status.running) process.exitCode = EXIT.notRunning;
      });
    });

  program
    .command('stats')
    .description('tasks by outcome (fixed by phase, escalated, recovered by itself, left alone, pending), fix rate, median time to recovery')
    .option('--days <n>', 'how many days back', positiveInteger('--days'), 7)
    .option('--json', 'print JSON')
    .action((options: { days: number; json?: boolean }, command: Command) => {
      withStores(configFor(globalOptions(command)), (stores) => {
        const since = Date.now() - options.days * 86_400_000;
        const stats = outcomeCounts(stores, since);
        const shadow = stores.attempts.shadowAccuracy(since);
        output(options.json, { days: options.days, ...stats, fixRate: stats.total ? stats.fixed / stats.total : null, shadow }, () => formatStats(stats, options.days, shadow));
      });
    });

  program
    .command('tasks')
    .description('recent tasks, newest first')
    .option('--status <status>', `only tasks in this status (${TASK_STATUSES.join(', ')})`)
    .option('--service <name>', 'only tasks of this service')
    .option('--limit <n>', 'how many', positiveInteger('--limit'), 50)
    .option('--json', 'print JSON')
    .option('-w, --wide', 'print each reason whole (not cut at 80 characters)')
    .action((options: { status?: string; service?: string; limit: number; json?: boolean; wide?: boolean }, command: Command) => {
      if (options.status && !(TASK_STATUSES as readonly string[]).includes(options.status)) {
        throw new UsageError(`--status must be one of ${TASK_STATUSES.join(', ')} (got "${options.status}")`);
      }
      withStores(configFor(globalOptions(command)), (stores) => {
        const tasks = stores.tasks.list({ status: options.status as TaskStatus | undefined, service: options.service, limit: options.limit });
        output(options.json, tasks, () => formatTaskList(tasks, options.wide));
      });
    });

  program
    .command('task')
    .description("one task's full timeline: evidence, attempts, verifications")
    .argument('<id>', 'task id (a unique prefix is enough)')
    .option('--json', 'print JSON')
    .action((id: string, options: { json?: boolean }, command: Command) => {
      withStores(configFor(globalOptions(command)), (stores) => {
        const matches = stores.tasks.findByIdPrefix(id);
        if (matches.length === 0) throw new UsageError(`no task with id "${id}"`);
        if (matches.length > 1) throw new UsageError(`"${id}" matches more than one task; give more of the id`);
        const task = matches[0]!;
        const attempts = stores.attempts.forTask(task.id);
        const escalation = stores.escalations.forTask(task.id);
        output(options.json, { ...task, attempts, escalation: escalation ?? null }, () => formatTask(task, attempts, escalation));
      });
    });

  program
    .command('escalations')
    .description('what needs a human, open first')
    .option('--status <status>', `only escalations in this status (${ESCALATION_STATUSES.join(', ')})`)
    .option('--json', 'print JSON')
    .option('-w, --wide', 'print each reason whole (not cut at 80 characters)')
    .action((options: { status?: string; json?: boolean; wide?: boolean }, command: Command) => {
      if (options.status && !(ESCALATION_STATUSES as readonly string[]).includes(options.status)) {
        throw new UsageError(`--status must be one of ${ESCALATION_STATUSES.join(', ')} (got "${options.status}")`);
      }
      withStores(configFor(globalOptions(command)), (stores) => {
        const escalations = stores.escalations.list({ status: options.status as EscalationStatus | undefined });
        output(options.json, escalations, () => formatEscalations(escalations, options.wide));
      });
    });

  program
    .command('patterns')
    .description('learned patterns: signature, plan, successes, failures, confidence; with a fleet store, where each was learned and how it did on each host')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const config = configFor(globalOptions(command));
      const patterns = withStores(config, (stores) => stores.patterns.all(Date.now()));
      const fleet = config.store.postgres ? await fleetPatterns(config) : undefined;
      if (fleet && 'error' in fleet) process.stderr.write(`the fleet store cannot be read (${fleet.error}): this host's patterns only\n`);
      const perHost = fleet && 'rows' in fleet ? fleet.rows : undefined;
      output(options.json, perHost ? { patterns, fleet: perHost } : patterns, () =>
        [formatPatterns(patterns), ...(perHost ? ['', 'Across the fleet (each host its own record):', formatFleetPatterns(perHost)] : [])].join('\n'),
      );
    });
}

/** What the daemon last knew of its fleet, and the rows not yet replicated (read here, so it is current). */
function fleetLine(stores: Stores): { backlog: number; known: FleetStatusRecord | null; at: number | null; text: string } {
  const backlog = stores.replication.backlog();
  const recorded = stores.state.fleetStatus<FleetStatusRecord>();
  const known = recorded?.status ?? null;
  const waiting = `${backlog} row(s) waiting to be replicated`;
  if (!known) return { backlog, known, at: null, text: `not joined yet; ${waiting}` };
  const reach = known.reachable
    ? 'reachable'
    : `UNREACHABLE${known.lastError ? ` (${known.lastError})` : ''}${known.replication.failingSince ? ` since ${when(known.replication.failingSince)}` : ''}`;
  return {
    backlog,
    known,
    at: recorded!.at,
    text: `${known.kind}, ${reach} as of ${when(recorded!.at)}; host ${known.hostName} (${known.hostId}) of ${known.hosts}; ${waiting}${known.pause.paused ? `; FLEET PAUSED by ${known.pause.by}` : ''}`,
  };
}

type FleetStatusRecord = Omit<FleetStatus, 'hosts'> & { hosts: number };

/** The fleet's patterns with the name of the host each was learned on, or why they cannot be read. */
async function fleetPatterns(config: CompiledConfig): Promise<{ rows: Array<FleetPatternRow & { hostName: string }> } | { error: string }> {
  const store = openFleetStore(config, silentLogger);
  if (!store) return { rows: [] };
  try {
    const [rows, hosts] = await Promise.all([store.patterns(), store.hosts()]);
    const names = new Map(hosts.map((host) => [host.id, host.name]));
    return { rows: rows.map((row) => ({ ...row, hostName: names.get(row.host) ?? row.host })) };
  } catch (error) {
    return { error: (error as Error).message };
  } finally {
    await store.close();
  }
}
