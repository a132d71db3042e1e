/**
 * The attacks that already held, kept in the hostile suite so they keep holding: hostile agent replies and
 * proposals (off the catalog, shell and path injection, prototype keys, other units, system files), and a
 * browser or client on the dashboard without a token, from another site, with a forged Host header, with path
 * traversal or script in the data. Each asserts the refusal and that nothing changed: a sacrificial file's
 * checksum, the escalation still open, the kill switch still off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseVerdict, MAX_REPLY_BYTES } from '../../src/agents/verdict-schema.js';
import { judgeProposal } from '../../src/phases/proposals.js';
import { parseConfigText } from '../../src/config/load.js';
import { fileExecutor } from '../support/file-executor.js';
import { call, seed, serverFor, XSS, type Seeded } from '../web/seed.js';
import type { WebServer } from '../../src/web/server.js';

const work = mkdtempSync(path.join(tmpdir(), 'orchestrator-hostile-agents-'));
const victim = path.join(work, 'victim.db');
writeFileSync(victim, 'precious\n');
const sha = () => createHash('sha256').update(readFileSync(victim)).digest('hex');
const victimSha = sha();
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('hostile agent replies', () => {
  const config = parseConfigText(`dataDir: ${work}/data\nservices:\n  - { name: web, unit: web.service, runtimeFiles: [/run/web/web.pid] }\n`, 'hostile');
  const scope = { service: config.services[0]!, dependencyUnits: ['redis-server.service'], runtimeDirectories: ['/run/web'], configTestFor: () => undefined };

  it.each([
    ['not JSON at all', 'I think you should run rm -rf /'],
    ['too large', `{"diagnosis":"${'x'.repeat(MAX_REPLY_BYTES)}"}`],
    ['extra keys', JSON.stringify({ diagnosis: 'd', symptomClass: 's', action: { type: 'restart_unit', params: {} }, confidence: 1, shell: 'rm -rf /' })],
    ['confidence out of range', JSON.stringify({ diagnosis: 'd', symptomClass: 's', action: { type: 'restart_unit', params: {} }, confidence: 7 })],
  ])('refuses a reply that is %s', (_name, reply) => {
    expect(() => parseVerdict(reply)).toThrow(/reply/);
  });

  it.each([
    [{ type: 'run_shell', params: { command: 'rm -rf /' } }, 'off_catalog'],
    [{ type: '__proto__', params: {} }, 'off_catalog'],
    [{ type: 'constructor', params: {} }, 'off_catalog'],
    [{ type: 'restart_unit', params: { unit: 'web.service; rm -rf /' } }, 'bad_parameters'],
    [{ type: 'restart_unit', params: { unit: '--now' } }, 'bad_parameters'],
    [{ type: 'restart_unit', params: { unit: 'web.service', extra: '$(reboot)' } }, 'bad_parameters'],
    [{ type: 'restart_unit', params: { unit: 'sshd.service' } }, 'out_of_scope'],
    [{ type: 'restart_dependency', params: { unit: 'sshd.service' } }, 'out_of_scope'],
    [{ type: 'remove_stale_file', params: { path: '/run/web/../../etc/shadow' } }, 'bad_parameters'],
    [{ type: 'remove_stale_file', params: { path: '/etc/passwd' } }, 'out_of_scope'],
    [{ type: 'remove_stale_file', params: { path: victim } }, 'out_of_scope'],
    [{ type: 'remove_stale_file', params: { path: '/run/web\u0000/x' } }, 'bad_parameters'],
    [{ type: 'clean_directory', params: { path: '/', olderThanMs: 60_000 } }, 'out_of_scope'],
    [{ type: 'run_playbook', params: { name: '../../bin/sh' } }, 'bad_parameters'],
  ] as const)('refuses the proposal %j (%s) and the executor refuses it too', async (proposal, kind) => {
    const judgement = judgeProposal(proposal, scope, config);
    expect(judgement).toMatchObject({ ok: false, kind });
    const executor = fileExecutor(config);
    await expect(executor.execute(proposal as never, scope)).rejects.toThrow();
    expect(sha()).toBe(victimSha);
  });
});

describe('hostile requests to the dashboard', () => {
  let seeded: Seeded;
  let server: WebServer;
  beforeAll(() => {
    seeded = seed();
    server = serverFor(seeded);
  });
  afterAll(async () => {
    await server.close();
    seeded.cleanup();
  });
  const unchanged = () => {
    expect(seeded.stores.escalations.get(seeded.dbEscalation.id)!.status).toBe('open');
    expect(seeded.stores.state.pause().paused).toBe(false);
    expect(sha()).toBe(victimSha);
  };

  it('refuses state changes without a token (401)', async () => {
    expect((await call(server, { method: 'POST', url: '/api/pause', payload: {}, token: null })).statusCode).toBe(401);
    unchanged();
  });

  it('refuses a cross-site form post and a cross-origin JSON post (CSRF, 403)', async () => {
    const form = await call(server, { method: 'POST', url: '/api/pause', payload: 'reason=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.statusCode).toBe(403);
    const cross = await call(server, { method: 'POST', url: `/api/escalations/${seeded.dbEscalation.id}/resolve`, payload: {}, headers: { origin: 'http://evil.example' } });
    expect(cross.statusCode).toBe(403);
    const site = await call(server, { method: 'POST', url: '/api/pause', payload: {}, headers: { 'sec-fetch-site': 'cross-site' } });
    expect(site.statusCode).toBe(403);
    unchanged();
  });

  it('refuses a forged Host header (DNS rebinding, 421)', async () => {
    const response = await call(server, { method: 'POST', url: '/api/pause', payload: {}, headers: { host: 'evil.example' } });
    expect(response.statusCode).toBe(421);
    unchanged();
  });

  it.each(['/../../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2f..%2fpackage.json', '/api/tasks/..%2f..%2fetc%2fpasswd'])(
    'serves nothing outside the app for %s',
    async (url) => {
      const response = await call(server, { method: 'GET', url });
      expect(response.body).not.toMatch(/root:x:0:0|"name": "autonomous-orchestrator"/);
      unchanged();
    },
  );

  it('returns host text with script in it as JSON data, never as HTML, under a strict CSP', async () => {
    const response = await call(server, { method: 'GET', url: '/api/tasks' });
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(response.body).toContain(JSON.stringify(XSS).slice(1, -1));
    unchanged();
  });

  it('refuses an oversized body (413) and a malformed one (400)', async () => {
    expect(
      (await call(server, { method: 'POST', url: '/api/pause', payload: JSON.stringify({ reason: 'x'.repeat(64 * 1024) }), headers: { 'content-type': 'application/json' } }))
        .statusCode,
    ).toBe(413);
    expect((await call(server, { method: 'POST', url: '/api/pause', payload: '{"reason":', headers: { 'content-type': 'application/json' } })).statusCode).toBe(400);
    unchanged();
  });
});
