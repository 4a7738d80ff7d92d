import { randomUUID } from 'node:crypto';

export type JobKind = 'backup' | 'verify' | 'restore' | 'drill';

export interface JobProgress {
  jobId: string;
  kind: JobKind;
  /** Short phase name shown as the step ("Dumping", "Encrypting"…). */
  phase: string;
  /** 0..1, or null while unknown. */
  fraction: number | null;
  bytes: number;
  bytesPerSecond: number | null;
  etaSeconds: number | null;
  currentItem: string | null;
  message: string | null;
}

export interface Job<R> {
  id: string;
  kind: JobKind;
  signal: AbortSignal;
  result: Promise<R>;
  cancel(): void;
  onProgress(listener: (progress: JobProgress) => void): () => void;
  lastProgress(): JobProgress | null;
}

export interface JobContext {
  signal: AbortSignal;
  report(update: Partial<Omit<JobProgress, 'jobId' | 'kind'>>): void;
}

/** Runs `work` as a cancellable job that reports progress to any number of listeners. */
export function startJob<R>(kind: JobKind, work: (ctx: JobContext) => Promise<R>): Job<R> {
  const id = randomUUID();
  const controller = new AbortController();
  const listeners = new Set<(progress: JobProgress) => void>();
  let last: JobProgress | null = null;
  const report: JobContext['report'] = (update) => {
    last = { jobId: id, kind, phase: '', fraction: null, bytes: 0, bytesPerSecond: null, etaSeconds: null, currentItem: null, message: null, ...last, ...update };
    for (const listener of listeners) listener(last);
  };
  const result = Promise.resolve().then(() => work({ signal: controller.signal, report }));
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
