import { mkdir, readdir } from 'node:fs/promises';
import { ARCHIVE_FORMAT, ARCHIVE_FORMAT_VERSION, type ArchiveChecksums, type ArchiveManifest, type ArchiveSidecar, type TableRowCount } from '../archive/archive-format.ts';
import { archiveFileName } from '../archive/archive-names.ts';
import { writeArchiveFile } from '../archive/archive-writer.ts';
import { tagSidecar, type LibraryKey } from '../archive/sidecar-tag.ts';
import { removeStalePartials } from '../archive/library-service.ts';
import { LifeboatError } from '../errors.ts';
import { startJob, RateMeter, type Job, type JobContext } from '../jobs/job.ts';
import type { EncryptionChoice, KeyService } from '../keys/key-service.ts';
import { defaultBackupFolder } from '../paths/data-dir.ts';
import { dbnameConninfo, libpqEnvironment } from '../pgtools/libpq-env.ts';
import { isLostConnection, LOST_CONNECTION_FIX, LOST_CONNECTION_SENTENCE } from '../pgtools/lost-connection.ts';
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
  /** Tags each sidecar as this Lifeboat's (sidecar-tag.ts); without it (or without a key) sidecars are written untagged. */
  libraryKey?: LibraryKey;
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
    // Finding the PostgreSQL tools overlaps with the keychain and the connection; choose() waits for it.
    tools.list().catch(() => {});

    const resolved = await profiles.resolveForConnection(request.profile);
    const profile = request.database ? { ...resolved.profile, database: request.database } : resolved.profile;
    const password = resolved.password;
    const encryption = await keys.resolveEncryption(request.encryption ?? { kind: 'settings' });
    const folder = request.outDir ?? profile.backupFolder ?? options.backupFolder ?? defaultBackupFolder(this.#deps.dataDir);
    // Private by default: other local users need not learn which hosts and databases exist.
    await mkdir(folder, { recursive: true, mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
      throw new LifeboatError('BACKUP_FAILED', `The backup folder ${folder} cannot be created (${error.code}).`, 'Choose a backup folder you can write to.');
    });
    await removeStalePartials(folder, await readdir(folder));

    const [opened, libpqResult] = await Promise.allSettled([SnapshotSession.open(profile, password), libpqEnvironment(profile, password)]);
    if (opened.status === 'rejected' || libpqResult.status === 'rejected') {
      if (opened.status === 'fulfilled') await opened.value.close();
      if (libpqResult.status === 'fulfilled') await libpqResult.value.dispose();
      throw opened.status === 'rejected' ? opened.reason : (libpqResult as PromiseRejectedResult).reason;
    }
    const session = opened.value;
    const libpq = libpqResult.value;
    const notes: string[] = session.note ? [session.note] : [];
    // Stops the row counter and the progress polling when the backup ends for any reason.
    const stop = new AbortController();
    const signal = AbortSignal.any([ctx.signal, stop.signal]);
    let dump: ReturnType<typeof startTool> | null = null;
    let poll: NodeJS.Timeout | null = null;
    let counting: Promise<unknown> = Promise.resolve();
    let globalsRun: Promise<unknown> = Promise.resolve();
    let tableCount = 0;
    try {
      const server = await session.serverVersion();
      const serverMajor = serverMajorOf(server.versionNum);
      const pgDump = await tools.choose('pg_dump', serverMajor, server.version);
      const compression = chooseCompression(pgDump, request.compression ?? { method: options.compression, level: options.compressionLevel });
      if (compression.note) notes.push(compression.note);
      const rowCountsOn = request.exactRowCounts ?? options.exactRowCounts;
      ctx.signal.throwIfAborted();

      // pg_dump starts as soon as the snapshot is exported. Everything else that goes into the
      // archive's first entries (table list, object counts, canaries, pg_dumpall's globals) is
      // gathered meanwhile, in the same snapshot; the dump waits in its pipe until then.
      ctx.report({ phase: 'Dumping', fraction: 0, message: null });
      const appName = `Lifeboat pg_dump ${process.pid}-${Date.now()}`;
      const progress = new DumpProgress(ctx);
      const tDump = performance.now();
      dump = startTool({
        path: pgDump.path,
        args: ['--format=custom', '--verbose', '--no-password', `--compress=${compression.arg}`, ...(session.snapshotId ? [`--snapshot=${session.snapshotId}`] : [])],
        env: { ...libpq.env, PGAPPNAME: appName },
        signal: ctx.signal,
        onLine: (line) => progress.onDumpLine(line),
      });
      const running = dump;

      const tGlobals = performance.now();
      const includeRolePasswords = request.includeRolePasswords ?? options.includeRolePasswords;
      const globals = tools
        .choose('pg_dumpall', serverMajor, server.version)
        .catch(() => null)
        .then((pgDumpall) => dumpGlobals(pgDumpall, profile, libpq.env, includeRolePasswords, signal).then((result) => ({ ...result, tool: pgDumpall, ms: performance.now() - tGlobals })));
      globalsRun = globals.catch(() => {});
      const tables = session.tables();
      tables.then((list) => progress.setTables(list), () => {});
      const tCounts = performance.now();
      const counted: Promise<{ counts: TableRowCount[]; ms: number } | null> = rowCountsOn
        ? tables.then((list) => countRows(profile, password, session.snapshotId, list, signal)).then((counts) => ({ counts, ms: performance.now() - tCounts }))
        : Promise.resolve(null);
      counting = counted.catch(() => {}); // awaited in finish()
      const metadata = (async () => {
        const list = await tables;
        const objectCounts = await session.objectCounts();
        const canaries = profile.canaryQueries?.length ? await session.canaries(profile.canaryQueries) : [];
        for (const failed of canaries.filter((c) => c.error)) notes.push(`Canary "${failed.name}" failed at backup time: ${failed.error}`);
        // The snapshot session is free now: poll the live COPY progress on it (PostgreSQL 14+).
        if (serverMajor >= 14 && !signal.aborted) {
          poll = setInterval(() => {
            session.copyProgress(appName).then((copy) => progress.onCopyProgress(copy), () => {});
          }, POLL_MS);
        }
        return { tables: list, objectCounts, canaries };
      })();
      const manifest = Promise.all([metadata, globals]).then(([meta, saved]): ArchiveManifest => {
        if (saved.note) notes.push(saved.note);
        tableCount = meta.tables.length;
        return {
          format: ARCHIVE_FORMAT,
          formatVersion: ARCHIVE_FORMAT_VERSION,
          createdBy: `Lifeboat ${this.#deps.appVersion}`,
          source: { profile: profile.name, host: profile.host, port: profile.port, database: profile.database, user: profile.user },
          server,
          tools: { pg_dump: { version: pgDump.version, path: pgDump.path }, pg_dumpall: saved.tool ? { version: saved.tool.version, path: saved.tool.path } : null },
          snapshot: { id: session.snapshotId, exact: session.snapshotId !== null, note: session.note },
          startedAt: started.toISOString(),
          options: { compression: compression.label, partSize: 8 * 1024 * 1024, globals: saved.kind, rowCounts: rowCountsOn, encryption: encryption.kind },
          tables: meta.tables.map(({ oid: _oid, ...table }) => table),
          objectCounts: meta.objectCounts,
          canaries: meta.canaries,
          notes,
        };
      });
      // If the dump fails first, nobody awaits these: their failures are the dump's consequence.
      manifest.catch(() => {});
      const globalsSql = globals.then((saved) => saved.sql);
      globalsSql.catch(() => {});

      const written = await writeArchiveFile({
        folder,
        fileName: archiveFileName(profile.name, profile.database, started),
        encryption: encryption.age,
        signer: encryption.signer,
        signal: ctx.signal,
        onProgress: ({ fileBytes }) => progress.onBytes(fileBytes),
        content: {
          manifest,
          globals: globalsSql,
          dump: running.stdout,
          finish: async (dumpSummary, globalsSummary): Promise<ArchiveChecksums> => {
            const exit = await running.exited;
            if (exit.code !== 0) {
              if (ctx.signal.aborted) throw new LifeboatError('CANCELLED', 'The backup was cancelled; nothing was kept.');
              if (!exit.signal && isLostConnection(exit.errors.join('\n'))) {
                throw new LifeboatError('BACKUP_FAILED', `pg_dump stopped: ${LOST_CONNECTION_SENTENCE} (${toolErrorSummary(exit.errors)}). Nothing was kept.`, LOST_CONNECTION_FIX);
              }
              throw new LifeboatError('BACKUP_FAILED', `pg_dump failed${exit.signal ? ` (killed by ${exit.signal})` : ` (exit code ${exit.code})`}: ${toolErrorSummary(exit.errors)}`, 'Check the message above; the server log may say more. Nothing was kept.');
            }
            const dumpMs = performance.now() - tDump;
            ctx.report({ phase: rowCountsOn ? 'Counting rows' : 'Finishing', fraction: 0.99 });
            const counts = await counted.catch((error: unknown) => {
              throw new LifeboatError('BACKUP_FAILED', `Counting rows in the backup's snapshot failed: ${(error as Error).message}`, 'Retry the backup, or turn off exact row counts in Settings.');
            });
            const { ms: globalsMs } = await globals;
            return {
              dump: dumpSummary,
              globals: globalsSummary,
              rowCounts: counts ? { exact: session.snapshotId !== null, tables: counts.counts } : null,
              finishedAt: clock.now().toISOString(),
              timings: { totalMs: Math.round(performance.now() - t0), globalsMs: Math.round(globalsMs), dumpMs: Math.round(dumpMs), rowCountsMs: counts ? Math.round(counts.ms) : null },
            };
          },
        },
        // Tagged: retention, the stale alert and drills count only sidecars this Lifeboat wrote.
        sidecar: async ({ bytes, sha256, checksums, fileName }) => tagSidecar({
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
          tables: tableCount,
          totalRows: checksums.rowCounts ? checksums.rowCounts.tables.reduce((sum, t) => sum + t.rows, 0) : null,
          rowCountsExact: checksums.rowCounts?.exact ?? false,
          dumpBytes: checksums.dump.bytes,
        }, (await this.#deps.libraryKey?.get()) ?? null),
      });
      ctx.report({ phase: 'Done', fraction: 1, message: written.path });
      return {
        archive: written.path,
        sidecar: written.sidecar,
        sha256: written.sha256,
        bytes: written.bytes,
        tables: tableCount,
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
      stop.abort();
      if (poll) clearInterval(poll);
      dump?.kill();
      await dump?.exited.catch(() => {});
      await Promise.all([counting, globalsRun]);
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

/** Percent from table sizes: finished tables, plus the live COPY of the current one (PG 14+). */
class DumpProgress {
  readonly #byName = new Map<string, LiveTable>();
  readonly #byOid = new Map<number, LiveTable>();
  readonly #ctx: JobContext;
  readonly #rate = new RateMeter();
  /** Tables pg_dump has started, in order; known before the table list may be. */
  readonly #started: string[] = [];
  #tables: LiveTable[] | null = null;
  #totalBytes = 1;
  /** Weight of the tables pg_dump has finished (all started but the last). */
  #doneBytes = 0;
  #currentFraction = 0;
  #fileBytes = 0;
  #lastFraction = 0;
  #startedAt = performance.now();
  #lastReport = 0;

  constructor(ctx: JobContext) {
    this.#ctx = ctx;
  }

  setTables(tables: LiveTable[]): void {
    this.#tables = tables;
    for (const table of tables) {
      this.#byName.set(`${table.schema}.${table.name}`, table);
      this.#byOid.set(table.oid, table);
    }
    // Every table weighs at least one page, so schemas of empty tables still move the bar.
    this.#totalBytes = tables.reduce((sum, t) => sum + weight(t), 0) || 1;
    for (const name of this.#started.slice(0, -1)) this.#doneBytes += this.#weightOf(name);
    this.#emit(true);
  }

  onDumpLine(line: string): boolean {
    const match = /dumping contents of table "(.+)"$/.exec(line);
    if (!match) return /^pg_dump: (?!error|warning|detail|hint)/.test(line);
    const previous = this.#started.at(-1);
    if (previous !== undefined && this.#tables) this.#doneBytes += this.#weightOf(previous);
    this.#started.push(match[1]!);
    this.#currentFraction = 0;
    this.#emit(true);
    return true;
  }

  onCopyProgress(copy: { relid: number; tuples: number; bytes: number } | null): void {
    const current = this.#current();
    if (!copy || !current || this.#byOid.get(copy.relid) !== current) return;
    const fraction = current.estimatedRows > 0 ? copy.tuples / current.estimatedRows : current.estimatedBytes > 0 ? copy.bytes / current.estimatedBytes : 0;
    this.#currentFraction = Math.min(Math.max(fraction, 0), 0.98);
    this.#emit(true);
  }

  onBytes(fileBytes: number): void {
    this.#fileBytes = fileBytes;
    this.#emit(false);
  }

  #weightOf(name: string): number {
    const table = this.#byName.get(name);
    return table ? weight(table) : 0;
  }

  #current(): LiveTable | null {
    const name = this.#started.at(-1);
    return name === undefined ? null : (this.#byName.get(name) ?? null);
  }

  #emit(force: boolean): void {
    if (!this.#tables) return;
    const now = performance.now();
    if (!force && now - this.#lastReport < 250) return;
    this.#lastReport = now;
    const current = this.#current();
    const raw = (this.#doneBytes + (current ? weight(current) * this.#currentFraction : 0)) / this.#totalBytes;
    // Never backwards, never 100 % before the archive is complete.
    this.#lastFraction = Math.max(this.#lastFraction, Math.min(raw, 0.98));
    const elapsed = (now - this.#startedAt) / 1000;
    const eta = this.#lastFraction > 0.02 && elapsed > 1 ? Math.round((elapsed * (1 - this.#lastFraction)) / this.#lastFraction) : null;
    const count = this.#tables.length;
    this.#ctx.report({
      phase: 'Dumping',
      fraction: this.#lastFraction,
      bytes: this.#fileBytes,
      bytesPerSecond: this.#rate.sample(this.#fileBytes, now),
      etaSeconds: eta,
      currentItem: this.#started.at(-1) ?? null,
      message: `${count} ${count === 1 ? 'table' : 'tables'}`,
    });
  }
}

const weight = (table: LiveTable) => Math.max(table.estimatedBytes, 8192);

