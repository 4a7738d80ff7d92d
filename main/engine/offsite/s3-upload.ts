// A resumable, checksummed multipart upload of one local file. S3's own multipart protocol
// (CreateMultipartUpload / UploadPart / ListParts / CompleteMultipartUpload) with the upload id and
// every confirmed part written to the copy record as soon as the store confirms it: an upload that
// was cancelled, lost its network or was killed resumes at the next run, sending only the parts
// the store does not have. Each part carries its SHA-256, which the store checks on arrival; the
// whole file's SHA-256 is computed over exactly the bytes read for the parts and must equal the
// sidecar's before the upload is completed — a local file that changed is never published.
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { openUserFile } from '../files/user-file.ts';
import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, ListPartsCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import { LifeboatError } from '../errors.ts';
import type { S3Location } from '../model/offsite.ts';
import type { MultipartJournal, UploadedPart } from './copy-records.ts';
import type { StoreUpload, UploadOutcome } from './remote-store.ts';
import { notTheArchive, readExactly } from './local-chunks.ts';
import { isNotImplemented, isUploadGone, s3Problem } from './s3-connection.ts';

/** S3 allows 10,000 parts; parts of at least 16 MiB keep the request count low on big archives. */
const MIN_PART_SIZE = 16 * 1024 * 1024;
const MAX_PARTS = 9000;

export const SHA256_METADATA = 'lifeboat-sha256';

/** A store upload (remote-store.ts) with the bucket's client, and the object's key (prefix + name). */
export interface UploadRequest extends Omit<StoreUpload, 'name'> {
  client: S3Client;
  location: S3Location;
  key: string;
}

/**
 * Object Lock in governance mode for the destination's days: nobody deletes or overwrites the copy
 * before then (ransomware holding the access key included) unless they hold the bypass permission.
 */
export function objectLockFields(location: S3Location, now: Date): { ObjectLockMode?: 'GOVERNANCE'; ObjectLockRetainUntilDate?: Date } {
  if (!location.objectLockDays) return {};
  return { ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: new Date(now.getTime() + location.objectLockDays * 86_400_000) };
}

export function partSizeFor(bytes: number): number {
  const mib = 1024 * 1024;
  return Math.max(MIN_PART_SIZE, Math.ceil(bytes / MAX_PARTS / mib) * mib);
}

export async function uploadResumable(request: UploadRequest): Promise<UploadOutcome> {
  const resumed = await resumableJournal(request);
  const journal = resumed?.journal ?? (await startUpload(request));
  // The record saved after every part must hold this journal (a resumed one is a filtered copy).
  request.record.upload = journal;
  const { handle } = await openUserFile(request.file); // a pipe swapped in for the archive is refused, not waited on
  try {
    const outcome = await sendParts(request, journal, resumed?.listed ?? new Map(), handle);
    await complete(request, journal);
    return outcome;
  } catch (error) {
    if (error instanceof LifeboatError && error.code === 'COPY_NOT_VERIFIED') await forgetUpload(request, journal);
    throw error;
  } finally {
    await handle.close();
  }
}

/** Drops an upload that must not be resumed: aborted on the store (its parts are billed), gone from the record. */
async function forgetUpload({ client, location, record, save }: UploadRequest, journal: MultipartJournal): Promise<void> {
  await abortUpload(client, location, journal);
  delete record.upload;
  record.bytesDone = 0;
  await save(record);
}

/** A part as the store lists it. */
interface ListedPart {
  etag: string;
  checksum: string | null;
  bytes: number;
}

/**
 * The journal of an earlier attempt at this same upload, with what the store lists; null = start
 * over. A part the store has but the journal lacks (Lifeboat was killed between the store's answer
 * and the journal's write) is adopted later if its SHA-256 is that of the same bytes.
 */
