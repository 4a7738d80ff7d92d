// What a dropped file is and holds. The safety checklist before any database is touched is restore-checklist.ts.
import { createHash } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import { SIDECAR_SUFFIX, type ArchiveManifest, type ArchiveSidecar } from '../archive/archive-format.ts';
import { readSidecarFile } from '../archive/sidecar-file.ts';
import { walkPlaintext, type ArchiveWalk } from '../archive/archive-reader.ts';
import type { AgeKeys } from '../crypto/age-decrypt.ts';
import { COULD_NOT_READ_FILE_CODES, isCodeIn, LifeboatError } from '../errors.ts';
import { parseToolVersion } from '../pgtools/tool-version.ts';
import type { PgTool } from '../types.ts';
import { fileIdentity, openSource, type OpenedSource } from './restore-source.ts';
import { SqlGuard } from './sql-guard.ts';
import { TRUST_PHRASE } from './unsafe-statements.ts';
import { SqlLineSplitter } from './sql-pipeline.ts';
import { listToc, startSchemaScan, startTocListing, type TocListing } from './toc-listing.ts';
import type { TocDat } from './toc-dat.ts';
import { runsTrusted, type PreflightOptions } from './restore-checklist.ts';
import type { InspectedTable, Inspection } from './inspection.ts';

// The checklist is restore-checklist.ts; its names stay importable from here.
export { buildChecklist, firstBlocker, roleChoices, runsRestricted, runsTrusted } from './restore-checklist.ts';
export type { CheckItem, CheckStatus, PreflightOptions, RoleChoice, TargetState } from './restore-checklist.ts';

export type { InspectedTable, Inspection } from './inspection.ts';

type SchemaDefinitions = Awaited<ReturnType<ReturnType<typeof startSchemaScan>['finish']>>;
type PgRestoreFor = (dumpMajor: number | null) => Promise<PgTool>;
interface InspectOptions { quick?: boolean; trusted?: AgeKeys }

/** Reads the whole file once: Lifeboat archives are verified, SQL is scanned, pg archives' TOCs listed. */
export async function inspectFile(file: string, keys: AgeKeys, pgRestoreFor: PgRestoreFor, signal?: AbortSignal, options: InspectOptions = {}): Promise<Inspection> {
  // With a sidecar to compare it to, the file's own sha256 is taken on this read instead of another one.
  const raw = !options.quick && (await hasSidecar(file)) ? rawHash() : null;
  const source = await openSource(file, keys, { signal, ...(raw ? { onRawChunk: raw.update } : {}) });
  const base = emptyInspection(source);
  try {
    if (source.inner === 'lifeboat-tar') Object.assign(base, await readLifeboat(source, file, keys, pgRestoreFor, signal, options));
    else if (source.inner === 'sql') await readSql(source, base);
    else Object.assign(base, await readPgArchive(source, pgRestoreFor, signal));
  } catch (error) {
    if (!(error instanceof LifeboatError) || isCodeIn(COULD_NOT_READ_FILE_CODES, error.code)) throw error;
    base.problem = error.toInfo();
  } finally {
    await source.close();
  }
  // A quick read (up to the table of contents) is returned as it was read.
  if (base.quick) return base;
  // What was read vouches only for the file as it still is.
  if (base.fileIdentity && (await fileIdentity(file)) !== base.fileIdentity) base.fileIdentity = null;
  if (base.fileIdentity && raw && raw.bytes() === base.size) base.fileSha256 = raw.digest();
  return base;
}

async function hasSidecar(file: string): Promise<boolean> {
  return lstat(`${file}${SIDECAR_SUFFIX}`).then(() => true, () => false);
}

/** The sha256 of the raw bytes read, and how many there were (a walk that stops early has not seen them all). */
function rawHash(): { update: (chunk: Buffer) => void; bytes: () => number; digest: () => string } {
  const hash = createHash('sha256');
  let bytes = 0;
  return {
    update: (chunk) => {
      hash.update(chunk);
      bytes += chunk.length;
    },
    bytes: () => bytes,
    digest: () => hash.digest('hex'),
  };
}

