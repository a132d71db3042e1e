/**
 * `orchestrator install` and `uninstall` as a list of steps: computed first (so --dry-run shows exactly what
 * would happen), then carried out one by one through the file system and the command runner.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CompiledConfig } from '../config/compiled.js';

export const UNIT_NAME = 'autonomous-orchestrator.service';
const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

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
  /** The configuration that will be used, if it exists already: its paths become writable in the sandbox. */
  config?: CompiledConfig;
  node?: string;
  cli?: string;
}

/** Paths the hardened unit must be able to write: data, runtime state, journal, and what the config names. */
export function readWritePaths(options: InstallOptions): string[] {
  const paths = new Set<string>([options.dataDir, '/run', '-/var/log/journal']);
  for (const service of options.config?.services ?? []) {
    for (const configPath of service.configPaths) paths.add(`-${configPath}`);
    for (const file of service.runtimeFiles) paths.add(`-${path.dirname(file)}`);
  }
  for (const cleanup of options.config?.host.cleanup ?? []) paths.add(`-${cleanup.path}`);
  return [...paths];
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
    .replaceAll('@READ_WRITE_PATHS@', readWritePaths(options).join(' '));
}

export function installSteps(options: InstallOptions): InstallStep[] {
  const unitPath = path.join(options.unitDir, UNIT_NAME);
  const configPath = path.join(options.configDir, 'config.yaml');
  return [
    { kind: 'mkdir', path: options.configDir, mode: 0o755, describe: `create ${options.configDir}` },
    {
      kind: 'write',
      path: configPath,
      content: readFileSync(path.join(PACKAGE_ROOT, 'deploy', 'config.example.yaml'), 'utf8'),
      mode: 0o640,
      onlyIfMissing: true,
      describe: existsSync(configPath) ? `keep the existing ${configPath}` : `write a commented example configuration to ${configPath}`,
    },
    { kind: 'mkdir', path: options.dataDir, mode: 0o700, describe: `create the data directory ${options.dataDir} (mode 0700)` },
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
