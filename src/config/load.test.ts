import { formatDuration, parseDuration } from './duration.js';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from './load.js';
import { ConfigError } from '../core/errors.js';
import { EMBEDDED_DEFAULT } from './default.js';

function problemsOf(text: string) {
  try {
    parseConfigText(text, 'test.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems as Array<{ path: string; location?: string; message: string }>;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('configuration', () => {
  it('accepts the embedded default with documented defaults', () => {
    const config = parseConfigText(EMBEDDED_DEFAULT, 'embedded default');
    expect(config.cycle.intervalMs).toBe(300_000);
    expect(config.cycle.watchIntervalMs).toBe(1_000);
    expect(config.cycle.workers).toBe(4);
    expect(config.safety.budget).toEqual({ actions: 3, windowMs: 900_000 });
    expect(config.phases.quickFix.timeoutMs).toBe(30_000);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('compiles services: units resolved, profile knowledge and implicit checks added', () => {
    const config = parseConfigText(
      `
services:
  - name: web
    profile: nginx
    dependsOn: [cache]
    checks:
      - { type: http, url: "http://127.0.0.1/", timeout: 500ms }
      - { type: command, argv: [/bin/true] }
  - name: cache
    unit: redis-server
    profileChecks: false
`,
      'test.yaml',
    );
    const [web, cache] = config.services;
    expect(web!.unit).toBe('nginx.service');
    expect(web!.configTest).toEqual(['nginx', '-t']);
    expect(web!.dependsOn).toEqual(['redis-server.service']);
    expect(web!.checks.map((check) => check.id)).toEqual(['unit', 'http', 'command']);
    expect(web!.checks[1]).toMatchObject({ type: 'http', timeoutMs: 500, expectStatus: 200 });
    expect(cache!.unit).toBe('redis-server.service');
  });

  it('lists every problem at once, with key path and line', () => {
    const problems = problemsOf(`
cycle:
  interval: -5m
  workers: 0
  extra: true
services:
  - name: web
    unit: web.service
    checks:
      - type: http
      - type: command
        argv: "redis-cli ping"
      - type: log
        pattern: "("
  - name: web
`);
    const byPath = Object.fromEntries(problems.map((problem) => [problem.path, problem]));
    expect(byPath['cycle.interval']?.message).toMatch(/cannot be negative/);
    expect(byPath['cycle.interval']?.location).toBe('3:13');
    expect(byPath['cycle.workers']).toBeDefined();
    expect(byPath['cycle.extra']?.message).toMatch(/unknown key/);
    expect(byPath['services[0].checks[0].url']?.message).toMatch(/required/);
    expect(byPath['services[0].checks[1].argv']?.message).toMatch(/shell string is not accepted/);
    expect(byPath['services[0].checks[2].pattern']?.message).toMatch(/regular expression/);
    expect(byPath['services[1].name']?.message).toMatch(/duplicate service name/);
    expect(byPath['services[1]']?.message).toMatch(/needs a unit/);
  });

  it('rejects unparseable durations, shell syntax in a program name and relative paths', () => {
    const problems = problemsOf(`
verification: { settle: soon }
services:
  - name: a
    unit: a.service
    runtimeFiles: [run/a.pid, /run/../etc/passwd]
    checks:
      - { type: command, argv: ["ls;reboot"] }
`);
    expect(problems.map((problem) => problem.path)).toEqual(
      expect.arrayContaining(['verification.settle', 'services[0].runtimeFiles[0]', 'services[0].runtimeFiles[1]', 'services[0].checks[0].argv']),
    );
  });

  it('reads compound durations the way the daemon prints them and systemd writes them', () => {
    for (const [text, ms] of [
      ['1h30m', 5_400_000],
      ['90min', 5_400_000],
      ['1h 30min', 5_400_000],
      ['1w', 604_800_000],
      ['2 days', 172_800_000],
      ['1m30s', 90_000],
      ['250ms', 250],
      ['1.5h', 5_400_000],
    ] as const) {
      expect(parseDuration(text), text).toBe(ms);
      expect(parseDuration(formatDuration(ms)), formatDuration(ms)).toBe(ms);
    }
    for (const text of ['', '5', 'h', '1h30', '1 fortnight', '-5m', '5m;rm', `${'1m'.repeat(40)}`]) expect(parseDuration(text), text).toBeUndefined();
    expect(parseConfigText('verification: { settle: 1h30m }\n', 'test.yaml').verification.settleMs).toBe(5_400_000);
    expect(problemsOf('verification: { settle: 1fortnight }\n')[0]!.message).toMatch(/expected a duration such as .*1h30m or 90min/);
  });

  it('suggests the setting or profile meant by a typo, and nothing for a word far from any', () => {
    const problems = problemsOf('cycle: { intervall: 5m }\nservices:\n  - { name: web, profile: ngnix, chekcs: [] }\n  - { name: db, unit: db.service, zzzzzz: 1 }\n');
    const byPath = Object.fromEntries(problems.map((problem) => [problem.path, problem.message]));
    expect(byPath['cycle.intervall']).toBe('unknown key "intervall"; did you mean "interval"?');
    expect(byPath['services[0].chekcs']).toBe('unknown key "chekcs"; did you mean "checks"?');
    expect(byPath['services[0].profile']).toBe('expected one of the known profiles; did you mean "nginx"?');
    expect(byPath['services[1].zzzzzz']).toBe('unknown key "zzzzzz"');
  });

  it('reports YAML syntax errors with their line and kind, never the text', () => {
    const problems = problemsOf('cycle:\n  interval: [5m\n');
    expect(problems[0]!.message).toMatch(/YAML syntax/);
    expect(problems[0]!.location).toBeDefined();
    const tag = problemsOf('cycle: !hidden-words { interval: 5m }\nx: |hidden-words\n  a\n');
    expect(tag.map((problem) => problem.message).join(' ')).not.toContain('hidden-words');
  });

  it('turns an alias bomb and an alias without anchor into ConfigErrors', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
    ].join('\n');
    expect(problemsOf(bomb)[0]!.message).toMatch(/YAML aliases expand too often/);
    expect(problemsOf('logLevel: *nowhere\n')[0]!.message).toMatch(/refers to an anchor/);
  });

  it('accepts aliases used sparingly', () => {
    const config = parseConfigText('services:\n  - &web { name: web, unit: web.service }\n  - { name: api, unit: api.service, dependsOn: [web] }\n', 'test.yaml');
    expect(config.services.map((service) => service.name)).toEqual(['web', 'api']);
  });

  it('refuses dependsOn entries that are neither a service nor a unit name', () => {
    const problems = problemsOf('services:\n  - { name: a, unit: a.service, dependsOn: [--now, ../x, b, c.service] }\n');
    expect(problems.map((problem) => problem.path)).toEqual(['services[0].dependsOn[0]', 'services[0].dependsOn[1]']);
    expect(problems[0]!.message).toMatch(/expected the name of another service/);
  });

  it('refuses cleanup directories and runtime files in system directories, at their line', () => {
    const problems = problemsOf('host: { cleanup: [{ path: /usr/lib }] }\nservices:\n  - { name: a, unit: a.service, runtimeFiles: [/etc/passwd] }\n');
    expect(problems).toEqual([
      { path: 'host.cleanup[0].path', location: '1:27', message: 'not allowed as a cleanup directory: /usr/lib is inside the system directory /usr: no file action may touch it' },
      { path: 'services[0].runtimeFiles[0]', location: '3:48', message: 'not allowed as a runtime file: /etc is a system directory: no file action may touch it' },
    ]);
  });
});
