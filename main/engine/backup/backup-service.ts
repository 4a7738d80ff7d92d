import { mkdir, readdir } from 'node:fs/promises';
import type { ArchiveChecksums, ArchiveManifest, TableRowCount } from '../archive/archive-format.ts';
import { archiveFileName } from '../archive/archive-names.ts';
import { closeDumpStdout, openDumpChannel, releaseDumpChannel, type DumpChannel, type DumpInput } from '../archive/archive-thread.ts';
import { writeArchiveFile, type DumpSummary, type WrittenArchive } from '../archive/archive-writer.ts';
import { tagSidecar, type LibraryKey } from '../archive/sidecar-tag.ts';
import { removeStalePartials } from '../archive/partial-files.ts';
import { LifeboatError } from '../errors.ts';
import { startJob, type Job, type JobContext, type JobRunContext } from '../jobs/job.ts';
import type { ConnectTarget } from '../tunnel/connect-target.ts';
import type { TunnelScope } from '../tunnel/tunnel-service.ts';
import type { EncryptionChoice, KeyService, ResolvedEncryption } from '../keys/key-service.ts';
import { defaultBackupFolder } from '../paths/data-dir.ts';
import { dbnameConninfo, libpqEnvironment, type LibpqEnvironment } from '../pgtools/libpq-env.ts';
import { isLostConnection, LOST_CONNECTION_FIX, LOST_CONNECTION_SENTENCE } from '../pgtools/lost-connection.ts';
import { loadPg } from '../db/pg-connect.ts';
import { startTool, startToolWritingTo, toolErrorSummary, type ToolProcess } from '../pgtools/tool-process.ts';
import type { ToolResolver } from '../pgtools/tool-resolver.ts';
import { serverMajorOf } from '../pgtools/tool-version.ts';
import type { Clock } from '../ports.ts';
import type { ProfileService } from '../profiles/profile-service.ts';
import type { Settings, SettingsStore } from '../settings/settings-store.ts';
import type { PgTool, Profile } from '../types.ts';
import { buildManifest, type BackupFacts, type SnapshotMetadata } from './backup-manifest.ts';
import { sidecarFor } from '../archive/sidecar-build.ts';
import type { JobActivity } from '../activity/activity-log.ts';
import { DumpProgress } from './dump-progress.ts';
import { countRows, SnapshotSession, type LiveTable } from './snapshot-session.ts';
import type { BackupResult } from '../model/backup.ts';
export type { BackupResult } from '../model/backup.ts';

export interface BackupRequest {
  profile: string;
  /** Another database on the profile's server (the safety backup before a replace). */
  database?: string;
  /** Folder for the archive; default: the profile's, then the settings', then ~/Lifeboat Backups. */
  outDir?: string;
  encryption?: EncryptionChoice;
  /** Default from settings (on). */
  exactRowCounts?: boolean;
  compression?: { method: 'zstd' | 'gzip'; level: number };
  includeRolePasswords?: boolean;
  /**
   * false: start no follow-up job ("drill after every backup"). A safety backup must not start one
   * (the restore runs next), and a schedule drills per its own rule and waits for it.
   */
  followUps?: boolean;
}

const POLL_MS = 500;

export interface BackupDeps {
  profiles: ProfileService;
  tools: ToolResolver;
  keys: KeyService;
  settings: SettingsStore;
  clock: Clock;
  dataDir: string;
  appVersion: string;
  /** Tags each sidecar as this Lifeboat's (sidecar-tag.ts); without it (or without a key) sidecars are written untagged. */
  libraryKey?: LibraryKey;
  /** Called with each finished backup that allows follow-ups (createEngine: "drill after every backup"). */
  afterBackup?: (result: BackupResult) => void;
  /** Where each backup's outcome is logged (activity/activity-log.ts). */
  activity?: JobActivity;
}

/** Where the backup goes and how it is sealed: settled before any connection is opened. */
interface BackupTarget {
  profile: ConnectTarget;
  password: string | null;
  encryption: ResolvedEncryption;
  folder: string;
}

/** Everything decided before pg_dump starts. */
interface BackupPlan extends BackupTarget {
  facts: BackupFacts;
  serverMajor: number;
  compressionArg: string;
  includeRolePasswords: boolean;
  /** performance.now() when the backup started. */
  t0: number;
}

