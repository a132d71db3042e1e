import { describe, expect, it } from 'vitest';
import { sanitizeLines, sanitizeText } from './sanitize.js';

describe('sanitizeText', () => {
  it('removes ANSI escapes, control characters and invisible Unicode', () => {
    const hostile = '\u001b[31mred\u001b[0m\u0007 a\u200bb \u202eevil \u{e0041}\u{e0042}tag\r\n';
    expect(sanitizeText(hostile, 1000)).toBe('red ab evil tag\n');
  });
  it('caps the length and says how much was cut', () => {
    expect(sanitizeText('x'.repeat(50), 10)).toBe(`${'x'.repeat(10)}… [40 more characters]`);
  });
});

describe('sanitizeLines', () => {
  it('keeps the last lines only', () => {
    expect(sanitizeLines(['a', 'b', 'c'], 2)).toEqual(['b', 'c']);
  });
});
