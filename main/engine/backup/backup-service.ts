import { mkdir, readdir } from 'node:fs/promises';
import { ARCHIVE_FORMAT, ARCHIVE_FORMAT_VERSION, type ArchiveChecksums, type ArchiveManifest, type ArchiveSidecar, type TableRowCount } from '../archive/archive-format.ts';
import { archiveFileName } from '../archive/archive-names.ts';
import { writeArchiveFile } from '../archive/archive-writer.ts';
import { removeStalePartials } from '../archive/library-service.ts';
import { LifeboatError } from '../errors.ts';
import { startJob, RateMeter, type Job, type JobContext } from '../jobs/job.ts';
import type { EncryptionChoice, KeyService } from '../keys/key-service.ts';
import { defaultBackupFolder } from '../paths/data-dir.ts';
import { libpqEnvironment } from '../pgtools/libpq-env.ts';
import { startTool, toolErrorSummary } from '../pgtools/tool-process.ts';
import type { ToolResolver } from '../pgtools/tool-resolver.ts';
import { serverMajorOf } from '../pgtools/tool-version.ts';
import type { Clock } from '../ports.ts';
import type { ProfileService } from '../profiles/profile-service.ts';
import type { SettingsStore } from '../settings/settings-store.ts';
import type { PgTool, Profile } from '../types.ts';
import { countRows, SnapshotSession, type LiveTable } from './snapshot-session.ts';

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
}

export interface BackupResult {
  archive: string;
  sidecar: ArchiveSidecar;
  sha256: string;
  bytes: number;
  tables: number;
  totalRows: number | null;
  durationMs: number;
  notes: string[];
  /** True when this backup created Lifeboat's key: the user must export the recovery key. */
  keyCreated: boolean;
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
}

export class BackupService {
  readonly #deps: BackupDeps;

  constructor(deps: BackupDeps) {
    this.#deps = deps;
  }