/** What is known of a file once it is opened, before its contents are read. */
function emptyInspection(source: OpenedSource): Inspection {
  return {
    path: source.path, size: source.size, layers: source.layers, inner: source.inner, label: source.label,
    encryption: source.layers.includes('age') ? 'age' : source.layers.includes('gpg') ? 'gpg' : null,
    sourceDatabase: null, sourceServerVersion: null, dumpedBy: null, createdAt: null, tables: [], roles: [], owners: [], extensions: [], dumpMajor: null,
    lifeboat: null, toc: null, sql: null, problem: null, quick: false, unsafe: { statements: [], count: 0 }, fileIdentity: source.identity,
  };
}

/** What a Lifeboat archive's walk gathers on the way: globals.sql, the manifest, and the dump's two readers. */
interface LifeboatScan {
  globals: string;
  manifest: ArchiveManifest | null;
  listing: ReturnType<typeof startTocListing> | null;
  schema: ReturnType<typeof startSchemaScan> | null;
}

/** A Lifeboat archive: verified to its end, or (quick) read only up to the dump's table of contents. */
async function readLifeboat(source: OpenedSource, file: string, keys: AgeKeys, pgRestoreFor: PgRestoreFor, signal: AbortSignal | undefined, options: InspectOptions): Promise<Partial<Inspection>> {
  const scan: LifeboatScan = { globals: '', manifest: null, listing: null, schema: null };
  const walk = await walkLifeboat(source.stream!, scan, keys, pgRestoreFor, signal, options);
  return walk ? fullLifeboat(file, walk, scan) : quickLifeboat(file, scan);
}

/** Walks the archive, feeding the dump to pg_restore's listing and schema scan; null when stopped early (quick). */
async function walkLifeboat(stream: AsyncIterable<Buffer>, scan: LifeboatScan, keys: AgeKeys, pgRestoreFor: PgRestoreFor, signal: AbortSignal | undefined, options: InspectOptions): Promise<ArchiveWalk | null> {
  const enough = new Error('table of contents read');
  return walkPlaintext(stream, {
    signal,
    // Whose authenticity tags count: by default the keys that open the file.
    keys: options.trusted ?? keys,
    onGlobals: async (sql, manifest) => {
      scan.globals = sql.toString('utf8');
      scan.manifest = manifest;
      const tool = await pgRestoreFor(majorOf(manifest.tools.pg_dump.version));
      scan.listing = startTocListing(tool, signal);
      scan.schema = startSchemaScan(tool, null, signal);
    },
    onDump: async (chunk) => {
      if (options.quick && scan.listing?.done && scan.schema?.done) throw enough;
      await Promise.all([scan.listing?.write(chunk), scan.schema?.write(chunk)]);
    },
  }).catch(async (error: unknown) => {
    if (error !== enough) {
      await scan.listing?.abort();
      await scan.schema?.abort();
      throw error;
    }
    return null;
  });
}

/** A quick read: the manifest and the table of contents; checksums and authenticity are checked while restoring. */
async function quickLifeboat(file: string, scan: LifeboatScan): Promise<Partial<Inspection>> {
  const manifest = scan.manifest!;
  const toc = await scan.listing!.finish();
  const definitions = await scan.schema!.finish();
  return {
    quick: true,
    ...manifestFacts(manifest),
    tables: manifest.tables.filter((t) => t.kind !== 'm').map((t) => ({ schema: t.schema, name: t.name, rows: null })),
    ...archiveContents(toc, definitions),
    dumpMajor: majorOf(manifest.tools.pg_dump.version),
    lifeboat: { manifest, checksums: null, globals: scan.globals, sidecar: await readSidecar(file), authenticity: null },
    toc,
    unsafe: definitions.unsafe,
    columnOptions: definitions.columnOptions,
  };
}

