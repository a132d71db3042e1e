/**
 * path_info: owner, group, mode and kind of one absolute path, and of every directory above it (a permission
 * denied is as often a parent without x as the file itself). lstat only: a link is described with its target,
 * never followed, and no content is ever read.
 */
import { lstat, readlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { posix } from 'node:path';
import { z } from 'zod/v4';
import { normalizeAbsolute } from '../core/path-policy.js';
import { readAccountNames, type AccountNames } from '../drift/account-names.js';
import { defineTool, type PathFact } from './tool.js';

const MAX_PARENTS = 16;

export const pathInfoTool = defineTool({
  name: 'path_info',
  description:
    'Owner, group, mode and kind (file, directory, link with its target, socket ...) of an absolute path, and owner and mode of each directory above it. Never reads or changes the file.',
  input: z
    .object({
      path: z
        .string()
        .min(1)
        .max(4096)
        .refine((path) => normalizeAbsolute(path) !== undefined, { error: 'an absolute path without ".." or control characters' })
        .describe('an absolute path, e.g. /var/lib/app/db'),
    })
    .strict(),
  async run({ path }) {
    const target = normalizeAbsolute(path)!;
    const names = await readAccountNames();
    const fact = await describePath(target, names);
    const parents: string[] = [];
    for (const directory of ancestors(target).slice(-MAX_PARENTS)) {
      const parent = await describePath(directory, names);
      parents.push(
        parent.kind === 'missing'
          ? `${directory} missing`
          : `${directory} ${parent.owner}:${parent.group} ${octal(parent.mode)}${parent.kind === 'directory' ? '' : ` (${parent.kind})`}`,
      );
    }
    return { text: [render(fact), `parents: ${parents.join(' · ') || '(none)'}`].join('\n'), facts: [fact] };
  },
});

/** The directories above `path`, from / down to its parent. */
function ancestors(path: string): string[] {
  const result: string[] = [];
  for (let current = posix.dirname(path); ; current = posix.dirname(current)) {
    result.unshift(current);
    if (current === '/') break;
  }
  return path === '/' ? [] : result;
}

/** lstat of one path as a fact (kind missing, with the error code in the owner, when it cannot be read). */
export async function describePath(path: string, names: AccountNames): Promise<PathFact & { size?: number; modifiedAt?: number; error?: string }> {
  let info: Stats;
  try {
    info = await lstat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return { type: 'path', path, kind: code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unknown', owner: '', group: '', mode: 0, error: code };
  }
  const fact: PathFact & { size?: number; modifiedAt?: number } = {
    type: 'path',
    path,
    kind: kindOf(info),
    owner: names.user(info.uid),
    group: names.group(info.gid),
    mode: info.mode & 0o7777,
    size: info.size,
    modifiedAt: info.mtimeMs,
  };
  if (fact.kind === 'link') fact.linkTarget = (await readlink(path).catch(() => '?')).slice(0, 300);
  return fact;
}

function render(fact: Awaited<ReturnType<typeof describePath>>): string {
  if (fact.kind === 'missing') return `${fact.path}: does not exist (${fact.error})`;
  if (fact.kind === 'unknown') return `${fact.path}: cannot be inspected (${fact.error})`;
  const parts = [
    `${fact.path}: ${fact.kind}${fact.linkTarget !== undefined ? ` -> ${fact.linkTarget} (not followed)` : ''}`,
    `owner ${fact.owner}, group ${fact.group}`,
    `mode ${octal(fact.mode)} (${symbolic(fact.mode, fact.kind)})`,
  ];
  if (fact.kind === 'file') parts.push(`${fact.size} bytes`);
  if (fact.modifiedAt) parts.push(`modified ${new Date(fact.modifiedAt).toISOString()}`);
  return parts.join(', ');
}

function kindOf(info: Stats): PathFact['kind'] {
  if (info.isSymbolicLink()) return 'link';
  if (info.isDirectory()) return 'directory';
  if (info.isFile()) return 'file';
  if (info.isSocket()) return 'socket';
  if (info.isFIFO()) return 'fifo';
  if (info.isBlockDevice() || info.isCharacterDevice()) return 'device';
  return 'unknown';
}

export function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

/** ls-style permissions: rwxr-x--- with setuid, setgid and sticky bits. */
export function symbolic(mode: number, kind: PathFact['kind']): string {
  const type = { directory: 'd', link: 'l', socket: 's', fifo: 'p', device: 'c', file: '-', missing: '?', unknown: '?' }[kind];
  const triple = (bits: number, special: boolean, letter: string) =>
    `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${special ? (bits & 1 ? letter : letter.toUpperCase()) : bits & 1 ? 'x' : '-'}`;
  return `${type}${triple(mode >> 6, (mode & 0o4000) !== 0, 's')}${triple(mode >> 3, (mode & 0o2000) !== 0, 's')}${triple(mode, (mode & 0o1000) !== 0, 't')}`;
}
