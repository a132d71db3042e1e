/**
 * Drift: what differs between a service's last-known-good state and its state now, in the words an engineer
 * reads in a diff, with the time of each change where the file system knows it. Pure.
 */
import type { DriftChange, DriftKind, DriftReport } from '../core/drift-report.js';
import { environmentEntries, isSecretName, type CapturedFile, type ServiceState } from './service-state.js';

const MAX_DIFF_LINES = 40;

export type { DriftChange, DriftKind, DriftReport, PackageEvent } from '../core/drift-report.js';
export { DRIFT_KINDS } from '../core/drift-report.js';

export function computeDrift(good: ServiceState, now: ServiceState): DriftChange[] {
  const changes: DriftChange[] = [];
  const before = new Map(good.files.map((file) => [file.path, file]));
  const after = new Map(now.files.map((file) => [file.path, file]));
  for (const file of now.files) {
    const old = before.get(file.path);
    if (!old) {
      changes.push({ kind: kindOf(file), path: file.path, summary: `${label(file)} ${file.path} added`, at: file.modifiedAt, lines: textDiff('', file.text) });
    } else if (old.sha256 !== file.sha256) {
      changes.push({
        kind: kindOf(file),
        path: file.path,
        summary: `${label(file)} ${file.path} changed`,
        at: file.modifiedAt,
        lines: file.role === 'environment' ? environmentDiff(old.text, file.text) : textDiff(old.text, file.text),
      });
    } else if (old.mode !== file.mode || old.uid !== file.uid || old.gid !== file.gid) {
      changes.push({ kind: 'mode', path: file.path, summary: `${label(file)} ${file.path}: mode ${octal(old.mode)} → ${octal(file.mode)}`, at: file.modifiedAt });
    }
  }
  for (const file of good.files) {
    if (!after.has(file.path)) changes.push({ kind: kindOf(file), path: file.path, summary: `${label(file)} ${file.path} removed`, lines: textDiff(file.text, '') });
  }
  if (good.user !== now.user) changes.push({ kind: 'user', summary: `User= ${show(good.user)} → ${show(now.user)}`, before: good.user, after: now.user });
  if (good.group !== now.group) changes.push({ kind: 'user', summary: `Group= ${show(good.group)} → ${show(now.group)}`, before: good.group, after: now.group });
  if (good.workingDirectory !== now.workingDirectory) {
    changes.push({
      kind: 'working-directory',
      summary: `WorkingDirectory= ${show(good.workingDirectory)} → ${show(now.workingDirectory)}`,
      before: good.workingDirectory,
      after: now.workingDirectory,
    });
  }
  if (good.execPath !== now.execPath)
    changes.push({ kind: 'program', summary: `ExecStart= program ${show(good.execPath)} → ${show(now.execPath)}`, before: good.execPath, after: now.execPath });
  for (const name of new Set([...Object.keys(good.limits), ...Object.keys(now.limits)])) {
    const was = good.limits[name] ?? '';
    const is = now.limits[name] ?? '';
    if (was !== is) changes.push({ kind: 'limit', summary: `${name}= ${show(was)} → ${show(is)}`, before: was, after: is });
  }
  const environment = environmentDiff(good.environment.join('\n'), now.environment.join('\n'));
  if (environment.length > 0) changes.push({ kind: 'environment', summary: `Environment= changed: ${environment.join('; ')}`, lines: environment });
  const paths = new Map(good.paths.map((entry) => [entry.path, entry]));
  for (const entry of now.paths) {
    const old = paths.get(entry.path);
    if (!old) continue;
    // What lives under /run (RuntimeDirectory=, a profile's runtime directory) goes when the service stops: not a change.
    const transient = entry.path === '/run' || entry.path.startsWith('/run/') || entry.path.startsWith('/var/run/');
    if (old.kind !== 'missing' && entry.kind === 'missing' && !transient) {
      changes.push({
        kind: 'missing',
        path: entry.path,
        summary: `${entry.role} ${entry.path} is gone (was a ${old.kind} owned by ${old.owner})`,
        before: old.kind,
        after: 'missing',
      });
      continue;
    }
    if (old.kind === 'missing' || entry.kind === 'missing') continue;
    if (old.uid !== entry.uid || old.gid !== entry.gid) {
      changes.push({ kind: 'owner', path: entry.path, summary: `${entry.path}: owner ${old.owner} → ${entry.owner}`, before: old.owner, after: entry.owner, at: entry.changedAt });
    }
    if (old.mode !== entry.mode)
      changes.push({
        kind: 'mode',
        path: entry.path,
        summary: `${entry.path}: mode ${octal(old.mode)} → ${octal(entry.mode)}`,
        before: octal(old.mode),
        after: octal(entry.mode),
        at: entry.changedAt,
      });
  }
  return changes;
}

function kindOf(file: CapturedFile): DriftKind {
  return file.role === 'unit' ? 'unit-file' : file.role === 'drop-in' ? 'drop-in' : 'environment';
}

function label(file: CapturedFile): string {
  return file.role === 'unit' ? 'unit file' : file.role === 'drop-in' ? 'drop-in' : 'environment file';
}

function show(value: string): string {
  return value === '' ? '(unset)' : value;
}

export function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}

/** Per variable, secrets by name only: "removed DATABASE_URL", "PORT: 8080 → 9090", "DB_PASSWORD: changed (secret)". */
export function environmentDiff(before: string, after: string): string[] {
  const old = environmentEntries(before.split('\n'));
  const now = environmentEntries(after.split('\n'));
  const lines: string[] = [];
  for (const [name, value] of old) {
    if (!now.has(name)) lines.push(`removed ${name}`);
    else if (now.get(name) !== value) lines.push(isSecretName(name) ? `${name}: changed (secret, value not shown)` : `${name}: ${value} → ${now.get(name)}`);
  }
  for (const name of now.keys()) if (!old.has(name)) lines.push(`added ${name}`);
  return lines;
}

/** A line diff (longest common subsequence) of two small texts, as "- " and "+ " lines, capped. */
export function textDiff(before: string, after: string): string[] {
  const a = before === '' ? [] : before.split('\n').slice(0, 400);
  const b = after === '' ? [] : after.split('\n').slice(0, 400);
  const common: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--) common[i]![j] = a[i] === b[j] ? common[i + 1]![j + 1]! + 1 : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
  const lines: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++;
      j++;
    } else if (j < b.length && (i >= a.length || common[i]![j + 1]! >= common[i + 1]![j]!)) lines.push(`+ ${b[j++]}`);
    else lines.push(`- ${a[i++]}`);
  }
  return lines.filter((line) => line.trim() !== '+' && line.trim() !== '-').slice(0, MAX_DIFF_LINES);
}

/** The drift as lines a human reads: times first, then the change, diffs indented. */
export function describeDrift(report: DriftReport, formatTime: (ms: number) => string): string[] {
  const lines: string[] = [];
  lines.push(report.knownGoodAt === null ? 'no last-known-good state recorded yet' : `last known good at ${formatTime(report.knownGoodAt)}`);
  for (const fact of report.facts) lines.push(`now: ${fact}`);
  for (const change of report.changes) {
    lines.push(`${change.at ? `${formatTime(change.at)} ` : ''}${change.summary}`);
    for (const line of change.lines ?? []) lines.push(`    ${line}`);
  }
  for (const event of report.packages)
    lines.push(`${formatTime(event.at)} package ${event.action} ${event.package}${event.from || event.to ? ` ${event.from ?? ''} → ${event.to ?? ''}` : ''}`);
  for (const file of report.modified) lines.push(`${formatTime(file.modifiedAt)} modified ${file.path}`);
  return lines;
}
