/** Who may use the dashboard: the access token kept in a 0600 file, compared in constant time, and the secrets' hashes. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, constants, fchmodSync, fstatSync, openSync, readSync, rmSync, writeSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { OrchestratorError } from '../core/errors.js';
import { createPrivateDirectory } from '../store/data-dir.js';

/** The token and where it is kept; `created` when this start generated it (the caller says where it is, once). */
export interface AccessToken {
  token: string;
  file: string;
  created: boolean;
}

const MIN_TOKEN_LENGTH = 16;
/** Far more than a token needs: a larger file is not a token file, and is never read whole. */
const MAX_TOKEN_FILE_BYTES = 4096;

/**
 * Reads the token file, or creates it with 32 random bytes (base64url) and mode 0600 when it does not exist. The
 * daemon runs as root: the file is opened without following a symbolic link, must be this user's own regular file
 * with one name, and is tightened through its descriptor, so no other file is ever read as the token or changed.
 */
export function loadOrCreateToken(file: string): AccessToken {
  const existing = readTokenFile(file);
  if (existing !== undefined) return { token: existing, file, created: false };
  const token = newSecret();
  try {
    createPrivateDirectory(dirname(file));
  } catch (error) {
    throw new OrchestratorError('WEB_TOKEN', `cannot create the directory of the web token ${dirname(file)}: ${(error as Error).message}`, { cause: error });
  }
  if (writeNewTokenFile(file, token)) return { token, file, created: true };
  // Another process created it in the meantime (or a link was planted, which reading refuses): use what is there.
  const written = readTokenFile(file);
  if (written === undefined) throw new OrchestratorError('WEB_TOKEN', `the web token ${file} appeared and vanished while it was created: restart`);
  return { token: written, file, created: false };
}

/** The token in `file`, undefined when there is no file; refuses anything but this user's own small regular file. */
function readTokenFile(file: string): string | undefined {
  let descriptor: number;
  try {
    // O_NONBLOCK: a FIFO planted in its place cannot hang the start (it is refused below).
    descriptor = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') {
      throw new OrchestratorError('WEB_TOKEN', `${file} is a symbolic link; the web token must be a regular file: remove it (rm ${file}) and restart to generate a new one`);
    }
    throw new OrchestratorError('WEB_TOKEN', `cannot read the web token from ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const stats = fstatSync(descriptor);
    const problem = tokenFileProblem(file, stats);
    if (problem !== undefined) throw new OrchestratorError('WEB_TOKEN', problem);
    const content = readAtMost(descriptor, MAX_TOKEN_FILE_BYTES + 1);
    if (content.length > MAX_TOKEN_FILE_BYTES) throw new OrchestratorError('WEB_TOKEN', notTokenFile(file, `is larger than ${MAX_TOKEN_FILE_BYTES} bytes`));
    const token = content.toString('utf8').trim();
    if (token.length < MIN_TOKEN_LENGTH) {
      throw new OrchestratorError('WEB_TOKEN', `the web token in ${file} is shorter than ${MIN_TOKEN_LENGTH} characters; delete the file to generate a new one`);
    }
    if ((stats.mode & 0o077) !== 0) tighten(descriptor);
    return token;
  } finally {
    closeSync(descriptor);
  }
}

/** Why the opened file cannot be the web token, as a sentence with the fix, or undefined when it can. */
function tokenFileProblem(file: string, stats: Stats): string | undefined {
  if (!stats.isFile()) return notTokenFile(file, 'is not a regular file');
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) return notTokenFile(file, `is owned by uid ${stats.uid}, not this user (uid ${uid})`);
  // A second name means it is also some other file, which tightening would change.
  if (stats.nlink > 1) return notTokenFile(file, `has ${stats.nlink} hard links`);
  return undefined;
}

function notTokenFile(file: string, why: string): string {
  return `${file} ${why}; the web token must be this user's own regular file: remove it (rm ${file}) and restart to generate a new one`;
}

function readAtMost(descriptor: number, limit: number): Buffer {
  const buffer = Buffer.alloc(limit);
  let length = 0;
  while (length < limit) {
    const read = readSync(descriptor, buffer, length, limit - length, null);
    if (read === 0) break;
    length += read;
  }
  return buffer.subarray(0, length);
}

/** Creates the file (never through a link, never over an existing file); false when something is already there. */
function writeNewTokenFile(file: string, token: string): boolean {
  let descriptor: number;
  try {
    descriptor = openSync(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new OrchestratorError('WEB_TOKEN', `cannot write the web token to ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    writeSync(descriptor, `${token}\n`);
  } catch (error) {
    // Unlinking removes only the name this call created; a half-written token would refuse the next start.
    rmSync(file, { force: true });
    throw new OrchestratorError('WEB_TOKEN', `cannot write the web token to ${file}: ${(error as Error).message}`, { cause: error });
  } finally {
    closeSync(descriptor);
  }
  return true;
}

function tighten(descriptor: number): void {
  try {
    fchmodSync(descriptor, 0o600);
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

/** A new secret (a token or a session id): 32 random bytes, base64url. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** What is stored of a secret: its SHA-256 in hex (a token or a session id is never stored itself). */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
