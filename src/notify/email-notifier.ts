/** Email delivery over SMTP (nodemailer): one message per notification, failures explained without secrets. */
import type { NodemailerError, SMTPTransportOptions } from 'nodemailer';
import type { CompiledConfig } from '../config/compiled.js';
import { sanitizeText } from '../core/sanitize.js';
import { NotifyError } from './dispatcher.js';
import { htmlBody, subject, textBody } from './format.js';
import type { Notification, Notifier } from '../core/notification.js';

/** The `notify.email` section of the compiled configuration. */
export type EmailConfig = NonNullable<CompiledConfig['notify']['email']>;

/** What the email notifier needs besides its configuration. */
export interface EmailNotifierOptions {
  /** Returns the SMTP password (read from env or file at each send, so a rotated secret is picked up). */
  password?: () => string;
  /** Extra nodemailer options merged over the derived ones, e.g. `{ tls: { rejectUnauthorized: false } }` in tests. */
  transportOptions?: Partial<SMTPTransportOptions>;
}

/** Sends notifications to `notify.email.to`; the Message-ID is derived from the dedup key so mail clients thread and drop repeats. */
export class EmailNotifier implements Notifier {
  readonly channel = 'email';

  constructor(
    private readonly config: EmailConfig,
    private readonly options: EmailNotifierOptions = {},
  ) {}

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    // Loaded on the first email, not at start: nodemailer is a large share of an idle daemon's memory.
    const { default: nodemailer } = await import('nodemailer');
    const transport = nodemailer.createTransport(this.transportOptions());
    try {
      await transport.sendMail({
        from: this.config.from,
        to: [...this.config.to],
        subject: subject(notification),
        text: textBody(notification),
        html: htmlBody(notification),
        messageId: messageId(notification.dedupKey),
        headers: { 'X-Orchestrator-Dedup-Key': headerValue(notification.dedupKey), 'X-Orchestrator-Event': notification.kind },
        signal,
      });
    } catch (error) {
      throw describeSmtpError(error as NodemailerError, this.config);
    } finally {
      transport.close();
    }
  }

  private transportOptions(): SMTPTransportOptions {
    const { host, port, secure, requireTLS, auth, timeoutMs } = this.config;
    const options: SMTPTransportOptions = {
      host,
      port,
      secure,
      requireTLS,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
      disableFileAccess: true,
      disableUrlAccess: true,
    };
    if (auth) {
      if (!this.options.password) throw new NotifyError(`email: no SMTP password configured for user ${auth.user} (set passwordEnv or passwordFile)`, { retryable: false });
      options.auth = { user: auth.user, pass: this.options.password() };
    }
    return { ...options, ...this.options.transportOptions };
  }
}

/** `<dedupKey@autonomous-orchestrator>` with anything not allowed in a Message-ID replaced. */
export function messageId(dedupKey: string): string {
  const local = dedupKey
    .replace(/[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]/g, '_')
    .replace(/\.{2,}/g, '.')
    .replace(/^\.|\.$/g, '_');
  return `<${local || '_'}@autonomous-orchestrator>`;
}

function headerValue(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

/** Turns a nodemailer error into one line that says what failed: connection, TLS, auth, recipients, message. */
function describeSmtpError(error: NodemailerError, config: EmailConfig): NotifyError {
  if (error instanceof NotifyError) return error;
  const server = `${config.host}:${config.port}`;
  const reply = error.response ? `: ${sanitizeText(error.response, 300)}` : '';
  const code = error.code ?? '';
  const original = error.originalCode ?? code;
  const options = { cause: error };
  if (original === 'ECONNREFUSED') return new NotifyError(`email: cannot connect to SMTP server ${server}: connection refused`, options);
  if (code === 'ETIMEDOUT') return new NotifyError(`email: SMTP server ${server} timed out (${error.timeoutType ?? 'no reply'} after ${config.timeoutMs} ms)`, options);
  if (code === 'EDNS') return new NotifyError(`email: cannot resolve SMTP host ${config.host}: ${sanitizeText(error.message, 200)}`, options);
  if (code === 'ETLS' || code === 'EREQUIRETLS') return new NotifyError(`email: TLS with SMTP server ${server} failed: ${sanitizeText(error.message, 200)}`, options);
  if (code === 'EAUTH' || code === 'ENOAUTH') {
    return new NotifyError(`email: SMTP authentication failed for user ${config.auth?.user ?? '(none)'} at ${server}${reply}`, options);
  }
  if (code === 'EENVELOPE') {
    const rejected = error.rejected?.length ? ` ${error.rejected.join(', ')}` : '';
    return new NotifyError(`email: SMTP server ${server} rejected recipient(s)${rejected}${reply}`, { ...options, retryable: error.permanent !== true });
  }
  if (code === 'EMESSAGE') {
    return new NotifyError(`email: SMTP server ${server} rejected the message${reply}`, { ...options, retryable: error.permanent !== true });
  }
  if (code === 'EABORT') return new NotifyError('email: sending aborted', options);
  if (code === 'ECONNECTION' || code === 'ESOCKET') {
    return new NotifyError(`email: connection to SMTP server ${server} failed: ${sanitizeText(error.message, 200)}`, options);
  }
  return new NotifyError(`email: sending through ${server} failed${code ? ` (${code})` : ''}: ${sanitizeText(error.message, 300)}`, options);
}
