/** A unit's definition as `systemctl show` prints it, in the neutral words of ServiceDefinition. */
import type { ServiceDefinition } from '../../core/ports.js';

const LIMITS = ['LimitNOFILE', 'LimitNOFILESoft', 'LimitNPROC', 'LimitCORE', 'LimitMEMLOCK', 'LimitAS', 'LimitFSIZE', 'TasksMax', 'MemoryMax'] as const;
const DIRECTORY_ROOTS = { StateDirectory: '/var/lib', RuntimeDirectory: '/run', CacheDirectory: '/var/cache', LogsDirectory: '/var/log', ConfigurationDirectory: '/etc' } as const;

/** The properties `definitionFromShow` reads. */
export const DEFINITION_PROPERTIES = [
  'FragmentPath',
  'DropInPaths',
  'EnvironmentFiles',
  'Environment',
  'User',
  'Group',
  'WorkingDirectory',
  'ExecStart',
  'ReadWritePaths',
  ...LIMITS,
  ...Object.keys(DIRECTORY_ROOTS),
] as const;

/** Splits systemd's space-separated list, keeping "double quoted" words whole. */
export function splitWords(value: string): string[] {
  const words: string[] = [];
  for (const match of value.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) words.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2]!);
  return words;
}

export function definitionFromShow(stdout: string): ServiceDefinition {
  const single = new Map<string, string>();
  const environmentFiles: string[] = [];
  for (const line of stdout.split('\n')) {
    const at = line.indexOf('=');
    if (at <= 0) continue;
    const key = line.slice(0, at);
    const value = line.slice(at + 1);
    // One EnvironmentFiles= line per file: "/etc/default/app (ignore_errors=yes)".
    if (key === 'EnvironmentFiles') {
      const file = value.replace(/\s+\(ignore_errors=\w+\)$/, '').replace(/^-/, '');
      if (file.startsWith('/')) environmentFiles.push(file);
    } else if (!single.has(key)) single.set(key, value);
  }
  const get = (key: string) => single.get(key) ?? '';
  const exec = /path=(\S+)/.exec(get('ExecStart'))?.[1] ?? '';
  const limits: Record<string, string> = {};
  for (const limit of LIMITS) if (single.has(limit)) limits[limit] = get(limit);
  const directories = [
    ...Object.entries(DIRECTORY_ROOTS).flatMap(([key, root]) => splitWords(get(key)).map((name) => `${root}/${name}`)),
    // What the sandbox lets it write ("-" marks an optional path): its own directories, when not shared ones.
    ...splitWords(get('ReadWritePaths'))
      .map((entry) => entry.replace(/^[-+]+/, ''))
      .filter((entry) => entry.startsWith('/')),
  ];
  return {
    unitFiles: [get('FragmentPath'), ...splitWords(get('DropInPaths'))].filter((file) => file.startsWith('/')),
    environmentFiles,
    environment: splitWords(get('Environment')),
    user: get('User'),
    group: get('Group'),
    workingDirectory: get('WorkingDirectory').replace(/^[-!+]+/, ''),
    execPath: exec,
    limits,
    directories,
  };
}
