// The time left of a restore's data phase (streamed or parallel): extrapolated from how far the phase
// got (the file's bytes read, or pg_restore's items done) and how long it has run so far. Only the
// data phase is estimated: what comes before it (a safety backup) and after it (verifying, swapping)
// has no measure of progress, so the job reports no time left there rather than a wrong one.

/** Before this much of the phase and this many seconds, an estimate is noise. */
const MIN_FRACTION = 0.02;
const MIN_SECONDS = 1;

export class PhaseEta {
  readonly #startedAt: number;

  constructor(now = performance.now()) {
    this.#startedAt = now;
  }

  /** Seconds left for the phase at `fraction` (0..1 of it); null until there is enough to go on, and once it is done. */
  secondsLeft(fraction: number, now = performance.now()): number | null {
    const elapsed = (now - this.#startedAt) / 1000;
    if (!Number.isFinite(fraction) || fraction < MIN_FRACTION || fraction >= 1 || elapsed < MIN_SECONDS) return null;
    return Math.round((elapsed * (1 - fraction)) / fraction);
  }
}
