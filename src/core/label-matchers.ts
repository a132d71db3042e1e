/**
 * Label matchers as Alertmanager writes them (`job="app"`, `severity=~"critical|page"`, `env!="test"`), used to map
 * alerts to services and to say which services a silence covers. A regular expression is anchored (it must match
 * the whole value, as in Alertmanager) and runs on RE2, so no matcher can stall the daemon.
 */
import RE2 from 're2';

export type MatchOperator = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  name: string;
  operator: MatchOperator;
  value: string;
}

export type Labels = Readonly<Record<string, string>>;

export const MAX_MATCHER_LENGTH = 512;
const MATCHER = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^"\s]*))\s*$/;

/** Parses one matcher; throws an Error that says what is wrong with it. */
export function parseMatcher(text: string): LabelMatcher {
  if (text.length > MAX_MATCHER_LENGTH) throw new Error(`a matcher is at most ${MAX_MATCHER_LENGTH} characters`);
  const match = MATCHER.exec(text);
  if (!match) throw new Error(`expected a matcher such as service="web" or job=~"api|worker" (got ${JSON.stringify(text.slice(0, 60))})`);
  const value = match[3] !== undefined ? match[3].replace(/\\(.)/g, '$1') : (match[4] ?? '');
  const matcher: LabelMatcher = { name: match[1]!, operator: match[2] as MatchOperator, value };
  if (matcher.operator === '=~' || matcher.operator === '!~') compile(value);
  return matcher;
}

/** Why a matcher cannot be used, or undefined when it can (for config and API validation). */
export function matcherProblem(text: string): string | undefined {
  try {
    parseMatcher(text);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Whether every matcher holds for the labels (a missing label is the empty string, as in Alertmanager). */
export function matchesAll(matchers: readonly LabelMatcher[], labels: Labels): boolean {
  return matchers.every((matcher) => matches(matcher, labels[matcher.name] ?? ''));
}

function matches(matcher: LabelMatcher, value: string): boolean {
  switch (matcher.operator) {
    case '=':
      return value === matcher.value;
    case '!=':
      return value !== matcher.value;
    case '=~':
      return compile(matcher.value).test(value);
    case '!~':
      return !compile(matcher.value).test(value);
  }
}

export function formatMatcher(matcher: LabelMatcher): string {
  return `${matcher.name}${matcher.operator}${JSON.stringify(matcher.value)}`;
}

const compiled = new Map<string, { test(value: string): boolean }>();

function compile(source: string): { test(value: string): boolean } {
  const cached = compiled.get(source);
  if (cached) return cached;
  let expression: RE2;
  try {
    expression = new RE2(`^(?:${source})$`);
  } catch (error) {
    throw new Error(`the regular expression ${JSON.stringify(source.slice(0, 60))} is not one RE2 accepts: ${(error as Error).message}`);
  }
  const pattern = { test: (value: string) => expression.test(value) };
  if (compiled.size >= 1000) compiled.clear();
  compiled.set(source, pattern);
  return pattern;
}
