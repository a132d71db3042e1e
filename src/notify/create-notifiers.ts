/** Builds the configured notifiers (email, webhooks) from `notify`, wiring their secrets from env or file. */
import { readFileSync, statSync } from 'node:fs';
import type { SMTPTransportOptions } from 'nodemailer';
import type { CompiledConfig } from '../config/compiled.js';
import { NotifyError } from './dispatcher.js';
import { EmailNotifier } from './email-notifier.js';
import type { Notifier } from '../core/notification.js';
import { WebhookNotifier } from './webhook-notifier.js';

/** Test and wiring hooks for createNotifiers. */
export interface CreateNotifiersOptions {
  fetch?: typeof fetch;
  /** Extra nodemailer options, e.g. `{ tls: { rejectUnauthorized: false } }`. */
  emailTransportOptions?: Partial<SMTPTransportOptions>;
  /** Environment to read secrets from; process.env by default. */
  env?: NodeJS.ProcessEnv;
}

/** One notifier per configured channel; secrets are read at each send, so a missing one is a delivery error, not a crash. */
export function createNotifiers(config: CompiledConfig['notify'], options: CreateNotifiersOptions = {}): Notifier[] {
  const env = options.env ?? process.env;
  const notifiers: Notifier[] = [];
  if (config.email) {
    const auth = config.email.auth;
    notifiers.push(
      new EmailNotifier(config.email, {
        password: auth && (auth.passwordEnv || auth.passwordFile) ? () => readSecret('SMTP password', auth.passwordEnv, auth.passwordFile, env) : undefined,
        transportOptions: options.emailTransportOptions,
      }),
    );
  }
  for (const webhook of config.webhooks) {
    const signed = Boolean(webhook.secretEnv || webhook.secretFile);
    notifiers.push(
      new WebhookNotifier(webhook, {
        fetch: options.fetch,
        secret: signed ? () => readSecret(`secret of webhook ${webhook.name}`, webhook.secretEnv, webhook.secretFile, env) : undefined,
      }),
    );
  }
  return notifiers;
}

/**
 * Reads a secret from the environment variable, else the file (trailing newline dropped). Errors name the
 * variable or file, never the value. A missing secret is permanent: retrying the same delivery cannot make it
 * appear (it needs the environment file and a reload), so the notification fails at once instead of eight times.
 */
/** The largest secret file read (a token, a password, a connection URL). */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

export function readSecret(what: string, envName: string | undefined, file: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const missing = (message: string) => new NotifyError(`${what}: ${message}`, { retryable: false });
  if (envName) {
    const value = env[envName];
    if (value) return value;
    if (!file) throw missing(`environment variable ${envName} is not set or empty`);
  }
  if (!file) throw missing('neither an environment variable nor a file is configured');
  let value: string;
  try {
    // A secret is a line or a few; a file far larger is the wrong file, refused before it is read.
    if (statSync(file).size > MAX_SECRET_FILE_BYTES) throw missing(`${file} is larger than ${MAX_SECRET_FILE_BYTES / 1024} KiB: not a secret file`);
    value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    if (error instanceof NotifyError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw missing(`cannot read ${file} (${code})${envName ? ` and ${envName} is not set` : ''}`);
  }
  if (!value) throw missing(`${file} is empty`);
  return value;
}

/** The delivery channels configured: "email" and "webhook:<name>" for each webhook. */
export function channelNames(config: { notify: { email?: unknown; webhooks: ReadonlyArray<{ name: string }> } }): string[] {
  return [...(config.notify.email ? ['email'] : []), ...config.notify.webhooks.map((webhook) => `webhook:${webhook.name}`)];
}
