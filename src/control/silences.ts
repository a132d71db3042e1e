/**
 * Whether a service is silenced right now: by a silence someone added (for a time, optionally only inside a weekly
 * window) or by a maintenance window from the config. While silenced, detection goes on and is recorded, nothing is
 * done and nothing is sent; when it ends, a service still failing is handled then.
 */
import type { CompiledConfig, CompiledService } from '../config/compiled.js';
import type { Clock, IdGenerator } from '../core/ports.js';
import { UsageError } from '../core/errors.js';
import { formatMatcher, matchesAll, parseMatcher, type LabelMatcher, type Labels } from '../core/label-matchers.js';
import { describeWindow, windowEndAt, type WeeklyWindow } from '../core/schedule.js';
import { MAX_ACTIVE_SILENCES, type Silence, type SilenceRepository } from '../store/silence-repository.js';
import type { FleetStore } from '../store/fleet/fleet-store.js';

/** What holds a service silent now, in the words shown to people. */
export interface ActiveSilence {
  /** A silence's id, or maintenance:<name> for a configured window. */
  id: string;
  /** silence: this host's; fleet: fleet-wide (from the fleet store, on every host); maintenance: the config's. */
  kind: 'silence' | 'fleet' | 'maintenance';
  author: string;
  comment: string;
  /** When this silence (or this occurrence of its window) ends. */
  until: number;
}

export interface NewSilence {
  /** Matchers such as service="web"; a bare service name is taken as service="NAME". */
  matchers: readonly string[];
  startsAt?: number;
  endsAt: number;
  schedule?: WeeklyWindow;
  author: string;
  comment: string;
}

/** The longest a silence may last: a year (a permanent one is autonomy off, or a maintenance window). */
export const MAX_SILENCE_MS = 366 * 24 * 3_600_000;
const MAX_COMMENT = 1000;

export class Silences {
  constructor(
    private readonly dependencies: {
      repository: SilenceRepository;
      config: Pick<CompiledConfig, 'maintenance'>;
      clock: Pick<Clock, 'now'>;
      newId: IdGenerator;
      /** Fleet-wide silences as last read from the fleet store (with one). */
      fleet?: () => readonly Silence[];
    },
  ) {}

  /** The silence holding `service` now, the one that lasts longest when several do. */
  active(service: Pick<CompiledService, 'labels'>, at = this.dependencies.clock.now()): ActiveSilence | undefined {
    return longest(this.holding(service.labels, at));
  }

  /** For many services at once (the watch, the dashboard): name → what silences it. */
  activeMany(services: ReadonlyArray<Pick<CompiledService, 'name' | 'labels'>>, at = this.dependencies.clock.now()): Map<string, ActiveSilence> {
    const current = this.dependencies.repository.current(at);
    const result = new Map<string, ActiveSilence>();
    for (const service of services) {
      const silence = longest(this.holding(service.labels, at, current));
      if (silence) result.set(service.name, silence);
    }
    return result;
  }

  private holding(labels: Labels, at: number, current = this.dependencies.repository.current(at)): ActiveSilence[] {
    const holding: ActiveSilence[] = [];
    const fleet = this.dependencies.fleet?.() ?? [];
    for (const [kind, silences] of [
      ['silence', current],
      ['fleet', fleet],
    ] as const) {
      for (const silence of silences) {
        if (silence.startsAt > at || silence.endsAt <= at || silence.expiredAt !== null || !matchesAll(silence.matchers, labels)) continue;
        const until = silence.schedule ? windowEndAt(silence.schedule, at) : silence.endsAt;
        if (until === undefined) continue;
        holding.push({ id: silence.id, kind, author: silence.author, comment: silence.comment, until: Math.min(until, silence.endsAt) });
      }
    }
    for (const window of this.dependencies.config.maintenance) {
      if (!matchesAll(window.matchers, labels)) continue;
      const until = windowEndAt(window.window, at);
      if (until !== undefined)
        holding.push({
          id: `maintenance:${window.name}`,
          kind: 'maintenance',
          author: 'config',
          comment: window.comment || `maintenance window ${describeWindow(window.window)}`,
          until,
        });
    }
    return holding;
  }

