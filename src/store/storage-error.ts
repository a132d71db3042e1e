/**
 * Whether an error means the data directory cannot be written right now (a full or read-only filesystem, an I/O
 * error): the daemon keeps detecting, acts on nothing it could not record, and writes again when it can.
 */
const STORAGE_CODES = new Set(['SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_READONLY', 'SQLITE_CANTOPEN', 'ENOSPC', 'EDQUOT', 'EROFS', 'EIO']);

export function isStorageError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== 'string') return false;
  return STORAGE_CODES.has(code) || [...STORAGE_CODES].some((prefix) => prefix.startsWith('SQLITE_') && code.startsWith(`${prefix}_`));
}

/** A short reason for the log: "disk full" for the common case. */
export function storageErrorReason(error: unknown): string {
  const code = String((error as { code?: unknown })?.code ?? '');
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') return 'the filesystem of the data directory is full';
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS') return 'the data directory is read-only';
  return `the data directory cannot be written (${code || (error as Error)?.message})`;
}
