/**
 * `orchestrator silence add|list|expire` and `orchestrator autonomy [SERVICE MODE]`: silences (for a time, or
 * recurring inside a weekly window) and per-service autonomy, written to the data directory the daemon reads at
 * every decision, so they take effect at once. Who did it is the local user.
 */
import type { Command } from 'commander';
import { cliActor, configFor, globalOptions, output } from '../context.js';
import { openStores } from '../../store/stores.js';
import { UsageError } from '../../core/errors.js';
import { parseDuration } from '../../config/duration.js';
import { didYouMean } from '../../config/did-you-mean.js';
import { createIdGenerator } from '../../runtime/clock.js';
import { Silences, addFleetSilence, describeMatchers, describeSilence } from '../../control/silences.js';
import { describeAutonomy, effectiveAutonomy, parseAutonomy, switchAutonomy } from '../../control/autonomy.js';
import { isTimeZone, WEEKDAYS, type WeeklyWindow, type Weekday } from '../../core/schedule.js';
import { matchesAll } from '../../core/label-matchers.js';
import type { CompiledConfig } from '../../config/compiled.js';
import type { Silence } from '../../store/silence-repository.js';
import { table, when } from '../table.js';
import { withFleet } from './fleet.js';

interface AddOptions {
  service: string[];
  match: string[];
  for?: string;
  until?: string;
  start?: string;
  comment?: string;
  days?: string;
  window?: string;
  tz?: string;
  fleet?: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerSilence(program: Command): void {
  const silence = program.command('silence').description('silence services for a time: detection goes on, nothing is done or sent');
  silence
    .command('add')
    .description('add a silence (by service name or label matchers)')
    .option('--service <name>', 'a service to silence (repeatable)', collect, [])
    .option('--match <matcher>', 'a label matcher such as team="db" or service=~"api|worker" (repeatable)', collect, [])
    .option('--for <duration>', 'how long, such as 2h or 1h30m')
    .option('--until <time>', 'or until when (ISO 8601, such as 2026-12-03T22:00:00Z)')
    .option('--start <time>', 'start later (ISO 8601; default now)')
    .option('--comment <text>', 'why (required)')
    .option('--days <days>', 'recurring: only on these days, such as mon,tue,wed or mon-fri')
    .option('--window <from-to>', 'recurring: only between these times, such as 02:00-04:00')
    .option('--tz <zone>', 'the time zone of --days and --window (default UTC)')
    .option('--fleet', 'on every host of the fleet (kept in the fleet store; needs store.postgres)')
    .option('--json', 'print JSON')
    .action(async (options: AddOptions, command: Command) => {
      const config = configFor(globalOptions(command));
      let fleetSilence: Silence | undefined;
      withSilences(config, (silences) => {
        const matchers = [...options.service.map((name) => `service="${name}"`), ...options.match];
        for (const name of options.service) {
          if (!config.services.some((service) => service.name === name)) {
            throw new UsageError(
              `--service ${name}: no such service in ${config.source}${didYouMean(
                name,
                config.services.map((service) => service.name),
              )}`,
            );
          }
        }
        const now = Date.now();
        const startsAt = options.start === undefined ? now : time('--start', options.start);
        if (options.for !== undefined && options.until !== undefined) throw new UsageError('give --for or --until, not both');
        let endsAt: number;
        if (options.for !== undefined) {
          const ms = parseDuration(options.for);
          if (ms === undefined || ms <= 0) throw new UsageError(`--for: expected a duration such as 2h or 1h30m (got ${JSON.stringify(options.for)})`);
          endsAt = startsAt + ms;
        } else if (options.until !== undefined) {
          endsAt = time('--until', options.until);
        } else {
          throw new UsageError('say how long: --for 2h, or --until 2026-12-03T22:00:00Z');
        }
        if (!options.comment) throw new UsageError('say why: --comment "kernel upgrade"');
        const schedule = recurrence(options);
        const request = { matchers, startsAt, endsAt, schedule, author: cliActor(), comment: options.comment };
        if (options.fleet) {
          fleetSilence = silences.build(request);
          return;
        }
        const added = silences.add(request);
        const covered = config.services.filter((service) => matchesAll(added.matchers, service.labels)).map((service) => service.name);
        const active = silences.activeMany(config.services);
        output(options.json, { ...added, services: covered }, () =>
          [
            `Silence ${added.id} added: ${describeMatchers(added.matchers)} until ${when(added.endsAt)}${schedule ? `, only ${schedule.days.join(',')} ${schedule.from}-${schedule.to} ${schedule.timeZone}` : ''}.`,
            covered.length > 0
              ? `It covers ${covered.join(', ')}${covered.some((name) => active.has(name)) ? '' : ' (not in force yet)'}.`
              : 'It matches no configured service now.',
            `Undo with "orchestrator silence expire ${added.id}".`,
          ].join('\n'),
        );
      });
      if (fleetSilence) {
        const added = fleetSilence;
        await withFleet(config, (fleet) => addFleetSilence(fleet, added, Date.now()));
        output(options.json, { ...added, fleet: true }, () =>
          [
            `Fleet silence ${added.id} added: ${describeMatchers(added.matchers)} until ${when(added.endsAt)}, on every host from its next heartbeat (within ${Math.round(config.fleet.heartbeatMs / 1000)} s).`,
            `Undo with "orchestrator silence expire ${added.id}".`,
          ].join('\n'),
        );
      }
    });

  silence
    .command('list')
    .description('silences in force or to come, and the maintenance windows; --all for ended ones too')
    .option('--all', 'include ended silences')
    .option('--json', 'print JSON')
    .action(async (options: { all?: boolean; json?: boolean }, command: Command) => {
      const config = configFor(globalOptions(command));
      const now = Date.now();
      const fleet = config.store.postgres ? await fleetSilences(config, now) : undefined;
      if (fleet && 'error' in fleet) process.stderr.write(`the fleet store cannot be read (${fleet.error}): this host's silences only\n`);
      const fleetList = fleet && 'silences' in fleet ? fleet.silences : [];
      withSilences(config, (silences, stores) => {
        const list = options.all ? stores.silences.all() : stores.silences.current(now);
        const services = Object.fromEntries(silences.activeMany(config.services, now));
        output(options.json, { silences: list, fleet: fleetList, services, maintenance: config.maintenance }, () => {
          const lines = [
            list.length === 0
              ? options.all
                ? 'No silences.'
                : 'No silences in force.'
              : table(
                  ['ID', 'STATE', 'MATCHERS', 'UNTIL', 'BY', 'COMMENT'],
                  list.map((entry) => [entry.id, state(entry, now), describeMatchers(entry.matchers), when(entry.endsAt), entry.author, entry.comment]),
                ),
          ];
          if (fleetList.length > 0) {
            lines.push('', 'Fleet-wide (every host):');
            lines.push(
              table(
                ['ID', 'STATE', 'MATCHERS', 'UNTIL', 'BY', 'COMMENT'],
                fleetList.map((entry) => [entry.id, state(entry, now), describeMatchers(entry.matchers), when(entry.endsAt), entry.author, entry.comment]),
              ),
            );
          }
          if (config.maintenance.length > 0) {
            lines.push('', 'Maintenance windows (config):');
            lines.push(
              table(
                ['NAME', 'MATCHERS', 'WHEN'],
                config.maintenance.map((window) => [
                  window.name,
                  describeMatchers(window.matchers),
                  `${window.window.days.join(',')} ${window.window.from}-${window.window.to} ${window.window.timeZone}`,
                ]),
              ),
            );
          }
          const silenced = Object.entries(services);
          if (silenced.length > 0) lines.push('', 'Silenced now:', ...silenced.map(([name, active]) => `  ${name}: ${describeSilence(active)}`));
          return lines.join('\n');
        });
      });
    });

  silence
    .command('expire <id>')
    .description('end a silence now; a service still failing is handled at once')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }, command: Command) => {
      const config = configFor(globalOptions(command));
      const local = withSilences(config, (_silences, stores) => stores.silences.get(id) !== undefined);
      if (!local && config.store.postgres) {
        // Not this host's: a fleet-wide one.
        const expired = await withFleet(config, (fleet) => fleet.expireFleetSilence(id, cliActor(), Date.now()));
        if (!expired) throw new UsageError(`no silence in force with id "${id}", here or fleet-wide (see orchestrator silence list)`);
        output(options.json, { id, expired: true, fleet: true }, () => `Fleet silence ${id} expired on every host from its next heartbeat.`);
        return;
      }
      withSilences(config, (silences) => {
        const expired = silences.expire(id, cliActor());
        output(options.json, expired, () => `Silence ${id} expired (${describeMatchers(expired.matchers)}).`);
      });
    });

  program
    .command('autonomy [service] [mode]')
    .description("show each service's autonomy, or switch one: act, shadow, off (never act; tell a human) or config")
    .option('--reason <text>', 'why (recorded with the switch)')
    .option('--json', 'print JSON')
    .action((name: string | undefined, mode: string | undefined, options: { reason?: string; json?: boolean }, command: Command) => {
      const config = configFor(globalOptions(command));
      const stores = openStores(config.dataDir);
      try {
        if (name !== undefined) {
          const service = config.services.find((candidate) => candidate.name === name);
          if (!service)
            throw new UsageError(
              `no such service in ${config.source}: ${name}${didYouMean(
                name,
                config.services.map((candidate) => candidate.name),
              )}`,
            );
          if (mode === undefined) throw new UsageError(`say the mode: orchestrator autonomy ${name} act|shadow|off|config`);
          switchAutonomy(stores.state, name, parseAutonomy(mode), cliActor(), Date.now(), options.reason);
        }
        const overrides = stores.state.autonomyOverrides();
        const rows = config.services.map((service) => ({ service: service.name, ...effectiveAutonomy(service, overrides), configured: service.autonomy }));
        output(options.json, name === undefined ? rows : rows.find((row) => row.service === name), () =>
          name === undefined
            ? rows.length === 0
              ? 'No services configured.'
              : table(
                  ['SERVICE', 'AUTONOMY'],
                  rows.map((row) => [row.service, describeAutonomy(row)]),
                )
            : `${name}: ${describeAutonomy(rows.find((row) => row.service === name)!)}`,
        );
      } finally {
        stores.close();
      }
    });
}

