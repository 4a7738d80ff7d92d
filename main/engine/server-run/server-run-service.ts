// Whole-server runs: every database of a profile's scope backed up in one run — each into a normal
// Lifeboat archive with its own exported snapshot — with the server's globals taken once, bounded
// concurrency, one database's failure never stopping the others, and a run record that groups them.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { SIDECAR_SUFFIX } from '../archive/archive-format.ts';
import type { LibraryKey } from '../archive/sidecar-tag.ts';
import type { JobActivity } from '../activity/activity-log.ts';
import type { BackupRequest, BackupService, SavedGlobals } from '../backup/backup-service.ts';
import { LifeboatError, toErrorInfo } from '../errors.ts';
import { startJob, type Job, type JobRunContext } from '../jobs/job.ts';
import type { BackupResult } from '../model/backup.ts';
import { RUN_CONSISTENCY, type RunDatabase, type ServerRunRecord, type ServerRunResult } from '../model/server-run.ts';
import { defaultBackupFolder } from '../paths/data-dir.ts';
import type { Clock } from '../ports.ts';
import type { ProfileService } from '../profiles/profile-service.ts';
import { MAX_RUN_CONCURRENCY, type SettingsStore } from '../settings/settings-store.ts';
import type { ConnectTarget } from '../tunnel/connect-target.ts';
import { resolveScope, type ResolvedScope, type ServerDatabase } from '../profiles/database-scope.ts';
import { RunProgress } from './run-progress.ts';
import { latestRunRecord, listRunRecords, writeRunRecord } from './run-record.ts';
import type { LibraryService } from '../archive/library-service.ts';
import { listServerDatabases, type ServerListing } from './server-databases.ts';

/** A backup of the profile's whole scope; the options are each database's backup's. */
export type ServerRunRequest = Pick<BackupRequest, 'profile' | 'outDir' | 'encryption' | 'exactRowCounts' | 'followUps'> & {
  /** Databases dumped at a time for this run; default: the setting (serverRunConcurrency). */
  concurrency?: number;
};

export interface ServerRunDeps {
  profiles: ProfileService;
  backups: BackupService;
  settings: SettingsStore;
  clock: Clock;
  dataDir: string;
  libraryKey?: LibraryKey;
  activity?: JobActivity;
  /** Each archive of a finished run (createEngine: offsite copies). Drills are not started per archive: a run's databases would all start scratch servers at once. */
  afterBackup?: (result: BackupResult, options: { drill: boolean }) => void;
  /** Whether "drill after every backup" is on, to say that a run's archives were not drilled. */
  drillAfterEveryBackup?: () => boolean;
  /** The folders the library lists: where runs are looked for. */
  library?: Pick<LibraryService, 'folders'>;
}

/** What the run knows before its first dump starts. */
interface RunPlan {
  target: ConnectTarget;
  password: string | null;
  listing: ServerListing;
  resolved: ResolvedScope;
  folder: string;
  dropped: string[];
  started: Date;
  concurrency: number;
}

export class ServerRunService {
  readonly #deps: ServerRunDeps;

  constructor(deps: ServerRunDeps) {
    this.#deps = deps;
  }