/** A fully read archive: every checksum matched, row counts from checksums.json, authenticity decided. */
async function fullLifeboat(file: string, walk: ArchiveWalk, scan: LifeboatScan): Promise<Partial<Inspection>> {
  const toc = scan.listing ? await scan.listing.finish() : null;
  const definitions: SchemaDefinitions = scan.schema ? await scan.schema.finish() : { roles: [], owners: [], extensions: [], columnOptions: [], unsafe: { statements: [], count: 0 } };
  const sidecar = await readSidecar(file);
  const counts = new Map((walk.checksums.rowCounts?.tables ?? []).map((t) => [`${t.schema}.${t.name}`, t.rows]));
  return {
    ...manifestFacts(walk.manifest),
    tables: walk.manifest.tables.filter((t) => t.kind !== 'm').map((t) => ({ schema: t.schema, name: t.name, rows: counts.get(`${t.schema}.${t.name}`) ?? null })),
    ...archiveContents(toc, definitions),
    dumpMajor: majorOf(walk.manifest.tools.pg_dump.version),
    lifeboat: { manifest: walk.manifest, checksums: walk.checksums, globals: scan.globals, sidecar, authenticity: walk.authenticity },
    toc,
    unsafe: definitions.unsafe,
    columnOptions: definitions.columnOptions,
  };
}

function manifestFacts(manifest: ArchiveManifest): Pick<Inspection, 'sourceDatabase' | 'sourceServerVersion' | 'dumpedBy' | 'createdAt'> {
  return {
    sourceDatabase: manifest.source.database,
    sourceServerVersion: manifest.server.version,
    dumpedBy: manifest.tools.pg_dump.version,
    createdAt: manifest.startedAt,
  };
}

/** The roles, owners and extensions a pg_restore archive names: its TOC entries plus its definitions. */
function archiveContents(toc: TocListing | null, definitions: SchemaDefinitions): Pick<Inspection, 'roles' | 'owners' | 'extensions'> {
  const entries = toc?.entries ?? [];
  return {
    roles: [...new Set([...entries.map((e) => e.owner).filter((o) => o && o !== '-'), ...definitions.roles])],
    owners: tocOwners(toc, definitions),
    extensions: [...new Set([...entries.filter((e) => e.type === 'EXTENSION').map((e) => e.name || e.schema).filter(Boolean), ...definitions.extensions])],
  };
}

/** The major version of a pg_dump or server version string ("17.2"), or null. */
function majorOf(version: string): number | null {
  return parseToolVersion(`(PostgreSQL) ${version}`)?.major ?? null;
}

/** A plain SQL script, scanned by the guard; what it found is kept even when it stops at a forbidden command. */
async function readSql(source: OpenedSource, base: Inspection): Promise<void> {
  const guard = new SqlGuard();
  // The restore's own splitter: the guard sees exactly the bytes psql would get, COPY data streamed.
  const lines = new SqlLineSplitter(guard, (line) => void guard.line(line));
  try {
    for await (const chunk of source.stream!) lines.push(chunk, []);
    lines.end([]);
    guard.finish();
  } finally {
    const f = guard.facts;
    Object.assign(base, {
      sourceServerVersion: f.dumpedFromVersion,
      tables: f.tables.map((t) => splitName(t)),
      roles: [...new Set([...f.owners, ...f.grantees])],
      owners: [...f.owners],
      extensions: [...f.extensions],
      sql: { lines: f.lines, connects: f.connects, createsDatabase: f.createsDatabase, needsAutocommit: f.needsAutocommit },
      unsafe: { statements: f.unsafe, count: f.unsafeCount },
    });
  }
}

/** A pg_dump custom, tar or directory archive: pg_restore lists its table of contents. */
async function readPgArchive(source: OpenedSource, pgRestoreFor: PgRestoreFor, signal: AbortSignal | undefined): Promise<Partial<Inspection>> {
  const tool = await pgRestoreFor(null);
  const { toc, definitions } = source.inner === 'pg-directory' ? await readPgDirectory(source, tool, signal) : await readPgStream(source.stream!, tool, signal);
  return {
    toc,
    sourceDatabase: toc.database,
    sourceServerVersion: toc.dumpedFromVersion,
    dumpedBy: toc.dumpedByVersion,
    createdAt: toc.createdAt,
    tables: toc.entries.filter((e) => e.type === 'TABLE').map((e) => ({ schema: e.schema, name: e.name, rows: null })),
    ...archiveContents(toc, definitions),
    dumpMajor: majorOf(toc.dumpedByVersion ?? ''),
    unsafe: definitions.unsafe,
    columnOptions: definitions.columnOptions,
  };
}

