/**
 * The investigation round of an HTTP model agent: the task's read-only probes offered as AI SDK tools, run by
 * the toolbox (validated, scoped, budgeted), each result sent back fenced as untrusted host data, in at most
 * MAX_TOOL_STEPS model calls.
 *
 * Why tools and the structured verdict are two requests, not one generateText with `experimental_output`:
 * AI SDK 5 sends the output's JSON response format with every step of a tool loop, and the two providers turn it
 * into different things. @ai-sdk/openai-compatible sends `response_format` (json_object, or json_schema) beside
 * `tools` on every step; a server that enforces JSON mode by constraining decoding (llama.cpp's grammars, vLLM's
 * guided decoding) may then be unable to emit a tool call, and a first step must never be forced to be the
 * verdict. @ai-sdk/anthropic turns it
 * into an extra `json` tool and forces tool_choice "any", so the model must call some tool on every step and the
 * output is only parsed when a step ends with finish reason "stop" (the json tool); a loop that is cut at its step
 * limit ends with no output. So the tool loop is plain generateText (tool_choice auto, no response format), which
 * every server that supports tools handles alike; a reply that already is a verdict is taken as it is, and
 * otherwise the verdict comes from the same generateObject call as without tools (JSON mode for OpenAI-compatible
 * servers, the forced JSON tool for Anthropic), with the probes' results in the prompt as a fenced section and no
 * tool history, which neither API then has to match against tool definitions. At most MAX_TOOL_STEPS + 1 requests.
 */
import type { LanguageModel } from 'ai';
import type { Toolbox } from '../investigation/toolbox.js';
import type { Fence } from './prompt.js';

/** Model calls in the investigation round; each may ask for several probes (the toolbox's budget caps them). */
export const MAX_TOOL_STEPS = 4;

export interface ToolRoundOptions {
  system: string;
  prompt: string;
  toolbox: Toolbox;
  fence: Fence;
  abortSignal: AbortSignal;
  maxOutputTokens: number;
}

/** Runs the investigation round; resolves with the model's last text (maybe already the verdict) and how many steps it took. */
export async function investigateWithTools(model: LanguageModel, options: ToolRoundOptions): Promise<{ text: string; steps: number }> {
  const { generateText, stepCountIs, tool } = await import('ai');
  const { toolbox, fence, abortSignal } = options;
  const tools = Object.fromEntries(
    toolbox.tools.map((spec) => [
      spec.name,
      tool({
        description: spec.description,
        inputSchema: spec.input,
        execute: async (input: unknown) => fence((await toolbox.run(spec.name, input, abortSignal)).text),
      }),
    ]),
  );
  const result = await generateText({
    model,
    system: options.system,
    prompt: options.prompt,
    tools,
    stopWhen: stepCountIs(MAX_TOOL_STEPS),
    abortSignal,
    maxRetries: 0,
    maxOutputTokens: options.maxOutputTokens,
  });
  return { text: result.text, steps: result.steps.length };
}
