// A whole-server run's progress: the databases done of all, the bytes written by every dump, and a
// fraction weighted by each database's size (a 40 GB database at half way is not one sixth done).
import { RateMeter, type JobContext, type JobProgress } from '../jobs/job.ts';
import type { ServerDatabase } from '../profiles/database-scope.ts';

interface DatabaseState {
  weight: number;
  fraction: number;
  bytes: number;
  state: 'waiting' | 'running' | 'ok' | 'failed';
}

export class RunProgress {
  readonly #ctx: JobContext;
  readonly #states = new Map<string, DatabaseState>();
  readonly #rate = new RateMeter();
  readonly #started = performance.now();

  constructor(ctx: JobContext, databases: ServerDatabase[]) {
    this.#ctx = ctx;
    // A database whose size is unknown (no CONNECT privilege, reported as it fails) weighs like a small one.
    for (const d of databases) this.#states.set(d.name, { weight: Math.max(d.bytes ?? 0, 1024 * 1024), fraction: 0, bytes: 0, state: 'waiting' });
  }

  /** A database's dump reported progress. */
  onDatabase(name: string, progress: Pick<JobProgress, 'fraction' | 'bytes'>): void {
    const state = this.#states.get(name);
    if (!state) return;
    state.state = 'running';
    state.fraction = Math.min(progress.fraction ?? state.fraction, 0.99);
    state.bytes = Math.max(state.bytes, progress.bytes);
    this.#report();
  }

  finished(name: string, ok: boolean, bytes?: number): void {
    const state = this.#states.get(name);
    if (!state) return;
    state.state = ok ? 'ok' : 'failed';
    state.fraction = 1;
    if (bytes !== undefined) state.bytes = bytes;
    this.#report();
  }

  #report(): void {
    const all = [...this.#states.entries()];
    const totalWeight = all.reduce((sum, [, s]) => sum + s.weight, 0);
    const fraction = all.reduce((sum, [, s]) => sum + s.weight * s.fraction, 0) / totalWeight;
    const bytes = all.reduce((sum, [, s]) => sum + s.bytes, 0);
    const done = all.filter(([, s]) => s.state === 'ok').length;
    const failed = all.filter(([, s]) => s.state === 'failed').length;
    const running = all.filter(([, s]) => s.state === 'running').map(([name]) => name);
    const elapsed = (performance.now() - this.#started) / 1000;
    this.#ctx.report({
      phase: 'Dumping',
      fraction,
      bytes,
      bytesPerSecond: this.#rate.sample(bytes),
      etaSeconds: fraction > 0.02 && fraction < 1 ? Math.round((elapsed * (1 - fraction)) / fraction) : null,
      currentItem: running.length ? running.join(', ') : null,
      message: `${done} of ${all.length} databases done${failed ? `, ${failed} failed` : ''}`,
    });
  }
}