async function resumableJournal({ client, location, record, key, signal }: UploadRequest): Promise<{ journal: MultipartJournal; listed: Map<number, ListedPart> } | null> {
  const journal = record.upload;
  if (!journal || journal.kind === 'sftp') return null;
  if (journal.key !== key || journal.partSize !== partSizeFor(record.bytes)) {
    await abortUpload(client, location, journal);
    return null;
  }
  try {
    const listed = await listAllParts(client, location, journal, signal);
    // Keep the parts the store lists with the same ETag (sendParts still checks each against the local bytes).
    const confirmed = journal.parts.filter((part) => typeof part.sha256 === 'string' && listed.get(part.partNumber)?.etag === part.etag);
    return { journal: { ...journal, parts: confirmed }, listed };
  } catch (error) {
    if (isUploadGone(error)) return null;
    // Stores without ListParts: trust the journal; CompleteMultipartUpload still checks every part.
    if (isNotImplemented(error)) return { journal: { ...journal, parts: journal.parts.filter((part) => typeof part.sha256 === 'string') }, listed: new Map() };
    throw s3Problem(error, location, 'list the parts of an interrupted upload');
  }
}

async function listAllParts(client: S3Client, location: S3Location, journal: MultipartJournal, signal: AbortSignal): Promise<Map<number, ListedPart>> {
  const listed = new Map<number, ListedPart>();
  let marker: string | undefined;
  for (let page = 0; page < 20; page++) {
    const answer = await client.send(new ListPartsCommand({ Bucket: location.bucket, Key: journal.key, UploadId: journal.uploadId, ...(marker ? { PartNumberMarker: marker } : {}) }), { abortSignal: signal });
    for (const part of answer.Parts ?? []) if (part.PartNumber && part.ETag) listed.set(part.PartNumber, { etag: part.ETag, checksum: part.ChecksumSHA256 ?? null, bytes: part.Size ?? -1 });
    if (!answer.IsTruncated || !answer.NextPartNumberMarker) break;
    marker = answer.NextPartNumberMarker;
  }
  return listed;
}

async function startUpload({ client, location, key, record, save, signal, now }: UploadRequest): Promise<MultipartJournal> {
  const created = await client
    .send(new CreateMultipartUploadCommand({
      Bucket: location.bucket,
      Key: key,
      ContentType: 'application/octet-stream',
      Metadata: { [SHA256_METADATA]: record.sha256 },
      ...(location.partChecksums ? { ChecksumAlgorithm: 'SHA256' } : {}),
      ...(location.storageClass ? { StorageClass: location.storageClass as never } : {}),
      ...objectLockFields(location, now()),
    }), { abortSignal: signal })
    .catch((error: unknown) => Promise.reject(s3Problem(error, location, 'start the upload')));
  if (!created.UploadId) throw new LifeboatError('S3_FAILED', `${location.endpoint} started an upload but gave no upload id.`, 'Check that the endpoint is an S3-compatible store.');
  const journal: MultipartJournal = { uploadId: created.UploadId, key, partSize: partSizeFor(record.bytes), parts: [], startedAt: now().toISOString() };
  record.upload = journal;
  await save(record);
  return journal;
}

/** Reads every part in order (hashing the whole file as it goes) and sends those the store lacks. */
async function sendParts(request: UploadRequest, journal: MultipartJournal, listed: Map<number, ListedPart>, handle: FileHandle): Promise<UploadOutcome> {
  const { record, signal } = request;
  const whole = createHash('sha256');
  const count = Math.max(1, Math.ceil(record.bytes / journal.partSize));
  const buffer = Buffer.allocUnsafe(journal.partSize);
  const have = new Map(journal.parts.map((part) => [part.partNumber, part]));
  const outcome: UploadOutcome = { partsSent: 0, partsResumed: 0 };
  for (let partNumber = 1; partNumber <= count; partNumber++) {
    signal.throwIfAborted();
    const length = Math.min(journal.partSize, record.bytes - (partNumber - 1) * journal.partSize);
    const body = await readExactly(handle, buffer, length, (partNumber - 1) * journal.partSize, request.file);
    whole.update(body);
    const sha256 = createHash('sha256').update(body).digest('base64');
    // A part sent earlier counts only if the file still holds the same bytes there (it may have been replaced since).
    const earlier = have.get(partNumber);
    if (earlier && earlier.sha256 === sha256 && earlier.bytes === body.length) {
      outcome.partsResumed++;
      continue;
    }
    const adopted = adoptListedPart(listed.get(partNumber), partNumber, body, sha256);
    const part = adopted ?? (await sendPart(request, journal, partNumber, body, sha256));
    journal.parts = [...journal.parts.filter((p) => p.partNumber !== partNumber), part];
    record.bytesDone = journal.parts.reduce((sum, p) => sum + p.bytes, 0);
    await request.save(record);
    await request.onBytes(record.bytesDone);
    if (adopted) outcome.partsResumed++;
    else outcome.partsSent++;
  }
  const digest = whole.digest('hex');
  if (digest !== record.sha256) throw notTheArchive(record, digest);
  return outcome;
}

