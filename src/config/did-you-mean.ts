/**
 * "Did you mean" for a misspelt setting or profile name: the closest known name by edit distance, when it is close
 * enough to be a typo (at most 2 edits, and fewer than a third of the word).
 */
import type { z } from 'zod/v4';

export function closest(input: string, candidates: readonly string[]): string | undefined {
  if (input.length === 0 || input.length > 64) return undefined;
  let best: { name: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(input.toLowerCase(), candidate.toLowerCase());
    if (distance <= Math.min(2, Math.ceil(input.length / 3)) && (!best || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}

/** `; did you mean "x"?` or nothing. */
export function didYouMean(input: unknown, candidates: readonly string[]): string {
  if (typeof input !== 'string' || !/^[A-Za-z0-9_.@-]{1,64}$/.test(input)) return '';
  const name = closest(input, candidates);
  return name && name !== input ? `; did you mean "${name}"?` : '';
}

/** The keys an object schema accepts at `path` (through defaults, optionals, pipes, arrays and unions). */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const found = new Set<string>();
  const visit = (node: z.ZodType | undefined, rest: readonly PropertyKey[], depth: number): void => {
    if (!node || depth > 40) return;
    const def = (node as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
    switch (def.type) {
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'readonly':
      case 'catch':
        return visit(def.innerType as z.ZodType, rest, depth + 1);
      case 'pipe':
        return visit(def.in as z.ZodType, rest, depth + 1);
      case 'lazy':
        return visit((def.getter as () => z.ZodType)(), rest, depth + 1);
      case 'union':
        for (const option of def.options as z.ZodType[]) visit(option, rest, depth + 1);
        return;
      case 'intersection':
        visit(def.left as z.ZodType, rest, depth + 1);
        visit(def.right as z.ZodType, rest, depth + 1);
        return;
      case 'array':
        if (typeof rest[0] === 'number') visit(def.element as z.ZodType, rest.slice(1), depth + 1);
        return;
      case 'record':
        if (rest.length > 0) visit(def.valueType as z.ZodType, rest.slice(1), depth + 1);
        return;
      case 'object': {
        const shape = def.shape as Record<string, z.ZodType>;
        if (rest.length === 0) for (const key of Object.keys(shape)) found.add(key);
        else visit(shape[String(rest[0])], rest.slice(1), depth + 1);
        return;
      }
      default:
        return;
    }
  };
  visit(schema, path, 0);
  return [...found];
}

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(previous[j]! + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}
