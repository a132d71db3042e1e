/**
 * Host accounts from /etc/passwd and /etc/group, read capped and without NSS: uid and gid → name (a number stays a
 * number when no name is found), and whether a user exists. One reader for the state capture, the probes, the
 * diagnosis's facts and the check that a blocked escalation's user is back.
 */
import { readFile } from 'node:fs/promises';

const MAX_TABLE_BYTES = 1024 * 1024;
const MAX_ENTRIES = 5000;

export interface AccountNames {
  user(uid: number): string;
  group(gid: number): string;
}

export async function readAccountNames(passwd = '/etc/passwd', group = '/etc/group'): Promise<AccountNames> {
  const [users, groups] = await Promise.all([table(passwd), table(group)]);
  return { user: (uid) => users.get(uid) ?? String(uid), group: (gid) => groups.get(gid) ?? String(gid) };
}

async function table(file: string): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  const text = (await readFile(file, 'utf8').catch(() => '')).slice(0, MAX_TABLE_BYTES);
  for (const line of text.split('\n').slice(0, MAX_ENTRIES)) {
    const [name, , id] = line.split(':');
    if (name && id && /^\d+$/.test(id) && !names.has(Number(id))) names.set(Number(id), name.slice(0, 64));
  }
  return names;
}

/** Whether /etc/passwd (or the file given) has the user; false when it cannot be read. */
export async function userExists(name: string, passwd = '/etc/passwd'): Promise<boolean> {
  const text = (await readFile(passwd, 'utf8').catch(() => '')).slice(0, MAX_TABLE_BYTES);
  return text
    .split('\n')
    .slice(0, MAX_ENTRIES)
    .some((line) => line.split(':')[0] === name);
}
