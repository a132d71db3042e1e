/** Reads a configuration file (or the embedded default), validates it and reports every problem with its place. */
import { closeSync, constants, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { z } from 'zod/v4';
import { configSchema, crossCheckProblems, LIMITS } from './schema.js';
import { didYouMean, keysAt } from './did-you-mean.js';
import { isWithin, normalizeAbsolute } from '../core/path-policy.js';
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

/** The largest configuration file accepted: a real one is a few kilobytes. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** How many times YAML aliases may be expanded (yaml's maxAliasCount), against alias bombs. */
export const MAX_YAML_ALIASES = 100;
/** At most this many problems of one kind are listed; a file that is not YAML at all has one per line. */
const MAX_LISTED_PROBLEMS = 10;

/** Loads and compiles the configuration, or throws ConfigError listing every problem. */
export function loadConfig(options: LoadOptions = {}): CompiledConfig {
  const path = options.path ?? options.defaultPath ?? DEFAULT_CONFIG_PATH;
  if (!options.path && !existsSync(path)) return parseConfigText(EMBEDDED_DEFAULT, 'embedded default');
  return parseConfigText(readConfigFile(path), path);
}

/**
 * Reads at most MAX_CONFIG_BYTES + 1 bytes from a regular file: a device (/dev/zero), a FIFO or a directory is
 * refused before anything is read, and a file that grows while it is read is still cut off.
 */
export function readConfigFile(path: string): string {
  const refuse = (message: string): never => {
    throw new ConfigError(path, [{ path: '', message }]);
  };
  let descriptor: number;
  try {
    // Non-blocking, so that opening a FIFO does not wait for a writer.
    descriptor = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    return refuse(`cannot read the file: ${(error as Error).message}`);
  }
  try {
    const stats = fstatSync(descriptor);
    if (stats.isDirectory()) refuse('this is a directory: give the path of the YAML configuration file');
    if (!stats.isFile()) refuse('this is not a regular file (a device, FIFO or socket): give the path of the YAML configuration file');
    if (stats.size > MAX_CONFIG_BYTES) refuse(`the file is ${stats.size} bytes; a configuration may be at most ${MAX_CONFIG_BYTES} bytes (1 MiB)`);
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (;;) {
      const read = readSync(descriptor, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > MAX_CONFIG_BYTES) refuse(`the file is larger than ${MAX_CONFIG_BYTES} bytes (1 MiB), the most a configuration may be`);
    }
    if (buffer.subarray(0, length).includes(0)) refuse('the file is binary (it contains NUL bytes), not a YAML configuration file');
    return buffer.toString('utf8', 0, length);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    return refuse(`cannot read the file: ${(error as Error).message}`);
  } finally {
    closeSync(descriptor);
  }
}

/** Validates configuration text; `source` names it in messages. */
export function parseConfigText(text: string, source: string): CompiledConfig {
  const lineCounter = new LineCounter();
  let document: ReturnType<typeof parseDocument>;
  try {
    document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  } catch {
    throw new ConfigError(source, [{ path: '', message: 'YAML syntax: the document is too complex to parse (nested too deeply?)' }]);
  }
  if (document.errors.length > 0) {
    const problems = new Map<string, ConfigProblem>();
    for (const error of document.errors) {
      const position = lineCounter.linePos(error.pos[0]);
      const location = position ? `${position.line}:${position.col}` : undefined;
      // yaml's messages can quote the source (an unknown tag, an unexpected token): only the kind is reported.
      const message = `YAML syntax: ${yamlErrorKind(error.code)}`;
      problems.set(`${location} ${message}`, { path: '', location, message });
    }
    const listed = [...problems.values()].slice(0, MAX_LISTED_PROBLEMS);
    throw new ConfigError(source, withRemainder(listed, problems.size, 'YAML errors', notConfigurationHint(problems.size)));
  }
  let raw: unknown;
  try {
    raw = document.toJS({ maxAliasCount: MAX_YAML_ALIASES }) ?? {};
  } catch (error) {
    // yaml throws (a ReferenceError) on an alias bomb or an alias before its anchor; its message names the anchor.
    const message = /excessive alias count/i.test((error as Error)?.message ?? '')
      ? `YAML aliases expand too often (more than ${MAX_YAML_ALIASES} times): write the settings out instead of repeating *aliases`
      : 'YAML alias: an alias (*name) refers to an anchor (&name) that is not defined before it';
    throw new ConfigError(source, [{ path: '', message }]);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(source, [{ path: '', message: "expected a mapping of settings at the top level: is this the orchestrator's YAML configuration file?" }]);
  }
  // A file whose keys are neither settings nor look like them (/etc/shadow) is refused in one sentence.
  const keys = Object.keys(raw);
  if (keys.length > 0 && !keys.some((key) => Object.hasOwn(configSchema.shape, key) || isSettingName(key))) {
    throw new ConfigError(source, [
      { path: '', message: `none of the ${keys.length} top-level keys is a setting: this is not the orchestrator's configuration file (its content is not shown)` },
    ]);
  }
  const services = (raw as { services?: unknown }).services;
  if (Array.isArray(services) && services.length > LIMITS.services) {
    throw new ConfigError(source, [
      {
        path: 'services',
        location: locate(document, lineCounter, ['services']),
        message: `${services.length} services; at most ${LIMITS.services} may be configured`,
      } as ConfigProblem,
    ]);
  }
  const configuredDataDir = (raw as { dataDir?: unknown }).dataDir;
  const dataDir = typeof configuredDataDir === 'string' ? configuredDataDir : defaultDataDir();
  const result = configSchema.safeParse(raw);
  const located = (path: PropertyKey[], message: string): ConfigProblem => ({ path: formatPath(path), location: locate(document, lineCounter, path), message });
  const dataDirProblem = typeof configuredDataDir === 'string' ? systemDataDirReason(configuredDataDir) : undefined;
  const problems = [
    ...(result.success ? [] : describeIssues(result.error.issues, document, lineCounter)),
    ...(dataDirProblem ? [located(['dataDir'], dataDirProblem)] : []),
    ...crossCheckProblems(raw, dataDir).map((problem) => located(problem.path, problem.message)),
  ];
  if (!result.success || problems.length > 0) {
    throw new ConfigError(source, withRemainder(problems.slice(0, MAX_LISTED_PROBLEMS * 10), problems.length, 'problems'));
  }
  return compileConfig(result.data, source, defaultDataDir());
}

/** Trees the data directory may never be in: creating it there fails, or loops (/proc), or writes into the system. */
const SYSTEM_TREES_FOR_DATA = ['/proc', '/sys', '/dev', '/etc', '/usr', '/boot', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/**
 * Why `directory` may not be the data directory (it is / or lies in a system tree such as /proc or /etc), or
 * undefined. A relative path or one with ".." is left to the schema (and --data-dir is resolved first).
 */
export function systemDataDirReason(directory: string): string | undefined {
  const normalized = normalizeAbsolute(directory);
  if (normalized === undefined) return undefined;
  const fix = 'use a directory of its own, such as /var/lib/autonomous-orchestrator';
  if (normalized === '/') return `the data directory cannot be /: ${fix}`;
  const tree = SYSTEM_TREES_FOR_DATA.find((system) => isWithin(normalized, system));
  if (!tree) return undefined;
  return `data directory ${normalized} is ${normalized === tree ? 'a system directory' : `inside the system directory ${tree}`}: ${fix}`;
}

/** A hint for a file that fails to parse on many lines: probably not a configuration at all. */
function notConfigurationHint(errors: number): string | undefined {
  return errors >= 3 ? "is this the orchestrator's YAML configuration file?" : undefined;
}

function withRemainder(problems: ConfigProblem[], total: number, what: string, hint?: string): ConfigProblem[] {
  const more = total - problems.length;
  const tail = [more > 0 ? `${more} more ${what} not listed` : undefined, hint].filter(Boolean).join('; ');
  return tail ? [...problems, { path: '', message: tail }] : problems;
}

const YAML_ERROR_KINDS: Record<string, string> = {
  ALIAS_PROPS: 'an alias cannot have an anchor or a tag',
  BAD_ALIAS: 'an invalid alias',
  BAD_COLLECTION_TYPE: 'a tag that does not fit the collection',
  BAD_DIRECTIVE: 'an invalid % directive',
  BAD_DQ_ESCAPE: 'an invalid escape sequence in a double-quoted string',
  BAD_INDENT: 'bad indentation, or a [ or { that is not closed',
  BAD_PROP_ORDER: 'an anchor or tag in the wrong place',
  BAD_SCALAR_START: 'a plain value that starts with a reserved character (quote it)',
  BLOCK_AS_IMPLICIT_KEY: 'a block value used as a key',
  BLOCK_IN_FLOW: 'a block value inside [ ] or { }',
  DUPLICATE_KEY: 'the same key appears twice in one mapping',
  IMPOSSIBLE: 'an impossible construct',
  KEY_OVER_1024_CHARS: 'a key longer than 1024 characters',
  MISSING_CHAR: 'a missing character (a closing quote, bracket, comma, or a value after "key:")',
  MULTILINE_IMPLICIT_KEY: 'a key that spans lines (a missing ": " or wrong indentation)',
  MULTIPLE_ANCHORS: 'more than one anchor on a node',
  MULTIPLE_DOCS: 'more than one document (---): a configuration is one document',
  MULTIPLE_TAGS: 'more than one tag on a node',
  NON_STRING_KEY: 'a key that is not a string',
  RESOURCE_EXHAUSTION: 'the document is too complex',
  TAB_AS_INDENT: 'a tab used for indentation (use spaces)',
  TAG_RESOLVE_FAILED: 'an unknown tag (!name)',
  UNEXPECTED_TOKEN: 'an unexpected character or token',
};

/** The kind of a YAML error from its code alone. */
function yamlErrorKind(code: string): string {
  return YAML_ERROR_KINDS[code] ?? `error ${code.replace(/[^A-Z0-9_]/g, '')}`;
}

function describeIssues(issues: readonly z.core.$ZodIssue[], document: ReturnType<typeof parseDocument>, lineCounter: LineCounter): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
    for (const path of keys) {
      const message = issue.code === 'unrecognized_keys' ? unknownKeyMessage(path[path.length - 1], keysAt(configSchema, issue.path)) : issue.message;
      problems.push({ path: formatPath(path), location: locate(document, lineCounter, path), message });
    }
  }
  return problems;
}

/** Names an unknown key only when it looks like a setting name (a typo), never a line of some other file. */
function unknownKeyMessage(key: PropertyKey | undefined, known: readonly string[]): string {
  return isSettingName(key) ? `unknown key "${key}"${didYouMean(key, known)}` : 'unknown key (not a setting name, so not shown)';
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

/** services.0.checks.1.timeout → services[0].checks[1].timeout; a key that is not a setting name is not shown. */
export function formatPath(path: readonly PropertyKey[]): string {
  return (
    path
      .map((key, index) => {
        if (typeof key === 'number') return `[${key}]`;
        const name = isSettingName(key) ? key : '<key not shown>';
        return index === 0 ? name : `.${name}`;
      })
      .join('') || '(top level)'
  );
}

/** Whether a key looks like a setting (or playbook) name, so that it may be echoed. */
function isSettingName(key: PropertyKey | undefined): key is string {
  return typeof key === 'string' && /^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/.test(key);
}
