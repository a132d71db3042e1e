/**
 * The browser pages: the web/ directory at the package root (next to src/ and dist/), and uPlot from
 * node_modules, never a CDN. Static files hold no data and are served without authentication so the login page
 * can load; every /api call they make is authenticated.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Paths of the app's pages, answered with index.html (see web/app.js's router). */
export const PAGE_PATHS = ['/escalations', '/escalations/:id', '/tasks', '/tasks/:id', '/patterns', '/silences', '/fleet', '/fleet/tasks/:host/:id', '/fleet/hosts/:id'];

const VENDOR_FILES: Record<string, string> = { 'uplot.iife.min.js': 'uPlot.iife.min.js', 'uplot.min.css': 'uPlot.min.css' };

const PLACEHOLDER = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>autonomous-orchestrator</title></head>
<body>
<h1>autonomous-orchestrator</h1>
<p>The dashboard pages are not installed (no web/index.html). The JSON API is available: see docs/api.md.</p>
</body>
</html>
`;

/** Registers /, the pages' paths, /vendor/uplot.*, and every other GET as a file under the static root (404 when absent). */
export function registerStatic(app: FastifyInstance, staticRoot: string): void {
  const vendorDirectory = uplotDirectory();
  app.register(fastifyStatic, { root: staticRoot, serve: false, dotfiles: 'ignore', index: false });

  const shell = async (_request: unknown, reply: FastifyReply) => {
    if (existsSync(join(staticRoot, 'index.html'))) return reply.sendFile('index.html');
    return reply.type('text/html; charset=utf-8').send(PLACEHOLDER);
  };
  app.get('/', { config: { public: true } }, shell);
  // The pages' own paths (notifications link to /escalations/<id>): the same shell, which turns the path into its
  // hash route. Like every static file it holds no data.
  for (const path of PAGE_PATHS) app.get(path, { config: { public: true } }, shell);

  app.get('/vendor/:file', { config: { public: true } }, async (request, reply) => {
    const file = VENDOR_FILES[(request.params as { file: string }).file];
    if (!file || !vendorDirectory) return reply.callNotFound();
    return reply.sendFile(file, vendorDirectory);
  });

  app.get('/*', { config: { public: true } }, async (request, reply) => reply.sendFile((request.params as { '*': string })['*']));
}

function uplotDirectory(): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'));
  } catch {
    return undefined;
  }
}
