/** Who may use the dashboard: the access token kept in a 0600 file, compared in constant time, and login sessions. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { OrchestratorError } from '../core/errors.js';

/** The token and where it is kept; `created` when this start generated it (the caller says where it is, once). */
export interface AccessToken {
  token: string;
  file: string;
  created: boolean;
}

const MIN_TOKEN_LENGTH = 16;

/** Reads the token file, or creates it with 32 random bytes (base64url) and mode 0600 when it does not exist. */
export function loadOrCreateToken(file: string): AccessToken {
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length < MIN_TOKEN_LENGTH) {
      throw new OrchestratorError('WEB_TOKEN', `the web token in ${file} is shorter than ${MIN_TOKEN_LENGTH} characters; delete the file to generate a new one`);
    }
    if ((statSync(file).mode & 0o077) !== 0) tighten(file);
    return { token, file, created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const token = randomBytes(32).toString('base64url');
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    // wx: never overwrite a token another process wrote in the meantime.
    writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateToken(file);
    throw new OrchestratorError('WEB_TOKEN', `cannot write the web token to ${file}: ${(error as Error).message}`, { cause: error });
  }
  return { token, file, created: true };
}

function tighten(file: string): void {
  try {
    chmodSync(file, 0o600);
  } catch {
    // A read-only file system: the file stays as the operator made it.
  }
}

/** Constant-time comparison: both sides are hashed first, so neither content nor length leaks through timing. */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header, if it is one. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

export const SESSION_COOKIE = 'ao_session';
export const SESSION_TTL_MS = 12 * 3_600_000;
const MAX_SESSIONS = 1_000;

/** Login sessions, in memory only: random ids with an expiry; a restart logs everyone out. */
export class SessionStore {
  private readonly sessions = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  create(): string {
    this.prune();
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, this.now() + SESSION_TTL_MS);
    return id;
  }

  valid(id: string | undefined): boolean {
    if (!id) return false;
    const expires = this.sessions.get(id);
    if (expires === undefined) return false;
    if (expires <= this.now()) {
      this.sessions.delete(id);
      return false;
    }
    return true;
  }

  delete(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  private prune(): void {
    const now = this.now();
    for (const [id, expires] of this.sessions) if (expires <= now) this.sessions.delete(id);
  }
}
