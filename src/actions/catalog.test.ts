import { describe, expect, it } from 'vitest';
import { actionKey, validateAction } from './catalog.js';

describe('action catalog', () => {
  it('accepts catalog actions with valid parameters', () => {
    expect(validateAction({ type: 'restart_unit', params: { unit: 'nginx.service' } }).ok).toBe(true);
  });
  it.each([
    ['not in the catalog', { type: 'run_shell', params: { command: 'reboot' } }],
    ['shell syntax in a unit', { type: 'restart_unit', params: { unit: 'nginx; reboot' } }],
    ['an option smuggled as a unit', { type: 'restart_unit', params: { unit: '--force.service' } }],
    ['path traversal', { type: 'remove_stale_file', params: { path: '/run/../../etc/passwd' } }],
    ['a relative path', { type: 'remove_stale_file', params: { path: 'etc/passwd' } }],
    ['an unknown parameter', { type: 'restart_unit', params: { unit: 'a.service', force: true } }],
    ['a missing parameter', { type: 'start_unit', params: {} }],
  ])('rejects %s', (_, action) => {
    const result = validateAction(action);
    expect(result.ok).toBe(false);
  });
  it('gives equal actions the same key whatever the parameter order', () => {
    expect(actionKey({ type: 'clean_directory', params: { path: '/x', olderThanMs: 60000 } })).toBe(
      actionKey({ type: 'clean_directory', params: { olderThanMs: 60000, path: '/x' } }),
    );
  });
});
