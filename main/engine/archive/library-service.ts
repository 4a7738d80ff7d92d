import { createHash } from 'node:crypto';
import { constants as fsConstants, createReadStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { LifeboatError } from '../errors.ts';
import type { AgeKeys } from '../crypto/age-decrypt.ts';
import { startJob, RateMeter, type Job } from '../jobs/job.ts';
import type { KeyService } from '../keys/key-service.ts';
import { defaultBackupFolder } from '../paths/data-dir.ts';
import type { ToolResolver } from '../pgtools/tool-resolver.ts';
import { parseToolVersion } from '../pgtools/tool-version.ts';
import type { Clock } from '../ports.ts';
import type { ProfileService } from '../profiles/profile-service.ts';
import type { SettingsStore } from '../settings/settings-store.ts';
import { ARCHIVE_EXTENSION, ARCHIVE_FORMAT_VERSION, SIDECAR_SUFFIX, type ArchiveChecksums, type ArchiveManifest, type ArchiveSidecar, type VerificationRecord } from './archive-format.ts';
import { detectArchiveEncoding, openArchivePlaintext, readManifest, walkArchive } from './archive-reader.ts';
import { writeFileDurably } from './archive-writer.ts';
import { readTar } from './tar-reader.ts';
import { startTocListing } from '../restore/toc-listing.ts';
import { isProcessAlive } from '../jobs/process-alive.ts';

export interface TocReport {
  entries: number;
  tableData: string[];
}

export interface ArchiveEntry {
  path: string;
  folder: string;
  sidecar: ArchiveSidecar;
}

export interface ArchiveDetails {
  path: string;
  sidecar: ArchiveSidecar;
  manifest: ArchiveManifest;
  checksums: ArchiveChecksums;
}

export interface VerifyResult {
  path: string;
  level: 'quick' | 'full';
  ok: true;
  sha256: string;
  checks: string[];
  toc: TocReport | null;
}

export interface ListFilter {
  folders?: string[];
  profile?: string;
  database?: string;
}

/** The archive library: lists from sidecars, details, verify, extract, delete and import. */
export interface LibraryDeps {
  profiles: ProfileService;
  settings: SettingsStore;
  keys: KeyService;
  tools: ToolResolver;
  clock: Clock;
  dataDir: string;
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
    const folders = filter.folders?.length ? filter.folders.map((f) => path.resolve(f)) : await this.folders();
    const entries: ArchiveEntry[] = [];
    for (const folder of folders) {
      let names: string[];
      try {
        names = await readdir(folder);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !filter.folders?.length) continue;
        throw new LifeboatError('FILE_NOT_FOUND', `Cannot read the folder ${folder}: ${(error as NodeJS.ErrnoException).code}.`, 'Check the folder path.');
      }
      await removeStalePartials(folder, names);
      const archives = names.filter((name) => name.endsWith(ARCHIVE_EXTENSION));
      const present = new Set(names);
      const found = await mapLimit(archives, 32, async (name) => {
        const file = path.join(folder, name);
        const sidecar = present.has(name + SIDECAR_SUFFIX) ? await readSidecar(file + SIDECAR_SUFFIX) : null;
        return { path: file, folder, sidecar: sidecar ?? (await this.rebuildSidecar(file)) };
      });
      entries.push(...found);
    }
    return entries
      .filter((e) => !filter.profile || e.sidecar.profile.toLowerCase() === filter.profile.toLowerCase())
      .filter((e) => !filter.database || e.sidecar.database === filter.database)
      .sort((a, b) => b.sidecar.createdAt.localeCompare(a.sidecar.createdAt) || b.path.localeCompare(a.path));
  }

  /**
   * Recreates a missing sidecar from the archive (needs a key for the facts inside). `strict`: an
   * archive that cannot be read whole (no key, damaged, not an archive) throws instead, and no
   * sidecar is written — a sidecar made from a damaged file must not vouch for it.
   */
  async rebuildSidecar(file: string, extraKeys: AgeKeys = {}, options: { strict?: boolean } = {}): Promise<ArchiveSidecar> {
    if (options.strict) await detectArchiveEncoding(file);
    const [{ size }, digest] = await Promise.all([stat(file), sha256File(file)]);
    let sidecar: ArchiveSidecar;
    try {
      const keys = await this.#deps.keys.decryptionKeys(extraKeys);
      const walk = await walkArchive(file, keys);
      sidecar = sidecarFrom(path.basename(file), walk.manifest, walk.checksums, size, digest, await encryptionOf(file));
    } catch (error) {
      if (options.strict) throw error;
      // Without a key (or for a damaged file) keep what the name and the bytes tell.
      const match = /^(.*)_(.*)_(\d{8}T\d{6}Z)(-\d+)?\.lifeboat$/.exec(path.basename(file));
      const created = match ? `${match[3]!.slice(0, 4)}-${match[3]!.slice(4, 6)}-${match[3]!.slice(6, 8)}T${match[3]!.slice(9, 11)}:${match[3]!.slice(11, 13)}:${match[3]!.slice(13, 15)}.000Z` : (await stat(file)).mtime.toISOString();
      sidecar = {
        sidecarVersion: 1, archive: path.basename(file), formatVersion: ARCHIVE_FORMAT_VERSION, profile: match?.[1] ?? '?', host: '?', port: 0, database: match?.[2] ?? '?',
        serverVersion: '?', pgDumpVersion: '?', createdAt: created, finishedAt: created, durationMs: 0, bytes: size, sha256: digest,
        encryption: { kind: await encryptionOf(file).catch(() => 'none' as const), recipients: [] }, compression: '?', tables: 0, totalRows: null, rowCountsExact: false, dumpBytes: 0, partial: true,
      };
    }
    await writeFileDurably(file + SIDECAR_SUFFIX, `${JSON.stringify(sidecar, null, 2)}\n`);
    return sidecar;
  }

  async details(file: string, extraKeys: AgeKeys = {}): Promise<ArchiveDetails> {
    const keys = await this.#deps.keys.decryptionKeys(extraKeys);
    const walk = await walkArchive(file, keys);
    const sidecar = (await readSidecar(file + SIDECAR_SUFFIX)) ?? (await this.rebuildSidecar(file, extraKeys));
    return { path: file, sidecar, manifest: walk.manifest, checksums: walk.checksums };
  }

  /** quick: the file's sha256 vs its sidecar. full: also decrypt everything, check the structure and hashes, and let pg_restore read the TOC. */
  verify(file: string, level: 'quick' | 'full', extraKeys: AgeKeys = {}): Job<VerifyResult> {
    return startJob('verify', async (ctx) => {
      const checks: string[] = [];
      const sidecarPath = file + SIDECAR_SUFFIX;
      const { size } = await stat(file).catch(() => {
        throw new LifeboatError('FILE_NOT_FOUND', `${file} does not exist.`, 'Check the path.');
      });
      // Without a sidecar there is nothing to compare with: it is rebuilt only from an archive that
      // decrypts and checks whole (which is then the verification), never from a damaged file.
      const existing = await readSidecar(sidecarPath);
      const sidecar = existing ?? (await this.rebuildSidecar(file, extraKeys, { strict: true }));
      if (!existing) checks.push('no sidecar: rebuilt from the archive after decrypting it and checking its structure and checksums');
      const record = async (ok: boolean, message: string) => {
        const verification: VerificationRecord = { at: this.#deps.clock.now().toISOString(), level, ok, message };
        await writeFileDurably(sidecarPath, `${JSON.stringify({ ...sidecar, verification }, null, 2)}\n`).catch(() => {});
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
          ctx.report({ phase: 'Decrypting and reading', fraction: 0.3 });
          const keys = await this.#deps.keys.decryptionKeys(extraKeys);
          const manifestPeek = await readManifest(file, keys);
          const dumpMajor = parseToolVersion(`(PostgreSQL) ${manifestPeek.tools.pg_dump.version}`)?.major ?? null;
          const pgRestore = await this.#deps.tools.choose('pg_restore', dumpMajor);
          const tocCheck = startTocListing(pgRestore, ctx.signal);
          const expectedPlain = Math.max(sidecar.dumpBytes, 1);
          const walk = await walkArchive(file, keys, {
            signal: ctx.signal,
            onDump: (chunk) => tocCheck.write(chunk),
            onPlaintextBytes: (bytes) => ctx.report({ fraction: 0.3 + 0.7 * Math.min(bytes / expectedPlain, 0.99), bytes }),
          });
          checks.push(`decrypted; tar structure: manifest, globals, ${walk.dumpParts} dump part(s), checksums`);
          checks.push(`dump sha256 ${walk.dumpSha256} (${walk.dumpBytes} bytes) matches checksums.json`);
          const listing = await tocCheck.finish();
          toc = { entries: listing.entries.length, tableData: listing.entries.filter((e) => e.type === 'TABLE DATA').map((e) => `${e.schema} ${e.name}`) };
          const expectedData = (walk.checksums.rowCounts?.tables ?? []).map((t) => `${t.schema} ${t.name}`);
          const missing = expectedData.filter((t) => !toc!.tableData.includes(t));
          if (missing.length) throw new LifeboatError('ARCHIVE_DAMAGED', `pg_restore's table of contents lacks data for ${missing.slice(0, 5).join(', ')}.`, 'Use another copy of this backup.');
          checks.push(`pg_restore ${pgRestore.version} reads the table of contents: ${toc.entries} entries, data for ${toc.tableData.length} tables`);
        }
        ctx.report({ phase: 'Verified', fraction: 1 });
        await record(true, checks.join('; '));
        return { path: file, level, ok: true as const, sha256: sidecar.sha256, checks, toc };
      } catch (error) {
        if (!ctx.signal.aborted && error instanceof LifeboatError && error.code !== 'NO_KEY' && error.code !== 'WRONG_KEY') await record(false, error.message);
        throw error;
      }
    });
  }

  /** Writes the archive's files into a folder: manifest.json, globals.sql, database.dump.*, checksums.json. */
  async extract(file: string, toDir: string, extraKeys: AgeKeys = {}): Promise<{ files: string[] }> {
    await mkdir(toDir, { recursive: true });
    const existing = await readdir(toDir);
    if (existing.length) throw new LifeboatError('INVALID_INPUT', `${toDir} is not empty.`, 'Extract into a new or empty folder; Lifeboat never overwrites files there.');
    const keys = await this.#deps.keys.decryptionKeys(extraKeys);
    const plaintext = await openArchivePlaintext(file, keys);
    const files: string[] = [];
    let handle: FileHandle | null = null;
    await readTar(plaintext, {
      async entry(header) {
        if (header.name.includes('/') || header.name.includes('\\') || header.name.startsWith('.')) throw new LifeboatError('ARCHIVE_DAMAGED', `The archive holds an unexpected path "${header.name}".`, 'Do not use this file.');
        const target = path.join(toDir, header.name);
        handle = await open(target, 'wx', 0o600);
        files.push(target);
      },
      async data(chunk) {
        await handle!.write(chunk);
      },
      async entryEnd() {
        await handle!.close();
        handle = null;
      },
    });
    return { files };
  }

  async remove(file: string): Promise<void> {
    if (!file.endsWith(ARCHIVE_EXTENSION)) throw new LifeboatError('INVALID_INPUT', `${file} is not a .lifeboat archive.`, 'Choose an archive from the library.');
    await rm(file);
    await rm(file + SIDECAR_SUFFIX, { force: true });
  }

  /** Copies an outside archive into a library folder and writes its sidecar. */
  async importArchive(file: string, folder: string, extraKeys: AgeKeys = {}): Promise<ArchiveEntry> {
    await detectArchiveEncoding(file);
    await mkdir(folder, { recursive: true });
    const target = path.join(folder, path.basename(file).endsWith(ARCHIVE_EXTENSION) ? path.basename(file) : `${path.basename(file)}${ARCHIVE_EXTENSION}`);
    await copyFile(file, target, fsConstants.COPYFILE_EXCL).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') throw new LifeboatError('INVALID_INPUT', `${target} already exists in the library.`, 'It is already imported.');
      throw error;
    });
    const sidecar = await this.rebuildSidecar(target, extraKeys);
    return { path: target, folder, sidecar };
  }
}