/** A part the store already holds counts as sent only when the store's SHA-256 for it is that of these bytes. */
function adoptListedPart(listed: ListedPart | undefined, partNumber: number, body: Buffer, sha256: string): UploadedPart | null {
  if (!listed?.checksum || listed.bytes !== body.length) return null;
  return listed.checksum === sha256 ? { partNumber, etag: listed.etag, sha256, bytes: body.length } : null;
}

async function sendPart(request: UploadRequest, journal: MultipartJournal, partNumber: number, body: Buffer, sha256: string): Promise<UploadedPart> {
  const { client, location, key, signal } = request;
  const checksum = location.partChecksums ? sha256 : undefined;
  let answer;
  try {
    answer = await client.send(new UploadPartCommand({ Bucket: location.bucket, Key: key, UploadId: journal.uploadId, PartNumber: partNumber, Body: body, ContentLength: body.length, ...(checksum ? { ChecksumSHA256: checksum } : {}) }), { abortSignal: signal });
  } catch (error) {
    if (signal.aborted) throw error;
    // The store dropped the upload (a lifecycle rule, an abort): the next attempt starts afresh.
    if (isUploadGone(error)) await forgetUpload(request, journal);
    throw s3Problem(error, location, `upload part ${partNumber}`);
  }
  if (!answer.ETag) throw new LifeboatError('S3_FAILED', `${location.endpoint} accepted part ${partNumber} but returned no ETag.`, 'Check that the endpoint is an S3-compatible store.');
  if (checksum && answer.ChecksumSHA256 && answer.ChecksumSHA256 !== checksum) {
    throw new LifeboatError('S3_CHECKSUM_REJECTED', `${location.endpoint} stored part ${partNumber} with a different SHA-256 than Lifeboat sent.`, 'The data changed on the way: check the network, then try again (the upload resumes).');
  }
  return { partNumber, etag: answer.ETag, sha256, bytes: body.length };
}

async function complete({ client, location, key, record, save, signal }: UploadRequest, journal: MultipartJournal): Promise<void> {
  const parts = [...journal.parts].sort((a, b) => a.partNumber - b.partNumber).map((p) => ({ PartNumber: p.partNumber, ETag: p.etag, ...(location.partChecksums ? { ChecksumSHA256: p.sha256 } : {}) }));
  try {
    await client.send(new CompleteMultipartUploadCommand({ Bucket: location.bucket, Key: key, UploadId: journal.uploadId, MultipartUpload: { Parts: parts } }), { abortSignal: signal });
  } catch (error) {
    if (isUploadGone(error)) {
      // The store lost parts (or the whole upload): the next attempt starts from the first part.
      delete record.upload;
      record.bytesDone = 0;
      await save(record);
    }
    throw s3Problem(error, location, 'complete the upload');
  }
}

/** Abandons an upload on the store (its parts are billed until aborted or expired). */
export async function abortUpload(client: S3Client, location: S3Location, journal: MultipartJournal): Promise<void> {
  await client.send(new AbortMultipartUploadCommand({ Bucket: location.bucket, Key: journal.key, UploadId: journal.uploadId })).catch(() => {});
}
