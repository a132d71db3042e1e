/** Shared CLI plumbing: global options, loading configuration and stores, exit codes. */
import type { Command } from 'commander';
import { loadConfig, systemDataDirReason } from '../config/load.js';
import type { CompiledConfig } from '../config/compiled.js';
import { openStores, type Stores } from '../store/stores.js';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { userInfo } from 'node:os';
import { applyEnvironmentFile, environmentFileFor, type EnvironmentFileState } from '../config/environment-file.js';
import { missingSecrets, secretVariables, type SecretProblem } from '../config/secrets.js';

/** Exit codes: 2 for a usage or configuration error, 3 when `status` finds no daemon running (as systemctl status). */
export const EXIT = { ok: 0, failure: 1, usage: 2, notRunning: 3 } as const;

export interface GlobalOptions {
  config?: string;
  dataDir?: string;
}

export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals() as GlobalOptions;
}

/**
 * Loads the configuration; --data-dir overrides the configured data directory. The override is resolved to an
 * absolute path and held to the same rule as the configured one: never in a system tree such as /proc or /etc.
 * The secrets it names are read from its environment file too (those the environment does not set).
 */
export function configFor(options: GlobalOptions): CompiledConfig {
  const dataDir = options.dataDir === undefined ? undefined : dataDirOverride(options.dataDir);
  const config = loadConfig({ path: options.config });
  loadEnvironmentFile(config);
  return dataDir ? { ...config, dataDir } : config;
}

/**
 * Reads the secret variables the configuration names from the environment file the unit loads (EnvironmentFile=),
 * so that the command sees what the service sees: only those unset here, or every one with `override`.
 */
export function loadEnvironmentFile(config: CompiledConfig, override = false): EnvironmentFileState {
  return applyEnvironmentFile(environmentFileFor(config.source), secretVariables(config), process.env, { override });
}

/** The configuration's secret variables that are unset in this process (after its environment file was read). */
export function secretProblemsFor(config: CompiledConfig, state: EnvironmentFileState = loadEnvironmentFile(config)): SecretProblem[] {
  return missingSecrets(config, { env: process.env, environmentFile: environmentFileFor(config.source), environmentFileReadable: state !== 'unreadable' });
}

/** The absolute data directory named by --data-dir, or a UsageError saying why it cannot be one. */
export function dataDirOverride(value: string): string {
  if (value.trim() === '') throw new UsageError('--data-dir needs a directory');
  if (/[\u0000-\u001f]/.test(value)) throw new UsageError('--data-dir contains control characters');
  const directory = resolve(value);
  const reason = systemDataDirReason(directory);
  if (reason) throw new UsageError(`${reason} (--data-dir)`);
  return directory;
}

/** Opens the stores of an existing data directory (reports never create one). */
export function storesFor(config: CompiledConfig): Stores {
  if (!existsSync(join(config.dataDir, 'tasks.db'))) {
    throw new UsageError(`no data in ${config.dataDir} yet: run "orchestrator run" first, or pass --data-dir`);
  }
  return openStores(config.dataDir);
}

/** Runs `work` with the stores open, closing them afterwards. */
export function withStores<T>(config: CompiledConfig, work: (stores: Stores) => T): T {
  const stores = storesFor(config);
  try {
    return work(stores);
  } finally {
    stores.close();
  }
}

/** Prints JSON (for --json) or text. */
export function output(json: boolean | undefined, value: unknown, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

export function positiveInteger(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${name} must be a positive whole number (got "${value}")`);
    return Number(value);
  };
}

/** Who runs a CLI command, for the record of every change: the local user (`cli:root`). */
export function cliActor(): string {
  let user = process.env.SUDO_USER ?? process.env.USER;
  try {
    user ??= userInfo().username;
  } catch {
    user ??= String(process.getuid?.() ?? 'unknown');
  }
  return `cli:${user}`;
}