/** Leftovers of backups whose process died (SIGKILL, power loss): their writer pid is gone. */
export async function removeStalePartials(folder: string, names: string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const name of names) {
    const match = /\.lifeboat\.(\d+)(\.[0-9a-f]+)?\.partial$/.exec(name);
    if (!match || isProcessAlive(Number(match[1]))) continue;
    await rm(path.join(folder, name), { force: true });
    removed.push(name);
  }
  return removed;
}


async function readSidecar(file: string): Promise<ArchiveSidecar | null> {
  try {
    const sidecar = JSON.parse(await readFile(file, 'utf8')) as ArchiveSidecar;
    return sidecar && sidecar.sidecarVersion === 1 && typeof sidecar.sha256 === 'string' ? sidecar : null;
  } catch {
    return null;
  }
}

async function encryptionOf(file: string): Promise<'x25519' | 'passphrase' | 'none'> {
  if ((await detectArchiveEncoding(file)) === 'tar') return 'none';
  const head = (await readFile(file).then((b) => b.subarray(0, 4096))).toString('latin1');
  return /\n-> scrypt /.test(head) ? 'passphrase' : 'x25519';
}

function sidecarFrom(name: string, manifest: ArchiveManifest, checksums: ArchiveChecksums, bytes: number, sha256: string, encryption: 'x25519' | 'passphrase' | 'none'): ArchiveSidecar {
  return {
    sidecarVersion: 1, archive: name, formatVersion: manifest.formatVersion, profile: manifest.source.profile, host: manifest.source.host, port: manifest.source.port,
    database: manifest.source.database, serverVersion: manifest.server.version, pgDumpVersion: manifest.tools.pg_dump.version, createdAt: manifest.startedAt,
    finishedAt: checksums.finishedAt, durationMs: checksums.timings.totalMs, bytes, sha256, encryption: { kind: encryption, recipients: [] },
    compression: manifest.options.compression, tables: manifest.tables.length,
    totalRows: checksums.rowCounts ? checksums.rowCounts.tables.reduce((sum, t) => sum + t.rows, 0) : null, rowCountsExact: checksums.rowCounts?.exact ?? false, dumpBytes: checksums.dump.bytes,
  };
}

export async function sha256File(file: string, signal?: AbortSignal, onBytes?: (bytes: number) => void): Promise<string> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20, signal })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    onBytes?.(bytes);
  }
  return hash.digest('hex');
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

