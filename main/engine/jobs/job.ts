import { randomUUID } from 'node:crypto';
import type { JobKind, JobProgress } from '../model/job.ts';
export type { JobKind, JobProgress } from '../model/job.ts';

export interface Job<R> {
  id: string;
  kind: JobKind;
  signal: AbortSignal;
  result: Promise<R>;
  cancel(): void;
  onProgress(listener: (progress: JobProgress) => void): () => void;
  lastProgress(): JobProgress | null;
}

/** What a job reports: everything but its id and kind, which are the job's own. */
export type ProgressUpdate = Partial<Omit<JobProgress, 'jobId' | 'kind'>>;

/** What a job's steps get: its cancellation signal and a way to report progress. */
export interface JobContext {
  signal: AbortSignal;
  report(update: ProgressUpdate): void;
}

/** The context startJob hands a job's work: a JobContext that can also run a sub-job as one of its steps. */
export interface JobRunContext extends JobContext {
  /**
   * Follows a sub-job started for this one: each of its progress reports goes through `mapProgress`
   * into this job's (the child's own jobId and kind never do), cancelling this job cancels it (at
   * once when this job is already cancelled), and once it settles the listeners are gone. Resolves
   * or rejects as the child's result does, with the child's own value or error.
   */
  follow<R>(child: Job<R>, mapProgress: (progress: JobProgress) => Partial<JobProgress>): Promise<R>;
  /** Runs `cleanup` once the job's work has settled (done, failed or cancelled), latest first — e.g. closing the job's SSH tunnel. */
  defer(cleanup: () => Promise<void> | void): void;
  /**
   * Lets a resource the job used explain its failure better than the step that noticed it: a tunnel
   * that dropped mid-backup turns pg_dump's "connection lost" into "the SSH tunnel dropped".
   * `explain` returns the error to report instead, or undefined to leave it as it is.
   */
  explainFailure(explain: (error: unknown) => unknown): void;
}

/** Runs `work` as a cancellable job that reports progress to any number of listeners. */
export function startJob<R>(kind: JobKind, work: (ctx: JobRunContext) => Promise<R>): Job<R> {
  const id = randomUUID();
  const controller = new AbortController();
  const listeners = new Set<(progress: JobProgress) => void>();
  let last: JobProgress | null = null;
  const report: JobContext['report'] = (update) => {
    last = { jobId: id, kind, phase: '', fraction: null, bytes: 0, bytesPerSecond: null, etaSeconds: null, currentItem: null, message: null, ...last, ...update };
    for (const listener of listeners) listener(last);
  };
  const follow: JobRunContext['follow'] = (child, mapProgress) => followJob(child, controller.signal, (progress) => {
    const { jobId: _jobId, kind: _kind, ...update } = mapProgress(progress);
    report(update);
  });
  const settled = jobEnding(controller.signal);
  const result = Promise.resolve().then(() => settled.run(() => work({ signal: controller.signal, report, follow, defer: settled.defer, explainFailure: settled.explainFailure })));
  result.catch(() => {}); // callers observe failures through `result`
  return {
    id,
    kind,
    signal: controller.signal,
    result,
    cancel: () => controller.abort(new JobCancelledError()),
    onProgress(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    lastProgress: () => last,
  };
}

/**
 * For work that is not a job but needs what a job lends its steps (a place to close an SSH tunnel
 * and explain a failure): runs `work` with such a scope and clean-ups once it settles.
 */
export function withScope<R>(signal: AbortSignal | undefined, work: (scope: Pick<JobRunContext, 'signal' | 'defer' | 'explainFailure'>) => Promise<R>): Promise<R> {
  const scopeSignal = signal ?? new AbortController().signal;
  const ending = jobEnding(scopeSignal);
  return ending.run(() => work({ signal: scopeSignal, defer: ending.defer, explainFailure: ending.explainFailure }));
}

/** The job's deferred clean-ups and failure explanations, applied when its work settles. */
function jobEnding(signal: AbortSignal) {
  const cleanups: (() => Promise<void> | void)[] = [];
  const explainers: ((error: unknown) => unknown)[] = [];
  return {
    defer: (cleanup: () => Promise<void> | void) => void cleanups.push(cleanup),
    explainFailure: (explain: (error: unknown) => unknown) => void explainers.push(explain),
    async run<R>(work: () => Promise<R>): Promise<R> {
      try {
        return await work();
      } catch (error) {
        // A cancel stays a cancel: the user's own action explains it best.
        if (signal.aborted) throw error;
        throw explainers.reduce((current, explain) => explain(current) ?? current, error);
      } finally {
        for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => {});
      }
    },
  };
}

/** A sub-job's progress into `onProgress` and `signal`'s abort into its cancel(), until it settles. */
async function followJob<R>(child: Job<R>, signal: AbortSignal, onProgress: (progress: JobProgress) => void): Promise<R> {
  const stop = child.onProgress(onProgress);
  const cancel = () => child.cancel();
  signal.addEventListener('abort', cancel, { once: true });
  if (signal.aborted) cancel();
  try {
    return await child.result;
  } finally {
    stop();
    signal.removeEventListener('abort', cancel);
  }
}

export class JobCancelledError extends Error {
  constructor() {
    super('Cancelled by the user.');
    this.name = 'JobCancelledError';
  }
}

/** Tracks throughput and ETA from byte counts over a sliding window. */
export class RateMeter {
  readonly #samples: { at: number; bytes: number }[] = [];
  readonly #windowMs: number;

  constructor(windowMs = 5000) {
    this.#windowMs = windowMs;
  }

  sample(bytes: number, at = performance.now()): number | null {
    this.#samples.push({ at, bytes });
    while (this.#samples.length > 2 && at - this.#samples[0]!.at > this.#windowMs) this.#samples.shift();
    const first = this.#samples[0]!;
    const seconds = (at - first.at) / 1000;
    return seconds > 0.2 ? (bytes - first.bytes) / seconds : null;
  }
}
