/**
 * Timestamps are stored as UTC text 'YYYY-MM-DD HH:MM:SS.SSS' so that SQLite's own datetime() comparisons
 * (the operators' monitoring queries) work on them unchanged.
 */
export function toSqlTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

export function fromSqlTime(text: string): number {
  return Date.parse(`${text.replace(' ', 'T')}Z`);
}

export function toSqlTimeOrNull(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : toSqlTime(ms);
}

export function fromSqlTimeOrNull(text: string | null): number | null {
  return text === null ? null : fromSqlTime(text);
}
