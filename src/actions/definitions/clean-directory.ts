/** Delete old files from an allow-listed directory: on its own filesystem only, never through a link. */
import { z } from 'zod/v4';
import { PathRefusedError } from '../../core/errors.js';
import { absolutePath, defineAction } from '../definition.js';
import { forbiddenRootReason, normalizeAbsolute } from '../../core/path-policy.js';

export const cleanDirectory = defineAction({
  type: 'clean_directory',
  summary: 'delete files older than a limit from an allow-listed cleanup directory (never across a mount or a link)',
  params: z.object({ path: absolutePath, olderThanMs: z.number().int().min(60_000) }).strict(),
  scope: ({ path }, _scope, config) =>
    config.host.cleanup.some((entry) => entry.path === path && forbiddenRootReason(entry.path, config.dataDir) === undefined)
      ? undefined
      : `${path} is not an allow-listed cleanup directory`,
  offer: (_scope, { config }) =>
    config.host.cleanup.length > 0
      ? {
          description: 'delete old files from an allow-listed directory',
          params: {
            path: `one of ${config.host.cleanup.map((entry) => `"${entry.path}"`).join(', ')}`,
            olderThanMs: `at least ${Math.min(...config.host.cleanup.map((entry) => entry.olderThanMs))}`,
          },
        }
      : undefined,
  async run({ path, olderThanMs }, { files, config }) {
    const entry = config.host.cleanup.find((candidate) => candidate.path === path)!;
    const realRoot = await files.realPath(path);
    if (!realRoot) return { ok: true, detail: `${path} does not exist; nothing to clean` };
    if (realRoot !== normalizeAbsolute(path)) throw new PathRefusedError(`${path} resolves to ${realRoot}: a cleanup path is never followed through a link`);
    const reason = forbiddenRootReason(realRoot, config.dataDir);
    if (reason) throw new PathRefusedError(reason);
    const minimumAge = Math.max(olderThanMs, entry.olderThanMs);
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
    return { ok: true, detail: `removed ${removed} file(s), ${Math.round(bytes / 1048576)} MiB, older than ${Math.round(minimumAge / 60_000)} min from ${path}` };
  },
});