  /** This Lifeboat's runs in the library folders (or `folders`), newest first; a profile's only when given (id or name). */
  async list(filter: { profile?: string; folders?: string[] } = {}): Promise<{ file: string; record: ServerRunRecord }[]> {
    const folders = filter.folders?.length ? filter.folders : ((await this.#deps.library?.folders()) ?? []);
    const runs = await listRunRecords(folders, (await this.#deps.libraryKey?.get()) ?? null);
    if (!filter.profile) return runs;
    const profile = await this.#deps.profiles.get(filter.profile);
    return runs.filter((r) => r.record.profileId === profile.id);
  }

  start(request: ServerRunRequest): Job<ServerRunResult> {
    const job = startJob('backup', (ctx) => this.#run(request, ctx));
    this.#deps.activity?.recordJob(job, {
      what: 'backup',
      title: 'Backup of the server\'s databases',
      profile: request.profile,
      archiveOf: (result) => result.file,
      failureOf: (result) => (result.record.outcome === 'ok' ? null : runFailure(result.record)),
    });
    return job;
  }

  async #run(request: ServerRunRequest, ctx: JobRunContext): Promise<ServerRunResult> {
    const t0 = performance.now();
    const plan = await this.#plan(request, ctx);
    // Roles and tablespaces once for the run; each archive's globals.sql holds the same bytes.
    const globals = this.#deps.backups.globalsOnce(plan.target, plan.password, plan.listing, ctx.signal);
    globals.catch(() => {});
    const progress = new RunProgress(ctx, plan.resolved.databases);
    const results = new Map<string, BackupResult>();
    const outcomes = await mapBounded(plan.resolved.databases, plan.concurrency, ctx.signal, (database) =>
      this.#backUpOne(request, plan, database, globals, progress, ctx).then((result) => {
        results.set(database.name, result);
        return databaseDone(database.name, plan.folder, result);
      }, (error: unknown) => ({ name: database.name, outcome: 'failed' as const, error: toErrorInfo(error) })),
    );
    if (ctx.signal.aborted) {
      await removeArchives([...results.values()]);
      throw new LifeboatError('CANCELLED', `The run was cancelled; the ${results.size} archive(s) it had finished were removed, so nothing partial was kept.`);
    }
    const saved = await globals.catch(() => null);
    const record = this.#record(plan, outcomes, saved, t0);
    const key = (await this.#deps.libraryKey?.get()) ?? null;
    const written = await writeRunRecord(plan.folder, record, key);
    const made = [...results.values()];
    const notes = [...new Set(made.flatMap((r) => r.notes))];
    if (request.followUps !== false) {
      for (const result of made) this.#deps.afterBackup?.(result, { drill: false });
      if (this.#deps.drillAfterEveryBackup?.()) notes.push('"Drill after every backup" does not drill each database of a run: drill an archive with lifeboat drill FILE (or Drill in the library).');
    }
    return { record: written.record, file: written.file, archives: made.map((r) => r.archive), notes, keyCreated: made.some((r) => r.keyCreated) };
  }

  /** The server's databases now, the scope resolved against them, the folder, and what the last run had that is gone. */
  async #plan(request: ServerRunRequest, ctx: JobRunContext): Promise<RunPlan> {
    const { profiles, settings, dataDir, clock } = this.#deps;
    const started = clock.now();
    ctx.report({ phase: 'Connecting', message: 'Listing the server\'s databases' });
    const { profile: target, password } = await profiles.resolveForConnection(request.profile, ctx);
    if (!target.scope) throw new LifeboatError('INVALID_INPUT', `The profile "${target.name}" backs up one database (${target.database}), not several.`, 'Back it up as usual, or edit the profile and choose a list of databases or all databases.');
    const listing = await listServerDatabases(target, password);
    const resolved = resolveScope(target.scope, listing.databases);
    if (resolved.databases.length === 0) {
      throw new LifeboatError('BACKUP_FAILED', `No database of the server matches the profile "${target.name}"'s scope${resolved.missing.length ? ` (not on the server: ${resolved.missing.join(', ')})` : ''}${resolved.excluded.length ? ` (left out: ${resolved.excluded.join(', ')})` : ''}.`, 'Edit the profile\'s databases: check the names and the exclude patterns.');
    }
    const options = settings.get();
    const folder = request.outDir ?? target.backupFolder ?? options.backupFolder ?? defaultBackupFolder(dataDir);
    await mkdir(folder, { recursive: true, mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
      throw new LifeboatError('BACKUP_FAILED', `The backup folder ${folder} cannot be created (${error.code}).`, 'Choose a backup folder you can write to.');
    });
    const previous = await latestRunRecord(folder, target.id, (await this.#deps.libraryKey?.get()) ?? null);
    const onServer = new Set(listing.databases.map((d) => d.name));
    const dropped = previous ? previous.databases.filter((d) => d.outcome !== 'missing' && !onServer.has(d.name)).map((d) => d.name) : [];
    return { target, password, listing, resolved, folder, dropped, started, concurrency: runConcurrency(request.concurrency, options.serverRunConcurrency) };
  }

  /** One database: a normal backup job, followed as a step of the run (cancelling the run cancels it). */
  #backUpOne(request: ServerRunRequest, plan: RunPlan, database: ServerDatabase, globals: Promise<SavedGlobals>, progress: RunProgress, ctx: JobRunContext): Promise<BackupResult> {
    // Follow-ups (offsite copies) start once the run is done and its record written.
    const child = this.#deps.backups.start({ ...request, database: database.name, outDir: plan.folder, followUps: false }, { globals });
    return ctx.follow(child, (p) => {
      progress.onDatabase(database.name, p);
      return {};
    }).then((result) => {
      progress.finished(database.name, true, result.bytes);
      return result;
    }, (error: unknown) => {
      progress.finished(database.name, false);
      throw error;
    });
  }

  #record(plan: RunPlan, outcomes: RunDatabase[], globals: SavedGlobals | null, t0: number): ServerRunRecord {
    const missing: RunDatabase[] = plan.resolved.missing.map((name) => ({
      name,
      outcome: 'missing',
      error: { code: 'BACKUP_FAILED', message: `The database "${name}" is not on the server.`, fix: 'Remove it from the profile\'s list, or create it on the server.' },
    }));
    const databases = [...outcomes, ...missing];
    const good = databases.filter((d) => d.outcome === 'ok').length;
    return {
      format: 'lifeboat-run',
      version: 1,
      id: randomUUID(),
      profile: plan.target.name,
      profileId: plan.target.id,
      host: plan.target.host,
      port: plan.target.port,
      serverVersion: plan.listing.version,
      startedAt: plan.started.toISOString(),
      finishedAt: this.#deps.clock.now().toISOString(),
      durationMs: Math.round(performance.now() - t0),
      outcome: good === databases.length ? 'ok' : good === 0 ? 'failed' : 'partial',
      consistency: RUN_CONSISTENCY,
      concurrency: plan.concurrency,
      scope: plan.target.scope!,
      globals: globals
        ? { kind: globals.kind, sha256: sha256Hex(globals.sql), bytes: globals.sql.length, note: globals.note }
        : { kind: 'skipped', sha256: sha256Hex(Buffer.alloc(0)), bytes: 0, note: 'The roles and tablespaces could not be read.' },
      databases,
      excluded: plan.resolved.excluded,
      dropped: plan.dropped,
    };
  }
}

function databaseDone(name: string, folder: string, result: BackupResult): RunDatabase {
  return {
    name,
    outcome: 'ok',
    archive: path.relative(folder, result.archive),
    sha256: result.sha256,
    bytes: result.bytes,
    tables: result.tables,
    totalRows: result.totalRows,
    durationMs: result.durationMs,
  };
}

/** Runs `work` over `items`, at most `limit` at a time, in order; stops starting new ones once `signal` aborts. */
async function mapBounded<T, R>(items: T[], limit: number, signal: AbortSignal, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal.aborted) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results.filter((r) => r !== undefined);
}