  start(request: BackupRequest): Job<BackupResult> {
    return startJob('backup', (ctx) => this.#run(request, ctx));
  }

  async #run(request: BackupRequest, ctx: JobContext): Promise<BackupResult> {
    const { profiles, tools, keys, settings, clock } = this.#deps;
    const started = clock.now();
    const t0 = performance.now();
    const options = settings.get();
    ctx.report({ phase: 'Connecting', message: 'Opening a consistent snapshot' });

    const resolved = await profiles.resolveForConnection(request.profile);
    const profile = request.database ? { ...resolved.profile, database: request.database } : resolved.profile;
    const password = resolved.password;
    const encryption = await keys.resolveEncryption(request.encryption ?? { kind: 'settings' });
    const folder = request.outDir ?? profile.backupFolder ?? options.backupFolder ?? defaultBackupFolder(this.#deps.dataDir);
    await mkdir(folder, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
      throw new LifeboatError('BACKUP_FAILED', `The backup folder ${folder} cannot be created (${error.code}).`, 'Choose a backup folder you can write to.');
    });
    await removeStalePartials(folder, await readdir(folder));

    const session = await SnapshotSession.open(profile, password);
    const libpq = await libpqEnvironment(profile, password);
    const notes: string[] = session.note ? [session.note] : [];
    let dump: ReturnType<typeof startTool> | null = null;
    let poll: NodeJS.Timeout | null = null;
    try {
      const server = await session.serverVersion();
      const serverMajor = serverMajorOf(server.versionNum);
      const pgDump = await tools.choose('pg_dump', serverMajor, server.version);
      const pgDumpall = await tools.choose('pg_dumpall', serverMajor, server.version).catch(() => null);
      const tables = await session.tables();
      const objectCounts = await session.objectCounts();
      const canaries = profile.canaryQueries?.length ? await session.canaries(profile.canaryQueries) : [];
      for (const failed of canaries.filter((c) => c.error)) notes.push(`Canary "${failed.name}" failed at backup time: ${failed.error}`);
      ctx.signal.throwIfAborted();

      ctx.report({ phase: 'Saving roles', message: 'pg_dumpall --globals-only' });
      const tGlobals = performance.now();
      const includeRolePasswords = request.includeRolePasswords ?? options.includeRolePasswords;
      const globals = await dumpGlobals(pgDumpall, profile, libpq.env, includeRolePasswords, ctx.signal);
      if (globals.note) notes.push(globals.note);
      const globalsMs = performance.now() - tGlobals;

      const compression = chooseCompression(pgDump, request.compression ?? { method: options.compression, level: options.compressionLevel });
      if (compression.note) notes.push(compression.note);
      const rowCountsOn = request.exactRowCounts ?? options.exactRowCounts;
      const manifest: ArchiveManifest = {
        format: ARCHIVE_FORMAT,
        formatVersion: ARCHIVE_FORMAT_VERSION,
        createdBy: `Lifeboat ${this.#deps.appVersion}`,
        source: { profile: profile.name, host: profile.host, port: profile.port, database: profile.database, user: profile.user },
        server,
        tools: { pg_dump: { version: pgDump.version, path: pgDump.path }, pg_dumpall: pgDumpall ? { version: pgDumpall.version, path: pgDumpall.path } : null },
        snapshot: { id: session.snapshotId, exact: session.snapshotId !== null, note: session.note },
        startedAt: started.toISOString(),
        options: { compression: compression.label, partSize: 8 * 1024 * 1024, globals: globals.kind, rowCounts: rowCountsOn, encryption: encryption.kind },
        tables: tables.map(({ oid: _oid, ...table }) => table),
        objectCounts,
        canaries,
        notes,
      };

      // pg_dump and the row counter start together, on the same snapshot.
      ctx.report({ phase: 'Dumping', fraction: 0, message: null });
      const appName = `Lifeboat pg_dump ${process.pid}-${Date.now()}`;
      const progress = new DumpProgress(tables, ctx, clock);
      const tDump = performance.now();
      dump = startTool({
        path: pgDump.path,
        args: ['--format=custom', '--verbose', '--no-password', `--compress=${compression.arg}`, ...(session.snapshotId ? [`--snapshot=${session.snapshotId}`] : [])],
        env: { ...libpq.env, PGAPPNAME: appName },
        signal: ctx.signal,
        onLine: (line) => progress.onDumpLine(line),
      });
      const tCounts = performance.now();
      const counting: Promise<{ counts: TableRowCount[]; ms: number } | null> = rowCountsOn
        ? countRows(profile, password, session.snapshotId, tables, ctx.signal).then((counts) => ({ counts, ms: performance.now() - tCounts }))
        : Promise.resolve(null);
      counting.catch(() => {}); // awaited in finish()
      if (serverMajor >= 14) {
        poll = setInterval(() => {
          session.copyProgress(appName).then((copy) => progress.onCopyProgress(copy), () => {});
        }, POLL_MS);
      }
      const running = dump;

      const written = await writeArchiveFile({
        folder,
        fileName: archiveFileName(profile.name, profile.database, started),
        encryption: encryption.age,
        signal: ctx.signal,
        onProgress: ({ fileBytes }) => progress.onBytes(fileBytes),
        content: {
          manifest,
          globals: globals.sql,
          dump: running.stdout,
          finish: async (dumpSummary, globalsSummary): Promise<ArchiveChecksums> => {
            const exit = await running.exited;
            if (exit.code !== 0) {
              if (ctx.signal.aborted) throw new LifeboatError('CANCELLED', 'The backup was cancelled; nothing was kept.');
              throw new LifeboatError('BACKUP_FAILED', `pg_dump failed${exit.signal ? ` (killed by ${exit.signal})` : ` (exit code ${exit.code})`}: ${toolErrorSummary(exit.errors)}`, 'Check the message above; the server log may say more. Nothing was kept.');
            }
            const dumpMs = performance.now() - tDump;
            ctx.report({ phase: rowCountsOn ? 'Counting rows' : 'Finishing', fraction: 0.99 });
            const counted = await counting.catch((error: unknown) => {
              throw new LifeboatError('BACKUP_FAILED', `Counting rows in the backup's snapshot failed: ${(error as Error).message}`, 'Retry the backup, or turn off exact row counts in Settings.');
            });
            return {
              dump: dumpSummary,
              globals: globalsSummary,
              rowCounts: counted ? { exact: session.snapshotId !== null, tables: counted.counts } : null,
              finishedAt: clock.now().toISOString(),
              timings: { totalMs: Math.round(performance.now() - t0), globalsMs: Math.round(globalsMs), dumpMs: Math.round(dumpMs), rowCountsMs: counted ? Math.round(counted.ms) : null },
            };
          },
        },
        sidecar: ({ bytes, sha256, checksums, fileName }) => ({
          sidecarVersion: 1,
          archive: fileName,
          formatVersion: ARCHIVE_FORMAT_VERSION,
          profile: profile.name,
          host: profile.host,
          port: profile.port,
          database: profile.database,
          serverVersion: server.version,
          pgDumpVersion: pgDump.version,
          createdAt: started.toISOString(),
          finishedAt: checksums.finishedAt,
          durationMs: checksums.timings.totalMs,
          bytes,
          sha256,
          encryption: { kind: encryption.kind, recipients: encryption.recipients },
          compression: compression.label,
          tables: tables.length,
          totalRows: checksums.rowCounts ? checksums.rowCounts.tables.reduce((sum, t) => sum + t.rows, 0) : null,
          rowCountsExact: checksums.rowCounts?.exact ?? false,
          dumpBytes: checksums.dump.bytes,
        }),
      });
      ctx.report({ phase: 'Done', fraction: 1, message: written.path });
      return {
        archive: written.path,
        sidecar: written.sidecar,
        sha256: written.sha256,
        bytes: written.bytes,
        tables: tables.length,
        totalRows: written.sidecar.totalRows,
        durationMs: Math.round(performance.now() - t0),
        notes,
        keyCreated: encryption.keyCreated,
      };
    } catch (error) {
      if (ctx.signal.aborted && !(error instanceof LifeboatError && error.code === 'CANCELLED')) {
        throw new LifeboatError('CANCELLED', 'The backup was cancelled; nothing was kept.', undefined, { cause: error });
      }
      throw error;
    } finally {
      if (poll) clearInterval(poll);
      dump?.kill();
      await dump?.exited.catch(() => {});
      await session.close();
      await libpq.dispose();
    }
  }
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
    args: ['--globals-only', '--no-password', `--database=${profile.database}`, ...(withPasswords ? [] : ['--no-role-passwords'])],
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

/** Percent from table sizes: finished tables, plus the live COPY of the current one (PG 14+). */
class DumpProgress {
  readonly #tables: LiveTable[];
  readonly #byName = new Map<string, LiveTable>();
  readonly #byOid = new Map<number, LiveTable>();
  readonly #ctx: JobContext;
  readonly #rate = new RateMeter();
  readonly #totalBytes: number;
  #doneBytes = 0;
  #current: LiveTable | null = null;
  #currentFraction = 0;
  #fileBytes = 0;
  #lastFraction = 0;
  #started = performance.now();
  #lastReport = 0;

