/**
 * Agents behind HTTP model APIs (any OpenAI-compatible server, and Anthropic) through the Vercel AI SDK. The SDK
 * asks for a JSON object of the verdict's schema; whatever comes back still goes through parseVerdict. With a
 * toolbox, the model may first call the read-only investigation tools (tool-calling.ts). No retries (the phase
 * decides what a missing vote means), one hard timeout over every request, and error messages that never carry the key.
 */
import { readFileSync } from 'node:fs';
// The AI SDK is loaded on first use: it costs ~18 MB of memory that a daemon on the heuristic backend never needs.
import type { LanguageModel } from 'ai';
import type { Agent, AgentContext, Perspective, Toolbox, Verdict } from './agent.js';
import { AgentError, MAX_REPLY_BYTES, parseVerdict, verdictSchema } from './verdict-schema.js';
import { buildPrompt, investigationSection } from './prompt.js';
import { investigateWithTools, MAX_TOOL_STEPS } from './tool-calling.js';
import { sanitizeText } from '../core/sanitize.js';
import { OrchestratorError } from '../core/errors.js';

/** HTTP response bodies larger than this are dropped unread: the JSON envelope escapes the reply, so allow some room. */
export const MAX_RESPONSE_BYTES = 4 * MAX_REPLY_BYTES;

export interface OpenAiCompatibleAgentOptions {
  name: string;
  /** e.g. http://127.0.0.1:11434/v1 (the SDK appends /chat/completions). */
  baseURL: string;
  model: string;
  apiKey?: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** An agent backed by an AI SDK language model, loaded (with the SDK) on first use. */
abstract class SdkAgent implements Agent {
  readonly name: string;
  private model: Promise<LanguageModel> | undefined;

  constructor(private readonly base: { name: string; timeoutMs: number; apiKey?: string }) {
    this.name = base.name;
  }

  protected abstract load(): Promise<LanguageModel>;

  async diagnose(context: AgentContext, perspective: Perspective, signal: AbortSignal, tools?: Toolbox): Promise<Verdict> {
    this.model ??= this.load();
    return diagnoseWith(await this.model, { name: this.name, timeoutMs: this.base.timeoutMs, apiKey: this.base.apiKey }, context, perspective, signal, tools);
  }
}

/** Talks to any OpenAI chat-completions server (Ollama, vLLM, llama.cpp, OpenAI itself) in JSON mode. */
export class OpenAiCompatibleAgent extends SdkAgent {
  constructor(private readonly options: OpenAiCompatibleAgentOptions) {
    super(options);
  }

  protected async load(): Promise<LanguageModel> {
    const { createOpenAICompatible } = await import('@ai-sdk/openai-compatible');
    const provider = createOpenAICompatible({
      name: 'openaiCompatible',
      baseURL: this.options.baseURL,
      ...(this.options.apiKey ? { apiKey: this.options.apiKey } : {}),
      fetch: cappedFetch(this.options.fetch ?? globalThis.fetch, MAX_RESPONSE_BYTES),
    });
    return provider.chatModel(this.options.model);
  }
}

export interface AnthropicAgentOptions {
  name: string;
  model: string;
  apiKey: string;
  /** Defaults to https://api.anthropic.com/v1. */
  baseURL?: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** Talks to the Anthropic messages API (the SDK forces a JSON tool whose input is the verdict). */
export class AnthropicAgent extends SdkAgent {
  constructor(private readonly options: AnthropicAgentOptions) {
    super(options);
  }

