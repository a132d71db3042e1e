/** Builds an Agent from its configuration: the heuristic engine, a command, or an HTTP model backend. */
import type { CompiledAgent } from '../config/compiled.js';
import type { CommandRunner } from '../core/ports.js';
import type { Agent } from './agent.js';
import { HeuristicAgent } from './heuristic/heuristic-agent.js';
import { CommandAgent } from './command-agent.js';
import { AnthropicAgent, OpenAiCompatibleAgent, resolveApiKey } from './http-agents.js';

export function createAgent(config: CompiledAgent, dependencies: { runner: CommandRunner; fetch?: typeof fetch }): Agent {
  // The SDK's warnings go to the console; the daemon's output is JSON lines only.
  (globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;
  switch (config.backend) {
    case 'heuristic':
      return new HeuristicAgent();
    case 'command':
      return new CommandAgent({ name: `command:${config.argv[0]}`, argv: config.argv, timeoutMs: config.timeoutMs, runner: dependencies.runner });
    case 'openai':
      return new OpenAiCompatibleAgent({
        name: `openai:${config.model}`,
        baseURL: config.baseURL,
        model: config.model,
        apiKey: config.apiKeyEnv || config.apiKeyFile ? resolveApiKey({ apiKeyEnv: config.apiKeyEnv, apiKeyFile: config.apiKeyFile }) : undefined,
        timeoutMs: config.timeoutMs,
        fetch: dependencies.fetch,
      });
    case 'anthropic':
      return new AnthropicAgent({
        name: `anthropic:${config.model}`,
        model: config.model,
        baseURL: config.baseURL,
        apiKey: resolveApiKey({ apiKeyEnv: config.apiKeyEnv, apiKeyFile: config.apiKeyFile }) ?? '',
        timeoutMs: config.timeoutMs,
        fetch: dependencies.fetch,
      });
  }
}
