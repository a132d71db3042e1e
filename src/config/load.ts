/** Reads a configuration file (or the embedded default), validates it and reports every problem with its place. */
import { readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { z } from 'zod/v4';
import { configSchema, crossCheckProblems } from './schema.js';
import { compileConfig } from './compile.js';
import type { CompiledConfig } from './compiled.js';
import { ConfigError } from '../core/errors.js';
import { EMBEDDED_DEFAULT } from './default.js';

export const DEFAULT_CONFIG_PATH = '/etc/autonomous-orchestrator/config.yaml';

export interface ConfigProblem {
  /** The key path, such as services[0].checks[1].timeout. */
  path: string;
  /** line:column in the file, when known. */
  location?: string;
  message: string;
}

/** The data directory when none is configured: /var/lib for root, the XDG state directory otherwise. */
export function defaultDataDir(): string {
  if (process.getuid?.() === 0) return '/var/lib/autonomous-orchestrator';
  const state = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(state, 'autonomous-orchestrator');
}

export interface LoadOptions {
  /** An explicit --config path; must exist. */
  path?: string;
  /** Where to look when no path is given. */
  defaultPath?: string;
}

/** Loads and compiles the configuration, or throws ConfigError listing every problem. */
export function loadConfig(options: LoadOptions = {}): CompiledConfig {
  const path = options.path ?? options.defaultPath ?? DEFAULT_CONFIG_PATH;
  if (!options.path && !existsSync(path)) return parseConfigText(EMBEDDED_DEFAULT, 'embedded default');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [{ path: '', message: `cannot read the file: ${(error as Error).message}` }]);
  }
  return parseConfigText(text, path);
}

/** Validates configuration text; `source` names it in messages. */
export function parseConfigText(text: string, source: string): CompiledConfig {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      source,
      document.errors.map((error) => {
        const position = lineCounter.linePos(error.pos[0]);
        return {
          path: '',
          location: position ? `${position.line}:${position.col}` : undefined,
          message: `YAML syntax: ${error.message.split('\n')[0]}`,
        } as ConfigProblem;
      }),
    );
  }
  const raw = document.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(source, [{ path: '', message: 'expected a mapping of settings at the top level' }]);
  }
  const result = configSchema.safeParse(raw);
  const problems = [
    ...(result.success ? [] : describeIssues(result.error.issues, document, lineCounter)),
    ...crossCheckProblems(raw).map((problem) => ({ path: formatPath(problem.path), location: locate(document, lineCounter, problem.path), message: problem.message })),
  ];
  if (!result.success || problems.length > 0) throw new ConfigError(source, problems);
  return compileConfig(result.data, source, defaultDataDir());
}

function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  document: ReturnType<typeof parseDocument>,
  lineCounter: LineCounter,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
    for (const path of keys) {
      const message =
        issue.code === 'unrecognized_keys' ? `unknown key "${String(path[path.length - 1])}"` : issue.message;
      problems.push({ path: formatPath(path), location: locate(document, lineCounter, path), message });
    }
  }
  return problems;
}

function locate(document: ReturnType<typeof parseDocument>, lineCounter: LineCounter, path: PropertyKey[]): string | undefined {
  for (let length = path.length; length >= 0; length--) {
    const node = length === 0 ? document.contents : document.getIn(path.slice(0, length) as unknown[], true);
    if (isNode(node) && node.range) {
      const position = lineCounter.linePos(node.range[0]);
      return `${position.line}:${position.col}`;
    }
  }
  return undefined;
}

/** services.0.checks.1.timeout → services[0].checks[1].timeout */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) => (typeof key === 'number' ? `[${key}]` : index === 0 ? String(key) : `.${String(key)}`))
    .join('') || '(top level)';
}
