/**
 * Webhook delivery: POSTs the Notification (generic) or a Slack message as JSON, signed with HMAC-SHA256 when a
 * secret is configured. The signed string is `${timestamp}.${body}` (timestamp in Unix seconds, also sent as
 * X-Orchestrator-Timestamp), so a captured request cannot be replayed later under a fresh timestamp.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CompiledConfig } from '../config/compiled.js';
import { sanitizeText } from '../core/sanitize.js';
import { NotifyError } from './dispatcher.js';
import { slackPayload } from './format.js';
import type { Notification, Notifier } from '../core/notification.js';

/** One entry of `notify.webhooks`. */
export type WebhookConfig = CompiledConfig['notify']['webhooks'][number];

/** What the webhook notifier needs besides its configuration. */
export interface WebhookNotifierOptions {
  /** Returns the signing secret (read from env or file at each send); unsigned when absent. */
  secret?: () => string;
  /** The fetch to use (tests, proxies); the global one by default. */
  fetch?: typeof fetch;
  /** Wall-clock milliseconds for the signature timestamp; Date.now by default. */
  now?: () => number;
}

/** `sha256=<hex>` of HMAC-SHA256(secret, `${timestamp}.${body}`): what X-Orchestrator-Signature carries. */
export function signBody(body: string, timestamp: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * For receivers and tests: true when `header` is the signature of `body` at `timestamp` under `secret`
 * (constant-time compare). Pass `maxAgeSeconds` to also refuse stale timestamps (replays).
 */
export function verifySignature(
  body: string,
  timestamp: string,
  header: string | null | undefined,
  secret: string,
  options: { maxAgeSeconds?: number; now?: number } = {},
): boolean {
  if (!header || !/^\d+$/.test(timestamp)) return false;
  if (options.maxAgeSeconds !== undefined) {
    const ageSeconds = Math.abs((options.now ?? Date.now()) / 1000 - Number(timestamp));
    if (ageSeconds > options.maxAgeSeconds) return false;
  }
  const expected = Buffer.from(signBody(body, timestamp, secret));
  const actual = Buffer.from(header.trim());
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Sends notifications to one configured webhook (channel `webhook:<name>`). */
export class WebhookNotifier implements Notifier {
  readonly channel: string;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;

  constructor(
    private readonly config: WebhookConfig,
    private readonly options: WebhookNotifierOptions = {},
  ) {
    this.channel = `webhook:${config.name}`;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
  }

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    const body = JSON.stringify(this.config.format === 'slack' ? slackPayload(notification) : notification);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'autonomous-orchestrator',
      'x-orchestrator-event': notification.kind,
      'x-orchestrator-dedup-key': notification.dedupKey.replace(/[^\x20-\x7e]/g, '_'),
    };
    if (this.options.secret) {
      const timestamp = String(Math.floor(this.now() / 1000));
      headers['x-orchestrator-timestamp'] = timestamp;
      headers['x-orchestrator-signature'] = signBody(body, timestamp, this.options.secret());
    }
    const timeout = AbortSignal.timeout(this.config.timeoutMs);
    const combined = AbortSignal.any([signal, timeout]);
    let response: Response;
    try {
      response = await this.fetch(this.config.url, { method: 'POST', headers, body, signal: combined, redirect: 'manual' });
    } catch (error) {
      throw this.requestError(error, timeout, signal);
    }
    if (response.status < 200 || response.status >= 300) {
      const snippet = await readSnippet(response);
      throw new NotifyError(`${this.where()} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${snippet}`);
    }
    await response.body?.cancel().catch(() => {});
  }

  /** The webhook's name and origin only: the path of a Slack-style URL is itself a secret. */
  private where(): string {
    let origin = 'an invalid URL';
    try {
      origin = new URL(this.config.url).origin;
    } catch {
      // reported as is below
    }
    return `webhook ${this.config.name} (${origin})`;
  }

  private requestError(error: unknown, timeout: AbortSignal, signal: AbortSignal): NotifyError {
    if (error instanceof NotifyError) return error;
    if (timeout.aborted && !signal.aborted) {
      return new NotifyError(`${this.where()}: no response within ${this.config.timeoutMs} ms (timeout)`, { cause: error });
    }
    if (signal.aborted) return new NotifyError(`${this.where()}: request aborted`, { cause: error });
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.message || cause?.code || (error instanceof Error ? error.message : String(error));
    return new NotifyError(`${this.where()}: request failed: ${sanitizeText(reason, 300)}`, { cause: error });
  }
}

async function readSnippet(response: Response): Promise<string> {
  try {
    const text = (await response.text()).trim();
    return text ? `: ${sanitizeText(text.replace(/\s+/g, ' '), 200)}` : '';
  } catch {
    return '';
  }
}