/** What one backup holds open, and what its clean-up must stop and wait for. */
interface RunState {
  readonly session: SnapshotSession;
  readonly libpq: LibpqEnvironment;
  readonly notes: string[];
  /** Stops the row counter and the progress polling when the backup ends for any reason. */
  readonly stop: AbortController;
  /** The job's signal or `stop`. */
  readonly signal: AbortSignal;
  dump: DumpProcess | null;
  poll: NodeJS.Timeout | null;
  counting: Promise<unknown>;
  globalsRun: Promise<unknown>;
  tableCount: number;
}

/** pg_dumpall's roles and tablespaces (or why they were skipped), the tool that made them and how long it took. */
export type SavedGlobals = Awaited<ReturnType<typeof dumpGlobals>> & { tool: PgTool | null; ms: number };

/** What a whole-server run hands each of its backups: the globals it took once for all of them. */
export interface SharedParts {
  globals?: Promise<SavedGlobals>;
}

/** pg_dump running, and the archive's other entries in the making. */
/** pg_dump, and where its output is read: its channel to the archive's worker thread (a socket or a FIFO), or its stdout stream. */
type DumpProcess = Omit<ToolProcess, 'stdout'> & { output: DumpInput };

interface DumpInFlight {
  running: DumpProcess;
  progress: DumpProgress;
  /** performance.now() when pg_dump started. */
  tDump: number;
  globals: Promise<SavedGlobals>;
  counted: Promise<{ counts: TableRowCount[]; ms: number } | null>;
  manifest: Promise<ArchiveManifest>;
  globalsSql: Promise<Buffer>;
}

export class BackupService {
  readonly #deps: BackupDeps;

  constructor(deps: BackupDeps) {
    this.#deps = deps;
  }

