/**
 * Who is asking: a named access token (bearer or login) or a login session, both read from escalations.db on every
 * request, so every process serving the dashboard agrees, a session survives a restart, and a revocation holds at
 * the next request. Tokens are compared by SHA-256 in constant time against every unrevoked one.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AccessTokenRepository } from '../store/access-token-repository.js';
import type { SessionRepository } from '../store/session-repository.js';
import { SESSION_TTL_MS, hashSecret, newSecret } from './auth.js';

/** The name the token file's token goes by (the single token of earlier versions). */
export const ADMIN_TOKEN_NAME = 'admin';
/** Live sessions kept at most: a login beyond it ends the oldest one. */
export const MAX_SESSIONS = 1_000;
/** Longer than any token this program makes: a longer credential is refused unhashed. */
const MAX_TOKEN_LENGTH = 512;
/** A session id is 43 characters; a cookie much longer is not one. */
const MAX_SESSION_ID_LENGTH = 128;
/** "Last used" is written at most this often per token and process (it is a write on a hot path). */
const TOUCH_EVERY_MS = 60_000;

export interface AccessControlStores {
  accessTokens: AccessTokenRepository;
  sessions: SessionRepository;
}

export class AccessControl {
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly stores: AccessControlStores,
    private readonly now: () => number,
  ) {}

  /** Records the token file's token as "admin" (see AccessTokenRepository.registerFileToken); whether it is revoked. */
  registerFileToken(token: string, file: string): { revoked: boolean } {
    return this.stores.accessTokens.registerFileToken({ name: ADMIN_TOKEN_NAME, hash: hashSecret(token), at: this.now(), createdBy: `file:${file}` });
  }

  /** The name of the unrevoked token `given` is, or undefined; every candidate is compared, so timing tells nothing. */
  tokenName(given: string): string | undefined {
    if (given.length === 0 || given.length > MAX_TOKEN_LENGTH) return undefined;
    const digest = createHash('sha256').update(given).digest();
    let match: string | undefined;
    for (const candidate of this.stores.accessTokens.active()) {
      const expected = Buffer.from(candidate.hash, 'hex');
      if (expected.length === digest.length && timingSafeEqual(digest, expected)) match ??= candidate.name;
    }
    if (match !== undefined) this.used(match);
    return match;
  }

  /** Opens a session for a token; returns the id for the cookie (only its hash is stored). */
  openSession(tokenName: string): string {
    const id = newSecret();
    const now = this.now();
    this.stores.sessions.create({ hash: hashSecret(id), tokenName, createdAt: now, expiresAt: now + SESSION_TTL_MS }, MAX_SESSIONS);
    return id;
  }

  /** The token name of a live session, or undefined for no cookie, an unknown or expired one, or a revoked token. */
  session(id: string | undefined): string | undefined {
    if (!id || id.length > MAX_SESSION_ID_LENGTH) return undefined;
    const session = this.stores.sessions.find(hashSecret(id), this.now());
    if (session === undefined) return undefined;
    this.used(session.tokenName);
    return session.tokenName;
  }

  /** Logout: the session is deleted (every process refuses it from the next request). */
  endSession(id: string | undefined): void {
    if (id && id.length <= MAX_SESSION_ID_LENGTH) this.stores.sessions.delete(hashSecret(id));
  }

  /** Notes the use for `token list`, at most once a minute per token; a failed write never fails the request. */
  private used(name: string): void {
    const now = this.now();
    const last = this.touched.get(name);
    if (last !== undefined && now - last < TOUCH_EVERY_MS && now >= last) return;
    this.touched.set(name, now);
    try {
      this.stores.accessTokens.touch(name, now);
    } catch {
      // Last-used is a convenience: a busy or full database must not refuse a request that authenticated.
    }
  }
}
