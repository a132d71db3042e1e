/** `orchestrator doctor`: what is wrong with this installation and how to fix it. Exit 1 when something is. */
import type { Command } from 'commander';
import { configFor, globalOptions, output, EXIT, withStores } from '../context.js';
import type { CompiledConfig } from '../../config/compiled.js';
import { silentLogger } from '../../core/logger.js';
import type { DoctorCheck } from '../../deploy/doctor.js';
import type { FleetStore } from '../../store/fleet/fleet-store.js';
import { openFleetStore } from '../../fleet/open-fleet-store.js';
import { runDoctor } from '../../deploy/doctor.js';
import { ProcessCommandRunner } from '../../runtime/command-runner.js';
import { systemdIsInit } from '../../main.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check the installation: unit, configuration, data directory, databases, notification channels, agents')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const config = configFor(globalOptions(command));
      const checks = await runDoctor(config, { runner: new ProcessCommandRunner(), systemd: systemdIsInit() });
      if (config.store.postgres) checks.push(await fleetStoreCheck(config));
      output(options.json, checks, () =>
        checks
          .map((check) => `${check.warning ? 'warn' : check.ok ? 'ok  ' : 'FAIL'}  ${check.name}: ${check.detail}${!check.ok && check.fix ? `\n      fix: ${check.fix}` : ''}`)
          .join('\n'),
      );
      if (checks.some((check) => !check.ok && !check.warning)) process.exitCode = EXIT.failure;
    });
}

/** With store.postgres: the fleet store reached, its schema, the hosts it knows and this host's backlog. */
async function fleetStoreCheck(config: CompiledConfig): Promise<DoctorCheck> {
  const name = 'fleet store';
  let store: FleetStore | undefined;
  try {
    store = openFleetStore(config, silentLogger);
    const version = await store!.migrate();
    const hosts = await store!.hosts();
    const backlog = withStores(config, (stores) => stores.replication.backlog());
    return { name, ok: true, detail: `postgres reached, schema version ${version}, ${hosts.length} host(s) known; ${backlog} row(s) of this host waiting to be replicated` };
  } catch (error) {
    return {
      name,
      ok: false,
      detail: `postgres cannot be used: ${(error as Error).message}`,
      fix: 'check store.postgres (the URL in its variable or file), that PostgreSQL runs and this host may connect (pg_hba.conf); the daemon keeps healing alone meanwhile',
    };
  } finally {
    await store?.close().catch(() => undefined);
  }
}
