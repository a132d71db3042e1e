/** The verdict's schema: every agent reply is parsed here; anything else is no verdict. */
import { z } from 'zod/v4';
import type { Verdict } from './agent.js';
import { OrchestratorError } from '../core/errors.js';

/** Replies larger than this are rejected unread (a 10 MB reply is an attack or a malfunction). */
export const MAX_REPLY_BYTES = 64 * 1024;

export const verdictSchema = z
  .object({
    diagnosis: z.string().min(1).max(4000),
    symptomClass: z.string().min(1).max(80),
    action: z
      .object({
        type: z.string().min(1).max(64),
        params: z.record(z.string(), z.unknown()).default({}),
      })
      .strict(),
    confidence: z.number().min(0).max(1),
    rationale: z.string().max(4000).default(''),
  })
  .strict();

/** An agent gave no usable verdict: the reason is recorded, and the phase treats it as no vote. */
export class AgentError extends OrchestratorError {
  constructor(
    readonly kind: 'invalid_reply' | 'too_large' | 'timeout' | 'backend_error',
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super('AGENT_NO_VERDICT', message, { cause: options.cause, retryable: kind === 'timeout' || kind === 'backend_error' });
  }
}

/** Parses a reply (JSON text, or an already parsed value) into a verdict, or throws AgentError. */
export function parseVerdict(reply: unknown): Verdict {
  let value = reply;
  if (typeof reply === 'string') {
    if (Buffer.byteLength(reply, 'utf8') > MAX_REPLY_BYTES) throw new AgentError('too_large', `reply of ${Buffer.byteLength(reply, 'utf8')} bytes exceeds ${MAX_REPLY_BYTES}`);
    const json = extractJson(reply);
    if (json === undefined) throw new AgentError('invalid_reply', `reply is not JSON: ${JSON.stringify(reply.slice(0, 120))}`);
    value = json;
  }
  const parsed = verdictSchema.safeParse(value);
  if (!parsed.success) {
    throw new AgentError(
      'invalid_reply',
      `reply does not match the verdict schema: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`,
    );
  }
  return parsed.data as Verdict;
}

/** Accepts a bare JSON object or one fenced in ```json ... ``` (models like fences). */
function extractJson(text: string): unknown {
  const trimmed = text.trim();
  const fenced = /^```(?:json)?\s*\n([\s\S]*?)\n```$/.exec(trimmed);
  try {
    return JSON.parse(fenced ? fenced[1]! : trimmed);
  } catch {
    return undefined;
  }
}
