// Jobs the engine starts on its own ("drill after every backup", offsite copies after a backup, copies a
// killed or failed run left unfinished, resumed). Whoever shows jobs subscribes (the app tracks them like
// any job), and a process about to exit (the CLI) waits for them: a follow-up is part of the work that
// was asked for, not a background afterthought.
import type { Job } from './job.ts';

/** Why a follow-up runs: after the backup of `archive`, or to resume its unfinished copy; a copy names its destination. */
export interface FollowUpCause {
  kind: 'backup' | 'resume';
  archive: string;
  destination?: string;
}

export type FollowUpListener = (job: Job<unknown>, cause: FollowUpCause) => void;

export class FollowUps {
  readonly #listeners = new Set<FollowUpListener>();
  readonly #running = new Set<Job<unknown>>();

  /** Registers a job started because of `cause`; listeners hear of it at once. */
  add(job: Job<unknown>, cause: FollowUpCause): void {
    this.#running.add(job);
    const forget = () => this.#running.delete(job);
    job.result.then(forget, forget);
    for (const listener of this.#listeners) listener(job, cause);
  }

  onStarted(listener: FollowUpListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Follow-ups still running (a CLI waits for them before it exits). */
  running(): Job<unknown>[] {
    return [...this.#running];
  }
}
