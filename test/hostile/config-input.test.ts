/**
 * Hostile configuration input: a file that is not a configuration (/etc/shadow, a device, a FIFO, a directory,
 * a huge file), a YAML alias bomb, thousands of services, dependencies that look like options or paths, and
 * cleanup directories or runtime files in system directories. Each case runs the built CLI and asserts exit 2
 * with a sentence, no stack trace, and that nothing of the file is echoed (a unique marker never appears).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfigText } from '../../src/config/load.js';
import { EMBEDDED_DEFAULT } from '../../src/config/default.js';
import { ConfigError } from '../../src/core/errors.js';

const ROOT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(ROOT_DIR, 'dist', 'cli', 'main.js');
const MARKER = 'SECRETMARKER7f3a9c';
const work = mkdtempSync(path.join(tmpdir(), 'orchestrator-hostile-config-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[], timeout = 30_000): Promise<{ code: number; stdout: string; stderr: string; killed: boolean }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout }, (error, stdout, stderr) => {
      const killed = Boolean((error as { killed?: boolean } | null)?.killed);
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr, killed });
    });
  });
}

function file(name: string, content: string | Buffer): string {
  const target = path.join(work, name);
  writeFileSync(target, content);
  return target;
}

const sha = (target: string) => createHash('sha256').update(readFileSync(target)).digest('hex');

/** Validates `config` through the CLI and asserts the refusal; returns stderr. */
async function refused(config: string, message: RegExp, timeout?: number): Promise<string> {
  const result = await cli(['config', 'validate', '--config', config], timeout);
  expect(result.killed, `config validate --config ${config} did not finish`).toBe(false);
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr).toMatch(/^error: invalid configuration /);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr).not.toMatch(/ReferenceError|RangeError|TypeError/);
  expect(result.stderr).not.toContain(MARKER);
  return result.stderr;
}

