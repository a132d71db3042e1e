/**
 * A unit's journal read as `journalctl -o json` (one JSON object per entry) rather than parsed text: the message
 * may be a string or a byte array, and every line is formatted like short-iso output so log rules keep matching.
 * Lines and the total are capped.
 */
import type { CommandRunner, LogQuery } from '../../core/ports.js';

const MAX_LINE = 8 * 1024;
const MAX_OUTPUT_BYTES = 2 * 1024 * 1024;

export function journalArgv(unit: string, query: LogQuery): string[] {
  const argv = ['journalctl', '--quiet', '--no-pager', '--output=json', `--lines=${query.lines}`, `--unit=${unit}`];
  if (query.sinceMs !== undefined) argv.push(`--since=-${Math.max(1, Math.ceil(query.sinceMs / 1000))}s`);
  return argv;
}

/** One journal entry as a line: "2026-12-02T08:00:00+0000 host ident[pid]: message". */
export function formatEntry(entry: Record<string, unknown>): string | undefined {
  const raw = entry.MESSAGE;
  const message = typeof raw === 'string' ? raw : Array.isArray(raw) ? Buffer.from(raw.filter((byte): byte is number => typeof byte === 'number')).toString('utf8') : undefined;
  if (message === undefined) return undefined;
  const micros = Number(entry.__REALTIME_TIMESTAMP ?? 0);
  const time = micros > 0 ? new Date(Math.floor(micros / 1000)).toISOString().replace(/\.\d{3}Z$/, '+0000') : '-';
  const ident = String(entry.SYSLOG_IDENTIFIER ?? entry._COMM ?? 'unknown');
  const pid = entry._PID ?? entry.SYSLOG_PID;
  return `${time} ${String(entry._HOSTNAME ?? '-')} ${ident}${pid ? `[${String(pid)}]` : ''}: ${message}`.slice(0, MAX_LINE);
}

export function parseJournalJson(text: string): string[] {
  const lines: string[] = [];
  for (const row of text.split('\n')) {
    if (!row.trim()) continue;
    try {
      const line = formatEntry(JSON.parse(row) as Record<string, unknown>);
      if (line !== undefined) lines.push(line);
    } catch {
      // A cut last line (the output cap): dropped.
    }
  }
  return lines;
}

/** Reads a unit's journal through the command runner. */
export async function readJournal(runner: CommandRunner, unit: string, query: LogQuery, timeoutMs: number, signal?: AbortSignal): Promise<string[]> {
  const result = await runner.run(journalArgv(unit, query), { timeoutMs, signal, maxOutputBytes: MAX_OUTPUT_BYTES });
  if (result.spawnError) throw new Error(`journalctl could not run: ${result.spawnError}`);
  if (result.timedOut) throw new Error(`journalctl timed out after ${timeoutMs} ms`);
  return parseJournalJson(result.stdout);
}
