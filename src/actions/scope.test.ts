import { describe, expect, it } from 'vitest';
import { scopeViolation, type ExecutionScope } from './scope.js';
import { parseConfigText } from '../config/load.js';

const config = parseConfigText(
  'host: { cleanup: [{ path: /var/tmp/cache }] }\nservices:\n  - name: app\n    unit: app.service\n    runtimeFiles: [/run/app/app.pid]\n    playbooks: { flush: [/usr/bin/true] }\n    checks: [{ type: tcp, port: 8080 }]\n',
  'test',
);
const scope: ExecutionScope = { service: config.services[0]!, dependencyUnits: ['db.service'], runtimeDirectories: ['/run/app-extra'], configTestFor: () => undefined };

describe('scopeViolation', () => {
  it.each([
    [{ type: 'restart_unit', params: { unit: 'app.service' } }],
    [{ type: 'restart_dependency', params: { unit: 'db.service' } }],
    [{ type: 'remove_stale_file', params: { path: '/run/app/app.pid' } }],
    [{ type: 'remove_stale_file', params: { path: '/run/app-extra/lock' } }],
    [{ type: 'clean_directory', params: { path: '/var/tmp/cache', olderThanMs: 3_600_000 } }],
    [{ type: 'run_playbook', params: { name: 'flush' } }],
    [{ type: 'kill_stray_listener', params: { port: 8080, pid: 1234 } }],
  ] as const)('allows %j', (action) => {
    expect(scopeViolation(action as never, scope, config)).toBeUndefined();
  });

  it.each([
    [{ type: 'restart_unit', params: { unit: 'sshd.service' } }, /not the unit of app/],
    [{ type: 'restart_dependency', params: { unit: 'sshd.service' } }, /not a dependency/],
    [{ type: 'remove_stale_file', params: { path: '/etc/passwd' } }, /not a runtime file/],
    [{ type: 'remove_stale_file', params: { path: '/run/other.pid' } }, /not a runtime file/],
    [{ type: 'clean_directory', params: { path: '/var/lib', olderThanMs: 3_600_000 } }, /not an allow-listed/],
    [{ type: 'run_playbook', params: { name: 'reboot' } }, /no playbook/],
    [{ type: 'kill_stray_listener', params: { port: 22, pid: 1234 } }, /not a port of app/],
  ] as const)('refuses %j', (action, message) => {
    expect(scopeViolation(action as never, scope, config)).toMatch(message);
  });
});
