/**
 * The data directory of a daemon that runs as root holds its databases, the web token and the instance lock. Another
 * user who can write it, own it, or repoint it could plant or swap those files, so such a directory is refused with
 * the command that fixes it.
 */
import { accessSync, closeSync, constants, fchmodSync, lstatSync, mkdirSync, openSync, readlinkSync, realpathSync, type Stats } from 'node:fs';
import path from 'node:path';
import { OrchestratorError } from '../core/errors.js';

const PRIVATE_DIRECTORY_MODE = 0o700;

/** Creates the data directory with mode 0700 when missing; refuses one that is unsafe or cannot be written. */
export function prepareDataDir(dataDir: string): void {
  const directory = path.resolve(dataDir);
  let stats = lstatIfPresent(directory);
  if (stats === undefined) {
    try {
      createPrivateDirectory(directory);
    } catch (error) {
      throw new OrchestratorError('DATA_DIR', `cannot create data directory ${directory}: ${(error as Error).message}`, { cause: error });
    }
    // Checked again: whatever is there now (a link planted meanwhile, too) is what the checks below judge.
    stats = lstatSync(directory);
  }
  const problem = dataDirProblem(directory, stats);
  if (problem !== undefined) throw new OrchestratorError('DATA_DIR', problem);
  try {
    accessSync(directory, constants.W_OK | constants.R_OK | constants.X_OK);
  } catch {
    throw new OrchestratorError('DATA_DIR', `data directory ${directory} is not writable by this user (uid ${process.getuid?.()})`);
  }
}

/**
 * Creates `directory` (and missing parents) and sets it to mode 0700 through its descriptor, whatever the umask.
 * Returns whether it was created; an existing directory is left as it is.
 */
export function createPrivateDirectory(directory: string): boolean {
  const firstCreated = mkdirSync(directory, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  if (firstCreated === undefined) return false;
  const descriptor = openSync(directory, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    fchmodSync(descriptor, PRIVATE_DIRECTORY_MODE);
  } finally {
    closeSync(descriptor);
  }
  return true;
}

/** What makes `directory` unsafe as the data directory, as a sentence with the fix, or undefined when it is fine. */
function dataDirProblem(directory: string, stats: Stats): string | undefined {
  if (stats.isSymbolicLink()) {
    const real = realPathOrUndefined(directory);
    const fix = real === undefined ? 'set --data-dir to a real directory' : `set --data-dir to the real path ${real}`;
    return `data directory ${directory} is a symbolic link to ${readlinkSync(directory)}, which could be repointed: ${fix}`;
  }
  if (!stats.isDirectory()) return `data directory ${directory} is not a directory: remove it or set --data-dir to a directory`;
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) {
    return `data directory ${directory} is owned by uid ${stats.uid}, not this user (uid ${uid}): run chown ${uid} ${directory}`;
  }
  if ((stats.mode & 0o022) !== 0) {
    const mode = (stats.mode & 0o7777).toString(8).padStart(4, '0');
    return `data directory ${directory} is group/world-writable (mode ${mode}): run chmod 700 ${directory}`;
  }
  return undefined;
}

function lstatIfPresent(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch (error) {
    // ENOTDIR (a parent is a file): absent too, and creating it says why it cannot be.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new OrchestratorError('DATA_DIR', `cannot use data directory ${file}: ${(error as Error).message}`, { cause: error });
  }
}

function realPathOrUndefined(file: string): string | undefined {
  try {
    return realpathSync(file);
  } catch {
    return undefined;
  }
}
