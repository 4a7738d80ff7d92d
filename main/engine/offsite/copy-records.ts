// What this computer knows about each archive's copy in each destination: its state (uploading,
// verified, failed) and, while uploading, the multipart upload's id and the parts the store has
// confirmed (for SFTP: the temporary file and the chunks written to it) — on disk after every
// part, so a cancelled, failed or killed upload resumes where it stopped instead of sending
// everything again. One small file per (destination, archive) in
// <dataDir>/offsite/<destination id>/, so parallel copies never rewrite each other's records.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileDurably } from '../files/durable-files.ts';
import { isProcessAlive } from '../jobs/process-alive.ts';
import { LifeboatError } from '../errors.ts';
import type { CopyState, CopyStateKind } from '../model/offsite.ts';
import type { ErrorInfo } from '../model/error.ts';

export interface UploadedPart {
  partNumber: number;
  etag: string;
  /** base64 SHA-256 of the bytes sent: a resumed upload re-reads the part and sends it again unless it still hashes to this. */
  sha256: string;
  bytes: number;
}

/** An S3 multipart upload: its id and the parts the store has confirmed. */
export interface MultipartJournal {
  kind?: 's3';
  uploadId: string;
  key: string;
  partSize: number;
  parts: UploadedPart[];
  startedAt: string;
}

/**
 * An SFTP upload: the temporary file it writes (renamed to `name` when complete) and the SHA-256 of
 * each chunk the server acknowledged (and synced to disk where it can), in order. A resumed upload
 * keeps the chunks that the temporary file still covers and whose local bytes still hash the same,
 * and writes again from the first one that does not.
 */
export interface SftpJournal {
  kind: 'sftp';
  /** The temporary file's name in the destination's folder: "<name>.partial-<random>". */
  temp: string;
  name: string;
  chunkSize: number;
  /** base64 SHA-256 of chunk i (bytes i × chunkSize onwards), for the chunks written so far. */
  chunks: string[];
  startedAt: string;
}

export type UploadJournal = MultipartJournal | SftpJournal;

export interface CopyRecord {
  version: 1;
  destinationId: string;
  archiveName: string;
  archivePath: string;
  sha256: string;
  bytes: number;
  state: CopyStateKind;
  bytesDone: number;
  updatedAt: string;
  verifiedAt?: string;
  error?: ErrorInfo;
  upload?: UploadJournal;
}

const MAX_RECORD_BYTES = 4 * 1024 * 1024;

export class CopyRecords {
  readonly #root: string;

  constructor(dataDir: string) {
    this.#root = path.join(dataDir, 'offsite');
  }

