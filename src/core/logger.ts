/** The slice of a structured logger the core uses (pino satisfies it). */
export interface LogMethod {
  (object: Record<string, unknown>, message?: string): void;
  (message: string): void;
}

export interface Logger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

/** A logger that drops everything (tests, `check`). */
export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
