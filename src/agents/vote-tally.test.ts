import { describe, expect, it } from 'vitest';
import { tallyVotes } from './vote-tally.js';

describe('tallyVotes', () => {
  it('acts on 2 of 3 agreeing', () => {
    const tally = tallyVotes(
      [
        { perspective: 'systems', key: 'a' },
        { perspective: 'application', key: 'b' },
        { perspective: 'dependencies', key: 'a' },
      ],
      2,
    );
    expect(tally).toMatchObject({ decision: 'quorum', key: 'a', supporters: ['systems', 'dependencies'] });
  });
  it('escalates a 1-1-1 split', () => {
    expect(
      tallyVotes(
        [
          { perspective: 's', key: 'a' },
          { perspective: 'p', key: 'b' },
          { perspective: 'd', key: 'c' },
        ],
        2,
      ).decision,
    ).toBe('no_quorum');
  });
  it('never counts a missing vote as agreement', () => {
    expect(
      tallyVotes(
        [
          { perspective: 's', key: 'a' },
          { perspective: 'p', key: null },
          { perspective: 'd', key: null },
        ],
        2,
      ).decision,
    ).toBe('no_quorum');
    expect(
      tallyVotes(
        [
          { perspective: 's', key: 'a' },
          { perspective: 'p', key: null },
        ],
        1,
      ),
    ).toMatchObject({ decision: 'quorum', key: 'a' });
  });
  it('honours a unanimous quorum setting', () => {
    expect(
      tallyVotes(
        [
          { perspective: 's', key: 'a' },
          { perspective: 'p', key: 'a' },
          { perspective: 'd', key: 'b' },
        ],
        3,
      ).decision,
    ).toBe('no_quorum');
  });
});
