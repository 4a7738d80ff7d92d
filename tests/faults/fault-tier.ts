// `npm test` runs the fault suite's fast tier; `npm run test:faults` sets LIFEBOAT_FAULTS=full.
export const FULL_TIER = process.env.LIFEBOAT_FAULTS === 'full';

/** The case count (or size) for this tier. */
export function forTier<T>(fast: T, full: T): T {
  return FULL_TIER ? full : fast;
}

/** A small deterministic generator (LCG), so a failing case can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
}
