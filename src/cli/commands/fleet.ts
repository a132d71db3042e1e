/**
 * The fleet from the CLI: `orchestrator store migrate --to postgres` copies this host's history into the fleet
 * store (idempotently), `orchestrator fleet hosts` lists the hosts as the fleet sees them, and `orchestrator fleet
 * pause|resume` is the fleet-wide kill switch.
 */
import type { Command } from 'commander';
import { cliActor, configFor, globalOptions, output } from '../context.js';
import type { CompiledConfig } from '../../config/compiled.js';
import { UsageError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import { openStores } from '../../store/stores.js';
import type { FleetStore } from '../../store/fleet/fleet-store.js';
import { openFleetStore } from '../../fleet/open-fleet-store.js';
import { hostRecord } from '../../fleet/host-identity.js';
import { Replicator } from '../../fleet/replicator.js';
import { table, when } from '../table.js';

export function registerFleet(program: Command): void {
  const store = program.command('store').description("this host's stores and the fleet's shared one");
  store
    .command('migrate')
    .description("copy this host's history (tasks, attempts, patterns, escalations) into the fleet store; running it again copies nothing twice")
    .requiredOption('--to <backend>', 'where to: postgres (store.postgres in the configuration)')
    .option('--json', 'print JSON')
    .action(async (options: { to: string; json?: boolean }, command: Command) => {
      if (options.to !== 'postgres') throw new UsageError(`--to: the only fleet store is postgres, not ${JSON.stringify(options.to.slice(0, 40))}`);
      const config = configFor(globalOptions(command));
      await withFleet(config, async (fleet) => {
        const stores = openStores(config.dataDir);
        try {
          const host = hostRecord(config, Date.now());
          const version = await fleet.migrate();
          await fleet.registerHost(host);
          stores.replication.enable({ backfill: 'all' });
          const rows = stores.replication.backlog();
          const profiles = new Map(config.services.map((service) => [service.name, service.profile?.name ?? null]));
          const replicator = new Replicator({ stores, fleet, hostId: host.id, profileOf: (name) => profiles.get(name) ?? null, clock: { now: Date.now }, logger: silentLogger });
          const done = await replicator.flush();
          const status = replicator.status();
          if (!done) throw new Error(`the fleet store stopped taking rows after ${status.pushed} of ${rows}: ${status.error}; run it again (nothing is copied twice)`);
          output(options.json, { host, schemaVersion: version, rows: status.pushed }, () =>
            [
              `Copied ${status.pushed} row(s) of ${host.name} (host id ${host.id}) into the fleet store (postgres, schema version ${version}).`,
              'Rows already there were updated in place; running this again copies nothing twice.',
              'From now on the daemon sends each change as it happens (with store.postgres in its configuration).',
            ].join('\n'),
          );
        } finally {
          stores.close();
        }
      });
    });

  const fleet = program.command('fleet').description('the hosts sharing the fleet store, and the fleet-wide kill switch');
  fleet
    .command('hosts')
    .description('every host of the fleet: last heartbeat, what it watches, silent or not')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const config = configFor(globalOptions(command));
      await withFleet(config, async (store) => {
        const hosts = await store.hosts();
        const now = Date.now();
        const silent = (host: (typeof hosts)[number]) => host.silentSince !== null || now - host.lastSeen > config.fleet.silentAfterMs;
        output(
          options.json,
          hosts.map((host) => ({ ...host, silent: silent(host) })),
          () =>
            hosts.length === 0
              ? 'No host has joined the fleet yet.'
              : table(
                  ['HOST', 'ID', 'LAST SEEN', 'SERVICES', 'FAILING', 'ESCALATED', 'STATE'],
                  hosts.map((host) => [
                    host.name,
                    host.id,
                    when(host.lastSeen),
                    host.summary.services,
                    host.summary.failing,
                    host.summary.escalated,
                    silent(host) ? 'SILENT' : host.summary.paused ? 'paused' : 'reporting',
                  ]),
                ),
        );
      });
    });
  for (const paused of [true, false]) {
    fleet
      .command(paused ? 'pause' : 'resume')
      .description(paused ? 'the fleet-wide kill switch on: no host takes any action; detection continues everywhere' : 'the fleet-wide kill switch off')
      .option('--reason <text>', 'why (shown on every host)')
      .option('--json', 'print JSON')
      .action(async (options: { reason?: string; json?: boolean }, command: Command) => {
        if (options.reason !== undefined && options.reason.length > 500) throw new UsageError('--reason: at most 500 characters');
        const config = configFor(globalOptions(command));
        await withFleet(config, async (store) => {
          await store.setFleetPause({ paused, by: cliActor(), reason: options.reason, at: Date.now() });
          output(options.json, await store.fleetPause(), () =>
            paused
              ? `The fleet is paused: no host acts from its next heartbeat on (within ${Math.round(config.fleet.heartbeatMs / 1000)} s). Undo with "orchestrator fleet resume".`
              : 'The fleet is resumed: hosts act again from their next heartbeat.',
          );
        });
      });
  }
}

/** Opens the configuration's fleet store for one command, or says it has none (exit 2). */
export async function withFleet<T>(config: CompiledConfig, work: (fleet: FleetStore) => Promise<T>): Promise<T> {
  const fleet = openFleetStore(config, silentLogger);
  if (!fleet) throw new UsageError(`${config.source} has no fleet store: add store: { postgres: { urlEnv: ... } } (see the README's "A fleet of hosts")`);
  try {
    return await work(fleet);
  } finally {
    await fleet.close();
  }
}
