/**
 * What one investigation tool is: a read-only probe with a name and a description a model sees, a zod schema that
 * limits its input, a scope rule, and a run that turns what it found into capped text (and, for the heuristic
 * agent, typed facts). A tool never throws and never changes anything: bad input, out-of-scope input and errors
 * all come back as text.
 */
import { z } from 'zod/v4';
import type { CompiledConfig, CompiledService } from '../config/compiled.js';
import type { CommandRunner, Probes, ServiceAdapter } from '../core/ports.js';
import type { ExecutionScope } from '../actions/scope.js';
import { sanitizeText } from '../core/sanitize.js';

/** One tool's text is capped at this many bytes. */
export const MAX_RESULT_BYTES = 4 * 1024;

export const TOOL_NAMES = ['listeners', 'path_info', 'unit_properties', 'config_test', 'journal', 'dependency_state'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

/** Everything a tool may read through: the task's service and scope, and the host's ports. */
export interface ToolDependencies {
  service: CompiledService;
  scope: ExecutionScope;
  /** The adapter registry (each tool picks the unit's own adapter). */
  adapter: ServiceAdapter;
  runner: CommandRunner;
  probes: Probes;
  config: CompiledConfig;
}

/** A process listening on a port, and who owns it (undefined: nobody, it is a stray). */
export interface ListenerFact {
  type: 'listener';
  port: number;
  pid: number;
  command: string;
  unit?: string;
  owner?: string;
}

/** Owner, group and mode of one path (lstat: a link is described, never followed). */
export interface PathFact {
  type: 'path';
  path: string;
  kind: 'file' | 'directory' | 'link' | 'socket' | 'fifo' | 'device' | 'missing' | 'unknown';
  owner: string;
  group: string;
  mode: number;
  linkTarget?: string;
}

/** Typed findings beside the text, for an agent that reasons without a model. */
export type Fact = ListenerFact | PathFact;

export interface ToolResult {
  /** What the tool found, as capped text (host data: the agents fence it). */
  text: string;
  facts: Fact[];
  /** The tool did not run: bad input, out of scope, or the budget is spent. */
  refused?: boolean;
  /** It ran and could not answer (an error, or nothing to probe with on this host). */
  failed?: boolean;
}

/** One tool as the toolbox and the agents see it: the schema for the model, and a run that never throws. */
export interface InvestigationTool {
  readonly name: ToolName;
  readonly description: string;
  readonly input: z.ZodType;
  invoke(input: unknown, dependencies: ToolDependencies, signal: AbortSignal): Promise<ToolResult>;
}

export interface ToolDefinition<S extends z.ZodType> {
  name: ToolName;
  description: string;
  input: S;
  /** Why this input is outside the task's scope, or undefined when the tool may run. */
  scope?(input: z.infer<S>, dependencies: ToolDependencies): string | undefined;
  run(input: z.infer<S>, dependencies: ToolDependencies, signal: AbortSignal): Promise<string | { text: string; facts: Fact[] }>;
}

/** Wraps a definition so input is parsed and scoped first, errors become text and the text is capped. */
export function defineTool<S extends z.ZodType>(definition: ToolDefinition<S>): InvestigationTool {
  return {
    name: definition.name,
    description: definition.description,
    input: definition.input,
    async invoke(raw, dependencies, signal) {
      const parsed = definition.input.safeParse(raw ?? {});
      if (!parsed.success) {
        const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`).join('; ');
        return refusal(`invalid input for ${definition.name}: ${issues}`);
      }
      const outside = definition.scope?.(parsed.data, dependencies);
      if (outside) return refusal(`${definition.name} refused: ${outside}`);
      if (signal.aborted) return refusal(`${definition.name} not run: the investigation was aborted`);
      try {
        const result = await definition.run(parsed.data, dependencies, signal);
        const { text, facts } = typeof result === 'string' ? { text: result, facts: [] } : result;
        return { text: capText(sanitizeText(text, 4 * MAX_RESULT_BYTES), MAX_RESULT_BYTES), facts };
      } catch (error) {
        return { text: `${definition.name} failed: ${sanitizeText(error instanceof Error ? error.message : String(error), 300)}`, facts: [], failed: true };
      }
    },
  };
}

export function refusal(text: string): ToolResult {
  return { text: sanitizeText(text, 600), facts: [], refused: true };
}

/** Cuts text to `maxBytes` (UTF-8), keeping its head or its tail, and says how much was cut. */
export function capText(text: string, maxBytes: number, keep: 'head' | 'tail' = 'head'): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.byteLength <= maxBytes) return text;
  const note = `[${bytes.byteLength} bytes, cut to ${maxBytes}]`;
  // The note, a newline and an ellipsis (3 bytes) go beside the kept part.
  const room = Math.max(0, maxBytes - Buffer.byteLength(note) - 4);
  // A cut inside a multi-byte character leaves a replacement character at the edge: it is dropped.
  if (keep === 'tail') {
    const kept = bytes.subarray(bytes.byteLength - room).toString('utf8');
    return `${note}\n…${kept.replace(/^\uFFFD+/, '')}`;
  }
  const kept = bytes.subarray(0, room).toString('utf8');
  return `${kept.replace(/\uFFFD+$/, '')}…\n${note}`;
}

/** A systemd unit (or a process service's) name: no spaces, no path, no option. */
export const unitName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9@:._\\-]+$/, { error: 'a unit name (letters, digits, @ : . _ - \\)' })
  .refine((name) => !name.startsWith('-'), { error: 'a unit name cannot start with -' });

/** Why `unit` is neither the service's own unit nor one of its dependencies, or undefined when it is one of them. */
export function outsideOwnOrDependency(unit: string, dependencies: ToolDependencies): string | undefined {
  const { service, scope } = dependencies;
  if (unit === service.unit || scope.dependencyUnits.includes(unit)) return undefined;
  return `${unit} is neither ${service.unit} nor one of its dependencies (${listOrNone(scope.dependencyUnits)})`;
}

export function listOrNone(items: readonly string[]): string {
  return items.length > 0 ? items.slice(0, 20).join(', ') : 'none';
}
