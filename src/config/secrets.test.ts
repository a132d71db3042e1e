import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfigText } from './load.js';
import { missingSecrets, secretReferences, secretVariables } from './secrets.js';
import { applyEnvironmentFile, environmentFileFor, parseEnvironmentFile } from './environment-file.js';

const work = mkdtempSync(path.join(tmpdir(), 'orchestrator-secrets-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const config = parseConfigText(
  `notify:
  email: { host: smtp.example.com, auth: { user: alerts, passwordEnv: SMTP_PASSWORD }, from: a@example.com, to: [b@example.com] }
  webhooks:
    - { name: ops, url: "https://hooks.example.com/x", secretEnv: WEBHOOK_SECRET }
    - { name: filed, url: "https://hooks.example.com/y", secretEnv: FILED_SECRET, secretFile: ${work}/filed-secret }
agents:
  research: { backend: anthropic, model: claude-sonnet-4-5 }
  systems: { backend: openai, baseURL: "http://127.0.0.1:11434/v1", model: llama3, apiKeyEnv: LOCAL_KEY }
`,
  'test.yaml',
);

describe('secret variables', () => {
  it('finds every *Env key with its place in the file, the backend default included', () => {
    expect(secretReferences(config).map(({ path, variable, fatal }) => ({ path, variable, fatal }))).toEqual([
      { path: 'notify.email.auth.passwordEnv', variable: 'SMTP_PASSWORD', fatal: false },
      { path: 'notify.webhooks[0].secretEnv', variable: 'WEBHOOK_SECRET', fatal: false },
      { path: 'notify.webhooks[1].secretEnv', variable: 'FILED_SECRET', fatal: false },
      { path: 'agents.research.apiKeyEnv', variable: 'ANTHROPIC_API_KEY', fatal: true },
      { path: 'agents.systems.apiKeyEnv', variable: 'LOCAL_KEY', fatal: true },
    ]);
    expect(secretVariables(config)).toHaveLength(5);
  });

  it('reports an unset or empty variable with what needs it and where the service gets it; a readable file instead is fine', () => {
    const env = { SMTP_PASSWORD: 'x', WEBHOOK_SECRET: '  ', LOCAL_KEY: 'k' };
    const problems = missingSecrets(config, { env, environmentFile: '/etc/autonomous-orchestrator/env', readable: () => false });
    expect(problems.map((problem) => problem.path)).toEqual(['notify.webhooks[0].secretEnv', 'notify.webhooks[1].secretEnv', 'agents.research.apiKeyEnv']);
    expect(problems[0]!.message).toBe(
      'environment variable WEBHOOK_SECRET is not set: it holds the signing secret of webhook ops. The service gets its environment from ' +
        '/etc/autonomous-orchestrator/env (EnvironmentFile=): add a line WEBHOOK_SECRET=... there, then systemctl reload autonomous-orchestrator',
    );
    expect(problems[1]!.message).toContain(`FILED_SECRET is not set and ${work}/filed-secret cannot be read`);
    expect(problems[2]!.message).toContain('ANTHROPIC_API_KEY (the default for backend anthropic) is not set');
    writeFileSync(path.join(work, 'filed-secret'), 's3cret\n');
    expect(missingSecrets(config, { env, environmentFile: 'E' }).map((problem) => problem.variable)).toEqual(['WEBHOOK_SECRET', 'ANTHROPIC_API_KEY']);
    expect(missingSecrets(config, { env, environmentFile: 'E', environmentFileReadable: false })[0]!.message).toContain(
      'E exists but this user cannot read it: run as root to see what the service sees',
    );
  });
});

describe('environment file', () => {
  it("parses systemd's EnvironmentFile= syntax", () => {
    expect([...parseEnvironmentFile('# comment\n; also\nA=1\n B = two words \nC="quoted \\"x\\""\nD=\'single\'\nE=line\\\ncontinued\nnot a line\n')]).toEqual([
      ['A', '1'],
      ['B', 'two words'],
      ['C', 'quoted "x"'],
      ['D', 'single'],
      ['E', 'linecontinued'],
    ]);
  });

  it('sets only the named variables, and a value already set only with override', () => {
    const file = path.join(work, 'env');
    writeFileSync(file, 'WEBHOOK_SECRET=from-file\nNODE_OPTIONS=--require=/tmp/x.js\nSMTP_PASSWORD=file-password\n', { mode: 0o600 });
    const env: NodeJS.ProcessEnv = { SMTP_PASSWORD: 'shell' };
    expect(applyEnvironmentFile(file, ['WEBHOOK_SECRET', 'SMTP_PASSWORD'], env)).toBe('loaded');
    expect(env).toEqual({ SMTP_PASSWORD: 'shell', WEBHOOK_SECRET: 'from-file' });
    applyEnvironmentFile(file, ['SMTP_PASSWORD'], env, { override: true });
    expect(env.SMTP_PASSWORD).toBe('file-password');
    expect(applyEnvironmentFile(path.join(work, 'none'), ['A'], env)).toBe('missing');
    expect(applyEnvironmentFile(work, ['A'], env)).toBe('unreadable');
    const configFile = path.join(work, 'config.yaml');
    writeFileSync(configFile, 'services: []\n');
    expect(environmentFileFor(configFile)).toBe(file);
    expect(environmentFileFor('embedded default')).toBe('/etc/autonomous-orchestrator/env');
  });
});
