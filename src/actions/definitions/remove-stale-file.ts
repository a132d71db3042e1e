/**
 * Remove a pid, lock or socket file with no live owner. The path must be one of the service's runtime files or
 * lie in one of its runtime directories; the root is resolved and checked against the path policy, and below
 * it no link is followed (the file system refuses), so a link planted in the runtime tree is refused.
 */
import { z } from 'zod/v4';
import { PathRefusedError } from '../../core/errors.js';
import { absolutePath, defineAction } from '../definition.js';
import { runtimeRootFor, runtimeRoots } from '../scope.js';
import { forbiddenRootReason, forbiddenRuntimeFileReason } from '../../core/path-policy.js';
import { findStaleFiles } from '../stale-files.js';

export const removeStaleFile = defineAction({
  type: 'remove_stale_file',
  summary: "remove a pid, lock or socket file with no live owner in the service's runtime files or directories",
  params: z.object({ path: absolutePath }).strict(),
  scope: ({ path }, scope, config) => (runtimeRootFor(path, scope, config.dataDir) ? undefined : `${path} is not a runtime file of ${scope.service.name}`),
  offer(scope, { config }) {
    const { service } = scope;
    const roots = runtimeRoots(scope, config.dataDir);
    if (!service.unit || (service.runtimeFiles.length === 0 && roots.length === 0)) return undefined;
    return {
      description: 'remove a pid, lock or socket file with no live owner, then start',
      params: { path: `an absolute path: ${[...service.runtimeFiles.map((file) => `"${file}"`), ...roots.map((root) => `a file under "${root}/"`)].join(', ')}` },
    };
  },
  async run({ path }, { files, config, scope }) {
    const root = runtimeRootFor(path, scope, config.dataDir);
    if (!root) throw new PathRefusedError(`${path} is not a runtime file of ${scope.service.name}`);
    const realRoot = await files.realPath(root);
    if (!realRoot) return { ok: true, detail: `${path}: its directory ${root} does not exist; nothing to remove` };
    const exact = scope.service.runtimeFiles.includes(path);
    const reason = exact ? forbiddenRuntimeFileReason(`${realRoot}/${path.slice(root.length + 1)}`, config.dataDir) : forbiddenRootReason(realRoot, config.dataDir);
    if (reason) throw new PathRefusedError(`${root} resolves to ${realRoot}: ${reason}`);
    const [stale] = await findStaleFiles([{ root, path }], files);
    if (!stale) {
      await files.inspect(root, path); // Refuses a path through a link, so the refusal is recorded, not "left alone".
      return { ok: true, detail: `${path}: already gone, owned by a live process or not a plain file; left alone` };
    }
    await files.remove(root, path);
    return { ok: true, detail: `removed ${path} (${stale.reason})` };
  },
});
