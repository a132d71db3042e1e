/** Delete old files from an allow-listed directory: on its own filesystem only, never through a link. */
import { z } from 'zod/v4';
import { PathRefusedError } from '../../core/errors.js';
import { absolutePath, defineAction } from '../definition.js';
import { forbiddenRootReason, normalizeAbsolute } from '../../core/path-policy.js';

export const cleanDirectory = defineAction({
  type: 'clean_directory',
  summary: 'delete files older than its configured age from an allow-listed cleanup directory (never across a mount or a link)',
  // olderThanMs is kept for what was learned and proposed before; the directory's configured age decides.
  params: z.object({ path: absolutePath, olderThanMs: z.number().int().min(60_000).optional() }).strict(),
  scope: ({ path }, _scope, config) =>
    config.host.cleanup.some((entry) => entry.path === path && forbiddenRootReason(entry.path, config.dataDir) === undefined)
      ? undefined
      : `${path} is not an allow-listed cleanup directory`,
  offer: (_scope, { config }) =>
    config.host.cleanup.length > 0
      ? {
          description: `delete files older than the configured age from an allow-listed directory (${config.host.cleanup
            .map((entry) => `${entry.path}: older than ${Math.round(entry.olderThanMs / 60_000)} min`)
            .join('; ')}); it counts only when it frees space`,
          params: { path: `one of ${config.host.cleanup.map((entry) => `"${entry.path}"`).join(', ')}` },
        }
      : undefined,
  async run({ path }, { files, config }) {
    const entry = config.host.cleanup.find((candidate) => candidate.path === path)!;
    const realRoot = await files.realPath(path);
    if (!realRoot) return { ok: false, detail: `${path} does not exist; nothing to clean, no space freed` };
    if (realRoot !== normalizeAbsolute(path)) throw new PathRefusedError(`${path} resolves to ${realRoot}: a cleanup path is never followed through a link`);
    const reason = forbiddenRootReason(realRoot, config.dataDir);
    if (reason) throw new PathRefusedError(reason);
    const minimumAge = entry.olderThanMs;
    let removed = 0;
    let bytes = 0;
    for (const file of await files.listFiles(path, { sameDevice: true })) {
      if (file.ageMs < minimumAge) continue;
      if ((await files.holders(file.path)).length > 0) continue;
      try {
        if (await files.remove(path, file.path, { sameDevice: true })) {
          removed++;
          bytes += file.size;
        }
      } catch (error) {
        if (!(error instanceof PathRefusedError)) throw error;
        // Swapped for a link or moved since it was listed: left alone.
      }
    }
    const age = `older than ${Math.round(minimumAge / 60_000)} min (the configured age)`;
    // Nothing removed frees nothing: not a fix, whatever the service does next.
    if (removed === 0) return { ok: false, detail: `nothing ${age} to remove from ${path}: no space freed` };
    return { ok: true, detail: `removed ${removed} file(s), ${Math.round(bytes / 1048576)} MiB, ${age} from ${path}` };
  },
});
