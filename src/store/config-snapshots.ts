/**
 * Last-known-good configuration snapshots, one per service, under DATA/snapshots/<service>/: a manifest of
 * files (content by sha256, mode, or symlink target) and the blobs. Taken while the service is healthy; restored
 * by restore_config only where the current files differ. Files added since the snapshot are moved to a
 * quarantine folder, never deleted.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';

const MAX_FILES = 500;
const MAX_FILE_BYTES = 1024 * 1024;

export interface SnapshotFile {
  path: string;
  sha256?: string;
  mode?: number;
  symlink?: string;
}

interface Manifest {
  service: string;
  takenAt: number;
  roots: string[];
  files: SnapshotFile[];
}

export interface ConfigChange {
  path: string;
  change: 'changed' | 'missing' | 'added';
}

export class ConfigSnapshots {
  constructor(private readonly dataDir: string) {}

  private directory(service: string): string {
    return path.join(this.dataDir, 'snapshots', service.replace(/[^A-Za-z0-9_.@-]/g, '_'));
  }

  private manifest(service: string): Manifest | undefined {
    const file = path.join(this.directory(service), 'manifest.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Manifest) : undefined;
  }

  has(service: string): boolean {
    return this.manifest(service) !== undefined;
  }

  takenAt(service: string): number | undefined {
    return this.manifest(service)?.takenAt;
  }

  /** The newest modification time among the current files (ms), to tell whether the running service loaded them. */
  newestChange(roots: readonly string[]): number {
    return Math.max(0, ...walk(roots).map((file) => lstatSync(file).mtimeMs));
  }

  /** Differences between the current files and the snapshot; empty when there is no snapshot. */
  diff(service: string, roots: readonly string[]): ConfigChange[] {
    const manifest = this.manifest(service);
    if (!manifest) return [];
    const current = new Map(describe(roots).map((file) => [file.path, file]));
    const changes: ConfigChange[] = [];
    for (const saved of manifest.files) {
      const now = current.get(saved.path);
      if (!now) changes.push({ path: saved.path, change: 'missing' });
      else if (now.sha256 !== saved.sha256 || now.symlink !== saved.symlink) changes.push({ path: saved.path, change: 'changed' });
      current.delete(saved.path);
    }
    for (const added of current.keys()) changes.push({ path: added, change: 'added' });
    return changes;
  }

  /** Stores the current files as last-known-good (replacing the previous snapshot). */
  take(service: string, roots: readonly string[], at: number): number {
    const files = describe(roots);
    const directory = this.directory(service);
    const blobs = path.join(directory, 'blobs');
    rmSync(directory, { recursive: true, force: true });
    mkdirSync(blobs, { recursive: true, mode: 0o700 });
    for (const file of files) if (file.sha256) copyFileSync(file.path, path.join(blobs, file.sha256));
    const manifest: Manifest = { service, takenAt: at, roots: [...roots], files };
    writeFileSync(path.join(directory, 'manifest.json'), JSON.stringify(manifest, null, 1), { mode: 0o600 });
    return files.length;
  }

  /** Puts back every file that differs; quarantines added files. Returns what was done, per file. */
  restore(service: string, roots: readonly string[], at: number): string[] {
    const manifest = this.manifest(service);
    if (!manifest) return [];
    const done: string[] = [];
    const byPath = new Map(manifest.files.map((file) => [file.path, file]));
    for (const change of this.diff(service, roots)) {
      if (change.change === 'added') {
        const target = path.join(this.directory(service), 'quarantine', String(at), change.path);
        mkdirSync(path.dirname(target), { recursive: true });
        renameSync(change.path, target);
        done.push(`moved added ${change.path} to ${target}`);
        continue;
      }
      const saved = byPath.get(change.path)!;
      mkdirSync(path.dirname(saved.path), { recursive: true });
      if (saved.symlink !== undefined) {
        rmSync(saved.path, { force: true });
        symlinkSync(saved.symlink, saved.path);
      } else {
        const blob = path.join(this.directory(service), 'blobs', saved.sha256!);
        const temporary = `${saved.path}.orchestrator-restore`;
        try {
          // Atomic: the service never reads half a file.
          copyFileSync(blob, temporary);
          chmodSync(temporary, saved.mode ?? 0o644);
          renameSync(temporary, saved.path);
        } catch (error) {
          // A sandbox that grants the file but not its directory (ReadWritePaths= of a single file, as for
          // /etc/default/named): the content goes back in place instead.
          if (!isReadOnlyPlace(error) || change.change === 'missing') throw error;
          copyFileSync(blob, saved.path);
          chmodSync(saved.path, saved.mode ?? 0o644);
          done.push(`restored ${change.change} ${saved.path} in place (its directory is read-only here)`);
          continue;
        }
      }
      done.push(`restored ${change.change} ${saved.path}`);
    }
    return done;
  }
}

/** The file system refused to create a file there (read-only mount, no write permission on the directory). */
function isReadOnlyPlace(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'EROFS' || code === 'EACCES' || code === 'EPERM';
}

function walk(roots: readonly string[]): string[] {
  const files: string[] = [];
  const visit = (entry: string) => {
    if (files.length >= MAX_FILES || !existsSync(entry)) return;
    const info = lstatSync(entry);
    if (info.isDirectory()) {
      for (const name of readdirSync(entry).sort()) visit(path.join(entry, name));
    } else if ((info.isFile() && info.size <= MAX_FILE_BYTES) || info.isSymbolicLink()) {
      files.push(entry);
    }
  };
  roots.forEach(visit);
  return files;
}

function describe(roots: readonly string[]): SnapshotFile[] {
  return walk(roots).map((file) => {
    const info = lstatSync(file);
    if (info.isSymbolicLink()) return { path: file, symlink: readlinkSync(file) };
    return { path: file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex'), mode: info.mode & 0o7777 };
  });
}