  start(request: BackupRequest, shared: SharedParts = {}): Job<BackupResult> {
    const job = startJob('backup', (ctx) => this.#run(request, ctx, shared));
    this.#deps.activity?.recordJob(job, { what: 'backup', title: `Backup${request.database ? ` of ${request.database}` : ''}`, profile: request.profile, archiveOf: (result) => result.archive });
    if (request.followUps !== false) job.result.then((result) => this.#deps.afterBackup?.(result), () => {});
    return job;
  }

  /**
   * Roles and tablespaces of the server `target` reaches, taken once by a whole-server run and
   * shared by its backups (pg_dumpall reads every role: once per run is enough).
   */
  async globalsOnce(target: ConnectTarget, password: string | null, server: { version: string; versionNum: number }, signal: AbortSignal): Promise<SavedGlobals> {
    const libpq = await libpqEnvironment(target, password);
    try {
      const started = performance.now();
      const pgDumpall = await this.#deps.tools.choose('pg_dumpall', serverMajorOf(server.versionNum), server.version).catch(() => null);
      const withPasswords = this.#deps.settings.get().includeRolePasswords;
      return { ...(await dumpGlobals(pgDumpall, target, libpq.env, withPasswords, signal)), tool: pgDumpall, ms: performance.now() - started };
    } finally {
      await libpq.dispose();
    }
  }

  async #run(request: BackupRequest, ctx: JobRunContext, shared: SharedParts): Promise<BackupResult> {
    const { tools, settings, clock } = this.#deps;
    const started = clock.now();
    const t0 = performance.now();
    const options = settings.get();
    ctx.report({ phase: 'Connecting', message: 'Opening a consistent snapshot' });
    // Finding the PostgreSQL tools overlaps with the keychain and the connection; choose() waits for it.
    tools.list().catch(() => {});
    // So are loading the pg driver, starting the thread that will write the archive and connecting it
    // to the socket pg_dump will write into: ~0.1 s that would otherwise come between the keychain,
    // the connection and pg_dump's start.
    loadPg().catch(() => {});
    const channel = openDumpChannel(); // never rejects: without a channel, pg_dump's stdout is read
    try {
      const { target, run } = await this.#targetAndSnapshot(request, options, ctx);
      try {
        const plan = await this.#plan(request, options, target, run, started, t0);
        ctx.signal.throwIfAborted();
        const inFlight = await this.#startDump(plan, run, ctx, shared, await channel);
        const written = await this.#writeArchive(plan, run, inFlight, ctx);
        ctx.report({ phase: 'Done', fraction: 1, message: written.path });
        return {
          archive: written.path,
          profileId: target.profile.id,
          sidecar: written.sidecar,
          sha256: written.sha256,
          bytes: written.bytes,
          tables: run.tableCount,
          totalRows: written.sidecar.totalRows,
          durationMs: Math.round(performance.now() - t0),
          notes: run.notes,
          keyCreated: plan.encryption.keyCreated,
        };
      } catch (error) {
        throw asCancelled(error, ctx);
      } finally {
        await cleanUp(run);
      }
    } finally {
      // Once the archive has its worker, the archive ends it; a channel never used is closed here.
      releaseDumpChannel(await channel);
    }
  }

  /**
   * The target, and its snapshot opened while the encryption and the folder are prepared (the keychain
   * and the connection each take tens of milliseconds). A problem with the encryption or the folder is
   * still said before one with the connection; a snapshot opened for a backup that failed is closed.
   */
  async #targetAndSnapshot(request: BackupRequest, options: Settings, scope: TunnelScope): Promise<{ target: BackupTarget; run: RunState }> {
    const resolved = await this.#deps.profiles.resolveForConnection(request.profile, scope);
    const profile = request.database ? { ...resolved.profile, database: request.database } : resolved.profile;
    const password = resolved.password;
    const snapshot = openSnapshot({ profile, password }, scope.signal);
    snapshot.catch(() => {}); // awaited below, after the output
    try {
      const target = { profile, password, ...(await this.#prepareOutput(request, options, profile)) };
      return { target, run: await snapshot };
    } catch (error) {
      void snapshot.then(cleanUp).catch(() => {}); // not awaited: a folder problem is said without waiting for a slow server
      throw error;
    }
  }

  /** The encryption, and the folder, created if need be. */
  async #prepareOutput(request: BackupRequest, options: Settings, profile: Profile): Promise<Pick<BackupTarget, 'encryption' | 'folder'>> {
    const encryption = await this.#deps.keys.resolveEncryption(request.encryption ?? { kind: 'settings' });
    const folder = request.outDir ?? profile.backupFolder ?? options.backupFolder ?? defaultBackupFolder(this.#deps.dataDir);
    // Private by default: other local users need not learn which hosts and databases exist.
    await mkdir(folder, { recursive: true, mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
      throw new LifeboatError('BACKUP_FAILED', `The backup folder ${folder} cannot be created (${error.code}).`, 'Choose a backup folder you can write to.');
    });
    await removeStalePartials(folder, await readdir(folder));
    return { encryption, folder };
  }

  /** The server's version, the matching pg_dump, and the compression and options it gets. */
  async #plan(request: BackupRequest, options: Settings, target: BackupTarget, run: RunState, started: Date, t0: number): Promise<BackupPlan> {
    const { session } = run;
    const server = await session.serverVersion();
    const serverMajor = serverMajorOf(server.versionNum);
    const pgDump = await this.#deps.tools.choose('pg_dump', serverMajor, server.version);
    const compression = chooseCompression(pgDump, request.compression ?? { method: options.compression, level: options.compressionLevel });
    if (compression.note) run.notes.push(compression.note);
    const rowCounts = request.exactRowCounts ?? options.exactRowCounts;
    const facts: BackupFacts = {
      appVersion: this.#deps.appVersion,
      profile: target.profile,
      server,
      pgDump,
      snapshotId: session.snapshotId,
      snapshotNote: session.note,
      started,
      compressionLabel: compression.label,
      rowCounts,
      encryption: target.encryption,
    };
    const includeRolePasswords = request.includeRolePasswords ?? options.includeRolePasswords;
    return { ...target, facts, serverMajor, compressionArg: compression.arg, includeRolePasswords, t0 };
  }

  /**
   * Dump & gather. pg_dump starts as soon as the snapshot is exported. Everything else that goes into
   * the archive's first entries (table list, object counts, canaries, pg_dumpall's globals) is
   * gathered meanwhile, in the same snapshot; the dump waits in its socket until then.
   */
  async #startDump(plan: BackupPlan, run: RunState, ctx: JobContext, shared: SharedParts, channel: DumpChannel | null): Promise<DumpInFlight> {
    ctx.report({ phase: 'Dumping', fraction: 0, message: null });
    const appName = `Lifeboat pg_dump ${process.pid}-${Date.now()}`;
    const progress = new DumpProgress(ctx);
    const tDump = performance.now();
    const running = startPgDump(plan, run, { appName, progress, channel, signal: ctx.signal });
    run.dump = running;

    const globals = shared.globals ?? this.#saveGlobals(plan, run);
    run.globalsRun = globals.catch(() => {});
    const tables = run.session.tables();
    tables.then((list) => progress.setTables(list), () => {});
    const counted = countTableRows(plan, run, tables);
    run.counting = counted.catch(() => {}); // awaited in finish()
    const metadata = gatherMetadata(plan, run, tables, appName, progress);
    const manifest = Promise.all([metadata, globals]).then(([meta, saved]): ArchiveManifest => {
      if (saved.note) run.notes.push(saved.note);
      run.tableCount = meta.tables.length;
      return buildManifest(plan.facts, meta, saved, run.notes);
    });
    // If the dump fails first, nobody awaits these: their failures are the dump's consequence.
    manifest.catch(() => {});
    const globalsSql = globals.then((saved) => saved.sql);
    globalsSql.catch(() => {});
    return { running, progress, tDump, globals, counted, manifest, globalsSql };
  }

