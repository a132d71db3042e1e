/**
 * This host's identity in a fleet: a stable id kept in DATA/host-id (created once, random; it survives renames
 * and reinstalls of the daemon, and a restored backup keeps it), and the name people know it by.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { CompiledConfig } from '../config/compiled.js';
import type { HostRecord } from '../store/fleet/fleet-store.js';
import { PACKAGE_VERSION } from '../runtime/package-version.js';

const HOST_ID = /^[a-z0-9]{16,64}$/;

/** The id in DATA/host-id, created (0644) when absent or unreadable as one. */
export function hostId(dataDir: string): string {
  const file = join(dataDir, 'host-id');
  try {
    const text = readFileSync(file, 'utf8').trim();
    if (HOST_ID.test(text)) return text;
  } catch {
    // not there yet
  }
  const id = randomBytes(10).toString('hex');
  writeFileSync(file, `${id}\n`, { mode: 0o644 });
  return id;
}

export function hostRecord(config: Pick<CompiledConfig, 'dataDir' | 'fleet'>, startedAt: number): HostRecord {
  return { id: hostId(config.dataDir), name: config.fleet.hostName ?? hostname(), version: PACKAGE_VERSION, startedAt };
}
