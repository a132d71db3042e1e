/** Structured JSON-lines logs through pino: stdout for the daemon (journald keeps them), stderr for one-shot runs. */
import pino from 'pino';
import type { Logger } from '../core/logger.js';

export function createLogger(level: string, destination: 1 | 2 = 1): Logger {
  return pino(
    { level, base: { name: 'autonomous-orchestrator' }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ fd: destination, sync: true }),
  ) as unknown as Logger;
}

/** The same logs into a file (the demo keeps its terminal for sentences). */
export function createFileLogger(level: string, file: string): Logger {
  return pino(
    { level, base: { name: 'autonomous-orchestrator' }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: file, sync: true, mkdir: true }),
  ) as unknown as Logger;
}
