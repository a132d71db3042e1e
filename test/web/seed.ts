/** A data directory seeded through the real repositories, and a web server over it, for the web tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { InjectOptions } from 'fastify';
import { openStores, type Stores } from '../../src/store/stores.js';
import { parseConfigText } from '../../src/config/load.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { EscalationService } from '../../src/escalation/escalation-service.js';
import { ManualClock } from '../support/manual-clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Task } from '../../src/core/types.js';
import type { Escalation } from '../../src/store/escalation-repository.js';
import { writeTask as writeStoredTask } from '../support/tasks.js';
import { createWebServer, type WebServer, type WebServerOptions } from '../../src/web/server.js';

export const HOST = '127.0.0.1:8888';
export const XSS = '<script>alert(1)</script>';

export interface Seeded {
  dataDir: string;
  stores: Stores;
  config: CompiledConfig;
  clock: ManualClock;
  fixedTask: Task;
  openTask: Task;
  dbEscalation: Escalation;
  queueEscalation: Escalation;
  cleanup(): void;
}

let ids = 0;

/** A task written as the pipeline would; `overrides` set its outcome. */
export function writeTask(stores: Stores, clock: ManualClock, service: string, overrides: Partial<Task> = {}): Task {
  return writeStoredTask(stores, clock.now(), service, { id: `t${++ids}-${service}`, ...overrides });
}

/** web fixed in phase 1 yesterday, db and queue escalated, cache open with a hostile message, idle configured only. */
export function seed(web: Partial<CompiledConfig['web']> = {}): Seeded {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'orchestrator-web-'));
  const parsed = parseConfigText('services:\n  - { name: web, unit: web.service }\n  - { name: idle, unit: idle.service }\n', 'test');
  const config: CompiledConfig = { ...parsed, dataDir, web: { ...parsed.web, ...web } };
  const stores = openStores(dataDir);
  const clock = new ManualClock();
  const service = new EscalationService({ stores, config, clock, newId: () => `e${++ids}`, logger: silentLogger, host: 'host1', channels: [] });

  clock.advance(-86_400_000);
  const fixedTask = writeTask(stores, clock, 'web', {
    status: 'fixed',
    phase: 1,
    fixSuccessful: true,
    fixedByPhase: 1,
    closedAt: clock.now() + 5_000,
    durationMs: 5_000,
    reason: 'restart_unit worked',
  });
  const attempt = {
    id: `a${++ids}`,
    taskId: fixedTask.id,
    phase: 1 as const,
    source: 'generic' as const,
    planKey: 'restart_unit',
    actions: [{ type: 'restart_unit' as const, params: { unit: 'web.service' } }],
  };
  stores.attempts.start({ ...attempt, reason: 'the unit failed', startedAt: clock.now(), finishedAt: null, outcome: null, detail: '', verification: null }, 'web');
  stores.attempts.finish(attempt.id, {
    outcome: 'success',
    detail: 'restarted',
    verification: { passed: true, checks: [], at: clock.now() + 5_000 },
    finishedAt: clock.now() + 5_000,
    acted: true,
  });
  stores.verdicts.record({
    taskId: fixedTask.id,
    phase: 2,
    agent: 'heuristic',
    perspective: 'research',
    verdict: null,
    error: 'no idea',
    accepted: false,
    note: '',
    createdAt: clock.now(),
  });
  clock.advance(86_400_000);

  const dbTask = writeTask(stores, clock, 'db', { status: 'escalated', phase: 3, reason: 'not fixed' });
  const dbEscalation = service.escalate({ task: dbTask, reason: 'phases 1-3 failed', causeKey: null, hypotheses: ['phase 3 systems: disk'] });
  const queueTask = writeTask(stores, clock, 'queue', { status: 'escalated', phase: 2, reason: 'not fixed' });
  const queueEscalation = service.escalate({ task: queueTask, reason: 'phase 2 gave up', causeKey: null, hypotheses: [] });
  const openTask = writeTask(stores, clock, 'cache', { message: `cache said ${XSS}` });
  return {
    dataDir,
    stores,
    config,
    clock,
    fixedTask,
    openTask,
    dbEscalation,
    queueEscalation,
    cleanup() {
      stores.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A server over the seeded data (not listening: tests use inject). */
export function serverFor(seeded: Seeded, options: Partial<WebServerOptions> = {}): WebServer {
  return createWebServer({ config: seeded.config, stores: seeded.stores, readOnly: false, logger: silentLogger, clock: seeded.clock, isDaemonRunning: () => true, ...options });
}

/** An inject request with the right Host header and, unless `token` is null, the bearer token. */
export function call(server: WebServer, options: InjectOptions & { token?: string | null }) {
  const { token = server.token, headers = {}, ...rest } = options;
  const auth = token === null ? {} : { authorization: `Bearer ${token}` };
  const json = rest.payload !== undefined && typeof rest.payload === 'object' ? { 'content-type': 'application/json' } : {};
  return server.app.inject({ ...rest, headers: { host: HOST, ...auth, ...json, ...headers } });
}
