// Remote archives downloaded for the Restore screen (copies:fetch). Each lives in a private temporary
// folder of its own (engine.copies.fetchForUse); the page may read it by its path like a file it
// opened, because main chose that path: the page names a destination and an archive name, never a
// file, so this opens no other file to it. The first restore or drill started on a copy owns it: when
// that job ends (done, failed or cancelled) the copy is removed and its path refused from then on. A
// copy no job uses goes when the page lets it go, after IDLE_MS unused, when too many wait, or when
// the app quits (and at the next start, if the app was killed: jobs/private-temp.ts).
import path from 'node:path';
import { LifeboatError } from '../engine/errors.ts';
import type { Job } from '../engine/jobs/job.ts';
import type { FetchedCopy } from '../engine/offsite/copy-service.ts';

/** An unused copy is removed after this long without a look (each inspect or checklist is one). */
const IDLE_MS = 60 * 60_000;
/** Copies waiting for a restore at once; the oldest goes first. */
const MAX_WAITING = 4;

interface Held {
  copy: FetchedCopy;
  /** Owned by a running restore or drill. */
  owned: boolean;
  timer: ReturnType<typeof setTimeout> | null;
}

export class FetchedCopies {
  readonly #held = new Map<string, Held>();

  /** Holds a copy the page may now read by its path. */
  add(copy: FetchedCopy): void {
    const held: Held = { copy, owned: false, timer: null };
    this.#held.set(path.resolve(copy.file), held);
    this.#arm(held);
    const waiting = [...this.#held.values()].filter((h) => !h.owned);
    for (const old of waiting.slice(0, Math.max(0, waiting.length - MAX_WAITING))) void this.release(old.copy.file);
  }

  /** Whether the page may read the file: a copy held here (a look keeps an unused one a while longer). */
  readable(file: string): boolean {
    const held = this.#held.get(path.resolve(file));
    if (held && !held.owned) this.#arm(held);
    return held !== undefined;
  }

  /**
   * Starts the job that uses `file`. For a copy held here, that job owns it: the copy is removed when
   * the job ends, and no second job may start on it meanwhile. Any other file starts as it is.
   */
  async ownedBy<R>(file: string, start: () => Promise<Job<R>>): Promise<Job<R>> {
    const held = this.#held.get(path.resolve(file));
    if (!held) return start();
    if (held.owned) throw new LifeboatError('INVALID_INPUT', `The downloaded copy of ${held.copy.name} is in use by another restore or drill, and is removed when that ends.`, `Download it again from ${held.copy.destination} (Settings → Offsite destinations → Archives there).`);
    held.owned = true;
    this.#disarm(held);
    let job: Job<R>;
    try {
      job = await start();
    } catch (error) {
      held.owned = false;
      this.#arm(held);
      throw error;
    }
    const release = () => this.release(held.copy.file);
    job.result.then(release, release);
    return job;
  }

  /** A copy no job owns, let go by the page: removed now. Anything else is left alone. */
  async discard(file: string): Promise<void> {
    const held = this.#held.get(path.resolve(file));
    if (held && !held.owned) await this.release(file);
  }

  /** Removes the copy and refuses its path from now on. */
  async release(file: string): Promise<void> {
    const key = path.resolve(file);
    const held = this.#held.get(key);
    if (!held) return;
    this.#held.delete(key);
    this.#disarm(held);
    await held.copy.release().catch(() => {});
  }

  /** Every copy, owned or not (the app is quitting: its jobs end with it). */
  async releaseAll(): Promise<void> {
    await Promise.all([...this.#held.keys()].map((file) => this.release(file)));
  }

  #arm(held: Held): void {
    this.#disarm(held);
    held.timer = setTimeout(() => void this.release(held.copy.file), IDLE_MS);
    held.timer.unref?.();
  }

  #disarm(held: Held): void {
    if (held.timer) clearTimeout(held.timer);
    held.timer = null;
  }
}