  /** pg_dumpall --globals-only (roles and tablespaces), or a note saying why they were skipped. */
  #saveGlobals(plan: BackupPlan, run: RunState): Promise<SavedGlobals> {
    const { server } = plan.facts;
    const tGlobals = performance.now();
    return this.#deps.tools
      .choose('pg_dumpall', plan.serverMajor, server.version)
      .catch(() => null)
      .then((pgDumpall) => dumpGlobals(pgDumpall, plan.profile, run.libpq.env, plan.includeRolePasswords, run.signal).then((result) => ({ ...result, tool: pgDumpall, ms: performance.now() - tGlobals })));
  }

  /** Streams the archive to disk; verifies the dump at its end, then writes the tagged sidecar. */
  #writeArchive(plan: BackupPlan, run: RunState, inFlight: DumpInFlight, ctx: JobContext): Promise<WrittenArchive> {
    const { profile, started } = plan.facts;
    return writeArchiveFile({
      folder: plan.folder,
      fileName: archiveFileName(profile.name, profile.database, started),
      encryption: plan.encryption.age,
      signer: plan.encryption.signer,
      signal: ctx.signal,
      onProgress: ({ fileBytes }) => inFlight.progress.onBytes(fileBytes),
      content: {
        manifest: inFlight.manifest,
        globals: inFlight.globalsSql,
        dump: inFlight.running.output,
        finish: (dumpSummary, globalsSummary) => this.#verifyDump(plan, run, inFlight, ctx, dumpSummary, globalsSummary),
      },
      // Tagged: retention, the stale alert and drills count only sidecars this Lifeboat wrote.
      sidecar: async (written) => {
        const file = { name: written.fileName, bytes: written.bytes, sha256: written.sha256 };
        const sidecar = sidecarFor(await inFlight.manifest, written.checksums, file, { kind: plan.facts.encryption.kind, recipients: plan.facts.encryption.recipients });
        // Made to the own key: the file tag lets a restore know this very file without decrypting it twice.
        const fileTag = (await plan.encryption.signer?.fileTag({ sha256: written.sha256, bytes: written.bytes })) ?? null;
        return tagSidecar(fileTag ? { ...sidecar, fileTag } : sidecar, (await this.#deps.libraryKey?.get()) ?? null);
      },
    });
  }

  /** Runs after pg_dump's output has ended: fails unless pg_dump succeeded, then waits for the row counts and makes checksums.json. */
  async #verifyDump(plan: BackupPlan, run: RunState, inFlight: DumpInFlight, ctx: JobContext, dumpSummary: DumpSummary, globalsSummary: { sha256: string; bytes: number }): Promise<ArchiveChecksums> {
    const exit = await inFlight.running.exited;
    if (exit.code !== 0) {
      if (ctx.signal.aborted) throw new LifeboatError('CANCELLED', 'The backup was cancelled; nothing was kept.');
      if (!exit.signal && isLostConnection(exit.errors.join('\n'))) {
        throw new LifeboatError('BACKUP_FAILED', `pg_dump stopped: ${LOST_CONNECTION_SENTENCE} (${toolErrorSummary(exit.errors)}). Nothing was kept.`, LOST_CONNECTION_FIX);
      }
      throw new LifeboatError('BACKUP_FAILED', `pg_dump failed${exit.signal ? ` (killed by ${exit.signal})` : ` (exit code ${exit.code})`}: ${toolErrorSummary(exit.errors)}`, 'Check the message above; the server log may say more. Nothing was kept.');
    }
    const dumpMs = performance.now() - inFlight.tDump;
    inFlight.progress.ended(plan.facts.rowCounts ? 'Counting rows' : 'Finishing');
    const counts = await inFlight.counted.catch((error: unknown) => {
      throw new LifeboatError('BACKUP_FAILED', `Counting rows in the backup's snapshot failed: ${(error as Error).message}`, 'Retry the backup, or turn off exact row counts in Settings.');
    });
    if (plan.facts.rowCounts) inFlight.progress.ended('Finishing');
    const { ms: globalsMs } = await inFlight.globals;
    return {
      dump: dumpSummary,
      globals: globalsSummary,
      rowCounts: counts ? { exact: run.session.snapshotId !== null, tables: counts.counts } : null,
      finishedAt: this.#deps.clock.now().toISOString(),
      timings: { totalMs: Math.round(performance.now() - plan.t0), globalsMs: Math.round(globalsMs), dumpMs: Math.round(dumpMs), rowCountsMs: counts ? Math.round(counts.ms) : null },
    };
  }
}

