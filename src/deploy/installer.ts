/**
 * `orchestrator install` and `uninstall` as a list of steps: computed first (so --dry-run shows exactly what
 * would happen), then carried out one by one through the file system and the command runner.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CompiledConfig } from '../config/compiled.js';
import { secretReferences } from '../config/secrets.js';
import { baseWritablePaths, CONFIG_PATHS_DROP_IN, configWritablePaths, dropInDirectoryOf, renderConfigPathsDropIn } from './sandbox-paths.js';

export const UNIT_NAME = 'autonomous-orchestrator.service';
const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The commented example configuration install writes when there is none. */
export const EXAMPLE_CONFIG = path.join(PACKAGE_ROOT, 'deploy', 'config.example.yaml');

export type InstallStep =
  | { kind: 'write'; path: string; content: string; mode: number; onlyIfMissing: boolean; describe: string }
  | { kind: 'mkdir'; path: string; mode: number; describe: string }
  | { kind: 'remove'; path: string; describe: string }
  | { kind: 'run'; argv: string[]; describe: string; allowFailure?: boolean };

export interface InstallOptions {
  unitDir: string;
  configDir: string;
  dataDir: string;
  start: boolean;
  /** The configuration that will be used: its paths become writable in the sandbox, its secrets are listed in the environment file. */
  config?: CompiledConfig;
  node?: string;
  cli?: string;
}

/**
 * Paths the hardened unit itself lets the daemon write: data, runtime state, journal, and its own drop-in
 * directory, where the paths the configuration names go (deploy/sandbox-paths.ts: the daemon keeps them current).
 */
export function readWritePaths(options: InstallOptions): string[] {
  return baseWritablePaths(options.dataDir, dropInDirectoryOf(path.join(options.unitDir, UNIT_NAME)));
}

/** The environment file the unit loads (EnvironmentFile=) and the command reads: `env` beside config.yaml. */
export function environmentFilePath(configDir: string): string {
  return path.join(configDir, 'env');
}