  /** Adds a silence; a UsageError names what is wrong with the request. */
  add(request: NewSilence): Silence {
    if (this.dependencies.repository.countCurrent(this.dependencies.clock.now()) >= MAX_ACTIVE_SILENCES)
      throw new UsageError(`there are already ${MAX_ACTIVE_SILENCES} silences in force: expire some first`);
    return this.dependencies.repository.add(this.build(request));
  }

  /** A silence checked and ready to be stored (here, or in the fleet store for every host); a UsageError otherwise. */
  build(request: NewSilence): Silence {
    const { clock, newId } = this.dependencies;
    const now = clock.now();
    const startsAt = request.startsAt ?? now;
    if (request.matchers.length === 0) throw new UsageError('a silence needs at least one matcher, such as service="web" (or --service web)');
    if (request.matchers.length > 20) throw new UsageError('a silence has at most 20 matchers');
    const matchers = request.matchers.map((text) => {
      const bare = /^[A-Za-z0-9][A-Za-z0-9_.@-]*$/.test(text) ? `service="${text}"` : text;
      try {
        return parseMatcher(bare);
      } catch (error) {
        throw new UsageError(`matcher ${JSON.stringify(text.slice(0, 80))}: ${(error as Error).message}`);
      }
    });
    if (!Number.isFinite(request.endsAt) || !Number.isFinite(startsAt)) throw new UsageError('a silence needs a valid start and end time');
    if (request.endsAt <= now) throw new UsageError('the silence would end in the past: give a duration such as 2h or a later end time');
    if (request.endsAt <= startsAt) throw new UsageError('the silence ends before it starts');
    if (request.endsAt - now > MAX_SILENCE_MS) throw new UsageError("a silence lasts at most a year; for longer, switch the service's autonomy off or use a maintenance window");
    const author = request.author.trim();
    if (author === '' || author.length > 128) throw new UsageError('a silence needs an author of at most 128 characters');
    const comment = request.comment.trim();
    if (comment === '') throw new UsageError('a silence needs a comment saying why (--comment)');
    if (comment.length > MAX_COMMENT) throw new UsageError(`a silence comment is at most ${MAX_COMMENT} characters`);
    return { id: newId(), matchers, startsAt, endsAt: request.endsAt, schedule: request.schedule ?? null, author, comment, createdAt: now, expiredAt: null, expiredBy: null };
  }

  /** Ends a silence now; a UsageError when there is none by that id or it has ended. */
  expire(id: string, by: string): Silence {
    const { repository, clock } = this.dependencies;
    const silence = repository.get(id);
    if (!silence) throw new UsageError(`no silence with id "${id}" (see orchestrator silence list)`);
    if (!repository.expire(id, by, clock.now())) throw new UsageError(`silence ${id} has already ended`);
    return repository.get(id)!;
  }
}

/**
 * Stores a silence (built and checked by Silences.build) for every host of the fleet, refused, as a host's own,
 * once MAX_ACTIVE_SILENCES are in force fleet-wide.
 */
export async function addFleetSilence(fleet: Pick<FleetStore, 'fleetSilences' | 'addFleetSilence'>, silence: Silence, now: number): Promise<void> {
  if ((await fleet.fleetSilences(now)).length >= MAX_ACTIVE_SILENCES)
    throw new UsageError(`there are already ${MAX_ACTIVE_SILENCES} fleet-wide silences in force: expire some first`);
  await fleet.addFleetSilence(silence);
}

function longest(silences: ActiveSilence[]): ActiveSilence | undefined {
  return silences.reduce<ActiveSilence | undefined>((best, silence) => (best === undefined || silence.until > best.until ? silence : best), undefined);
}

/** "silenced until 14:00 by cli:alice: kernel upgrade" (the time as an ISO string; callers may format it). */
export function describeSilence(silence: ActiveSilence): string {
  const what =
    silence.kind === 'maintenance'
      ? `in maintenance (${silence.id.slice('maintenance:'.length)})`
      : silence.kind === 'fleet'
        ? `silenced fleet-wide by ${silence.author}`
        : `silenced by ${silence.author}`;
  return `${what} until ${new Date(silence.until).toISOString()}: ${silence.comment}`;
}

export function describeMatchers(matchers: readonly LabelMatcher[]): string {
  return matchers.map(formatMatcher).join(', ');
}
