// Everything Lifeboat did, one JSON line per event in the data directory (activity.jsonl).
import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../ports.ts';
import type { LifeboatError } from '../errors.ts';
import type { ErrorInfo } from '../types.ts';
import type { ActivityEntry, ActivityKind } from '../model/activity.ts';
export type { ActivityEntry, ActivityKind } from '../model/activity.ts';

/** What the log says about one job: a service describes its own jobs (JobActivity.recordJob). */
export interface JobEntry<R> {
  what: ActivityKind;
  title: string;
  /** The profile's id or name (the log writes its name). */
  profile: string | null;
  /** The archive the entry names, when the job has ended (default: `archive`). */
  archiveOf?: (result: R) => string | null;
  archive?: string | null;
  /** A result that still counts as a failure in the log (a drill whose checks did not match). */
  failureOf?: (result: R) => LifeboatError | null;
}

/** The hook each job-running service calls when it starts a job, so the log never depends on who started it. */
export interface JobActivity {
  recordJob<R>(job: { result: Promise<R> }, entry: JobEntry<R>): void;
}

export interface ActivityFilter {
  what?: ActivityKind;
  profile?: string;
  result?: ActivityEntry['result'];
  since?: string;
  limit?: number;
}

/** How long a reader of the log waits for entries still being written. */
const SETTLE_LIMIT_MS = 2000;

export class ActivityLog implements JobActivity {
  readonly #file: string;
  readonly #clock: Clock;
  readonly #profileName: (idOrName: string) => Promise<string>;
  readonly #profileRoute: (idOrName: string) => Promise<string | null>;
  via: ActivityEntry['via'] = 'cli';
  /** Entries of ended jobs still being written: a reader waits for them, so a job's caller that reads the log next finds its entry. */
  readonly #writing = new Set<Promise<unknown>>();

  constructor(deps: { dataDir: string; clock: Clock; profileName?: (idOrName: string) => Promise<string>; profileRoute?: (idOrName: string) => Promise<string | null> }) {
    this.#file = path.join(deps.dataDir, 'activity.jsonl');
    this.#clock = deps.clock;
    this.#profileName = deps.profileName ?? ((idOrName) => Promise.resolve(idOrName));
    this.#profileRoute = deps.profileRoute ?? (() => Promise.resolve(null));
  }

  /** Logs a job's outcome when it ends (ok, failed, cancelled), under its profile's name. */
  recordJob<R>(job: { result: Promise<R> }, entry: JobEntry<R>): void {
    const outcome = job.result.then((result) => {
      const failure = entry.failureOf?.(result);
      if (failure) throw failure;
      return entry.archiveOf?.(result) ?? entry.archive ?? null;
    });
    outcome.catch(() => {});
    const started = performance.now();
    const name = entry.profile ? this.#profileName(entry.profile).catch(() => entry.profile) : Promise.resolve(null);
    // A profile with SSH reaches its server only through its tunnel: the log says which way it went.
    const route = entry.profile ? this.#profileRoute(entry.profile).catch(() => null) : Promise.resolve(null);
    // Registered in the first reaction to the job's end (not before: a reader must not wait for a job still
    // running), which runs before its caller's await resumes. The job's time ends there too, not when
    // its profile's name has been looked up.
    const write = () => {
      const durationMs = Math.round(performance.now() - started);
      this.#remember(Promise.all([name, route]).then(([profile, via]) => this.#write(outcome, { what: entry.what, title: entry.title, profile, route: via, durationMs })));
    };
    job.result.then(write, write);
  }

  /** Resolves when every entry of an ended job is on disk, or after `limitMs` (a keychain or a disk that hangs holds no reader for long). */
  async settled(limitMs = SETTLE_LIMIT_MS): Promise<void> {
    const deadline = performance.now() + limitMs;
    while (this.#writing.size > 0) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, left)));
      await Promise.race([Promise.allSettled([...this.#writing]), waited]);
      clearTimeout(timer);
    }
  }

  #remember(write: Promise<unknown>): void {
    const tracked = write.catch(() => {}).finally(() => this.#writing.delete(tracked));
    this.#writing.add(tracked);
  }

  async add(entry: Omit<ActivityEntry, 'at' | 'via'> & { via?: ActivityEntry['via'] }): Promise<ActivityEntry> {
    const full: ActivityEntry = { at: this.#clock.now().toISOString(), via: this.via, ...entry };
    // One write per line: appends of a few hundred bytes do not interleave between processes.
    await appendFile(this.#file, `${JSON.stringify(full)}\n`, { mode: 0o600 });
    return full;
  }

  /** Newest first. */
  async list(filter: ActivityFilter = {}): Promise<ActivityEntry[]> {
    await this.settled();
    const text = await readFile(this.#file, 'utf8').catch(() => '');
    const entries: ActivityEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        entries.push(JSON.parse(line) as ActivityEntry);
      } catch {
        // a torn last line after a crash: skip it
      }
    }
    return entries
      .filter((e) => !filter.what || e.what === filter.what)
      .filter((e) => !filter.profile || e.profile?.toLowerCase() === filter.profile.toLowerCase())
      .filter((e) => !filter.result || e.result === filter.result)
      .filter((e) => !filter.since || e.at >= filter.since)
      .reverse()
      .slice(0, filter.limit ?? Infinity);
  }

  /** The entry for a job whose `outcome` is its archive (or null), or its failure. */
  #write(outcome: Promise<string | null>, job: { what: ActivityKind; title: string; profile: string | null; route: string | null; durationMs: number }): Promise<unknown> {
    const { what, title, profile, durationMs } = job;
    const routed = job.route ? { route: job.route } : {};
    return outcome.then(
      (archive) => this.add({ what, title, profile, ...routed, archive, result: 'ok', durationMs, error: null }),
      (error: { code?: string; message?: string; fix?: string }) =>
        this.add({ what, title, profile, ...routed, archive: null, result: error?.code === 'CANCELLED' ? 'cancelled' : 'failed', durationMs, error: { code: (error?.code ?? 'INTERNAL') as ErrorInfo['code'], message: error?.message ?? String(error), ...(error?.fix ? { fix: error.fix } : {}) } }),
    );
  }
}
