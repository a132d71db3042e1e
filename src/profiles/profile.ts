/**
 * A known-service profile: what an experienced operator knows about a common service, used by phase 1
 * (and later phases) to check and fix it. Everything is data: argv arrays, paths, patterns.
 */
export interface LogSignature {
  /** A JavaScript regular expression source, matched case-insensitively against log lines. */
  pattern: string;
  /** A short class name, e.g. address_in_use, no_space, permission_denied, config_syntax. */
  symptom: string;
  /** What an operator should know or do. */
  hint: string;
}

export interface ServiceProfile {
  /** The profile key used in configuration (`profile: nginx`). */
  name: string;
  description: string;
  /** Candidate systemd unit names, most common first (Debian names first). */
  units: readonly string[];
  /** A liveness probe: argv whose exit code 0 means the service answers. */
  liveness?: readonly string[];
  /** A configuration test to run before any restart: argv whose exit code 0 means the config is valid. */
  configTest?: readonly string[];
  /** Pid, lock and socket files that may be left behind by a crash and block a start. */
  runtimeFiles?: readonly string[];
  /** Directories holding such runtime state. */
  runtimeDirs?: readonly string[];
  /** Directories of the service's own data: their owner and mode are part of its last-known-good state. */
  dataDirs?: readonly string[];
  /** Configuration files and directories worth snapshotting (last-known-good) while healthy. */
  configPaths?: readonly string[];
  /** Units this service commonly depends on (besides what systemd declares). */
  dependencies?: readonly string[];
  /** Default TCP port, for probes and stray-listener detection. */
  port?: number;
  /** Whether `systemctl reload` is supported and safe. */
  reloadable?: boolean;
  logSignatures?: readonly LogSignature[];
}
