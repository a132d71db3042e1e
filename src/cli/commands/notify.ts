/** `orchestrator notify test`: sends a test message through every configured channel and reports each result. */
import type { Command } from 'commander';
import { hostname } from 'node:os';
import { configFor, globalOptions, output, EXIT } from '../context.js';
import { createNotifiers } from '../../notify/create-notifiers.js';
import type { Notification } from '../../core/notification.js';

export function registerNotify(program: Command): void {
  const notify = program.command('notify').description('notification channels');
  notify
    .command('test')
    .description('send a test message through every configured channel (email, webhooks) and report each result')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const config = configFor(globalOptions(command));
      const notifiers = createNotifiers(config.notify);
      if (notifiers.length === 0) {
        output(options.json, [], () => 'No notification channels are configured (notify.email, notify.webhooks).');
        process.exitCode = EXIT.failure;
        return;
      }
      const now = new Date();
      const notification: Notification = {
        version: 1,
        kind: 'test',
        dedupKey: `test:${now.getTime()}`,
        at: now.toISOString(),
        host: hostname(),
        escalation: {
          id: 'test',
          taskId: 'test',
          service: 'test',
          symptom: 'test',
          status: 'open',
          reason: 'This is a test message from autonomous-orchestrator: if you can read it, this channel works.',
          createdAt: now.toISOString(),
          occurrences: 1,
          grouped: [],
          evidence: { message: 'test message', logs: [] },
          attempts: [],
          hypotheses: [],
        },
        actions: { ack: 'orchestrator escalation ack ID', resolve: 'orchestrator escalation resolve ID [--fix ACTION] [--note TEXT]', dashboard: config.notify.dashboardUrl },
      };
      const results = await Promise.all(
        notifiers.map(async (notifier) => {
          const started = performance.now();
          try {
            await notifier.send(notification, AbortSignal.timeout(30_000));
            return { channel: notifier.channel, ok: true, ms: Math.round(performance.now() - started) };
          } catch (error) {
            return { channel: notifier.channel, ok: false, error: (error as Error).message, ms: Math.round(performance.now() - started) };
          }
        }),
      );
      output(options.json, results, () =>
        results.map((result) => `${result.ok ? 'ok  ' : 'FAIL'}  ${result.channel}  ${result.ok ? `delivered in ${result.ms} ms` : result.error}`).join('\n'),
      );
      if (results.some((result) => !result.ok)) process.exitCode = EXIT.failure;
    });
}