/** Connect & snapshot: the exported-snapshot session and the tools' libpq environment, opened together; neither stays open if the other fails. */
async function openSnapshot(target: Pick<BackupTarget, 'profile' | 'password'>, jobSignal: AbortSignal): Promise<RunState> {
  const [opened, libpqResult] = await Promise.allSettled([SnapshotSession.open(target.profile, target.password), libpqEnvironment(target.profile, target.password)]);
  if (opened.status === 'rejected' || libpqResult.status === 'rejected') {
    if (opened.status === 'fulfilled') await opened.value.close();
    if (libpqResult.status === 'fulfilled') await libpqResult.value.dispose();
    throw opened.status === 'rejected' ? opened.reason : (libpqResult as PromiseRejectedResult).reason;
  }
  const session = opened.value;
  const stop = new AbortController();
  return {
    session,
    libpq: libpqResult.value,
    notes: session.note ? [session.note] : [],
    stop,
    signal: AbortSignal.any([jobSignal, stop.signal]),
    dump: null,
    poll: null,
    counting: Promise.resolve(),
    globalsRun: Promise.resolve(),
    tableCount: 0,
  };
}

/**
 * pg_dump writing into `channel` when there is one (the archive's worker thread reads the other end;
 * this thread's copy of pg_dump's end is closed once pg_dump has its own), else into its stdout stream.
 */
function startPgDump(plan: BackupPlan, run: RunState, how: { appName: string; progress: DumpProgress; channel: DumpChannel | null; signal: AbortSignal }): DumpProcess {
  const { snapshotId } = run.session;
  const options = {
    path: plan.facts.pgDump.path,
    args: ['--format=custom', '--verbose', '--no-password', `--compress=${plan.compressionArg}`, ...(snapshotId ? [`--snapshot=${snapshotId}`] : [])],
    env: { ...run.libpq.env, PGAPPNAME: how.appName },
    signal: how.signal,
    onLine: (line: string) => how.progress.onDumpLine(line),
  };
  if (!how.channel) {
    const proc = startTool(options);
    return { ...proc, output: proc.stdout };
  }
  try {
    return { ...startToolWritingTo(how.channel.stdout, options), output: { channel: how.channel } };
  } finally {
    closeDumpStdout(how.channel);
  }
}

/** Exact row counts in the backup's snapshot, on a second connection; null when they are off. */
function countTableRows(plan: BackupPlan, run: RunState, tables: Promise<LiveTable[]>): Promise<{ counts: TableRowCount[]; ms: number } | null> {
  const tCounts = performance.now();
  return plan.facts.rowCounts
    ? tables.then((list) => countRows(plan.profile, plan.password, run.session.snapshotId, list, run.signal)).then((counts) => ({ counts, ms: performance.now() - tCounts }))
    : Promise.resolve(null);
}

