/**
 * The environment file beside the configuration (/etc/autonomous-orchestrator/env): the unit loads it
 * (EnvironmentFile=), and the command reads the secrets the configuration names from it too, so that
 * `orchestrator notify test` or `config validate` run from a shell see what the service sees.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';

export const DEFAULT_ENVIRONMENT_FILE = '/etc/autonomous-orchestrator/env';
/** An environment file is a few lines; anything larger is not one. */
const MAX_ENVIRONMENT_FILE_BYTES = 64 * 1024;

/** The environment file that goes with a configuration file: `env` in its directory (the embedded default: /etc's). */
export function environmentFileFor(configSource: string): string {
  return existsSync(configSource) ? path.join(path.dirname(path.resolve(configSource)), 'env') : DEFAULT_ENVIRONMENT_FILE;
}

/** The assignments of an environment file in systemd's EnvironmentFile= syntax (KEY=value, # or ; comments, quotes). */
export function parseEnvironmentFile(text: string): Map<string, string> {
  const values = new Map<string, string>();
  const lines = text.replace(/\\\r?\n/g, '').split(/\r?\n/);
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    values.set(match[1]!, unquote(match[2]!));
  }
  return values;
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) return value.slice(1, -1);
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) return value.slice(1, -1).replace(/\\(["\\`$])/g, '$1');
  return value;
}

export type EnvironmentFileState = 'loaded' | 'missing' | 'unreadable';

/**
 * Sets the variables in `names` from the file into `env`: only those still unset (a shell's own value wins),
 * or every one the file has when `override` (the daemon's reload: under systemd the file is their source).
 * Other assignments in the file are left alone. Never throws.
 */
export function applyEnvironmentFile(file: string, names: readonly string[], env: NodeJS.ProcessEnv, options: { override?: boolean } = {}): EnvironmentFileState {
  let text: string;
  try {
    text = readSmallFile(file);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
  const values = parseEnvironmentFile(text);
  for (const name of names) {
    const value = values.get(name);
    if (value === undefined || value === '') continue;
    if (options.override || !env[name]) env[name] = value;
  }
  return 'loaded';
}

function readSmallFile(file: string): string {
  const descriptor = openSync(file, 'r');
  try {
    const stats = fstatSync(descriptor);
    if (!stats.isFile()) throw Object.assign(new Error(`${file} is not a regular file`), { code: 'EINVAL' });
    const buffer = Buffer.alloc(Math.min(stats.size, MAX_ENVIRONMENT_FILE_BYTES));
    const length = readSync(descriptor, buffer, 0, buffer.length, 0);
    return buffer.toString('utf8', 0, length);
  } finally {
    closeSync(descriptor);
  }
}