  protected async load(): Promise<LanguageModel> {
    const { createAnthropic } = await import('@ai-sdk/anthropic');
    const provider = createAnthropic({
      apiKey: this.options.apiKey,
      ...(this.options.baseURL ? { baseURL: this.options.baseURL } : {}),
      fetch: cappedFetch(this.options.fetch ?? globalThis.fetch, MAX_RESPONSE_BYTES),
    });
    return provider(this.options.model);
  }
}

/** Reads an API key from a file (trimmed) or an environment variable; undefined when neither is configured. */
export function resolveApiKey(options: { apiKeyEnv?: string; apiKeyFile?: string }, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (options.apiKeyFile) {
    let text: string;
    try {
      text = readFileSync(options.apiKeyFile, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new OrchestratorError('AGENT_API_KEY', `cannot read the API key file ${options.apiKeyFile}: ${code}`);
    }
    const key = text.trim();
    if (key === '') throw new OrchestratorError('AGENT_API_KEY', `the API key file ${options.apiKeyFile} is empty`);
    return key;
  }
  if (options.apiKeyEnv) {
    const key = env[options.apiKeyEnv]?.trim();
    if (!key) throw new OrchestratorError('AGENT_API_KEY', `the environment variable ${options.apiKeyEnv} (API key) is not set or empty`);
    return key;
  }
  return undefined;
}

async function diagnoseWith(
  model: LanguageModel,
  agent: { name: string; timeoutMs: number; apiKey: string | undefined },
  context: AgentContext,
  perspective: Perspective,
  signal: AbortSignal,
  toolbox?: Toolbox,
): Promise<Verdict> {
  if (signal.aborted) throw new AgentError('timeout', `${agent.name}: aborted before the request`);
  const { generateObject, NoObjectGeneratedError, APICallError } = await import('ai');
  const offered = toolbox && toolbox.tools.length > 0 ? toolbox : undefined;
  const { system, user, fence } = buildPrompt(context, perspective, offered ? { tools: { names: offered.tools.map((spec) => spec.name), rounds: MAX_TOOL_STEPS } } : {});
  const timeout = AbortSignal.timeout(agent.timeoutMs);
  const abortSignal = AbortSignal.any([signal, timeout]);
  const redact = (text: string) => {
    const clean = agent.apiKey && agent.apiKey.length >= 4 ? text.split(agent.apiKey).join('[redacted]') : text;
    return sanitizeText(clean, 400);
  };
  let object: unknown;
  try {
    let finalSystem = system;
    let finalPrompt = user;
    if (offered) {
      // Each step holds tool calls or a verdict: the same bound as the verdict request below.
      const round = await investigateWithTools(model, { system, prompt: user, toolbox: offered, fence, abortSignal, maxOutputTokens: 4096 });
      const direct = verdictIn(round.text);
      if (direct) return direct;
      finalSystem = `${system}\nThe investigation is over and no tools are offered now: reply with the JSON verdict, using the investigation section as evidence.`;
      finalPrompt = `${user}\n\n${investigationSection(offered.calls, fence)}\n\nReply with the JSON verdict only.`;
    }
    const result = await generateObject({
      model,
      schema: verdictSchema,
      schemaName: 'verdict',
      schemaDescription: 'One diagnosis and one proposed catalog action (or escalate) for the failing service.',
      system: finalSystem,
      prompt: finalPrompt,
      abortSignal,
      maxRetries: 0,
      // A verdict is at most ~8,000 characters; this bounds cost and latency of a runaway reply.
      maxOutputTokens: 4096,
    });
    object = result.object;
  } catch (error) {
    if (timeout.aborted) throw new AgentError('timeout', `${agent.name}: no reply within ${agent.timeoutMs} ms`);
    if (signal.aborted) throw new AgentError('timeout', `${agent.name}: aborted`);
    if (error instanceof AgentError) throw new AgentError(error.kind, `${agent.name}: ${redact(error.message)}`);
    if (NoObjectGeneratedError.isInstance(error)) {
      const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
      throw new AgentError('invalid_reply', `${agent.name}: reply is not a verdict${redact(cause)}`);
    }
    if (APICallError.isInstance(error)) {
      const status = error.statusCode === undefined ? 'no status' : `HTTP ${error.statusCode}`;
      throw new AgentError('backend_error', `${agent.name}: ${status}: ${redact(error.message)}`);
    }
    throw new AgentError('backend_error', `${agent.name}: ${redact(error instanceof Error ? `${error.name}: ${error.message}` : String(error))}`);
  }
  try {
    return parseVerdict(object);
  } catch (error) {
    if (error instanceof AgentError) throw new AgentError(error.kind, `${agent.name}: ${redact(error.message)}`);
    throw error;
  }
}

/** The verdict when a reply's text already is one (bare or fenced JSON of the schema), else undefined. */
function verdictIn(text: string): Verdict | undefined {
  if (text.trim() === '') return undefined;
  try {
    return parseVerdict(text);
  } catch {
    return undefined;
  }
}

/** Wraps fetch so a response body over `limit` bytes is refused (too_large) instead of buffered whole. */
function cappedFetch(base: typeof fetch, limit: number): typeof fetch {
  const capped = async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]): Promise<Response> => {
    const response = await base(input, init);
    const tooLarge = () => new AgentError('too_large', `response body exceeds ${limit} bytes`);
    if (Number(response.headers.get('content-length') ?? 0) > limit) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge();
    }
    if (!response.body) return response;
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
    const headers = new Headers(response.headers);
    headers.delete('content-length');
    headers.delete('content-encoding');
    return new Response(Buffer.concat(chunks), { status: response.status, statusText: response.statusText, headers });
  };
  return capped as typeof fetch;
}
