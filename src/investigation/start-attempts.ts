/**
 * Splits a unit's journal lines into start attempts by systemd's own messages ("Starting ...", "Started ...",
 * "Main process exited ...", "Failed with result ..."), so what each failed attempt printed reads as one block.
 * Lines before the first "Starting" in view form a block of their own; with no systemd lines at all (the process
 * adapter's logs) everything is one block.
 */

export interface StartAttempt {
  /** false for the lines before the first start in view. */
  started: boolean;
  lines: string[];
  /** How it failed (systemd's result, or the exit status), when it did. */
  failure?: string;
  /** It reached "Started" (or a main process that ran). */
  up: boolean;
}

/** The text systemd itself logged in a journal line ("... systemd[1]: <message>"), or undefined. */
function systemdMessage(line: string): string | undefined {
  const match = /\ssystemd(?:\[\d+\])?: (.*)$/.exec(line);
  return match?.[1];
}

export function startAttempts(lines: readonly string[]): StartAttempt[] {
  const attempts: StartAttempt[] = [];
  let current: StartAttempt = { started: false, lines: [], up: false };
  for (const line of lines) {
    const message = systemdMessage(line);
    if (message !== undefined && /^Starting\b/.test(message)) {
      if (current.lines.length > 0) attempts.push(current);
      current = { started: true, lines: [line], up: false };
      continue;
    }
    current.lines.push(line);
    if (message === undefined) continue;
    const result = /Failed with result '([^']+)'/.exec(message);
    const exited = /(Main|Control) process exited, code=(\w+), status=([^\s,]+)/.exec(message);
    if (result) current.failure = `${result[1]}${current.failure ? `; ${current.failure}` : ''}`;
    else if (exited && !/^0\b/.test(exited[3]!)) current.failure ??= `${exited[1]!.toLowerCase()} process ${exited[2]} status ${exited[3]}`;
    else if (/^Failed to start\b/.test(message)) current.failure ??= 'failed to start';
    else if (/Start request repeated too quickly/.test(message)) current.failure = `${current.failure ? `${current.failure}; ` : ''}start limit hit`;
    else if (/^Started\b/.test(message)) current.up = true;
  }
  if (current.lines.length > 0) attempts.push(current);
  return attempts;
}
