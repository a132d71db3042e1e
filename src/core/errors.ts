/** A small error hierarchy: each error carries a stable code and says whether retrying can help. */
export class OrchestratorError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  constructor(code: string, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** The configuration is invalid; `problems` lists every mistake with where it is. */
export class ConfigError extends OrchestratorError {
  constructor(
    readonly file: string,
    readonly problems: ReadonlyArray<{ path: string; message: string }>,
  ) {
    super('CONFIG_INVALID', `${file}: ${problems.length} problem(s) in configuration`);
  }
}

/** A usage mistake on the command line or a request that cannot be honoured (exit code 2). */
export class UsageError extends OrchestratorError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** Stop trying automated fixes and hand the task to a human now (e.g. a failing config test). */
export class EscalateNowError extends OrchestratorError {
  constructor(
    message: string,
    readonly evidence: Record<string, string> = {},
  ) {
    super('ESCALATE_NOW', message);
  }
}

/** The safety policy refused an action; the reason is recorded with the attempt. */
export class PolicyRefusal extends OrchestratorError {
  constructor(
    readonly reason: 'dry_run' | 'paused' | 'silenced' | 'autonomy_off' | 'budget' | 'fleet_budget' | 'rate_limit' | 'operator_intent' | 'not_allowed',
    message: string,
  ) {
    super('POLICY_REFUSED', message);
  }
}

/** Another daemon already owns the data directory. */
export class LockHeldError extends OrchestratorError {
  constructor(message: string) {
    super('LOCK_HELD', message);
  }
}

/**
 * A file action's path would leave its allowed root, pass through a symbolic link, cross a mount, or name a
 * system directory: refused before anything is touched.
 */
export class PathRefusedError extends OrchestratorError {
  constructor(message: string) {
    super('PATH_REFUSED', message);
  }
}
