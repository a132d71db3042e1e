/**
 * journal: the recent journal (or captured output) of the service's own unit or of a dependency, grouped into
 * start attempts so what each failed attempt printed reads as one block. The newest lines are kept when it is cut.
 */
import { z } from 'zod/v4';
import { adapterOf } from '../core/ports.js';
import { sanitizeText } from '../core/sanitize.js';
import { startAttempts } from './start-attempts.js';
import { capText, defineTool, MAX_RESULT_BYTES, outsideOwnOrDependency, unitName } from './tool.js';

const DEFAULT_LINES = 60;
const MAX_LINES = 200;
const MAX_LINE_CHARS = 300;

export const journalTool = defineTool({
  name: 'journal',
  description:
    "Recent journal lines of the service's own unit or of one of its dependencies, oldest first, grouped into start attempts (what each failed start printed, and how it ended).",
  input: z
    .object({
      unit: unitName.describe('the unit, e.g. nginx.service'),
      lines: z.number().int().min(1).max(MAX_LINES).optional().describe(`how many recent lines (default ${DEFAULT_LINES}, at most ${MAX_LINES})`),
    })
    .strict(),
  scope: ({ unit }, dependencies) => outsideOwnOrDependency(unit, dependencies),
  async run({ unit, lines }, { adapter: registry }, signal) {
    const adapter = adapterOf(registry, unit);
    if (adapter.unavailable) return `${unit}: ${adapter.unavailable}`;
    const read = (await adapter.logs(unit, { lines: lines ?? DEFAULT_LINES }, signal)).slice(-(lines ?? DEFAULT_LINES));
    if (read.length === 0) return `${unit}: no journal lines`;
    const attempts = startAttempts(read.map((line) => sanitizeText(line.replace(/\t/g, ' '), MAX_LINE_CHARS)));
    const started = attempts.filter((attempt) => attempt.started);
    const failed = started.filter((attempt) => attempt.failure !== undefined);
    const header =
      started.length > 0
        ? `${unit}: last ${read.length} line(s), ${started.length} start attempt(s) in view, ${failed.length} failed`
        : `${unit}: last ${read.length} line(s), no start attempt recognised`;
    const body: string[] = [];
    let number = 0;
    for (const attempt of attempts) {
      if (attempt.started) number++;
      if (started.length > 0) {
        const ending = attempt.failure ? `failed: ${attempt.failure}` : attempt.up ? 'started' : 'no outcome in view';
        body.push(attempt.started ? `== start attempt ${number}: ${ending} ==` : `== before the first start in view${attempt.failure ? ` (failed: ${attempt.failure})` : ''} ==`);
      }
      body.push(...attempt.lines);
    }
    return `${header}\n${capText(body.join('\n'), MAX_RESULT_BYTES - Buffer.byteLength(header) - 1, 'tail')}`;
  },
});
