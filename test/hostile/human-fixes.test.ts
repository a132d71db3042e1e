/**
 * A human's fix goes through the same gate as an agent's proposal, when it is recorded: a fix outside the
 * escalation's scope (another unit, a system file) or a hostile action name is refused with a sentence (exit 2 on
 * the CLI, 400 on the API), and nothing is learned, recorded or changed: the escalation stays open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStores } from '../../src/store/stores.js';
import { parseConfigText } from '../../src/config/load.js';
import { EscalationService } from '../../src/escalation/escalation-service.js';
import { ManualClock } from '../support/manual-clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { writeTask } from '../support/tasks.js';
import { call, seed, serverFor, type Seeded } from '../web/seed.js';
import type { WebServer } from '../../src/web/server.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli', 'main.js');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const HOSTILE_FIXES: Array<[string, RegExp]> = [
  ['restart_unit:unit=sshd.service', /sshd.service is not the unit of web/],
  ['remove_stale_file:path=/etc/passwd', /\/etc\/passwd is not a runtime file of web/],
  ['remove_stale_file:path=/run/web/../../etc/shadow', /without "\.\."/],
  ['restart_dependency:unit=sshd.service', /not a dependency of web/],
  ['clean_directory:path=/etc,olderThanMs=60000', /not an allow-listed cleanup directory/],
  ['run_playbook:name=wipe', /no playbook named wipe/],
  ['__proto__:x=1', /"__proto__" is not a catalog action/],
  ['constructor', /"constructor" is not a catalog action/],
  ['toString:unit=web.service', /not a catalog action/],
  ['restart_unit:__proto__=1', /expected TYPE or TYPE:key=value/],
  ['kill_stray_listener:port=80,pid=1234', /port 80 is not a port of web/],
];

describe('resolve --fix on the CLI', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'orchestrator-hostile-fix-'));
  const dataDir = path.join(work, 'data');
  const configFile = path.join(work, 'config.yaml');
  let escalationId: string;
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  beforeAll(() => {
    writeFileSync(configFile, 'cycle: { watchFailedUnits: false }\nservices:\n  - { name: web, unit: web.service, runtimeFiles: [/run/web/web.pid] }\n');
    const config = parseConfigText('services:\n  - { name: web, unit: web.service, runtimeFiles: [/run/web/web.pid] }\n', 'test');
    const stores = openStores(dataDir);
    const clock = new ManualClock();
    const service = new EscalationService({
      stores,
      config: { ...config, dataDir },
      clock,
      newId: () => `e${Math.random().toString(36).slice(2)}`,
      logger: silentLogger,
      host: 'host1',
      channels: [],
    });
    const task = writeTask(stores, clock.now(), 'web', { id: 'task-web', status: 'escalated', phase: 3, reason: 'not fixed' });
    escalationId = service.escalate({ task, reason: 'phases 1-3 failed', causeKey: null, hypotheses: [] }).id;
    stores.close();
  });

  it.each(HOSTILE_FIXES)('refuses --fix %s with exit 2 and learns nothing', async (fix, message) => {
    const result = await cli(['escalation', 'resolve', escalationId, '--fix', fix, '--config', configFile, '--data-dir', dataDir]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    const stores = openStores(dataDir);
    try {
      expect(stores.escalations.get(escalationId)!.status).toBe('open');
      expect(stores.patterns.all(Date.now())).toHaveLength(0);
      expect(stores.attempts.forTask('task-web')).toHaveLength(0);
    } finally {
      stores.close();
    }
  });

  it('lists the valid actions when given a wrong one', async () => {
    const result = await cli(['escalation', 'resolve', escalationId, '--fix', 'rm_rf', '--config', configFile, '--data-dir', dataDir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/one of: restart_unit, start_unit/);
  });

  it('accepts and learns a fix in scope (positive control)', async () => {
    const result = await cli([
      'escalation',
      'resolve',
      escalationId,
      '--fix',
      'remove_stale_file:path=/run/web/web.pid',
      '--fix',
      'restart_unit',
      '--config',
      configFile,
      '--data-dir',
      dataDir,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const stores = openStores(dataDir);
    try {
      expect(stores.patterns.all(Date.now()).map((pattern) => pattern.planKey)).toEqual(['remove_stale_file(path=/run/web/web.pid) + restart_unit(unit=web.service)']);
    } finally {
      stores.close();
    }
  });
});

describe('POST /api/escalations/:id/resolve', () => {
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

  it.each(HOSTILE_FIXES.map(([fix, message]) => [fix.replace(/\bweb\b/g, 'db'), new RegExp(message.source.replace(/\bweb\b/g, 'db'))] as const))(
    'refuses fixes: [%s] with a 400 and learns nothing',
    async (fix, message) => {
      const id = seeded.dbEscalation.id;
      const response = await call(server, { method: 'POST', url: `/api/escalations/${id}/resolve`, payload: { fixes: [fix] } });
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatch(message);
      expect(seeded.stores.escalations.get(id)!.status).toBe('open');
      expect(seeded.stores.patterns.all(seeded.clock.now())).toHaveLength(0);
    },
  );
});
