/**
 * Tallies phase 3's votes on the canonical action (type + normalised parameters). A perspective that gave no
 * valid verdict casts no vote, never agreement. Pure.
 */
export interface Vote {
  perspective: string;
  /** The canonical action key, or null for no vote. */
  key: string | null;
}

export type Tally = { decision: 'quorum'; key: string; supporters: string[]; counts: Record<string, number> } | { decision: 'no_quorum'; counts: Record<string, number> };

export function tallyVotes(votes: readonly Vote[], quorum: number): Tally {
  const counts: Record<string, number> = {};
  for (const vote of votes) if (vote.key !== null) counts[vote.key] = (counts[vote.key] ?? 0) + 1;
  const ranked = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  const [best, second] = ranked;
  if (best && best[1] >= quorum && (!second || second[1] < best[1])) {
    return { decision: 'quorum', key: best[0], supporters: votes.filter((vote) => vote.key === best[0]).map((vote) => vote.perspective), counts };
  }
  return { decision: 'no_quorum', counts };
}
