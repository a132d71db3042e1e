/**
 * Managing named access tokens (`orchestrator token create|list|revoke`): one per person or tool, so every change
 * made through the dashboard or API says whose token made it. A token is shown once, at creation; only its hash
 * is kept. Names are never reused, so `token:alice` in the record always means the same token.
 */
import { UsageError } from '../core/errors.js';
import type { AccessTokenRecord } from '../store/access-token-repository.js';
import type { Stores } from '../store/stores.js';
import { hashSecret, newSecret } from './auth.js';
import { ADMIN_TOKEN_NAME } from './access-control.js';

const TOKEN_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** Tokens kept at most (revoked ones included): every request compares against each active one. */
export const MAX_ACCESS_TOKENS = 1_000;

/** A new token: the secret itself appears here and nowhere else. */
export interface CreatedAccessToken {
  name: string;
  token: string;
  createdAt: number;
  createdBy: string;
}

/** A token as listed, with how many live sessions it opened. */
export interface ListedAccessToken extends AccessTokenRecord {
  revoked: boolean;
  liveSessions: number;
}

/** Why `name` cannot name a token, as a sentence, or undefined when it can. */
export function tokenNameProblem(name: string): string | undefined {
  if (TOKEN_NAME.test(name)) return undefined;
  const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
  if (name.length === 0) return 'a token name cannot be empty';
  if (name.length > 64) return `token name ${shown} is ${name.length} characters long; at most 64`;
  return `token name ${shown} may contain only letters, digits, "_", "." and "-"`;
}

function checkName(name: string): void {
  const problem = tokenNameProblem(name);
  if (problem) throw new UsageError(problem);
}

/** Creates a token named `name`; refuses a bad, reserved or used name and a full table. */
export function createAccessToken(stores: Pick<Stores, 'accessTokens'>, name: string, by: string, now: number): CreatedAccessToken {
  checkName(name);
  if (name === ADMIN_TOKEN_NAME) throw new UsageError(`"${ADMIN_TOKEN_NAME}" is the name of the token file's token (web.tokenFile); choose another name`);
  if (stores.accessTokens.count() >= MAX_ACCESS_TOKENS) {
    throw new UsageError(`there are already ${MAX_ACCESS_TOKENS} tokens (revoked ones included), the most this orchestrator keeps`);
  }
  const token = newSecret();
  if (!stores.accessTokens.create({ name, hash: hashSecret(token), createdAt: now, createdBy: by })) {
    const existing = stores.accessTokens.get(name);
    const state = existing?.revokedAt != null ? 'was revoked (names are not reused, so the record stays unambiguous)' : 'exists';
    throw new UsageError(`a token named "${name}" ${state}: choose another name, e.g. "${name.slice(0, 60)}-2"`);
  }
  return { name, token, createdAt: now, createdBy: by };
}

/** Every token, oldest first, with its live sessions. */
export function listAccessTokens(stores: Pick<Stores, 'accessTokens' | 'sessions'>, now: number): ListedAccessToken[] {
  const live = stores.sessions.liveByToken(now);
  return stores.accessTokens.list().map((token) => ({ ...token, revoked: token.revokedAt !== null, liveSessions: live.get(token.name) ?? 0 }));
}

/**
 * Revokes a token: it and every session opened with it are refused from the next request on, in every process.
 * With `dryRun`, says what would happen and changes nothing.
 */
export function revokeAccessToken(
  stores: Pick<Stores, 'accessTokens' | 'sessions'>,
  name: string,
  by: string,
  now: number,
  dryRun = false,
): { name: string; revokedAt: number; revokedBy: string; sessionsEnded: number; dryRun: boolean } {
  checkName(name);
  const existing = stores.accessTokens.get(name);
  if (!existing) throw new UsageError(`no token named "${name}" (see orchestrator token list)`);
  if (existing.revokedAt !== null) throw new UsageError(`the token "${name}" is already revoked; nothing was changed`);
  if (dryRun) return { name, revokedAt: now, revokedBy: by, sessionsEnded: stores.sessions.liveByToken(now).get(name) ?? 0, dryRun };
  stores.sessions.prune(now);
  const ended = stores.accessTokens.revoke(name, now, by);
  if (ended === undefined) throw new UsageError(`the token "${name}" is already revoked; nothing was changed`);
  return { name, revokedAt: now, revokedBy: by, sessionsEnded: ended, dryRun };
}
