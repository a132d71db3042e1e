/**
 * In a real systemd, with a real SMTP server inside the lab: a broken nginx config escalates (by email, with the
 * config test's output), is fixed by hand and auto-resolves (a recovery email); a human's `resolve --fix` is
 * learned and used in phase 1 next time; a crash loop produces one escalation that counts its occurrences.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SystemdLab, REPO_ROOT } from './systemd-lab.js';
import { describeLab } from './describe-lab.js';
import { appUnit, LabDaemon, HOST_CHECKS_OFF } from './lab-daemon.js';

const NGINX = existsSync('/usr/sbin/nginx');
if (!NGINX) console.warn('escalation lab: nginx is not installed (apt-get install nginx): the broken-config test is skipped');

interface Mail {
  to: string[];
  raw: string;
}

describeLab('phase 4: escalation, email, auto-resolution, human fixes (systemd lab)', () => {
  let lab: SystemdLab;
  let daemon: LabDaemon;
  let mailFile: string;
  const mails = (): Mail[] =>
    existsSync(mailFile)
      ? readFileSync(mailFile, 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Mail)
      : [];
  const subjects = () => mails().map((mail) => /^Subject: (.*)$/m.exec(mail.raw)?.[1] ?? '');

  beforeAll(async () => {
    lab = await SystemdLab.boot({ name: 'escalation' });
    daemon = new LabDaemon(lab, 'escalation');
    mailFile = path.join(path.dirname(daemon.dataDir), 'mail.jsonl');
    lab.spawn(['/usr/bin/node', path.join(REPO_ROOT, 'test', 'fixtures', 'smtp-sink.mjs')], {
      env: { PORT: '2525', OUT_FILE: mailFile },
      stdoutFile: path.join(path.dirname(daemon.dataDir), 'smtp.log'),
    });
    if (NGINX) {
      await lab.exec(['cp', '-a', '/etc/nginx', '/run/etc-nginx']);
      await lab.exec(['mount', '--bind', '/run/etc-nginx', '/etc/nginx']);
      await lab.systemctl('restart', 'nginx.service');
    }
    // No start limit: the daemon's three restarts and the operator's start come within seconds.
    await lab.writeUnit(
      'lab-human.service',
      appUnit('needs a human', { PORT: '18301', LOCKFILE: '/run/lab-human.flag' }).replace('[Service]', '[Unit]\nStartLimitIntervalSec=0\n\n[Service]'),
    );
    await lab.writeUnit('lab-loop.service', appUnit('crash loop', { PORT: '18302', EXIT_AFTER_MS: '2500', EXIT_CODE: '1' }));
    await lab.systemctl('start', 'lab-human.service');
    daemon.writeConfig(`
cycle: { interval: 2s, watchInterval: 1s, watchFailedUnits: false }
verification: { settle: 1s }
phases: { quickFix: { backoff: 500ms } }
safety: { budget: { actions: 3, window: 15m } }
${HOST_CHECKS_OFF}
escalation: { autoResolveCycles: 3 }
notify:
  email: { host: 127.0.0.1, port: 2525, from: orchestrator@lab, to: [oncall@example.com] }
  retry: { initialDelay: 1s }
services:
${NGINX ? '  - { name: nginx, profile: nginx }\n' : ''}  - name: human
    unit: lab-human.service
    playbooks: { clear-flag: [/bin/rm, -f, /run/lab-human.flag] }
  - { name: loop, unit: lab-loop.service }
`);
    await daemon.startAndWait();
  });

  afterAll(async () => {
    await daemon?.kill('SIGTERM').catch(() => undefined);
    await lab?.stop();
  });

  it.skipIf(!NGINX)('emails a broken-config escalation with the test output, then auto-resolves once fixed by hand', async () => {
    await lab.exec(['cp', '/etc/nginx/nginx.conf', '/run/nginx.conf.good']);
    await lab.exec(['tee', '-a', '/etc/nginx/nginx.conf'], { input: '\nthis_is_not_a_directive on;\n' });
    await lab.exec(['kill', '-9', String(await lab.mainPid('nginx.service'))]);
    const task = await daemon.waitForTask('nginx', (row) => row.status === 'escalated', 'nginx escalated', 60_000);
    await lab.waitFor(async () => subjects().some((subject) => subject.includes('nginx')), { what: 'escalation email', timeoutMs: 30_000 });
    const mail = mails().find((entry) => /Subject: .*nginx/.test(entry.raw))!;
    expect(mail.to).toEqual(['oncall@example.com']);
    expect(mail.raw).toMatch(/unknown directive/);
    expect(mail.raw).toMatch(/orchestrator escalation ack/);
    const [escalation] = daemon.query<{ id: string; status: string }>('escalations', 'SELECT * FROM escalations WHERE task_id = ?', task.id);
    expect(escalation!.status).toBe('open');
    // The operator repairs the file and starts nginx; three healthy cycles later it is auto-resolved.
    await lab.exec(['cp', '/run/nginx.conf.good', '/etc/nginx/nginx.conf']);
    await lab.systemctl('start', 'nginx.service');
    await lab.waitFor(async () => daemon.query<{ status: string }>('escalations', 'SELECT status FROM escalations WHERE id = ?', escalation!.id)[0]!.status === 'auto_resolved', {
      what: 'auto-resolution',
      timeoutMs: 60_000,
    });
    expect(daemon.tasks('nginx')[0]!.status).toBe('recovered');
    await lab.waitFor(async () => subjects().some((subject) => /nginx/.test(subject) && /recovered/i.test(subject)), { what: 'recovery email', timeoutMs: 30_000 });
  });

  it('learns a human resolve --fix and uses it in phase 1 next time', async () => {
    await lab.exec(['kill', '-9', String(await lab.mainPid('lab-human.service'))]);
    const task = await daemon.waitForTask('human', (row) => row.status === 'escalated' || row.status === 'fixed', 'human task finished', 120_000);
    expect(task.status).toBe('escalated');
    const [escalation] = daemon.query<{ id: string }>('escalations', 'SELECT * FROM escalations WHERE task_id = ?', task.id);
    // The operator runs the playbook's command by hand, starts the unit, and says what fixed it.
    await lab.exec(['rm', '-f', '/run/lab-human.flag']);
    // A start, as a person types it (a reset-failed first would show the daemon an inactive unit for a moment,
    // which it restarts as it should, and this test is about what it learns from the resolve).
    await lab.systemctl('start', 'lab-human.service');
    const bad = await daemon.cli(['escalation', 'resolve', 'no-such-id']);
    expect(bad.code).toBe(2);
    const resolved = await daemon.cli(['escalation', 'resolve', escalation!.id, '--fix', 'run_playbook:name=clear-flag', 'start_unit', '--note', 'cleared the flag file']);
    expect(resolved.code).toBe(0);
    expect(resolved.stdout).toMatch(/Learned: human \/ unit_failed:signal → run_playbook \+ start_unit/);
    expect((await daemon.cli(['escalation', 'resolve', escalation!.id])).code).toBe(2);
    await lab.waitFor(async () => (await lab.unitState('lab-human.service')).activeState === 'active', { what: 'lab-human active', timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    await lab.exec(['kill', '-9', String(await lab.mainPid('lab-human.service'))]);
    await lab.waitFor(async () => daemon.tasks('human').length === 2 && ['fixed', 'escalated'].includes(daemon.tasks('human')[1]!.status), {
      what: 'second human task',
      timeoutMs: 60_000,
    });
    const second = daemon.tasks('human')[1]!;
    expect(second).toMatchObject({ status: 'fixed', fixed_by_phase: 1 });
    expect(daemon.attempts(second.id)[0]).toMatchObject({ source: 'learned', plan_key: 'run_playbook(name=clear-flag) + start_unit(unit=lab-human.service)', outcome: 'success' });
  });

  it('produces one escalation for a crash-looping unit, counting occurrences when it loops again', async () => {
    await lab.systemctl('start', 'lab-loop.service');
    await daemon.waitForTask('loop', (row) => row.status === 'escalated', 'loop escalated', 90_000);
    // Someone starts it again by hand; it loops again: the open escalation counts it, no new one.
    await lab.systemctl('reset-failed', 'lab-loop.service');
    await lab.systemctl('start', 'lab-loop.service');
    await lab.waitFor(async () => daemon.query<{ occurrences: number }>('escalations', `SELECT occurrences FROM escalations WHERE service = 'loop'`)[0]?.occurrences === 2, {
      what: 'second occurrence counted',
      timeoutMs: 60_000,
    });
    expect(daemon.query('escalations', `SELECT * FROM escalations WHERE service = 'loop'`)).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(subjects().filter((subject) => subject.includes('loop'))).toHaveLength(1);
  });
});
