/**
 * The words of drift and diagnosis that the core's types carry (a task's evidence holds its drift report and what
 * blocks it): the data only; computing them is src/drift/'s.
 */
export const DRIFT_KINDS = ['unit-file', 'drop-in', 'environment', 'limit', 'user', 'working-directory', 'program', 'owner', 'mode', 'missing', 'added'] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

export interface DriftChange {
  kind: DriftKind;
  path?: string;
  /** One line: "drop-in /etc/systemd/system/app.service.d/limits.conf added". */
  summary: string;
  before?: string;
  after?: string;
  /** When the file system says it changed (ms), if known. */
  at?: number;
  /** Diff lines ("- old", "+ new") of a text file, capped. */
  lines?: string[];
}

/** A package dpkg installed, upgraded or removed (drift/host-changes.ts). */
export interface PackageEvent {
  at: number;
  action: string;
  package: string;
  from?: string;
  to?: string;
}

/** What changed for a failed service since it was last known good, and what else changed on the host meanwhile. */
export interface DriftReport {
  /** When its last-known-good state was recorded; null when there is none yet. */
  knownGoodAt: number | null;
  changes: DriftChange[];
  /** Facts about its state now that explain a failure whatever the history (the program is gone). */
  facts: string[];
  /** Packages installed, upgraded or removed since the last-known-good state (dpkg's log). */
  packages: PackageEvent[];
  /** Files in its unit and configuration directories modified since then. */
  modified: Array<{ path: string; modifiedAt: number }>;
}

/** A condition only a human can clear; re-checked every cycle while the escalation is open. */
export type Block = { kind: 'program'; path: string } | { kind: 'path'; path: string } | { kind: 'config-test' } | { kind: 'user'; user: string } | { kind: 'cause'; what: string };
