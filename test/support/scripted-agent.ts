/**
 * A test double for the Agent port: a script decides the reply, and the reply goes through parseVerdict like a
 * real backend's, so tests exercise the same rejection of malformed verdicts.
 */
import type { Agent, AgentContext, Perspective, Verdict } from '../../src/agents/agent.js';
import { AgentError, parseVerdict } from '../../src/agents/verdict-schema.js';

/** Returns the raw reply for one call: a verdict, JSON text, or anything else (rejected by parseVerdict). */
export type AgentScript = (context: AgentContext, perspective: Perspective) => unknown;

/** An agent whose replies are scripted; it records every call so tests can inspect what agents were shown. */
export class ScriptedAgent implements Agent {
  /** Every call, in order, with a deep copy of the context as it was at the time. */
  readonly calls: Array<{ context: AgentContext; perspective: Perspective }> = [];

  constructor(
    private readonly script: AgentScript,
    readonly name = 'scripted',
  ) {}

  /** The contexts received so far, in call order. */
  get contexts(): AgentContext[] {
    return this.calls.map((call) => call.context);
  }

  async diagnose(context: AgentContext, perspective: Perspective, signal: AbortSignal): Promise<Verdict> {
    if (signal.aborted) throw new AgentError('timeout', `${this.name}: aborted`);
    this.calls.push({ context: structuredClone(context), perspective });
    let reply: unknown;
    try {
      reply = await this.script(context, perspective);
    } catch (error) {
      if (error instanceof AgentError) throw error;
      throw new AgentError('backend_error', `${this.name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    if (signal.aborted) throw new AgentError('timeout', `${this.name}: aborted`);
    return parseVerdict(reply);
  }
}
