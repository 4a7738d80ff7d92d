// A resumable upload of one local file to an SFTP folder. The bytes go to a temporary file
// ("<name>.partial-<random>", which no listing takes for an archive) in 16 MiB chunks; after each
// chunk the server acknowledged and synced, its SHA-256 goes into the copy record's journal. A run
// that was cancelled, lost its connection or was killed resumes at the next one: the chunks the
// temporary file still covers are kept when the local file still hashes the same there — the local
// bytes are re-read and hashed (cheap), the remote ones are not downloaded again — and writing starts
// at the first chunk that is missing or whose local bytes changed. The whole file's SHA-256 is
// computed over exactly the bytes read and must equal the sidecar's before the temporary file is
// renamed to its name, with SFTP's own rename, which fails rather than replace an existing file.
import { createHash, randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { openUserFile } from '../files/user-file.ts';
import { LifeboatError } from '../errors.ts';
import type { SftpLocation } from '../model/offsite.ts';
import type { SftpJournal } from './copy-records.ts';
import { notTheArchive, readExactly } from './local-chunks.ts';
import type { StoreUpload, UploadOutcome } from './remote-store.ts';
import { remotePath } from './sftp-location.ts';
import { sftpProblem, type SftpSession } from './sftp-session.ts';

const MIB = 1024 * 1024;
const MIN_CHUNK = 16 * MIB;
/** The journal holds one hash per chunk: big archives get bigger chunks, so the record stays small. */
const MAX_CHUNKS = 8192;

export interface SftpUploadRequest extends StoreUpload {
  session: SftpSession;
  location: SftpLocation;
  where: string;
}

export function chunkSizeFor(bytes: number): number {
  return Math.max(MIN_CHUNK, Math.ceil(bytes / MAX_CHUNKS / MIB) * MIB);
}

const chunkCount = (bytes: number, chunkSize: number) => Math.max(1, Math.ceil(bytes / chunkSize));

export async function uploadToSftp(request: SftpUploadRequest): Promise<UploadOutcome> {
  const { record } = request;
  const chunks = chunkCount(record.bytes, chunkSizeFor(record.bytes));
  // A run killed between the rename and its record, or a copy made before: the file is there already.
  if (await sameFileThere(request)) {
    if (record.upload?.kind === 'sftp') await removeQuietly(request, record.upload.temp);
    return { partsSent: 0, partsResumed: chunks };
  }
  const { journal, exists } = await resumableJournal(request);
  record.upload = journal;
  record.bytesDone = Math.min(record.bytes, journal.chunks.length * journal.chunkSize);
  await request.save(record);
  const { handle: local } = await openUserFile(request.file); // a pipe swapped in for the archive is refused, not waited on
  try {
    const outcome = await writeTemporary(request, journal, local, exists);
    await publish(request, journal);
    return outcome;
  } catch (error) {
    if (error instanceof LifeboatError && error.code === 'COPY_NOT_VERIFIED') await forgetUpload(request, journal);
    throw error;
  } finally {
    await local.close();
  }
}

/**
 * The temporary file of an earlier attempt at this upload, with the chunks it still covers; else a
 * new one. A temporary file longer than the archive (or not a file) is no earlier attempt of ours.
 */
async function resumableJournal(request: SftpUploadRequest): Promise<{ journal: SftpJournal; exists: boolean }> {
  const { record, name, session } = request;
  const chunkSize = chunkSizeFor(record.bytes);
  const prior = record.upload?.kind === 'sftp' ? record.upload : null;
  if (prior && prior.name === name && prior.chunkSize === chunkSize) {
    const found = await session.lstat(remotePath(request.location, prior.temp)).catch(fail(request, `look for ${prior.temp}`));
    if (found?.isFile() && found.size <= record.bytes) {
      const covered = prior.chunks.filter((_, i) => Math.min(record.bytes, (i + 1) * chunkSize) <= found.size).length;
      return { journal: { ...prior, chunks: prior.chunks.slice(0, covered) }, exists: true };
    }
    if (found) await removeQuietly(request, prior.temp);
  } else if (prior) await removeQuietly(request, prior.temp);
  const temp = `${name}.partial-${randomBytes(4).toString('hex')}`;
  return { journal: { kind: 'sftp', temp, name, chunkSize, chunks: [], startedAt: request.now().toISOString() }, exists: false };
}

async function writeTemporary(request: SftpUploadRequest, journal: SftpJournal, local: FileHandle, exists: boolean): Promise<UploadOutcome> {
  const { session, record } = request;
  // A new temporary file is created exclusively: never written through something already there.
  const handle = await session.open(remotePath(request.location, journal.temp), exists ? 'r+' : 'wx').catch(fail(request, `create ${journal.temp}`));
  try {
    const outcome = await sendChunks(request, journal, local, handle);
    const size = (await session.fstat(handle).catch(fail(request, `check the size of ${journal.temp}`))).size;
    if (size !== record.bytes) {
      throw new LifeboatError('COPY_NOT_VERIFIED', `The temporary file ${journal.temp} in ${request.where} is ${size} bytes after the upload, not ${record.bytes}: something else writes to it.`, 'Copy again (the upload starts afresh); if it keeps happening, check what else writes to that folder.');
    }
    return outcome;
  } finally {
    await session.close(handle).catch(() => {});
  }
}

/** Reads every chunk in order (hashing the whole file as it goes) and writes those the temporary file lacks. */
async function sendChunks(request: SftpUploadRequest, journal: SftpJournal, local: FileHandle, handle: Buffer): Promise<UploadOutcome> {
  const { record, session, signal } = request;
  const whole = createHash('sha256');
  const count = chunkCount(record.bytes, journal.chunkSize);
  const buffer = Buffer.allocUnsafe(Math.min(journal.chunkSize, Math.max(1, record.bytes)));
  const outcome: UploadOutcome = { partsSent: 0, partsResumed: 0 };
  for (let index = 0; index < count; index++) {
    signal.throwIfAborted();
    const position = index * journal.chunkSize;
    const body = await readExactly(local, buffer, Math.min(journal.chunkSize, record.bytes - position), position, request.file);
    whole.update(body);
    const sha256 = createHash('sha256').update(body).digest('base64');
    if (index < journal.chunks.length) {
      if (journal.chunks[index] === sha256) {
        outcome.partsResumed++;
        continue;
      }
      // The local file changed here since it was written: this chunk and every later one go again.
      journal.chunks = journal.chunks.slice(0, index);
    }
    await session.write(handle, body, position, signal).catch(fail(request, `write ${journal.temp}`));
    // The journal vouches only for bytes on the server's disk (where the server can sync).
    await session.fsync(handle).catch(fail(request, `sync ${journal.temp}`));
    journal.chunks = [...journal.chunks, sha256];
    record.bytesDone = Math.min(record.bytes, journal.chunks.length * journal.chunkSize);
    await request.save(record);
    await request.onBytes(record.bytesDone);
    outcome.partsSent++;
  }
  const digest = whole.digest('hex');
  if (digest !== record.sha256) throw notTheArchive(record, digest);
  return outcome;
}

/**
 * Renames the complete temporary file to the archive's name. SFTP's rename fails when the name is
 * taken, so an existing file is never replaced: when it holds these very bytes, the temporary file
 * goes; otherwise the copy fails. Only when the name is free and a server refuses the plain rename
 * (some do, for want of hard links) is posix-rename@openssh.com used.
 */
async function publish(request: SftpUploadRequest, journal: SftpJournal): Promise<void> {
  const { session, location } = request;
  const temp = remotePath(location, journal.temp);
  const final = remotePath(location, journal.name);
  try {
    await session.rename(temp, final);
  } catch (error) {
    if (await sameFileThere(request)) {
      await removeQuietly(request, journal.temp);
      return;
    }
    const free = (await session.lstat(final).catch(() => null)) === null;
    if (free && !session.lost && (await session.replace(temp, final).catch(() => false))) return;
    throw sftpProblem(error, session, request.where, `rename ${journal.temp} to ${journal.name}`);
  }
}

/**
 * Whether the archive's name is taken by a file with exactly these bytes (hashed by reading it);
 * a different file there fails the copy: Lifeboat never replaces a file in a destination.
 */
async function sameFileThere(request: SftpUploadRequest): Promise<boolean> {
  const { session, record, name, where } = request;
  const path = remotePath(request.location, name);
  const found = await session.lstat(path).catch(fail(request, `look for ${name}`));
  if (!found) return false;
  const differs = () => new LifeboatError('SFTP_FAILED', `A different ${found.isFile() ? `file of ${found.size} bytes` : 'entry'} named ${name} is already in ${where}; Lifeboat never replaces a file in a destination.`, 'Move or delete that file on the host (it is not this archive), then copy again.');
  if (!found.isFile() || found.size !== record.bytes) throw differs();
  const handle = await session.open(path, 'r').catch(fail(request, `read ${name}`));
  const hash = createHash('sha256');
  try {
    for await (const chunk of session.stream(handle, request.signal)) hash.update(chunk);
  } catch (error) {
    throw sftpProblem(error, session, where, `read ${name}`);
  } finally {
    await session.close(handle).catch(() => {});
  }
  if (hash.digest('hex') !== record.sha256) throw differs();
  return true;
}

/** Drops an upload that must not be resumed (its bytes are not the archive's): the temporary file and the journal go. */
async function forgetUpload(request: SftpUploadRequest, journal: SftpJournal): Promise<void> {
  await removeQuietly(request, journal.temp);
  delete request.record.upload;
  request.record.bytesDone = 0;
  await request.save(request.record);
}

export async function removeQuietly(request: Pick<SftpUploadRequest, 'session' | 'location'>, name: string): Promise<void> {
  await request.session.unlink(remotePath(request.location, name)).catch(() => {});
}

/** A rejection handler turning SFTP's error into the destination's (a cancel stays a cancel). */
function fail(request: SftpUploadRequest, doing: string): (error: unknown) => never {
  return (error) => {
    if (request.signal.aborted) throw error;
    throw sftpProblem(error, request.session, request.where, doing);
  };
}