  async read(destinationId: string, archiveName: string): Promise<CopyRecord | null> {
    return readRecord(this.#file(destinationId, archiveName));
  }

  async write(record: CopyRecord): Promise<void> {
    await mkdir(this.#dir(record.destinationId), { recursive: true, mode: 0o700 });
    await writeFileDurably(this.#file(record.destinationId, record.archiveName), `${JSON.stringify(record)}\n`);
  }

  /** Every record of a destination (or of all), for the library and for resuming interrupted uploads. */
  async list(destinationId?: string): Promise<CopyRecord[]> {
    const dirs = destinationId ? [destinationId] : await readdir(this.#root).catch(() => [] as string[]);
    const records: CopyRecord[] = [];
    for (const dir of dirs) {
      const names = await readdir(path.join(this.#root, dir)).catch(() => [] as string[]);
      for (const name of names.filter((n) => n.endsWith('.json'))) {
        const record = await readRecord(path.join(this.#root, dir, name));
        if (record) records.push(record);
      }
    }
    return records;
  }

  async forgetDestination(destinationId: string): Promise<void> {
    await rm(this.#dir(destinationId), { recursive: true, force: true });
  }

  /**
   * One copy of an archive to a destination at a time, across processes (the app and a scheduled
   * run): a lock file holding its owner's pid, start time and a random token, created with its
   * content in one step (link), taken over from a dead owner by renaming it aside (only one process
   * can), and removed at the end only while it is still ours.
   */
  async lock(destinationId: string, archiveName: string): Promise<() => Promise<void>> {
    await mkdir(this.#dir(destinationId), { recursive: true, mode: 0o700 });
    const file = `${this.#file(destinationId, archiveName)}.lock`;
    const token = `${process.pid} ${processStartTime(process.pid) ?? '-'} ${randomBytes(8).toString('hex')}`;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await createWithContent(file, token)) return () => releaseIfOurs(file, token);
      const holder = await readFile(file, 'utf8').catch(() => null);
      if (holder === null) continue; // released meanwhile: try again
      if (isLockAlive(holder)) break;
      await takeOverStale(file, holder);
    }
    throw new LifeboatError('INVALID_INPUT', `${archiveName} is already being copied to this destination by another Lifeboat process.`, 'Wait for that copy to finish (the app or a scheduled run), then try again if it failed.');
  }

  /** Whether a live process holds the copy lock (the scheduler leaves such a copy alone). */
  async isLocked(destinationId: string, archiveName: string): Promise<boolean> {
    const holder = await readFile(`${this.#file(destinationId, archiveName)}.lock`, 'utf8').catch(() => null);
    return holder !== null && isLockAlive(holder);
  }

  #dir(destinationId: string): string {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(destinationId)) throw new LifeboatError('INVALID_INPUT', 'A destination id must be letters, digits and dashes.', 'Report this: destination ids are made by Lifeboat.');
    return path.join(this.#root, destinationId);
  }

  // Archive names are file names from anywhere (lifeboat copy FILE): hashed, so none becomes a path.
  #file(destinationId: string, archiveName: string): string {
    return path.join(this.#dir(destinationId), `${createHash('sha256').update(archiveName).digest('hex').slice(0, 40)}.json`);
  }
}

async function readRecord(file: string): Promise<CopyRecord | null> {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null || text.length > MAX_RECORD_BYTES) return null;
  try {
    const record = JSON.parse(text) as CopyRecord;
    return record && record.version === 1 && typeof record.archiveName === 'string' ? record : null;
  } catch {
    return null; // a record cut short by a crash: the copy starts over, which is always safe
  }
}

export function copyStateOf(record: CopyRecord, destinationName: string): CopyState {
  return {
    destinationId: record.destinationId,
    destinationName,
    archive: record.archivePath,
    sha256: record.sha256,
    bytes: record.bytes,
    state: record.state,
    bytesDone: record.bytesDone,
    updatedAt: record.updatedAt,
    ...(record.verifiedAt ? { verifiedAt: record.verifiedAt } : {}),
    ...(record.error ? { error: record.error } : {}),
  };
}

async function createWithContent(file: string, content: string): Promise<boolean> {
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, content, { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
}

/** A lock whose pid runs and started when the lock says (a reused pid is not the owner). */
function isLockAlive(content: string): boolean {
  const [pidText, started] = content.split(' ');
  const pid = Number.parseInt(pidText ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (!isProcessAlive(pid)) return false;
  const now = processStartTime(pid);
  return started === undefined || started === '-' || now === null || now === started;
}

/** Moves a dead owner's lock aside; if what was moved is not the lock judged dead, it goes back. */
async function takeOverStale(file: string, judged: string): Promise<void> {
  const aside = `${file}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await rename(file, aside);
  } catch {
    return; // another process moved it first
  }
  const moved = await readFile(aside, 'utf8').catch(() => null);
  if (moved !== judged) await link(aside, file).catch(() => {});
  await rm(aside, { force: true });
}

async function releaseIfOurs(file: string, token: string): Promise<void> {
  if ((await readFile(file, 'utf8').catch(() => null)) === token) await rm(file, { force: true });
}

/** When the process started (Linux: field 22 of /proc/PID/stat), to tell a reused pid from the owner. */
function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}
