import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { installSteps, performFileStep, privateTmpBinds, renderEnvironmentFile, renderUnit, uninstallSteps, type InstallStep } from './installer.js';
import { parseConfigText } from '../config/load.js';

const work = mkdtempSync(path.join(tmpdir(), 'orchestrator-installer-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const config = parseConfigText(
  `notify:
  webhooks:
    - { name: ops, url: "https://hooks.example.com/x", secretEnv: WEBHOOK_SECRET }
    - { name: other, url: "https://hooks.example.com/y", secretEnv: WEBHOOK_SECRET }
host:
  cleanup: [{ path: /var/cache/app, olderThan: 1d }]
services:
  - { name: web, profile: nginx }
`,
  '/etc/autonomous-orchestrator/config.yaml',
);

describe('privateTmpBinds', () => {
  it('binds back what PrivateTmp would hide, and nothing else', () => {
    expect(privateTmpBinds(['/usr/bin/node', '/opt/ao/dist/cli/main.js'])).toEqual([]);
    expect(privateTmpBinds(['/usr/bin/node', '/tmp/checkout/dist/cli/main.js', '/var/tmp/node/bin/node'])).toEqual(['/tmp/checkout/dist/cli', '/var/tmp/node/bin']);
    expect(privateTmpBinds(['/tmpfoo/node'])).toEqual([]);
  });
});

describe('install', () => {
  const options = { unitDir: path.join(work, 'units'), configDir: path.join(work, 'etc'), dataDir: path.join(work, 'data'), start: false, config };

  it('writes an environment file, mode 0600, with a commented line per secret variable, never over an existing one', () => {
    const step = installSteps(options).find((candidate) => candidate.kind === 'write' && candidate.path === path.join(options.configDir, 'env')) as Extract<
      InstallStep,
      { kind: 'write' }
    >;
    expect(step).toMatchObject({ mode: 0o600, onlyIfMissing: true });
    expect(step.content).toContain('# notify.webhooks[0].secretEnv: the signing secret of webhook ops\n#WEBHOOK_SECRET=\n# notify.webhooks[1].secretEnv');
    expect(step.content.match(/^#WEBHOOK_SECRET=$/gm)).toHaveLength(1);
    performFileStep(step);
    expect(statSync(step.path).mode & 0o777).toBe(0o600);
    expect(readFileSync(step.path, 'utf8')).toBe(step.content);
    writeFileSync(step.path, 'WEBHOOK_SECRET=kept\n');
    performFileStep(step);
    expect(readFileSync(step.path, 'utf8')).toBe('WEBHOOK_SECRET=kept\n');
    expect(renderEnvironmentFile(undefined)).toContain('names no secret variable');
  });

  it("loads the environment file, reloads by SIGHUP, and puts the configuration's paths in a drop-in", () => {
    const unit = renderUnit(options);
    expect(unit).toContain(`EnvironmentFile=-${path.join(options.configDir, 'env')}`);
    expect(unit).toContain('ExecReload=/bin/kill -HUP $MAINPID');
    const dropInDirectory = path.join(options.unitDir, 'autonomous-orchestrator.service.d');
    expect(unit).toContain(`ReadWritePaths=${options.dataDir} /run -/var/log/journal -${dropInDirectory}\n`);
    const dropIn = installSteps(options).find((step) => step.kind === 'write' && step.path === path.join(dropInDirectory, '50-config-paths.conf'));
    expect(dropIn).toMatchObject({ onlyIfMissing: false });
    expect((dropIn as { content: string }).content).toMatch(/^ReadWritePaths=-\/etc\/nginx -\/run -\/var\/cache\/app$/m);
    expect(uninstallSteps({ ...options, purge: false }).some((step) => step.kind === 'remove' && step.path === dropInDirectory)).toBe(true);
  });
});
