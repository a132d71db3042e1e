/** `orchestrator token create|list|revoke`: named dashboard and API tokens, one per person or tool. */
import type { Command } from 'commander';
import { cliActor, configFor, globalOptions, output, withStores } from '../context.js';
import { openStores } from '../../store/stores.js';
import { createAccessToken, listAccessTokens, revokeAccessToken } from '../../web/access-tokens.js';
import { ADMIN_TOKEN_NAME } from '../../web/access-control.js';
import { table, when } from '../table.js';

export function registerToken(program: Command): void {
  const token = program.command('token').description('named access tokens for the dashboard and API: every change made with one records its name');
  token
    .command('create')
    .description('create a token and print it once (only its hash is kept); names: letters, digits, _ . -, at most 64')
    .argument('<name>', 'who or what uses it, e.g. alice or grafana')
    .option('--json', 'print JSON')
    .action((name: string, options: { json?: boolean }, command: Command) => {
      const stores = openStores(configFor(globalOptions(command)).dataDir);
      try {
        const created = createAccessToken(stores, name, cliActor(), Date.now());
        output(options.json, created, () =>
          [
            `Token "${created.name}" created. It is shown this once; only its hash is kept:`,
            '',
            `  ${created.token}`,
            '',
            'Send it as "Authorization: Bearer <token>" or log in to the dashboard with it; what it does is recorded as',
            `token:${created.name}. Revoke it with "orchestrator token revoke ${created.name}".`,
          ].join('\n'),
        );
      } finally {
        stores.close();
      }
    });
  token
    .command('list')
    .description('every token: created when and by whom, last used, live sessions, revoked')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }, command: Command) =>
      withStores(configFor(globalOptions(command)), (stores) => {
        const tokens = listAccessTokens(stores, Date.now());
        output(options.json, tokens, () =>
          tokens.length === 0
            ? `No tokens yet: the dashboard creates "${ADMIN_TOKEN_NAME}" from its token file when it starts; add one with "orchestrator token create NAME".`
            : table(
                ['NAME', 'CREATED', 'CREATED BY', 'LAST USED', 'SESSIONS', 'REVOKED'],
                tokens.map((each) => [
                  each.name,
                  when(each.createdAt),
                  each.createdBy,
                  when(each.lastUsedAt),
                  each.liveSessions,
                  each.revokedAt === null ? '-' : `${when(each.revokedAt)} by ${each.revokedBy ?? '?'}`,
                ]),
              ),
        );
      }),
    );
  token
    .command('revoke')
    .description('revoke a token: it and every dashboard session opened with it are refused from the next request on (cannot be undone)')
    .argument('<name>', 'the token name (see orchestrator token list)')
    .option('--dry-run', 'say what would be revoked, change nothing')
    .option('--json', 'print JSON')
    .action((name: string, options: { dryRun?: boolean; json?: boolean }, command: Command) =>
      withStores(configFor(globalOptions(command)), (stores) => {
        const revoked = revokeAccessToken(stores, name, cliActor(), Date.now(), options.dryRun ?? false);
        const sessions = `${revoked.sessionsEnded} session${revoked.sessionsEnded === 1 ? '' : 's'}`;
        output(options.json, revoked, () =>
          revoked.dryRun
            ? `Would revoke the token "${name}" and end its ${sessions}. Nothing was changed (--dry-run).`
            : `Token "${name}" revoked by ${revoked.revokedBy}: it and its ${sessions} are refused from the next request on.` +
              (name === ADMIN_TOKEN_NAME ? ' The token file no longer gets in; use named tokens.' : ''),
        );
      }),
    );
}