async function removeArchives(results: BackupResult[]): Promise<void> {
  await Promise.all(results.flatMap((r) => [r.archive, `${r.archive}${SIDECAR_SUFFIX}`].map((file) => rm(file, { force: true }))));
}

/** What the activity log says about a run that was not all good. */
function runFailure(record: ServerRunRecord): LifeboatError {
  const failed = record.databases.filter((d) => d.outcome !== 'ok');
  const names = failed.map((d) => `${d.name} (${d.error?.message ?? d.outcome})`).join('; ');
  return new LifeboatError('BACKUP_FAILED', `${record.outcome === 'partial' ? 'Part of the run failed' : 'The run failed'}: ${names}.`, failed[0]?.error?.fix ?? 'See each database\'s reason.');
}

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The run's databases at a time: the request's (checked like the setting), or the setting's. */
function runConcurrency(requested: number | undefined, setting: number): number {
  if (requested === undefined) return setting;
  if (!Number.isInteger(requested) || requested < 1 || requested > MAX_RUN_CONCURRENCY) {
    throw new LifeboatError('INVALID_INPUT', `"${String(requested)}" is not a number of databases at a time between 1 and ${MAX_RUN_CONCURRENCY}.`, `Use 2 (the default); more only when the server and this computer have cores to spare.`);
  }
  return requested;
}