function problemsOf(text: string): Array<{ path: string; location?: string; message: string }> {
  try {
    parseConfigText(text, 'hostile.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems as Array<{ path: string; location?: string; message: string }>;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

const shadowLine = (user: string) => `${user}:$6$${MARKER}$Zk1v0q9yXo2mQ8rT5wLb3nH7cJ4dF6gA0sE1uI9oP2lK8jM5hN3bV7cX4zQ1wE6r:19700:0:99999:7:::`;

describe('a file that is not a configuration', () => {
  it('a shadow-like file: refused without echoing a line of it', async () => {
    const shadow = file('shadow', `${['root', 'daemon', 'bin', 'sys', 'operator'].map(shadowLine).join('\n')}\n`);
    const before = sha(shadow);
    await refused(shadow, /this is not the orchestrator's configuration file \(its content is not shown\)/);
    expect(sha(shadow)).toBe(before);
  });

  it('a one-line shadow-like file, and a shadow line among real settings', async () => {
    await refused(file('shadow-one', `${shadowLine('root')}\n`), /not the orchestrator's configuration file/);
    const stderr = await refused(file('shadow-mixed', `logLevel: info\n${shadowLine('root')}\n`), /unknown key \(not a setting name, so not shown\)/);
    expect(stderr).toMatch(/:2:\d+ {2}<key not shown>:/);
  });

  it('YAML syntax errors report only the kind and the position, never the text', async () => {
    await refused(file('bad-tag.yaml', `cycle: !${MARKER} { interval: 5m }\nx: |${MARKER}\n  a\n`), /YAML syntax: an unexpected character or token/);
    await refused(file('bad-flow.yaml', `cycle:\n  interval: [${MARKER}\n`), /bad-flow\.yaml:\d+:\d+ {2}\(file\): YAML syntax: bad indentation/);
    await refused(file('bad-escape.yaml', `logLevel: "\\q${MARKER}"\n`), /YAML syntax: an invalid escape sequence/);
  });

  it('YAML that is not a mapping', async () => {
    await refused(file('list.yaml', `- ${MARKER}\n- two\n`), /expected a mapping of settings at the top level/);
    await refused(file('scalar.yaml', `${MARKER} and more words\n`), /expected a mapping of settings at the top level/);
  });

  it('a long value of the wrong kind is described, not echoed', async () => {
    const stderr = await refused(
      file(
        'long-value.yaml',
        `cycle:\n  interval: "${MARKER}${'x'.repeat(200)}"\nservices:\n  - name: a\n    unit: a.service\n    checks: [{ type: command, argv: "${MARKER} ${'y'.repeat(100)}" }]\n`,
      ),
      /expected a duration such as 5m/,
    );
    expect(stderr).toContain('got a 218-character value, not shown');
    expect(stderr).toMatch(/a shell string is not accepted \(got a \d+-character value, not shown\)/);
  });

  it('a binary file', async () => {
    await refused(file('binary', Buffer.concat([Buffer.from(`${MARKER}: `), Buffer.from([0, 1, 2, 0xff, 0])])), /the file is binary \(it contains NUL bytes\)/);
  });
});

describe('input that would never end or is too large', () => {
  it('--config /dev/zero is refused at once, not read forever', async () => {
    await refused('/dev/zero', /\/dev\/zero {2}\(file\): this is not a regular file \(a device, FIFO or socket\)/, 15_000);
  });

  it('a FIFO is refused without waiting for a writer', async () => {
    const fifo = path.join(work, 'config.fifo');
    execFileSync('mkfifo', [fifo]);
    await refused(fifo, /this is not a regular file \(a device, FIFO or socket\)/, 15_000);
  });

  it('a directory is refused with a sentence', async () => {
    await refused(work, /this is a directory: give the path of the YAML configuration file/);
  });

  it('a file over 1 MiB is refused', async () => {
    const big = file('big.yaml', `# ${MARKER}\n${'#'.repeat(1024 * 1024)}\n`);
    await refused(big, /a configuration may be at most 1048576 bytes \(1 MiB\)/);
    // Exactly at the limit is read.
    const atLimit = file('at-limit.yaml', `logLevel: info\n${'#'.repeat(1024 * 1024 - 'logLevel: info\n'.length - 1)}\n`);
    expect(readFileSync(atLimit).length).toBe(1024 * 1024);
    expect((await cli(['config', 'validate', '--config', atLimit])).code).toBe(0);
  });

  it('a YAML alias bomb is a ConfigError, not an uncaught ReferenceError', async () => {
    const levels = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (let level = 1; level < 9; level++) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]`);
    }
    await refused(file('bomb.yaml', `${levels.join('\n')}\n`), /YAML aliases expand too often \(more than 100 times\)/);
  });

  it('an alias before its anchor names neither', async () => {
    await refused(file('alias.yaml', `logLevel: *${MARKER}\n`), /an alias \(\*name\) refers to an anchor \(&name\) that is not defined before it/);
  });

  it('more than 1000 services are refused before they are validated', async () => {
    const services = Array.from({ length: 1001 }, (_, index) => `  - { name: s${index}, unit: s${index}.service }`).join('\n');
    await refused(file('many.yaml', `services:\n${services}\n`), /services: 1001 services; at most 1000 may be configured/);
  });

  it('lengths and counts are capped', () => {
    const problems = problemsOf(`services:
  - name: ${'n'.repeat(129)}
    unit: ${'u'.repeat(257)}.service
    runtimeFiles: [/run/${'p'.repeat(4100)}]
    dependsOn: [${Array.from({ length: 51 }, (_, index) => `d${index}`).join(', ')}]
    checks: [${Array.from({ length: 101 }, () => '{ type: tcp, port: 1 }').join(', ')}]
  - name: b
    unit: b.service
    runtimeFiles: [${Array.from({ length: 101 }, (_, index) => `/run/b/${index}.pid`).join(', ')}]
host:
  cleanup: [${Array.from({ length: 101 }, (_, index) => `{ path: /var/tmp/c${index} }`).join(', ')}]
`);
    const messages = Object.fromEntries(problems.map((problem) => [problem.path, problem.message]));
    expect(messages['services[0].name']).toMatch(/at most 128 characters/);
    expect(messages['services[0].unit']).toMatch(/at most 256 characters/);
    expect(messages['services[0].runtimeFiles[0]']).toMatch(/at most 4096 characters/);
    expect(messages['services[0].dependsOn']).toMatch(/at most 50 dependencies/);
    expect(messages['services[0].checks']).toMatch(/at most 100 checks per service/);
    expect(messages['services[1].runtimeFiles']).toMatch(/at most 100 runtime files/);
    expect(messages['host.cleanup']).toMatch(/at most 100 cleanup directories/);
  });
});

describe('dependsOn', () => {
  it('refuses entries that look like options or paths', async () => {
    const config = file('depends.yaml', 'services:\n  - name: web\n    unit: web.service\n    dependsOn: [--now, ../x, /etc/passwd, "-x.service"]\n');
    const stderr = await refused(
      config,
      /services\[0\]\.dependsOn\[0\]: expected the name of another service .* or a unit such as redis-server\.service; it cannot start with - or \./,
    );
    for (const index of [1, 2, 3]) expect(stderr).toContain(`services[0].dependsOn[${index}]:`);
    expect(stderr).toMatch(/depends\.yaml:4:17 {2}services\[0\]\.dependsOn\[0\]/);
  });

  it('accepts service names and unit names', () => {
    const config = parseConfigText(
      'services:\n  - { name: web, unit: web.service, dependsOn: [cache, postgresql@16-main.service, network-online.target, dev-sdb1.mount, "sys-devices-x\\\\x2d1.device.path"] }\n  - { name: cache, unit: redis-server.service }\n',
      'test',
    );
    expect(config.services[0]!.dependsOn).toEqual([
      'redis-server.service',
      'postgresql@16-main.service',
      'network-online.target',
      'dev-sdb1.mount',
      'sys-devices-x\\x2d1.device.path',
    ]);
  });
});

describe('system directories in the configuration', () => {
  const dataDir = path.join(work, 'data');

  it('refuses cleanup of //etc, /etc, /, /proc, a path inside /etc and the data directory, each at its line', async () => {
    const config = file(
      'cleanup.yaml',
      `dataDir: ${dataDir}\nhost:\n  cleanup:\n    - { path: //etc }\n    - { path: /etc }\n    - { path: / }\n    - { path: /proc }\n    - { path: /etc/ssl/private }\n    - { path: ${dataDir} }\n    - { path: ${dataDir}/backups }\n`,
    );
    const stderr = await refused(config, /cleanup\.yaml:4:15 {2}host\.cleanup\[0\]\.path: not allowed as a cleanup directory: \/etc is a system directory/);
    expect(stderr).toMatch(/:5:15 {2}host\.cleanup\[1\]\.path: not allowed as a cleanup directory: \/etc is a system directory/);
    expect(stderr).toMatch(/:6:15 {2}host\.cleanup\[2\]\.path: not allowed as a cleanup directory: \/ is shared by the whole system/);
    expect(stderr).toMatch(/:7:15 {2}host\.cleanup\[3\]\.path: not allowed as a cleanup directory: \/proc is a system directory/);
    expect(stderr).toMatch(/:8:15 {2}host\.cleanup\[4\]\.path: not allowed as a cleanup directory: \/etc\/ssl\/private is inside the system directory \/etc/);
    expect(stderr).toContain(`host.cleanup[5].path: not allowed as a cleanup directory: ${dataDir} is inside the orchestrator's data directory`);
    expect(stderr).toContain(`host.cleanup[6].path: not allowed as a cleanup directory: ${dataDir}/backups is inside the orchestrator's data directory`);
    // The daemon never starts with it: the data directory is not even created.
    const run = await cli(['run', '--once', '--config', config]);
    expect(run.code).toBe(2);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses the default data directory when none is configured', () => {
    const problems = problemsOf(
      `host: { cleanup: [{ path: ${process.getuid?.() === 0 ? '/var/lib/autonomous-orchestrator' : path.join(process.env.XDG_STATE_HOME || path.join(process.env.HOME ?? '/', '.local', 'state'), 'autonomous-orchestrator')} }] }\n`,
    );
    expect(problems[0]!.message).toMatch(/data directory/);
  });

  it('refuses a runtime file in /etc', async () => {
    const config = file('runtime.yaml', 'services:\n  - name: web\n    unit: web.service\n    runtimeFiles: [/etc/passwd, /run/web.pid]\n');
    const stderr = await refused(config, /runtime\.yaml:4:20 {2}services\[0\]\.runtimeFiles\[0\]: not allowed as a runtime file: \/etc is a system directory/);
    expect(stderr).not.toContain('runtimeFiles[1]');
  });

  it('refuses a cleanup directory that is a symbolic link into /etc, or below one', async () => {
    const link = path.join(work, 'cache-link');
    symlinkSync('/etc', link);
    mkdirSync(path.join(work, 'parent'));
    symlinkSync('/etc', path.join(work, 'parent', 'hop'));
    const config = file('linked.yaml', `host:\n  cleanup:\n    - { path: ${link} }\n    - { path: ${work}/parent/hop/ssl }\n`);
    const stderr = await refused(
      config,
      new RegExp(
        `linked\\.yaml:3:15 {2}host\\.cleanup\\[0\\]\\.path: not allowed as a cleanup directory: ${link} resolves to /etc through a symbolic link, and /etc is a system directory`,
      ),
    );
    expect(stderr).toContain(`host.cleanup[1].path: not allowed as a cleanup directory: ${work}/parent/hop/ssl resolves to /etc/ssl through a symbolic link`);
  });

  it('accepts a link to an ordinary directory and a path that does not exist yet', () => {
    mkdirSync(path.join(work, 'real-cache'));
    symlinkSync(path.join(work, 'real-cache'), path.join(work, 'ordinary-link'));
    const config = parseConfigText(`host:\n  cleanup:\n    - { path: ${work}/ordinary-link }\n    - { path: /var/tmp/not-there-${MARKER} }\n`, 'test');
    expect(config.host.cleanup.map((entry) => entry.path)).toEqual([`${work}/ordinary-link`, `/var/tmp/not-there-${MARKER}`]);
  });

  it('refuses a configured data directory in a system tree', async () => {
    await refused(file('data-proc.yaml', 'dataDir: /proc/orchestrator\n'), /dataDir: data directory \/proc\/orchestrator is inside the system directory \/proc/);
  });
});

describe('the shipped configurations', () => {
  it('the embedded default validates', () => {
    expect(parseConfigText(EMBEDDED_DEFAULT, 'embedded default').services).toEqual([]);
  });

  it('deploy/config.example.yaml validates as shipped and with every example uncommented', async () => {
    const example = path.join(ROOT_DIR, 'deploy', 'config.example.yaml');
    const validate = await cli(['config', 'validate', '--config', example]);
    expect(validate.code, validate.stderr).toBe(0);
    // "# key: value   # comment" → "key: value   # comment"; the prose comments at the top stay comments.
    const uncommented = readFileSync(example, 'utf8')
      .split('\n')
      .map((line) => (/^# {0,6}[\w-]+:|^# {2,}- /.test(line) ? line.replace(/^# /, '') : line))
      .join('\n');
    const config = parseConfigText(uncommented, 'example');
    expect(config.services.map((service) => service.name)).toEqual(['web', 'cache']);
    expect(config.host.cleanup.map((entry) => entry.path)).toEqual(['/var/tmp/app-cache']);
  });
});