/** The environment file as install first writes it: a commented line for each secret variable the configuration names. */
export function renderEnvironmentFile(config: CompiledConfig | undefined): string {
  const lines = [
    `# Environment of ${UNIT_NAME} (its EnvironmentFile=), read by the orchestrator command as well, so that`,
    '# `orchestrator notify test` and `orchestrator config validate` from a shell see what the service sees.',
    '# One VARIABLE=value per line; keep this file mode 0600, owned by root.',
    `# After a change: systemctl reload ${UNIT_NAME.replace(/\.service$/, '')} (a reload reads this file again).`,
  ];
  const references = config ? secretReferences(config) : [];
  if (references.length === 0) lines.push('#', '# The configuration names no secret variable (secretEnv, passwordEnv, apiKeyEnv ...) yet.');
  else lines.push('#', '# The secrets the configuration names:');
  const listed = new Set<string>();
  for (const reference of references) {
    lines.push(`# ${reference.path}: ${reference.what}`);
    if (!listed.has(reference.variable)) lines.push(`#${reference.variable}=`);
    listed.add(reference.variable);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * PrivateTmp= gives the service an empty /tmp and /var/tmp: a package installed below them (a checkout in /tmp)
 * would vanish, so it is bound back read-only at the same path.
 */
export function privateTmpBinds(paths: readonly string[]): string[] {
  const hidden = paths.filter((file) => /^\/(tmp|var\/tmp)\//.test(file)).map((file) => (file.startsWith(PACKAGE_ROOT + path.sep) ? PACKAGE_ROOT : path.dirname(file)));
  return [...new Set(hidden)];
}

export function renderUnit(options: InstallOptions): string {
  const template = readFileSync(path.join(PACKAGE_ROOT, 'deploy', UNIT_NAME), 'utf8');
  const node = options.node ?? process.execPath;
  const cli = options.cli ?? path.join(PACKAGE_ROOT, 'dist', 'cli', 'main.js');
  const binds = privateTmpBinds([node, cli]);
  const unit =
    binds.length === 0
      ? template
      : template.replace(/^PrivateTmp=yes$/m, `PrivateTmp=yes\n# Installed below /tmp: bound back into the private /tmp.\nBindReadOnlyPaths=${binds.join(' ')}`);
  return unit
    .replaceAll('@NODE@', node)
    .replaceAll('@CLI@', cli)
    .replaceAll('@CONFIG@', path.join(options.configDir, 'config.yaml'))
    .replaceAll('@DATA_DIR@', options.dataDir)
    .replaceAll('@ENVIRONMENT_FILE@', environmentFilePath(options.configDir))
    .replaceAll('@READ_WRITE_PATHS@', readWritePaths(options).join(' '));
}

export function installSteps(options: InstallOptions): InstallStep[] {
  const unitPath = path.join(options.unitDir, UNIT_NAME);
  const configPath = path.join(options.configDir, 'config.yaml');
  const environmentFile = environmentFilePath(options.configDir);
  const dropInDirectory = dropInDirectoryOf(unitPath);
  return [
    { kind: 'mkdir', path: options.configDir, mode: 0o755, describe: `create ${options.configDir}` },
    {
      kind: 'write',
      path: configPath,
      content: readFileSync(EXAMPLE_CONFIG, 'utf8'),
      mode: 0o640,
      onlyIfMissing: true,
      describe: existsSync(configPath) ? `keep the existing ${configPath}` : `write a commented example configuration to ${configPath}`,
    },
    {
      kind: 'write',
      path: environmentFile,
      content: renderEnvironmentFile(options.config),
      mode: 0o600,
      onlyIfMissing: true,
      describe: existsSync(environmentFile)
        ? `keep the existing environment file ${environmentFile}`
        : `write the environment file ${environmentFile} (mode 0600: the service's secrets go there)`,
    },
    { kind: 'mkdir', path: options.dataDir, mode: 0o700, describe: `create the data directory ${options.dataDir} (mode 0700)` },
    { kind: 'mkdir', path: dropInDirectory, mode: 0o755, describe: `create the unit's drop-in directory ${dropInDirectory}` },
    {
      kind: 'write',
      path: path.join(dropInDirectory, CONFIG_PATHS_DROP_IN),
      content: renderConfigPathsDropIn(options.config ? configWritablePaths(options.config) : [], configPath),
      mode: 0o644,
      onlyIfMissing: false,
      describe: `write ${path.join(dropInDirectory, CONFIG_PATHS_DROP_IN)}: the paths the configuration names are writable in the sandbox`,
    },
    { kind: 'write', path: unitPath, content: renderUnit(options), mode: 0o644, onlyIfMissing: false, describe: `write the unit ${unitPath}` },
    { kind: 'run', argv: ['systemctl', 'daemon-reload'], describe: 'reload systemd' },
    {
      kind: 'run',
      argv: ['systemctl', 'enable', ...(options.start ? ['--now'] : []), UNIT_NAME],
      describe: options.start ? `enable and start ${UNIT_NAME}` : `enable ${UNIT_NAME} (not started: --no-start)`,
    },
  ];
}

export function uninstallSteps(options: { unitDir: string; configDir: string; dataDir: string; purge: boolean }): InstallStep[] {
  const steps: InstallStep[] = [
    { kind: 'run', argv: ['systemctl', 'disable', '--now', UNIT_NAME], describe: `stop and disable ${UNIT_NAME}`, allowFailure: true },
    { kind: 'remove', path: path.join(options.unitDir, UNIT_NAME), describe: `remove ${path.join(options.unitDir, UNIT_NAME)}` },
    {
      kind: 'remove',
      path: dropInDirectoryOf(path.join(options.unitDir, UNIT_NAME)),
      describe: `remove ${dropInDirectoryOf(path.join(options.unitDir, UNIT_NAME))} (the drop-ins install and the daemon wrote)`,
    },
    { kind: 'run', argv: ['systemctl', 'daemon-reload'], describe: 'reload systemd' },
    { kind: 'run', argv: ['systemctl', 'reset-failed', UNIT_NAME], describe: `forget ${UNIT_NAME}'s failed state, if any`, allowFailure: true },
  ];
  if (options.purge) {
    steps.push(
      { kind: 'remove', path: options.configDir, describe: `remove the configuration ${options.configDir} (--purge)` },
      { kind: 'remove', path: options.dataDir, describe: `remove the data directory ${options.dataDir} with its history and learned patterns (--purge)` },
    );
  }
  return steps;
}

/** Carries out one file step (mkdir, write, remove); a write marked onlyIfMissing never replaces an existing file. */
export function performFileStep(step: Exclude<InstallStep, { kind: 'run' }>): void {
  switch (step.kind) {
    case 'mkdir':
      mkdirSync(step.path, { recursive: true, mode: step.mode });
      chmodSync(step.path, step.mode);
      return;
    case 'write':
      mkdirSync(path.dirname(step.path), { recursive: true });
      try {
        // O_EXCL for onlyIfMissing: an existing file (or a link planted there) is never written through.
        writeFileSync(step.path, step.content, { mode: step.mode, flag: step.onlyIfMissing ? 'wx' : 'w' });
      } catch (error) {
        if (step.onlyIfMissing && (error as NodeJS.ErrnoException).code === 'EEXIST') return;
        throw error;
      }
      chmodSync(step.path, step.mode);
      return;
    case 'remove':
      rmSync(step.path, { recursive: true, force: true });
      return;
  }
}