  constructor(tables: LiveTable[], ctx: JobContext, _clock: Clock) {
    this.#tables = tables;
    this.#ctx = ctx;
    for (const table of tables) {
      this.#byName.set(`${table.schema}.${table.name}`, table);
      this.#byOid.set(table.oid, table);
    }
    // Every table weighs at least one page, so schemas of empty tables still move the bar.
    this.#totalBytes = tables.reduce((sum, t) => sum + weight(t), 0) || 1;
  }

  onDumpLine(line: string): boolean {
    const match = /dumping contents of table "(.+)"$/.exec(line);
    if (!match) return /^pg_dump: (?!error|warning|detail|hint)/.test(line);
    if (this.#current) this.#doneBytes += weight(this.#current);
    this.#current = this.#byName.get(match[1]!) ?? null;
    this.#currentFraction = 0;
    this.#emit(true);
    return true;
  }

  onCopyProgress(copy: { relid: number; tuples: number; bytes: number } | null): void {
    if (!copy || !this.#current || this.#byOid.get(copy.relid) !== this.#current) return;
    const table = this.#current;
    const fraction = table.estimatedRows > 0 ? copy.tuples / table.estimatedRows : table.estimatedBytes > 0 ? copy.bytes / table.estimatedBytes : 0;
    this.#currentFraction = Math.min(Math.max(fraction, 0), 0.98);
    this.#emit(true);
  }

  onBytes(fileBytes: number): void {
    this.#fileBytes = fileBytes;
    this.#emit(false);
  }

  #emit(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.#lastReport < 250) return;
    this.#lastReport = now;
    const raw = (this.#doneBytes + (this.#current ? weight(this.#current) * this.#currentFraction : 0)) / this.#totalBytes;
    // Never backwards, never 100 % before the archive is complete.
    this.#lastFraction = Math.max(this.#lastFraction, Math.min(raw, 0.98));
    const elapsed = (now - this.#started) / 1000;
    const eta = this.#lastFraction > 0.02 && elapsed > 1 ? Math.round((elapsed * (1 - this.#lastFraction)) / this.#lastFraction) : null;
    this.#ctx.report({
      phase: 'Dumping',
      fraction: this.#lastFraction,
      bytes: this.#fileBytes,
      bytesPerSecond: this.#rate.sample(this.#fileBytes, now),
      etaSeconds: eta,
      currentItem: this.#current ? `${this.#current.schema}.${this.#current.name}` : null,
      message: `${this.#tables.length} tables`,
    });
  }
}

const weight = (table: LiveTable) => Math.max(table.estimatedBytes, 8192);

