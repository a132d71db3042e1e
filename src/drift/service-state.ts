/**
 * A service's state as the drift check sees it: its definition (unit file, drop-ins, environment, user, limits),
 * the text of its unit files and environment files, and the owner, group and mode of the paths it uses. Recorded
 * while the service is healthy (its last-known-good state, kept with history) and again when it fails; the
 * difference is the drift. Secret values in environments are never kept: only a hash of each.
 */
import { createHash } from 'node:crypto';

export type FileRole = 'unit' | 'drop-in' | 'environment';

export interface CapturedFile {
  path: string;
  role: FileRole;
  /** sha256 of the file's real content. */
  sha256: string;
  /** The text: in full for unit files, with secret values replaced by their hash for environment files. */
  text: string;
  mode: number;
  uid: number;
  gid: number;
  modifiedAt: number;
}

export interface CapturedPath {
  path: string;
  /** Why it is watched: state, runtime, cache, logs or configuration directory, working directory, program ... */
  role: string;
  kind: 'directory' | 'file' | 'link' | 'other' | 'missing';
  uid: number;
  gid: number;
  mode: number;
  /** user:group by name where the host knows them (else the numbers). */
  owner: string;
  /** The newest of its mtime and ctime (a chown or chmod moves only ctime). */
  changedAt: number;
}

export interface ServiceState {
  service: string;
  unit: string;
  takenAt: number;
  user: string;
  group: string;
  workingDirectory: string;
  execPath: string;
  limits: Record<string, string>;
  /** Environment= assignments, secret values hashed. */
  environment: string[];
  files: CapturedFile[];
  paths: CapturedPath[];
}

/** Names whose values are secrets: shown and stored only as a hash. */
const SECRET_NAME = /PASS|SECRET|TOKEN|KEY|CREDENTIAL|AUTH|PRIVATE|CERT/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

export function hashValue(value: string): string {
  return `sha256:${createHash('sha256').update(value).digest('hex').slice(0, 16)}`;
}

/** KEY=value with a secret value replaced by its hash; anything else unchanged. */
export function redactAssignment(assignment: string): string {
  const match = /^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_]*)(\s*=\s*)(.*)$/.exec(assignment);
  if (!match || !isSecretName(match[2]!)) return assignment;
  return `${match[1]}${match[2]}${match[3]}${hashValue(unquote(match[4]!))}`;
}

/** An environment file's text with every secret value hashed. */
export function redactEnvironmentText(text: string): string {
  return text
    .split('\n')
    .map((line) => redactAssignment(line))
    .join('\n');
}

export function unquote(value: string): string {
  const trimmed = value.trim();
  if (trimmed.length >= 2 && (trimmed[0] === '"' || trimmed[0] === "'") && trimmed.endsWith(trimmed[0])) return trimmed.slice(1, -1);
  return trimmed;
}

/** KEY → value of an environment file or Environment= list (comments and blank lines skipped). */
export function environmentEntries(lines: readonly string[]): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of lines) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (match) entries.set(match[1]!, unquote(match[2]!));
  }
  return entries;
}

/** What two states of one service are compared on: everything but when they were taken. */
export function stateDigest(state: ServiceState): string {
  const { takenAt: _takenAt, ...rest } = state;
  const stable = { ...rest, files: rest.files.map(({ modifiedAt: _m, ...file }) => file), paths: rest.paths.map(({ changedAt: _c, ...entry }) => entry) };
  return createHash('sha256').update(JSON.stringify(stable)).digest('hex');
}
