/**
 * Text from the host (logs, error output, file names) is untrusted: strip ANSI escapes, control characters
 * and invisible Unicode (zero-width, bidi overrides, tag characters), and cap its size.
 */
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]|[\u{e0000}-\u{e007f}]/gu;

export function sanitizeText(text: string, maxLength: number): string {
  const clean = text.replace(ANSI, '').replace(CONTROL, '').replace(INVISIBLE, '');
  return clean.length > maxLength ? `${clean.slice(0, maxLength)}… [${clean.length - maxLength} more characters]` : clean;
}

/** Sanitises log lines and keeps the last `maxLines`, each at most `maxLineLength` long. */
export function sanitizeLines(lines: readonly string[], maxLines = 30, maxLineLength = 400): string[] {
  return lines.slice(-maxLines).map((line) => sanitizeText(line.replace(/\t/g, ' '), maxLineLength));
}
