/**
 * The investigation tools of one diagnosis: built per task from its service and scope, it lists the tools and
 * runs one by name with validated, scoped input, within a budget of calls and of output bytes, and keeps what each
 * call returned. Every tool is read-only; what a model asks for can at most be refused.
 */
import { capText, refusal, type InvestigationTool, type ToolDependencies, type ToolName, type ToolResult } from './tool.js';
import { INVESTIGATION_TOOLS } from './index.js';
import { defaultProbes, type ProbeCall } from './default-probes.js';

/** Calls one diagnosis may make (refused calls count too, so a model cannot spin on bad input). */
export const MAX_CALLS = 8;
/** What all results of one diagnosis may add up to. */
export const MAX_TOTAL_BYTES = 16 * 1024;

/** Less output budget than this left is as good as none: the next call is refused instead of cut to nothing. */
const MIN_USEFUL_BYTES = 256;

/** A tool as a model is offered it. */
export type ToolSpec = Pick<InvestigationTool, 'name' | 'description' | 'input'>;

/** One call, as it was answered. */
export interface ToolCallRecord {
  name: string;
  input: unknown;
  text: string;
  refused: boolean;
  failed: boolean;
}

/** The port agents see: the tools of this task, a budgeted run, and the default probes for agents without tool calling. */
export interface Toolbox {
  readonly tools: readonly ToolSpec[];
  /** Runs one tool; never throws: unknown tools, bad or out-of-scope input and a spent budget are refusal texts. */
  run(name: string, input: unknown, signal: AbortSignal): Promise<ToolResult>;
  /** The probes worth running for this task before a diagnosis (at most what the budget still allows). */
  defaultCalls(signal: AbortSignal): Promise<ProbeCall[]>;
  /** Every call so far, in the order they were made. */
  readonly calls: readonly ToolCallRecord[];
}

export interface ToolboxOptions {
  maxCalls?: number;
  maxTotalBytes?: number;
  tools?: readonly InvestigationTool[];
}

export class TaskToolbox implements Toolbox {
  readonly tools: readonly ToolSpec[];
  private readonly byName: ReadonlyMap<string, InvestigationTool>;
  private readonly records: ToolCallRecord[] = [];
  private readonly maxCalls: number;
  private readonly maxTotalBytes: number;
  private started = 0;
  private usedBytes = 0;

  constructor(
    private readonly dependencies: ToolDependencies,
    options: ToolboxOptions = {},
  ) {
    const tools = options.tools ?? INVESTIGATION_TOOLS;
    this.tools = tools.map(({ name, description, input }) => ({ name, description, input }));
    this.byName = new Map(tools.map((tool) => [tool.name, tool]));
    this.maxCalls = options.maxCalls ?? MAX_CALLS;
    this.maxTotalBytes = options.maxTotalBytes ?? MAX_TOTAL_BYTES;
  }

  get calls(): readonly ToolCallRecord[] {
    return this.records;
  }

  async run(name: string, input: unknown, signal: AbortSignal): Promise<ToolResult> {
    const tool = this.byName.get(name);
    let result: ToolResult;
    if (this.started >= this.maxCalls) {
      result = refusal(`${String(name).slice(0, 40)} not run: the budget of ${this.maxCalls} probes for this diagnosis is spent; decide with what you have`);
    } else if (this.maxTotalBytes - this.usedBytes < MIN_USEFUL_BYTES) {
      result = refusal(`${String(name).slice(0, 40)} not run: the ${this.maxTotalBytes}-byte output budget for this diagnosis is spent; decide with what you have`);
    } else if (!tool) {
      this.started++;
      result = refusal(`unknown tool ${JSON.stringify(String(name).slice(0, 40))}; the tools are: ${[...this.byName.keys()].join(', ')}`);
    } else {
      // Counted before it runs: tools a model calls in parallel share the budget.
      this.started++;
      result = await tool.invoke(input, this.dependencies, signal);
    }
    const text = result.refused ? result.text : capText(result.text, Math.max(MIN_USEFUL_BYTES, this.maxTotalBytes - this.usedBytes));
    this.usedBytes += Buffer.byteLength(text, 'utf8');
    this.records.push({ name: String(name).slice(0, 40), input, text, refused: result.refused === true, failed: result.failed === true });
    return { ...result, text };
  }

  async defaultCalls(signal: AbortSignal): Promise<ProbeCall[]> {
    const calls = await defaultProbes(this.dependencies, signal).catch(() => [] as ProbeCall[]);
    return calls.slice(0, Math.max(0, this.maxCalls - this.started));
  }
}

/** Everything a toolbox needs besides the task's own service and scope (wired once in main.ts). */
export type SharedToolDependencies = Omit<ToolDependencies, 'service' | 'scope'>;

/** A toolbox per diagnosis of a task, from the host's adapters. */
export function toolboxFactory(shared: SharedToolDependencies, options: ToolboxOptions = {}): (task: Pick<ToolDependencies, 'service' | 'scope'>) => Toolbox {
  return (task) => new TaskToolbox({ ...shared, service: task.service, scope: task.scope }, options);
}

export type { ToolName, ToolResult };
