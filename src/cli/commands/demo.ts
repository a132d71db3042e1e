/**
 * `orchestrator demo`: on any machine, without root or systemd, a small stack of real processes under the
 * process adapter, the daemon healing it, the dashboard serving it, and faults on a schedule, told in sentences.
 * Ctrl-C stops everything and removes the temporary directory.
 */
import type { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { freePort } from '../../adapters/host/free-port.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../config/load.js';
import { createDaemon } from '../../main.js';
import { createFileLogger } from '../../runtime/logger.js';
import { systemClock } from '../../runtime/clock.js';
import { writeDemoStack } from '../../demo/stack.js';
import { runDemoFaults } from '../../demo/faults.js';
import { Narrator } from '../../demo/narrator.js';
import { startDashboard } from '../web.js';
import { UsageError } from '../../core/errors.js';
import type { ProcessAdapter } from '../../adapters/process/process-adapter.js';

function port(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new UsageError(`--port expects a port number 0-65535, got "${value}"`);
  return Number(value);
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run a small stack of real processes, break it on a schedule, and watch it healed (no root, no systemd)')
    .option('--port <port>', 'dashboard port (default 8888, or a free one when that is taken)', port)
    .option('--no-faults', 'do not break anything: heal only what you break yourself')
    .action(async (options: { port?: number; faults: boolean }) => {
      const directory = mkdtempSync(path.join(tmpdir(), 'orchestrator-demo-'));
      const say = (text: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)}  ${text}\n`);
      let daemon: ReturnType<typeof createDaemon> | undefined;
      const controller = new AbortController();
      const cleanUp = async () => {
        await daemon?.adapter.close?.().catch(() => undefined);
        daemon?.stores.close();
        rmSync(directory, { recursive: true, force: true });
      };
      try {
        const stack = writeDemoStack(directory, { appPort: await freePort(), cachePort: await freePort(), webPort: options.port ?? 8888 });
        let config = parseConfigText(stack.configYaml, path.join(directory, 'config.yaml'));
        const logger = createFileLogger('info', path.join(directory, 'daemon.log'));
        daemon = createDaemon({ config, logger });
        const processes = daemon.adapter.for?.('app') as ProcessAdapter | undefined;
        await processes?.startAll();
        let web = await startDashboard({ config, stores: daemon.stores, logger, readOnly: false, escalations: daemon.escalations }).catch(() => undefined);
        if (!web && options.port === undefined) {
          config = { ...config, web: { ...config.web, port: await freePort() } };
          web = await startDashboard({ config, stores: daemon.stores, logger, readOnly: false, escalations: daemon.escalations });
        }
        if (!web) throw new UsageError(`the dashboard cannot listen on 127.0.0.1:${config.web.port}; choose another --port`);
        const address = web.app.server.address() as { port: number };
        process.stdout.write(
          [
            'autonomous-orchestrator demo: a cache, an app that needs it, and a worker, run as real processes.',
            `  dashboard  http://127.0.0.1:${address.port}/   token ${web.token}`,
            `  files      ${directory} (removed when you stop)`,
            `  daemon log ${path.join(directory, 'daemon.log')}`,
            options.faults
              ? '  faults     every ~20 s something breaks; watch it noticed, fixed, learned, or escalated.'
              : '  faults     none: break something yourself (kill -9 a pid from the dashboard).',
            '  Ctrl-C stops everything.',
            '',
          ].join('\n'),
        );
        const stopOnSignal = () => controller.abort();
        process.once('SIGINT', stopOnSignal);
        process.once('SIGTERM', stopOnSignal);
        const narrator = new Narrator(say);
        const current = daemon;
        const narrate = async (signal: AbortSignal) => {
          while (!signal.aborted) {
            narrator.observe(current.stores.tasks.list({ limit: 50 }));
            await systemClock.sleep(500, signal).catch(() => undefined);
          }
        };
        const pids = async () => {
          const statuses = await current.adapter.statusMany(['cache', 'app', 'worker']);
          return new Map([...statuses].map(([name, status]) => [name, status.mainPid]));
        };
        await Promise.all([
          current.orchestrator.runForever(controller.signal),
          current.dispatcher.run(controller.signal),
          narrate(controller.signal),
          options.faults ? runDemoFaults(stack, pids, systemClock, say, controller.signal) : Promise.resolve(),
        ]);
        await web.close();
        say('stopped: every process of the demo ended, its files removed');
      } finally {
        await cleanUp();
      }
    });
}