/** Table list, object counts and canaries from the snapshot; then the session polls the live COPY progress. */
async function gatherMetadata(plan: BackupPlan, run: RunState, tables: Promise<LiveTable[]>, appName: string, progress: DumpProgress): Promise<SnapshotMetadata> {
  const { session, notes, signal } = run;
  const { profile } = plan;
  const list = await tables;
  const objectCounts = await session.objectCounts();
  const canaries = profile.canaryQueries?.length ? await session.canaries(profile.canaryQueries) : [];
  for (const failed of canaries.filter((c) => c.error)) notes.push(`Canary "${failed.name}" failed at backup time: ${failed.error}`);
  // The snapshot session is free now: poll the live COPY progress on it (PostgreSQL 14+).
  if (plan.serverMajor >= 14 && !signal.aborted) {
    run.poll = setInterval(() => {
      session.copyProgress(appName).then((copy) => progress.onCopyProgress(copy), () => {});
    }, POLL_MS);
  }
  return { tables: list, objectCounts, canaries };
}

/** Any failure once the job is cancelled is reported as the cancel (its cause kept). */
function asCancelled(error: unknown, ctx: JobContext): unknown {
  if (ctx.signal.aborted && !(error instanceof LifeboatError && error.code === 'CANCELLED')) {
    return new LifeboatError('CANCELLED', 'The backup was cancelled; nothing was kept.', undefined, { cause: error });
  }
  return error;
}

/** Clean up, whatever happened: stop the polling and pg_dump, wait for the helpers, close the connections. */
async function cleanUp(run: RunState): Promise<void> {
  run.stop.abort();
  if (run.poll) clearInterval(run.poll);
  run.dump?.kill();
  await run.dump?.exited.catch(() => {});
  await Promise.all([run.counting, run.globalsRun]);
  await run.session.close();
  await run.libpq.dispose();
}
async function dumpGlobals(tool: PgTool | null, profile: Profile, env: NodeJS.ProcessEnv, withPasswords: boolean, signal: AbortSignal): Promise<{ sql: Buffer; kind: ArchiveManifest['options']['globals']; note: string | null }> {
  const skipped = (reason: string) => ({
    sql: Buffer.from(`-- Lifeboat: roles and tablespaces were not saved: ${reason}\n`),
    kind: 'skipped' as const,
    note: `Roles and tablespaces (globals.sql) were not saved: ${reason}`,
  });
  if (!tool) return skipped('no pg_dumpall was found');
  const proc = startTool({
    path: tool.path,
    // pg_dumpall expands --database as a connection string when it looks like one: pass the name quoted.
    args: ['--globals-only', '--no-password', `--database=${dbnameConninfo(profile.database)}`, ...(withPasswords ? [] : ['--no-role-passwords'])],
    env,
    signal,
  });
  const chunks: Buffer[] = [];
  for await (const chunk of proc.stdout) chunks.push(chunk as Buffer);
  const exit = await proc.exited;
  signal.throwIfAborted();
  if (exit.code !== 0) return skipped(toolErrorSummary(exit.errors));
  return { sql: Buffer.concat(chunks), kind: withPasswords ? 'roles-with-passwords' : 'roles-without-passwords', note: null };
}

/** zstd needs pg_dump 16+ (client-side, so any server works); older tools fall back to gzip. */
function chooseCompression(pgDump: PgTool, wanted: { method: 'zstd' | 'gzip'; level: number }): { arg: string; label: string; note: string | null } {
  if (wanted.method === 'zstd' && pgDump.major >= 16) {
    const level = Math.min(Math.max(Math.round(wanted.level), 1), 19);
    return { arg: `zstd:${level}`, label: `zstd:${level}`, note: null };
  }
  const level = Math.min(Math.max(Math.round(wanted.method === 'gzip' ? wanted.level : 6), 0), 9);
  const note = wanted.method === 'zstd' ? `pg_dump ${pgDump.version} cannot write zstd; gzip level ${level} was used.` : null;
  return { arg: pgDump.major >= 16 ? `gzip:${level}` : String(level), label: `gzip:${level}`, note };
}

