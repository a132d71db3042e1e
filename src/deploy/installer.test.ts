import { describe, expect, it } from 'vitest';
import { privateTmpBinds } from './installer.js';

describe('privateTmpBinds', () => {
  it('binds back what PrivateTmp would hide, and nothing else', () => {
    expect(privateTmpBinds(['/usr/bin/node', '/opt/ao/dist/cli/main.js'])).toEqual([]);
    expect(privateTmpBinds(['/usr/bin/node', '/tmp/checkout/dist/cli/main.js', '/var/tmp/node/bin/node'])).toEqual(['/tmp/checkout/dist/cli', '/var/tmp/node/bin']);
    expect(privateTmpBinds(['/tmpfoo/node'])).toEqual([]);
  });
});
