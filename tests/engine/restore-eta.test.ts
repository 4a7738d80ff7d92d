// The time left on a restore's progress card: extrapolated from the data phase's progress and its
// elapsed time, said only once there is enough to go on, and never once the phase's measure ran out.
import { describe, expect, it } from 'vitest';
import { PhaseEta } from '../../main/engine/restore/restore-eta.ts';

describe('PhaseEta', () => {
  it('extrapolates the rest of the phase from how far it got and how long it took', () => {
    const eta = new PhaseEta(0);
    expect(eta.secondsLeft(0.25, 10_000)).toBe(30);
    expect(eta.secondsLeft(0.5, 20_000)).toBe(20);
    expect(eta.secondsLeft(0.9, 45_000)).toBe(5);
  });

  it('says nothing before a second or 2 % of the phase, and nothing once the phase is done', () => {
    const eta = new PhaseEta(0);
    expect(eta.secondsLeft(0.5, 900)).toBeNull();
    expect(eta.secondsLeft(0.01, 60_000)).toBeNull();
    expect(eta.secondsLeft(1, 60_000)).toBeNull();
    expect(eta.secondsLeft(Number.NaN, 60_000)).toBeNull();
  });
});
