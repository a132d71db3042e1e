/**
 * The secrets a configuration names by environment variable (every `*Env` key), and which of them are missing.
 * A missing one is a configuration problem like any other, reported with its place in the file, the variable and
 * where the service gets its environment from; `config validate`, the daemon's start and reload, and `doctor`
 * all ask here, so they agree.
 */
import { accessSync, constants, statSync } from 'node:fs';
import type { CompiledConfig } from './compiled.js';
import type { ConfigProblem } from './load.js';

/** One `*Env` key of the configuration. */
export interface SecretReference {
  /** Where in the file: notify.webhooks[0].secretEnv. */
  path: string;
  variable: string;
  /** What needs it, in words: "the signing secret of webhook ops". */
  what: string;
  /** The file configured beside it (secretFile, passwordFile ...): when it can be read, the variable is not needed. */
  file?: string;
  /** The daemon cannot start without it (an agent's key is read when the agent is built); others fail only their channel. */
  fatal: boolean;
  /** The variable is the backend's default, not written in the file. */
  implicit?: boolean;
}

/** A missing secret, as a configuration problem. */
export interface SecretProblem extends ConfigProblem {
  variable: string;
  fatal: boolean;
}

/** Every secret the configuration reads from the environment. */
export function secretReferences(config: CompiledConfig): SecretReference[] {
  const references: SecretReference[] = [];
  const email = config.notify.email?.auth;
  if (email?.passwordEnv) {
    references.push({ path: 'notify.email.auth.passwordEnv', variable: email.passwordEnv, what: `the SMTP password of ${email.user}`, file: email.passwordFile, fatal: false });
  }
  config.notify.webhooks.forEach((webhook, index) => {
    if (webhook.secretEnv) {
      references.push({
        path: `notify.webhooks[${index}].secretEnv`,
        variable: webhook.secretEnv,
        what: `the signing secret of webhook ${webhook.name}`,
        file: webhook.secretFile,
        fatal: false,
      });
    }
  });
  const alertmanager = config.alertmanager?.auth;
  if (alertmanager?.kind === 'bearer' && alertmanager.tokenEnv) {
    references.push({
      path: 'alertmanager.auth.bearerTokenEnv',
      variable: alertmanager.tokenEnv,
      what: "the bearer token Alertmanager's webhook must send",
      file: alertmanager.tokenFile,
      fatal: false,
    });
  }
  if (alertmanager?.kind === 'basic' && alertmanager.passwordEnv) {
    references.push({
      path: 'alertmanager.auth.passwordEnv',
      variable: alertmanager.passwordEnv,
      what: `the password Alertmanager's webhook must send for ${alertmanager.username}`,
      file: alertmanager.passwordFile,
      fatal: false,
    });
  }
  const postgres = config.store.postgres;
  if (postgres?.urlEnv) {
    // The daemon keeps healing on its own stores without it, but a fleet member that cannot reach the fleet is
    // a configuration error, not a quiet degradation.
    references.push({ path: 'store.postgres.urlEnv', variable: postgres.urlEnv, what: "the fleet store's PostgreSQL connection URL", fatal: true });
  }
  for (const [role, agent] of Object.entries(config.agents)) {
    // An API key file, when configured, is what the agent reads; the variable is then never consulted.
    if ((agent.backend !== 'openai' && agent.backend !== 'anthropic') || agent.apiKeyFile || !agent.apiKeyEnv) continue;
    references.push({
      path: `agents.${role}.apiKeyEnv`,
      variable: agent.apiKeyEnv,
      what: `the API key of the ${role} agent (${agent.backend} ${agent.model})`,
      fatal: true,
      implicit: agent.backend === 'anthropic' && agent.apiKeyEnv === 'ANTHROPIC_API_KEY' ? true : undefined,
    });
  }
  return references;
}

/** The variables the configuration names, once each. */
export function secretVariables(config: CompiledConfig): string[] {
  return [...new Set(secretReferences(config).map((reference) => reference.variable))];
}

export interface MissingSecretsOptions {
  /** The environment the secrets are read from (process.env, or the unit's). */
  env: NodeJS.ProcessEnv;
  /** The environment file the service loads (EnvironmentFile=), named in each message as where to set it. */
  environmentFile: string;
  /** Whether this process could read the environment file (it is 0600 root): said when it could not. */
  environmentFileReadable?: boolean;
  /** The unit, named in the fix. */
  unit?: string;
  /** Whether a file can be read (secretFile and the like); the real file system by default. */
  readable?: (file: string) => boolean;
}

/** The configured secrets whose variable is unset or empty (and whose file, if one is configured, cannot be read). */
export function missingSecrets(config: CompiledConfig, options: MissingSecretsOptions): SecretProblem[] {
  const readable = options.readable ?? isReadableFile;
  const unit = options.unit ?? 'autonomous-orchestrator';
  const problems: SecretProblem[] = [];
  for (const reference of secretReferences(config)) {
    if (options.env[reference.variable]?.trim()) continue;
    if (reference.file && readable(reference.file)) continue;
    const also = reference.file ? ` and ${reference.file} cannot be read` : '';
    const implicit = reference.implicit ? ' (the default for backend anthropic)' : '';
    const unreadable =
      options.environmentFileReadable === false ? ` (${options.environmentFile} exists but this user cannot read it: run as root to see what the service sees)` : '';
    problems.push({
      path: reference.path,
      variable: reference.variable,
      fatal: reference.fatal,
      message:
        `environment variable ${reference.variable}${implicit} is not set${also}: it holds ${reference.what}. ` +
        `The service gets its environment from ${options.environmentFile} (EnvironmentFile=)${unreadable}: ` +
        `add a line ${reference.variable}=... there, then systemctl reload ${unit}`,
    });
  }
  return problems;
}

function isReadableFile(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return statSync(file).size > 0;
  } catch {
    return false;
  }
}
