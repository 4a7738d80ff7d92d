import { createWriteStream, type Stats } from 'node:fs';
import { access, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { fsyncDirectory, isDiskFull, placeExclusively } from '../files/durable-files.ts';
import { statUserFile } from '../files/user-file.ts';
import path from 'node:path';
import { LifeboatError } from '../errors.ts';
import type { AgeKeys } from '../crypto/age-decrypt.ts';
import { startJob, RateMeter, type Job, type JobContext } from '../jobs/job.ts';
import { defaultBackupFolder } from '../paths/data-dir.ts';
import type { ToolResolver } from '../pgtools/tool-resolver.ts';
import { parseToolVersion } from '../pgtools/tool-version.ts';
import type { Clock } from '../ports.ts';
import type { PgTool } from '../types.ts';
import type { ProfileService } from '../profiles/profile-service.ts';
import type { SettingsStore } from '../settings/settings-store.ts';
import { ARCHIVE_EXTENSION, ARCHIVE_FORMAT_VERSION, SIDECAR_SUFFIX, type ArchiveSidecar, type EncryptionKind, type VerificationRecord } from './archive-format.ts';
import { detectArchiveEncoding, openArchiveFile, openArchivePlaintext, readManifest, walkArchive, type ArchiveWalk } from './archive-reader.ts';
import { removeStalePartials } from './partial-files.ts';
import { partialPathFor } from './archive-writer.ts';
import { extractArchive } from './archive-extract.ts';
import { readSidecarFile } from './sidecar-file.ts';
import { sha256File } from '../files/sha256-file.ts';
import { sidecarFor } from './sidecar-build.ts';
import { isRecognised, writeSidecarFile, type LibraryKey } from './sidecar-tag.ts';
import type { ArchiveAuthenticity } from './archive-authenticity.ts';
import type { ArchiveDetails, ArchiveEntry, FolderProblem, TocReport, VerifyResult } from '../model/archive.ts';
export type { ArchiveDetails, ArchiveEntry, TocReport, VerifyResult } from '../model/archive.ts';

export interface ListFilter {
  folders?: string[];
  profile?: string;
  database?: string;
}

/** The archive library: lists from sidecars, details, verify, extract, delete and import. */
/** What the library needs of the key store (keys/KeyService): a port, so archive/ does not depend on keys/. */
export interface LibraryKeys {
  decryptionKeys(extra: AgeKeys): Promise<AgeKeys>;
  ownKeys(): Promise<AgeKeys>;
}

/**
 * pg_restore --list, fed the dump while the archive is walked (restore/toc-listing.ts startTocListing,
 * passed in so archive/ does not depend on restore/).
 */
export type TocLister = (pgRestore: PgTool, signal?: AbortSignal) => {
  write(chunk: Buffer): Promise<void>;
  finish(): Promise<{ entries: { type: string; schema: string | null; name: string }[] }>;
};

export interface LibraryDeps {
  profiles: ProfileService;
  settings: SettingsStore;
  keys: LibraryKeys;
  listToc: TocLister;
  tools: ToolResolver;
  clock: Clock;
  dataDir: string;
  libraryKey: LibraryKey;
}

export class LibraryService {
  readonly #deps: LibraryDeps;

  constructor(deps: LibraryDeps) {
    this.#deps = deps;
  }

  /** The default backup folder, the profiles' folders and the extra library folders. */
  async folders(): Promise<string[]> {
    const settings = this.#deps.settings.get();
    const profileFolders = (await this.#deps.profiles.list()).map((p) => p.backupFolder).filter((f): f is string => Boolean(f));
    return [...new Set([settings.backupFolder ?? defaultBackupFolder(this.#deps.dataDir), ...profileFolders, ...settings.libraryFolders].map((f) => path.resolve(f)))];
  }

  async list(filter: ListFilter = {}): Promise<ArchiveEntry[]> {
    return (await this.listing(filter)).archives;
  }

  /**
   * The archives, newest first, and the library folders that could not be read: one such folder (no
   * permission, an I/O error) does not hide the other folders' archives. A folder that does not exist
   * (a drive not attached) is skipped; a folder named in `filter.folders` that cannot be read is an error.
   */
  async listing(filter: ListFilter = {}): Promise<{ archives: ArchiveEntry[]; unreadable: FolderProblem[] }> {
    const named = Boolean(filter.folders?.length);
    const folders = named ? filter.folders!.map((f) => path.resolve(f)) : await this.folders();
    const key = await this.#deps.libraryKey.get();
    const entries: ArchiveEntry[] = [];
    const unreadable: FolderProblem[] = [];
    for (const folder of folders) {
      const names = await readdir(folder).catch((error: NodeJS.ErrnoException) => error);
      if (names instanceof Error) {
        const code = (names as NodeJS.ErrnoException).code ?? names.message;
        if (code === 'ENOENT' && !named) continue;
        if (named) throw new LifeboatError('FILE_NOT_FOUND', `Cannot read the folder ${folder}: ${code}.`, 'Check the folder path.');
        unreadable.push({ folder, message: `Cannot read the backup folder ${folder} (${code}): its backups are not listed or counted.`, fix: 'Check that its disk is attached and that you may read the folder (its owner and permissions), or choose another backup folder.' });
        continue;
      }
      // Listing a folder (the app's library, `lifeboat list`) is when dead writers' leftovers go.
      await removeStalePartials(folder, names);
      const archives = names.filter((name) => name.endsWith(ARCHIVE_EXTENSION));
      const present = new Set(names);
      const found = await mapLimit(archives, 32, (name) => this.#entry(folder, name, present.has(name + SIDECAR_SUFFIX), key));
      entries.push(...found);
    }
    const archives = entries
      .filter((e) => !filter.profile || e.sidecar.profile.toLowerCase() === filter.profile.toLowerCase())
      .filter((e) => !filter.database || e.sidecar.database === filter.database)
      .sort((a, b) => b.sidecar.createdAt.localeCompare(a.sidecar.createdAt) || b.path.localeCompare(a.path));
    return { archives, unreadable };
  }

  /** One archive of a listing; whatever is wrong with it or its sidecar is its own problem, not the folder's. */
  async #entry(folder: string, name: string, hasSidecar: boolean, key: Buffer | null): Promise<ArchiveEntry> {
    const file = path.join(folder, name);
    // stat follows a link to the archive; what it finds must be a file (a FIFO would block every read).
    const info = await stat(file).catch((error: NodeJS.ErrnoException) => error);
    if (info instanceof Error || !info.isFile()) {
      const why = info instanceof Error ? `cannot be read (${info.code ?? info.message})` : 'is not a regular file';
      return { path: file, folder, sidecar: nameOnlySidecar(name, info instanceof Error ? null : info, '', 'none'), problem: { message: `${name} ${why}.`, fix: 'Remove it from the backup folder, or put the archive back from another copy.' }, recognised: false };
    }
    const read = hasSidecar ? await readSidecarFile(file + SIDECAR_SUFFIX) : ({ kind: 'missing' } as const);
    // Cheap on purpose (a listing reads no archive): the tag, the name and the size, not the sha256.
    if (read.kind === 'ok') return { path: file, folder, sidecar: read.sidecar, recognised: isRecognised(read.sidecar, { name, size: info.size }, key) };
    if (read.kind === 'bad') {
      // Not rebuilt here: that reads the whole archive, and the bad file may be an attack on the listing.
      return problemEntry(file, folder, info, read.problem, `Check the archive with "lifeboat verify --full" (it rewrites the sidecar from the archive), or remove the sidecar.`);
    }
    try {
      const sidecar = await this.rebuildSidecar(file);
      return { path: file, folder, sidecar, recognised: isRecognised(sidecar, { name, size: info.size }, key) };
    } catch (error) {
      return problemEntry(file, folder, info, `${name} has no sidecar, and none could be written: ${(error as Error).message}`, 'Check that the backup folder is writable, then list again.');
    }
  }

  /**
   * Recreates a missing sidecar from the archive (needs a key for the facts inside). `strict`: an
   * archive that cannot be read whole (no key, damaged, not an archive) throws instead, and no
   * sidecar is written — a sidecar made from a damaged file must not vouch for it.
   * The sidecar is tagged as this library's only when the archive authenticates as made with this
   * Lifeboat's own key or passphrase: only then are its manifest's facts (profile, dates) ours.
   */
  async rebuildSidecar(file: string, extraKeys: AgeKeys = {}, options: { strict?: boolean } = {}): Promise<ArchiveSidecar> {
    if (options.strict) await detectArchiveEncoding(file);
    const [info, digest] = await Promise.all([stat(file), sha256File(file)]);
    const size = info.size;
    let sidecar: ArchiveSidecar;
    let own = false;
    try {
      const keys = await this.#deps.keys.decryptionKeys(extraKeys);
      const walk = await walkArchive(file, keys, { keys: await this.#ownKeys() });
      sidecar = sidecarFor(walk.manifest, walk.checksums, { name: path.basename(file), bytes: size, sha256: digest }, { kind: await encryptionOf(file), recipients: [] });
      own = isOwnArchive(walk.authenticity);
    } catch (error) {
      if (options.strict) throw error;
      // Without a key (or for a damaged file) keep what the name and the bytes tell.
      sidecar = nameOnlySidecar(path.basename(file), info, digest, await encryptionOf(file).catch(() => 'none' as const));
    }
    return writeSidecarFile(file + SIDECAR_SUFFIX, sidecar, own ? await this.#deps.libraryKey.get() : null);
  }

  /**
   * Makes an archive with an untagged sidecar (an older Lifeboat's) count again: a full verification,
   * which reads the whole archive and, when it was made with this Lifeboat's own key or passphrase,
   * rewrites its sidecar from the archive's own manifest and checksums, tagged. The same as verify(file, 'full').
   */
  recognise(file: string, extraKeys: AgeKeys = {}): Job<VerifyResult> {
    return this.verify(file, 'full', extraKeys);
  }

  /**
   * Only the keys Lifeboat keeps (KeyService.ownKeys): a tag made with a key handed over together
   * with the file proves nothing about who made it. None when the keychain cannot be read.
   */
  async #ownKeys(): Promise<AgeKeys> {
    return this.#deps.keys.ownKeys().catch(() => ({}));
  }

  async details(file: string, extraKeys: AgeKeys = {}): Promise<ArchiveDetails> {
    const keys = await this.#deps.keys.decryptionKeys(extraKeys);
    const walk = await walkArchive(file, keys);
    const read = await readSidecarFile(file + SIDECAR_SUFFIX);
    const sidecar = read.kind === 'ok' ? read.sidecar : await this.rebuildSidecar(file, extraKeys);
    return { path: file, sidecar, manifest: walk.manifest, checksums: walk.checksums };
  }

  /**
   * quick: the file's sha256 vs its sidecar. full: also decrypt everything, check the structure and
   * hashes, and let pg_restore read the TOC. The verdict is recorded in the sidecar, which keeps its
   * standing: tagged again only when it was recognised before — or, after a full verification, when
   * the archive authenticates as this Lifeboat's own (then its facts are taken from the archive).
   */
  verify(file: string, level: 'quick' | 'full', extraKeys: AgeKeys = {}): Job<VerifyResult> {
    return startJob('verify', async (ctx) => {
      const checks: string[] = [];
      const sidecarPath = file + SIDECAR_SUFFIX;
      // A pipe or device is refused before its sidecar could record a failed verification for it.
      const size = Number((await statUserFile(file, { folders: true })).size); // a folder is refused below, as not an archive
      // Without a sidecar there is nothing to compare with: it is rebuilt only from an archive that
      // decrypts and checks whole (which is then the verification), never from a damaged file.
      const read = await readSidecarFile(sidecarPath);
      const sidecar = read.kind === 'ok' ? read.sidecar : await this.rebuildSidecar(file, extraKeys, { strict: true });
      if (read.kind !== 'ok') checks.push(`${read.kind === 'bad' ? `unusable sidecar (${read.problem.replace(/\.$/, '')})` : 'no sidecar'}: rebuilt from the archive after decrypting it and checking its structure and checksums`);
      const key = await this.#deps.libraryKey.get();
      let recognised = isRecognised(sidecar, { name: path.basename(file), size }, key);
      let facts = sidecar;
      const record = async (ok: boolean, message: string) => {
        // Without the key now (a locked keychain) a tag could not be made again: the record is dropped, not the tag.
        if (key === null && sidecar.libraryTag !== undefined) return;
        const verification: VerificationRecord = { at: this.#deps.clock.now().toISOString(), level, ok, message };
        await writeSidecarFile(sidecarPath, { ...facts, verification }, recognised ? key : null).catch(() => {});
      };
      try {
        ctx.report({ phase: 'Checking the file', fraction: 0 });
        if (size !== sidecar.bytes) throw new LifeboatError('ARCHIVE_DAMAGED', `The archive is ${size} bytes, but ${sidecar.bytes} were written.`, 'The file was cut short or changed. Use another copy of this backup.');
        const rate = new RateMeter();
        const digest = await sha256File(file, ctx.signal, (bytes) => ctx.report({ fraction: (level === 'quick' ? 1 : 0.3) * (bytes / size), bytes, bytesPerSecond: rate.sample(bytes) }));
        if (digest !== sidecar.sha256) throw new LifeboatError('ARCHIVE_DAMAGED', 'The archive\'s sha256 does not match the one recorded when it was written: the file was changed or damaged.', 'Use another copy of this backup, or an earlier backup.');
        checks.push(`sha256 ${digest} matches the sidecar`);
        let toc: TocReport | null = null;
        if (level === 'full') {
          const full = await this.#verifyFull(file, sidecar, extraKeys, ctx, !recognised && key !== null);
          checks.push(...full.checks);
          toc = full.toc;
          if (!recognised && key !== null && isOwnArchive(full.walk.authenticity)) {
            // An older Lifeboat's sidecar (untagged), or one changed since: only the archive's own facts, which its tag vouches for, are kept and tagged.
            facts = sidecarFor(full.walk.manifest, full.walk.checksums, { name: path.basename(file), bytes: size, sha256: digest }, { kind: await encryptionOf(file), recipients: [] });
            recognised = true;
            checks.push(`made with this Lifeboat's own ${full.walk.authenticity === 'own-key' ? 'key' : 'passphrase'}: its sidecar is rewritten from the archive and recognised as this library's`);
          }
        }
        ctx.report({ phase: 'Verified', fraction: 1 });
        await record(true, checks.join('; '));
        return { path: file, level, ok: true as const, sha256: sidecar.sha256, checks, toc, recognised };
      } catch (error) {
        if (!ctx.signal.aborted && error instanceof LifeboatError && error.code !== 'NO_KEY' && error.code !== 'WRONG_KEY') await record(false, error.message);
        throw error;
      }
    });
  }

  /** The full part of verify(): decrypt and walk everything, feed the dump to pg_restore --list. `authenticate`: check the archive's tag against Lifeboat's own keys (costs a scrypt for a passphrase archive). */
  async #verifyFull(file: string, sidecar: ArchiveSidecar, extraKeys: AgeKeys, ctx: JobContext, authenticate: boolean): Promise<{ checks: string[]; toc: TocReport; walk: ArchiveWalk }> {
    const checks: string[] = [];
    ctx.report({ phase: 'Decrypting and reading', fraction: 0.3 });
    const keys = await this.#deps.keys.decryptionKeys(extraKeys);
    const manifestPeek = await readManifest(file, keys);
    const dumpMajor = parseToolVersion(`(PostgreSQL) ${manifestPeek.tools.pg_dump.version}`)?.major ?? null;
    const pgRestore = await this.#deps.tools.choose('pg_restore', dumpMajor);
    const tocCheck = this.#deps.listToc(pgRestore, ctx.signal);
    const expectedPlain = Math.max(sidecar.dumpBytes, 1);
    const walk = await walkArchive(file, keys, {
      signal: ctx.signal,
      keys: authenticate ? await this.#ownKeys() : {},
      onDump: (chunk) => tocCheck.write(chunk),
      onPlaintextBytes: (bytes) => ctx.report({ fraction: 0.3 + 0.7 * Math.min(bytes / expectedPlain, 0.99), bytes }),
    });
    checks.push(`decrypted; tar structure: manifest, globals, ${walk.dumpParts} dump part(s), checksums`);
    checks.push(`dump sha256 ${walk.dumpSha256} (${walk.dumpBytes} bytes) matches checksums.json`);
    const listing = await tocCheck.finish();
    const toc: TocReport = { entries: listing.entries.length, tableData: listing.entries.filter((e) => e.type === 'TABLE DATA').map((e) => `${e.schema} ${e.name}`) };
    const expectedData = (walk.checksums.rowCounts?.tables ?? []).map((t) => `${t.schema} ${t.name}`);
    const missing = expectedData.filter((t) => !toc.tableData.includes(t));
    if (missing.length) throw new LifeboatError('ARCHIVE_DAMAGED', `pg_restore's table of contents lacks data for ${missing.slice(0, 5).join(', ')}.`, 'Use another copy of this backup.');
    checks.push(`pg_restore ${pgRestore.version} reads the table of contents: ${toc.entries} entries, data for ${toc.tableData.length} tables`);
    return { checks, toc, walk };
  }

  /**
   * Writes the archive's files into a folder: manifest.json, globals.sql, database.dump.*, checksums.json.
   * Only an archive that verifies whole is extracted; a refused one leaves the folder as it was.
   */
  async extract(file: string, toDir: string, extraKeys: AgeKeys = {}): Promise<{ files: string[] }> {
    return extractArchive(toDir, async () => openArchivePlaintext(file, await this.#deps.keys.decryptionKeys(extraKeys)));
  }

  async remove(file: string): Promise<void> {
    if (!file.endsWith(ARCHIVE_EXTENSION)) throw new LifeboatError('INVALID_INPUT', `${file} is not a .lifeboat archive.`, 'Choose an archive from the library.');
    await rm(file);
    await rm(file + SIDECAR_SUFFIX, { force: true });
  }

  /** Copies an outside archive into a library folder and writes its sidecar. */
  async importArchive(file: string, folder: string, extraKeys: AgeKeys = {}): Promise<ArchiveEntry> {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const target = path.join(folder, path.basename(file).endsWith(ARCHIVE_EXTENSION) ? path.basename(file) : `${path.basename(file)}${ARCHIVE_EXTENSION}`);
    await copyIntoLibrary(file, target);
    const sidecar = await this.rebuildSidecar(target, extraKeys);
    const { size } = await stat(target);
    return { path: target, folder, sidecar, recognised: isRecognised(sidecar, { name: path.basename(target), size }, await this.#deps.libraryKey.get()) };
  }
}

/**
 * Copies an archive from the descriptor its check opened (a file swapped in after the check is not
 * what gets copied) into a partial file beside `target`, and puts it there only whole and only if
 * nothing has that name: a full disk or a kill leaves no half archive in the library.
 */
async function copyIntoLibrary(file: string, target: string): Promise<void> {
  const { handle } = await openArchiveFile(file);
  // Said before copying gigabytes; the exclusive placing below is still what decides.
  if (await access(target).then(() => true, () => false)) {
    await handle.close();
    throw alreadyImported(target);
  }
  const partial = partialPathFor(target);
  try {
    await pipeline(handle.createReadStream({ start: 0, autoClose: false }), createWriteStream(partial, { flags: 'wx', mode: 0o600, flush: true })).catch((error: NodeJS.ErrnoException) => {
      throw isDiskFull(error.code)
        ? new LifeboatError('DISK_FULL', `The disk holding ${path.dirname(target)} has no room for ${path.basename(target)} (${error.code}); the incomplete copy was removed.`, 'Free space on that disk or choose another backup folder, then import again.', { cause: error })
        : error;
    });
    await placeExclusively(partial, target).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') throw alreadyImported(target);
      throw error;
    });
    await fsyncDirectory(path.dirname(target));
  } finally {
    await handle.close();
    await rm(partial, { force: true }).catch(() => {});
  }
}

function alreadyImported(target: string): LifeboatError {
  return new LifeboatError('INVALID_INPUT', `${target} already exists in the library.`, 'It is already imported.');
}

/** Made with the keys Lifeboat itself keeps (see archive-authenticity.ts): its manifest's facts are this Lifeboat's. */
function isOwnArchive(authenticity: ArchiveAuthenticity): boolean {
  return authenticity === 'own-key' || authenticity === 'own-passphrase';
}

/** An archive (a regular file) listed with its problem, and only what its name and first bytes tell. */
async function problemEntry(file: string, folder: string, info: Stats, message: string, fix: string): Promise<ArchiveEntry> {
  const kind = await encryptionOf(file).catch(() => 'none' as const);
  return { path: file, folder, sidecar: nameOnlySidecar(path.basename(file), info, '', kind), problem: { message, fix }, recognised: false };
}

/** What an archive's name (profile_database_stamp.lifeboat) and the file itself tell, without its contents (partial: true). */
function nameOnlySidecar(name: string, info: Stats | null, sha256: string, kind: EncryptionKind): ArchiveSidecar {
  const fromName = /^(.*)_(.*)_(\d{8}T\d{6}Z)(-\d+)?\.lifeboat$/.exec(name);
  const created = fromName ? stampToIso(fromName[3]!) : (info?.mtime ?? new Date(0)).toISOString();
  return {
    sidecarVersion: 1, archive: name, formatVersion: ARCHIVE_FORMAT_VERSION, profile: fromName?.[1] ?? '?', host: '?', port: 0, database: fromName?.[2] ?? '?',
    serverVersion: '?', pgDumpVersion: '?', createdAt: created, finishedAt: created, durationMs: 0, bytes: info?.size ?? 0, sha256,
    encryption: { kind, recipients: [] }, compression: '?', tables: 0, totalRows: null, rowCountsExact: false, dumpBytes: 0, partial: true,
  };
}

/** 20261122T011530Z → 2026-11-22T01:15:30.000Z */
function stampToIso(stamp: string): string {
  return `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}.000Z`;
}

async function encryptionOf(file: string): Promise<EncryptionKind> {
  // One descriptor for the sniff and the age header's stanzas (in the first few kB, not the whole archive).
  const { handle, encoding } = await openArchiveFile(file);
  try {
    if (encoding === 'tar') return 'none';
    const head = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return /\n-> scrypt /.test(head.toString('latin1', 0, bytesRead)) ? 'passphrase' : 'x25519';
  } finally {
    await handle.close();
  }
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  }));
  return results;
}

