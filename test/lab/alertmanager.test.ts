/**
 * End to end with Debian's real Prometheus and Alertmanager in a systemd lab: the app freezes (SIGSTOP: its unit
 * stays active, so only Prometheus sees it), Prometheus's rule fires, Alertmanager delivers the alert to the
 * daemon's receiver with its bearer token, the daemon restarts the app through phase 1, Prometheus sees it answer
 * again and Alertmanager sends resolved, which the daemon records against the task.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SystemdLab, TEST_OUTPUT_DIR } from './systemd-lab.js';
import { describeLab } from './describe-lab.js';
import { appUnit, LabDaemon, HOST_CHECKS_OFF } from './lab-daemon.js';

const PROMETHEUS = '/usr/bin/prometheus';
const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
const APP_PORT = 18501;
const PROMETHEUS_PORT = 19090;
const ALERTMANAGER_PORT = 19093;
const DAEMON_PORT = 18890;

const missing = [PROMETHEUS, ALERTMANAGER].filter((file) => !existsSync(file));
if (missing.length > 0) console.warn(`Alertmanager lab test skipped: ${missing.join(' and ')} missing (apt-get install prometheus prometheus-alertmanager)`);
const describeWithStack = missing.length > 0 ? describe.skip : describeLab;

describeWithStack('Alertmanager alerts in (systemd lab, real Prometheus and Alertmanager)', () => {
  let lab: SystemdLab;
  let daemon: LabDaemon;
  const base = path.join(TEST_OUTPUT_DIR, `alertmanager-${Date.now()}`);

  beforeAll(async () => {
    mkdirSync(base, { recursive: true });
    const tokenFile = path.join(base, 'am-token');
    writeFileSync(tokenFile, 'alertmanager-to-orchestrator-token\n', { mode: 0o600 });
    writeFileSync(
      path.join(base, 'prometheus.yml'),
      `global: { scrape_interval: 1s, scrape_timeout: 500ms, evaluation_interval: 1s }
rule_files: [${path.join(base, 'rules.yml')}]
alerting:
  alertmanagers: [{ static_configs: [{ targets: ['127.0.0.1:${ALERTMANAGER_PORT}'] }] }]
scrape_configs:
  - job_name: app
    static_configs: [{ targets: ['127.0.0.1:${APP_PORT}'], labels: { service: app } }]
`,
    );
    writeFileSync(
      path.join(base, 'rules.yml'),
      `groups:
  - name: lab
    rules:
      - alert: AppDown
        expr: up{job="app"} == 0
        labels: { severity: page }
        annotations: { summary: "the app does not answer Prometheus's scrapes" }
`,
    );
    writeFileSync(
      path.join(base, 'alertmanager.yml'),
      `route: { receiver: orchestrator, group_by: [alertname, service], group_wait: 1s, group_interval: 1s, repeat_interval: 1h }
receivers:
  - name: orchestrator
    webhook_configs:
      - url: http://127.0.0.1:${DAEMON_PORT}/api/alertmanager
        send_resolved: true
        http_config: { authorization: { type: Bearer, credentials_file: ${tokenFile} } }
`,
    );
    lab = await SystemdLab.boot({ name: 'alertmanager' });
    await lab.writeUnit('lab-am-app.service', appUnit('app scraped by Prometheus', { PORT: String(APP_PORT) }));
    await lab.writeUnit(
      'lab-prometheus.service',
      `[Service]\nExecStart=${PROMETHEUS} --config.file=${path.join(base, 'prometheus.yml')} --storage.tsdb.path=${path.join(base, 'tsdb')} --web.listen-address=127.0.0.1:${PROMETHEUS_PORT}\n`,
    );
    await lab.writeUnit(
      'lab-alertmanager.service',
      `[Service]\nExecStart=${ALERTMANAGER} --config.file=${path.join(base, 'alertmanager.yml')} --storage.path=${path.join(base, 'am')} --web.listen-address=127.0.0.1:${ALERTMANAGER_PORT} --cluster.listen-address=\n`,
    );
    await lab.systemctl('start', 'lab-am-app.service', 'lab-prometheus.service', 'lab-alertmanager.service');
    daemon = new LabDaemon(lab, 'alertmanager');
    daemon.writeConfig(`
cycle: { interval: 5m, watchInterval: 1s, watchFailedUnits: false }
verification: { settle: 1s }
${HOST_CHECKS_OFF}
web: { listen: 127.0.0.1, port: ${DAEMON_PORT} }
alertmanager:
  auth: { bearerTokenFile: ${tokenFile} }
services:
  - name: app
    unit: lab-am-app.service
`);
    await daemon.startAndWait();
    // Prometheus scrapes the app before anything breaks.
    await lab.waitFor(async () => (await promQuery('up{job="app"}')) === '1', { what: 'Prometheus scraping the app', timeoutMs: 60_000 });
  }, 180_000);

  afterAll(async () => {
    await daemon?.kill('SIGTERM').catch(() => undefined);
    await lab?.stop();
  });

  async function promQuery(query: string): Promise<string | undefined> {
    const response = await lab.httpGet(`http://127.0.0.1:${PROMETHEUS_PORT}/api/v1/query?query=${encodeURIComponent(query)}`);
    if (response.status !== 200) return undefined;
    const result = (JSON.parse(response.body) as { data: { result: Array<{ value: [number, string] }> } }).data.result;
    return result[0]?.value[1];
  }

  it("fixes what only Prometheus sees, and records Alertmanager's resolved", async () => {
    const frozen = await lab.mainPid('lab-am-app.service');
    await lab.exec(['kill', '-STOP', String(frozen)]);
    expect((await lab.unitState('lab-am-app.service')).activeState).toBe('active');

    const task = await daemon.waitForTask('app', (row) => row.status === 'fixed', 'the app task opened by the alert, fixed', 90_000);
    expect(task.symptom).toBe('alert_firing');
    expect(task.signature).toBe('alert_firing:AppDown');
    expect(task.fixed_by_phase).toBe(1);
    const [attempt] = daemon.attempts(task.id);
    expect(attempt).toMatchObject({ phase: 1, outcome: 'success', plan_key: 'restart_unit(unit=lab-am-app.service)' });
    expect(await lab.mainPid('lab-am-app.service')).not.toBe(frozen);
    const evidence = JSON.parse(daemon.query<{ evidence: string }>('tasks', 'SELECT evidence FROM tasks WHERE id = ?', task.id)[0]!.evidence) as {
      alerts: Array<{ alertname: string; labels: Record<string, string>; generatorURL: string; annotations: Record<string, string> }>;
    };
    expect(evidence.alerts[0]).toMatchObject({
      alertname: 'AppDown',
      labels: { service: 'app', job: 'app', severity: 'page' },
      annotations: { summary: expect.stringContaining('scrapes') },
    });
    expect(evidence.alerts[0]!.generatorURL).toContain(`:${PROMETHEUS_PORT}/graph`);

    // Prometheus sees the app again, and Alertmanager tells the daemon the alert resolved.
    await lab.waitFor(async () => (await promQuery('up{job="app"}')) === '1', { what: 'Prometheus seeing the app recover', timeoutMs: 60_000 });
    await lab.waitFor(async () => daemon.query('tasks', `SELECT 1 FROM alerts WHERE task_id = ? AND status = 'resolved' AND resolved_at IS NOT NULL`, task.id).length > 0, {
      what: `Alertmanager's resolved recorded (daemon log: ${daemon.logPath})`,
      timeoutMs: 90_000,
    });
    // One restart for one fault, however often Alertmanager sent the group meanwhile.
    expect(daemon.tasks('app')).toHaveLength(1);
    expect(daemon.attempts(task.id)).toHaveLength(1);
    // Prometheus may see the app back before the restart's own verification ends; either way it is said.
    expect(daemon.log()).toMatch(/Alertmanager (confirms the fix: AppDown resolved|says AppDown resolved while the task is (open|running))/);
    await lab.waitFor(async () => daemon.tasks('app')[0]?.status === 'fixed', { what: 'the task fixed', timeoutMs: 30_000 });
  }, 240_000);
});