async function readPgDirectory(source: OpenedSource, tool: PgTool, signal: AbortSignal | undefined): Promise<{ toc: TocListing; definitions: SchemaDefinitions }> {
  const toc = await listToc(tool, { directory: source.path }, signal);
  if (source.tocDat) sameEntries(toc, source.tocDat);
  const definitions = await startSchemaScan(tool, { directory: source.path }, signal).finish();
  return { toc, definitions };
}

/** A custom or tar archive's bytes, fed to the listing and the schema scan until both have what they need. */
async function readPgStream(stream: AsyncIterable<Buffer>, tool: PgTool, signal: AbortSignal | undefined): Promise<{ toc: TocListing; definitions: SchemaDefinitions }> {
  const listing = startTocListing(tool, signal);
  const scan = startSchemaScan(tool, null, signal);
  try {
    for await (const chunk of stream) {
      if (listing.done && scan.done) break;
      await Promise.all([listing.write(chunk), scan.write(chunk)]);
    }
    return { toc: await listing.finish(), definitions: await scan.finish() };
  } catch (error) {
    await listing.abort();
    await scan.abort();
    throw error;
  }
}

/**
 * An archive restored with the profile's rights because this Lifeboat made it must be the very file
 * whose tag was checked: one swapped or rewritten since would run as the profile unseen.
 */
export function assertSameFile(inspection: Inspection, options: Pick<PreflightOptions, 'trust'>, identity: string | null): void {
  if (options.trust === TRUST_PHRASE || !runsTrusted(inspection, options)) return;
  if (inspection.fileIdentity !== null && inspection.fileIdentity === identity) return;
  throw new LifeboatError('PREFLIGHT_BLOCKED', 'The archive changed after Lifeboat checked that this Lifeboat made it (it was replaced or written to), so it is no longer known to be yours.', 'Check the file again (drop it again, or run the command again), then restore.');
}

/**
 * pg_restore must list what Lifeboat checked in toc.dat: a different list means the folder changed
 * between the check and pg_restore's read (or the two readers disagree) — refuse rather than guess.
 */
function sameEntries(listing: TocListing, checked: TocDat): void {
  const byId = new Map(checked.entries.map((e) => [e.dumpId, e]));
  const differing = listing.entries.find((listed) => {
    const entry = byId.get(listed.id);
    return !entry || !listed.line.startsWith(`${entry.dumpId}; ${entry.tableoid} ${entry.oid} ${entry.desc} `);
  });
  if (differing) {
    throw new LifeboatError('ARCHIVE_DAMAGED', `The directory dump's toc.dat changed while it was being read: pg_restore lists "${differing.line.slice(0, 120)}", which Lifeboat's check did not see.`, 'Wait until nothing writes to the folder, then try again.');
  }
}

function tocOwners(toc: TocListing | null, definitions: { owners: string[] }): string[] {
  return [...new Set([...(toc?.entries ?? []).map((e) => e.owner).filter((o) => o && o !== '-'), ...definitions.owners])];
}

/** The archive's sidecar, read with the library's bounds and checks (sidecar-file.ts); a bad one counts as none. */
async function readSidecar(file: string): Promise<ArchiveSidecar | null> {
  const read = await readSidecarFile(`${file}${SIDECAR_SUFFIX}`);
  return read.kind === 'ok' ? read.sidecar : null;
}

function splitName(qualified: string): InspectedTable {
  const parts = qualified.match(/("(?:[^"]|"")+"|[^.]+)/g) ?? [qualified];
  const clean = (p: string) => (p.startsWith('"') ? p.slice(1, -1).replaceAll('""', '"') : p);
  return parts.length >= 2 ? { schema: clean(parts[0]!), name: clean(parts[1]!), rows: null } : { schema: 'public', name: clean(parts[0]!), rows: null };
}