function withSilences<T>(config: CompiledConfig, work: (silences: Silences, stores: ReturnType<typeof openStores>) => T): T {
  const stores = openStores(config.dataDir);
  try {
    return work(new Silences({ repository: stores.silences, config, clock: { now: () => Date.now() }, newId: createIdGenerator(() => Date.now()) }), stores);
  } finally {
    stores.close();
  }
}

/** The fleet-wide silences not ended at `now`, or why they cannot be read. */
async function fleetSilences(config: CompiledConfig, now: number): Promise<{ silences: Silence[] } | { error: string }> {
  try {
    return { silences: await withFleet(config, (fleet) => fleet.fleetSilences(now)) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function time(option: string, text: string): number {
  const at = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(at))
    throw new UsageError(`${option}: expected an ISO 8601 time such as 2026-12-03T22:00:00Z (got ${JSON.stringify(text.slice(0, 40))})`);
  return at;
}

function state(silence: Silence, now: number): string {
  if (silence.expiredAt !== null) return `expired by ${silence.expiredBy ?? '?'}`;
  if (silence.endsAt <= now) return 'ended';
  return silence.startsAt > now ? 'pending' : silence.schedule ? 'recurring' : 'active';
}

const ORDER: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** --days, --window and --tz as a weekly window, or undefined when none is given. */
function recurrence(options: AddOptions): WeeklyWindow | undefined {
  if (options.days === undefined && options.window === undefined) {
    if (options.tz !== undefined) throw new UsageError('--tz goes with --days or --window');
    return undefined;
  }
  const timeZone = options.tz ?? 'UTC';
  if (!isTimeZone(timeZone)) throw new UsageError(`--tz: expected an IANA time zone such as Europe/Berlin (got ${JSON.stringify(timeZone.slice(0, 40))})`);
  const days = options.days === undefined ? [...ORDER] : parseDays(options.days);
  const match = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/.exec(options.window ?? '00:00-23:59');
  if (!match) throw new UsageError(`--window: expected HH:MM-HH:MM such as 02:00-04:00 (got ${JSON.stringify(options.window)})`);
  const from = `${match[1]}:${match[2]}`;
  const to = `${match[3]}:${match[4]}`;
  if (from === to) throw new UsageError('--window: from and to must differ');
  return { days, from, to, timeZone };
}

function parseDays(text: string): Weekday[] {
  const days = new Set<Weekday>();
  for (const part of text.toLowerCase().split(',')) {
    const [first, last] = part.split('-').map((day) => day.trim().slice(0, 3));
    const start = ORDER.indexOf(first as Weekday);
    const end = last === undefined ? start : ORDER.indexOf(last as Weekday);
    if (start < 0 || end < 0 || end < start) throw new UsageError(`--days: expected days such as mon,tue or mon-fri (got ${JSON.stringify(part)})`);
    for (let index = start; index <= end; index++) days.add(ORDER[index]!);
  }
  return WEEKDAYS.filter((day) => days.has(day));
}
