/**
 * Failed authentications (a wrong bearer token or login token) per client address, so the token cannot be guessed
 * at request speed: after too many within a window, the address is locked out for a window. Pure: the clock is
 * injected, and the caller answers and logs.
 */

export interface AuthFailureLimits {
  /** Failures within `windowMs` that lock the address out. */
  maxFailures: number;
  /** The sliding window the failures are counted in, and how long a lockout lasts. */
  windowMs: number;
  /** Addresses remembered at most; the one that failed least recently is forgotten first. */
  maxAddresses: number;
}

export const DEFAULT_AUTH_FAILURE_LIMITS: AuthFailureLimits = Object.freeze({ maxFailures: 10, windowMs: 60_000, maxAddresses: 10_000 });

/** What one failure means for its address. */
export interface AuthFailure {
  /** Failures from the address since it was first remembered. */
  failures: number;
  /** How long the address is locked out from now on; 0 when it is not. */
  lockedForMs: number;
  /** Whether this failure deserves a log line: the first, then one per `maxFailures`, so a guesser cannot flood the log. */
  log: boolean;
}

interface AddressFailures {
  /** Times of the failures in the current window (at most maxFailures). */
  recent: number[];
  total: number;
  lockedUntil: number;
}

/** Counts failed authentications per address in a sliding window and says when an address is locked out. */
export class AuthFailureLimiter {
  // Insertion order is failure order: a failing address is moved to the end, so the first key failed least recently.
  private readonly addresses = new Map<string, AddressFailures>();

  constructor(
    private readonly now: () => number,
    readonly limits: AuthFailureLimits = DEFAULT_AUTH_FAILURE_LIMITS,
  ) {}

  /** Milliseconds until `address` may authenticate again; 0 when it may now. */
  lockedFor(address: string): number {
    const entry = this.addresses.get(address);
    return entry === undefined ? 0 : Math.max(0, entry.lockedUntil - this.now());
  }

  /** Counts a wrong credential from `address`; the failure that fills the window starts a lockout. */
  recordFailure(address: string): AuthFailure {
    const now = this.now();
    const { maxFailures, windowMs } = this.limits;
    const entry = this.take(address);
    entry.recent = entry.recent.filter((time) => time > now - windowMs);
    entry.recent.push(now);
    entry.total += 1;
    if (entry.recent.length >= maxFailures) {
      entry.lockedUntil = now + windowMs;
      entry.recent = [];
    }
    this.addresses.set(address, entry);
    return { failures: entry.total, lockedForMs: Math.max(0, entry.lockedUntil - now), log: entry.total === 1 || entry.total % maxFailures === 0 };
  }

  /** Addresses remembered (for tests and metrics). */
  get size(): number {
    return this.addresses.size;
  }

  /** The address's entry, removed from the map (the caller puts it back last); a new one when it is not known. */
  private take(address: string): AddressFailures {
    const entry = this.addresses.get(address);
    if (entry !== undefined) {
      this.addresses.delete(address);
      return entry;
    }
    while (this.addresses.size >= this.limits.maxAddresses) {
      const oldest = this.addresses.keys().next().value;
      if (oldest === undefined) break;
      this.addresses.delete(oldest);
    }
    return { recent: [], total: 0, lockedUntil: 0 };
  }
}
