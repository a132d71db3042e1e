/**
 * A unit's journal read as `journalctl -o json` (one JSON object per entry) rather than parsed text: the message
 * may be a string or a byte array, and every line is formatted like short-iso output so log rules keep matching.
 * Lines and the total are capped; entries are read newest first, so a cap drops the oldest, never the latest.
 */
import type { CommandRunner, LogQuery } from '../../core/ports.js';

const MAX_LINE = 8 * 1024;
const MAX_OUTPUT_BYTES = 2 * 1024 * 1024;
/** What the returned lines may add up to. */
const MAX_TOTAL_BYTES = 512 * 1024;
/** The fields a line is made of (journalctl always adds the timestamps and the cursor). */
const FIELDS = 'MESSAGE,_HOSTNAME,SYSLOG_IDENTIFIER,_COMM,_PID,SYSLOG_PID';

export function journalArgv(unit: string, query: LogQuery): string[] {
  const argv = ['journalctl', '--quiet', '--no-pager', '--output=json', `--output-fields=${FIELDS}`, '--reverse', `--lines=${query.lines}`, `--unit=${unit}`];
  if (query.sinceMs !== undefined) argv.push(`--since=-${Math.max(1, Math.ceil(query.sinceMs / 1000))}s`);
  return argv;
}

/** One journal entry as a line: "2026-12-02T08:00:00+0000 host ident[pid]: message". */
export function formatEntry(entry: Record<string, unknown>): string | undefined {
  const message = fieldText(entry.MESSAGE);
  if (message === undefined) return undefined;
  const micros = Number(entry.__REALTIME_TIMESTAMP ?? 0);
  const time = micros > 0 ? new Date(Math.floor(micros / 1000)).toISOString().replace(/\.\d{3}Z$/, '+0000') : '-';
  const ident = String(entry.SYSLOG_IDENTIFIER ?? entry._COMM ?? 'unknown');
  const pid = entry._PID ?? entry.SYSLOG_PID;
  return `${time} ${String(entry._HOSTNAME ?? '-')} ${ident}${pid ? `[${String(pid)}]` : ''}: ${message}`.slice(0, MAX_LINE);
}

/**
 * A field's value as text: journalctl gives a string, a byte array when the value is not printable UTF-8, and an
 * array of such values when the field occurs more than once (the first is taken).
 */
function fieldText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) return undefined;
  if (value.every((byte) => typeof byte === 'number')) return Buffer.from(value as number[]).toString('utf8');
  return fieldText(value[0]);
}

/** Rows of `journalctl -o json --reverse` (newest first) as lines, oldest first, within the total cap. */
export function parseJournalJson(text: string, maxTotalBytes = MAX_TOTAL_BYTES): string[] {
  const lines: string[] = [];
  let total = 0;
  for (const row of text.split('\n')) {
    if (!row.trim()) continue;
    let line: string | undefined;
    try {
      line = formatEntry(JSON.parse(row) as Record<string, unknown>);
    } catch {
      // A cut last row (the output cap): dropped.
    }
    if (line === undefined) continue;
    total += Buffer.byteLength(line) + 1;
    if (total > maxTotalBytes) break;
    lines.push(line);
  }
  return lines.reverse();
}

/** Reads a unit's journal through the command runner. */
export async function readJournal(runner: CommandRunner, unit: string, query: LogQuery, timeoutMs: number, signal?: AbortSignal): Promise<string[]> {
  const result = await runner.run(journalArgv(unit, query), { timeoutMs, signal, maxOutputBytes: MAX_OUTPUT_BYTES });
  if (result.spawnError) throw new Error(`journalctl could not run: ${result.spawnError}`);
  if (result.timedOut) throw new Error(`journalctl timed out after ${timeoutMs} ms`);
  return parseJournalJson(result.stdout);
}
