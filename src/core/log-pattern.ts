/**
 * Log patterns from the configuration, matched with RE2 (the `re2` binding of Google's engine): linear time in
 * the length of the line whatever the pattern, so a pattern such as (a+)+$ and a hostile journal line of many
 * "a" cannot stall the event loop (the watch, the pipeline and the dashboard share it). RE2 has no
 * backreferences or lookaround; such a pattern is refused when the configuration is validated, with the reason.
 */
import RE2 from 're2';

/** Longest pattern accepted; RE2 also bounds the compiled program's memory. */
export const MAX_LOG_PATTERN_LENGTH = 1000;

export interface LogPattern {
  readonly source: string;
  test(line: string): boolean;
}

const compiled = new Map<string, LogPattern>();
const MAX_CACHED = 1000;

/** Compiles a case-insensitive pattern (once per source); throws an Error whose message says why RE2 refuses it. */
export function compileLogPattern(source: string): LogPattern {
  const cached = compiled.get(source);
  if (cached) return cached;
  if (source.length > MAX_LOG_PATTERN_LENGTH) throw new Error(`a log pattern is at most ${MAX_LOG_PATTERN_LENGTH} characters`);
  const expression = new RE2(source, 'i');
  const pattern: LogPattern = { source, test: (line) => expression.test(line) };
  if (compiled.size >= MAX_CACHED) compiled.clear();
  compiled.set(source, pattern);
  return pattern;
}

/** Why a pattern cannot be used, or undefined when it can (for config validation). */
export function logPatternProblem(source: string): string | undefined {
  try {
    compileLogPattern(source);
    return undefined;
  } catch (error) {
    const reason = (error as Error).message;
    const unsupported = /invalid (escape|perl operator)|\\[1-9]|\(\?[=!<]/.test(`${reason} ${source}`);
    return `expected a regular expression the linear-time matcher (RE2) accepts: ${reason}${unsupported ? ' (backreferences and lookaround are not supported)' : ''}`;
  }
}
