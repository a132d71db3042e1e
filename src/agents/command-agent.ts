/**
 * An agent backed by a local program (e.g. `claude -p --output-format json`): the prompt goes to its stdin, the
 * verdict comes back on stdout. The program runs through the CommandRunner, so it gets argv only, a timeout that
 * kills its whole process group, and output capped just above the largest reply we would read.
 */
import type { Agent, AgentContext, Perspective, Toolbox, Verdict } from './agent.js';
import type { CommandRunner } from '../core/ports.js';
import { AgentError, MAX_REPLY_BYTES, parseVerdict } from './verdict-schema.js';
import { buildPrompt, investigationSection } from './prompt.js';
import { sanitizeText } from '../core/sanitize.js';

export interface CommandAgentOptions {
  name: string;
  argv: readonly string[];
  timeoutMs: number;
  runner: CommandRunner;
  env?: Record<string, string>;
}

/** Runs a local agent program per diagnosis; any failure becomes an AgentError (no vote), never a crash. */
export class CommandAgent implements Agent {
  readonly name: string;

  constructor(private readonly options: CommandAgentOptions) {
    if (options.argv.length === 0) throw new TypeError('CommandAgent needs a program in argv');
    this.name = options.name;
  }

  async diagnose(context: AgentContext, perspective: Perspective, signal: AbortSignal, tools?: Toolbox): Promise<Verdict> {
    if (signal.aborted) throw new AgentError('timeout', `${this.name}: aborted before the agent started`);
    const { system, user, fence } = buildPrompt(context, perspective, { probed: tools !== undefined });
    // The program cannot call back into the orchestrator, so it gets the default probes' results up front.
    const investigation = tools ? `\n\n${investigationSection(await runDefaultProbes(tools, signal), fence)}\n` : '';
    if (signal.aborted) throw new AgentError('timeout', `${this.name}: aborted while probing, before the agent started`);
    const stdin = `${system}\n\n==================== TASK ====================\n\n${user}\n${investigation}`;
    const result = await this.options.runner.run(this.options.argv, {
      timeoutMs: this.options.timeoutMs,
      signal,
      stdin,
      maxOutputBytes: MAX_REPLY_BYTES + 1,
      ...(this.options.env ? { env: this.options.env } : {}),
    });
    if (result.spawnError)
      throw new AgentError('backend_error', `${this.name}: could not start ${sanitizeText(this.options.argv[0]!, 200)}: ${sanitizeText(result.spawnError, 200)}`);
    if (result.timedOut) throw new AgentError('timeout', `${this.name}: no reply within ${this.options.timeoutMs} ms (process group killed)`);
    if (signal.aborted) throw new AgentError('timeout', `${this.name}: aborted (process group killed)`);
    if (result.exitCode !== 0) {
      const status = result.exitCode === null ? `signal ${result.signal ?? 'unknown'}` : `status ${result.exitCode}`;
      throw new AgentError('backend_error', `${this.name}: exited with ${status}: ${stderrExcerpt(result.stderr)}`);
    }
    if (result.truncated && Buffer.byteLength(result.stdout, 'utf8') > MAX_REPLY_BYTES) {
      throw new AgentError('too_large', `${this.name}: reply exceeds ${MAX_REPLY_BYTES} bytes`);
    }
    try {
      return parseReply(result.stdout);
    } catch (error) {
      if (error instanceof AgentError) throw new AgentError(error.kind, `${this.name}: ${error.message}`, { cause: error });
      throw error;
    }
  }
}

/** Runs the toolbox's default probes one after another and returns every call it answered. */
async function runDefaultProbes(tools: Toolbox, signal: AbortSignal): Promise<Toolbox['calls']> {
  for (const call of await tools.defaultCalls(signal)) {
    if (signal.aborted) break;
    await tools.run(call.name, call.input, signal);
  }
  return tools.calls;
}

/** Reads stdout: a Claude Code result envelope (object, or the array `--verbose` prints) or the bare verdict. */
export function parseReply(stdout: string): Verdict {
  const text = stdout.trim();
  if (text === '') throw new AgentError('invalid_reply', 'empty reply');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return parseModelText(text);
  }
  const envelope = Array.isArray(parsed) ? [...parsed].reverse().find(isEnvelope) : isEnvelope(parsed) ? parsed : undefined;
  if (!envelope) return parseVerdict(parsed);
  if (envelope.is_error === true || (typeof envelope.subtype === 'string' && envelope.subtype.startsWith('error'))) {
    throw new AgentError('backend_error', `agent reported an error (${sanitizeText(String(envelope.subtype ?? 'error'), 60)}): ${sanitizeText(envelope.result, 300)}`);
  }
  return parseModelText(envelope.result);
}

interface Envelope {
  type?: unknown;
  subtype?: unknown;
  is_error?: unknown;
  result: string;
}

function isEnvelope(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return typeof record.result === 'string' && (record.type === undefined || record.type === 'result');
}

/** Model text: the bare or fenced JSON, else one ```json block or the outermost {...} inside some prose. */
function parseModelText(text: string): Verdict {
  try {
    return parseVerdict(text);
  } catch (error) {
    if (!(error instanceof AgentError) || error.kind !== 'invalid_reply' || !error.message.startsWith('reply is not JSON')) throw error;
    const fenced = /```(?:json)?[ \t]*\n([\s\S]*?)\n[ \t]*```/.exec(text);
    const start = text.indexOf('{');
    const end = text.lastIndexOf('}');
    const candidate = fenced ? fenced[1]! : start >= 0 && end > start ? text.slice(start, end + 1) : undefined;
    if (candidate === undefined) throw error;
    return parseVerdict(candidate);
  }
}

function stderrExcerpt(stderr: string): string {
  const trimmed = stderr.trim();
  if (trimmed === '') return '(no stderr)';
  return sanitizeText(trimmed.length > 500 ? `…${trimmed.slice(-500)}` : trimmed, 600);
}
