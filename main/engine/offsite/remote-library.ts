// What a destination holds, read from the destination alone (a new laptop, a second admin): the
// archives listed from their sidecars there, without downloading any archive, and a full check of a
// remote copy (download, hash, compare). Everything read from the store is hostile: sidecars are
// size-bounded and checked field by field like local ones, object names are shown escaped.
import { createHash } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileDurably } from '../files/durable-files.ts';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { ARCHIVE_EXTENSION, PARTIAL_SUFFIX, SIDECAR_SUFFIX } from '../archive/archive-format.ts';
import { MAX_SIDECAR_BYTES, parseSidecar } from '../archive/sidecar-file.ts';
import { LifeboatError } from '../errors.ts';
import { RateMeter, type JobContext } from '../jobs/job.ts';
import type { ArchiveSidecar } from '../model/archive.ts';
import type { RemoteArchive, RemoteVerifyResult, S3Location } from '../model/offsite.ts';
import type { ConnectedDestination } from './destination-service.ts';
import { SHA256_METADATA } from './s3-upload.ts';
import { s3Problem } from './s3-connection.ts';

/** A bucket can hold anything: listing stops here rather than page through millions of objects. */
const MAX_LISTED_OBJECTS = 200_000;
const SIDECAR_FETCHES_AT_ONCE = 8;

interface ListedObject {
  key: string;
  bytes: number;
  lastModified: string | null;
}

export async function listRemoteArchives(connected: ConnectedDestination, localSha256: (name: string) => string | null, signal?: AbortSignal): Promise<RemoteArchive[]> {
  const objects = await listObjects(connected, signal);
  const byKey = new Map(objects.map((o) => [o.key, o]));
  const archives = objects.filter((o) => o.key.endsWith(ARCHIVE_EXTENSION) && !o.key.slice(connected.destination.s3.prefix.length).includes('/'));
  const listed: RemoteArchive[] = [];
  for (let i = 0; i < archives.length; i += SIDECAR_FETCHES_AT_ONCE) {
    const batch = archives.slice(i, i + SIDECAR_FETCHES_AT_ONCE);
    listed.push(...(await Promise.all(batch.map((o) => describeRemote(connected, o, byKey.get(`${o.key}${SIDECAR_SUFFIX}`) ?? null, localSha256, signal)))));
  }
  return listed.sort((a, b) => (b.sidecar?.createdAt ?? b.lastModified ?? '').localeCompare(a.sidecar?.createdAt ?? a.lastModified ?? ''));
}

async function listObjects({ destination, client }: ConnectedDestination, signal?: AbortSignal): Promise<ListedObject[]> {
  const objects: ListedObject[] = [];
  let token: string | undefined;
  do {
    const page = await client
      .send(new ListObjectsV2Command({ Bucket: destination.s3.bucket, Prefix: destination.s3.prefix, ...(token ? { ContinuationToken: token } : {}) }), signal ? { abortSignal: signal } : {})
      .catch((error: unknown) => Promise.reject(s3Problem(error, destination.s3, 'list the objects in the bucket')));
    for (const item of page.Contents ?? []) if (item.Key) objects.push({ key: item.Key, bytes: item.Size ?? 0, lastModified: item.LastModified?.toISOString() ?? null });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token && objects.length < MAX_LISTED_OBJECTS);
  return objects;
}

async function describeRemote(connected: ConnectedDestination, archive: ListedObject, sidecarObject: ListedObject | null, localSha256: (name: string) => string | null, signal?: AbortSignal): Promise<RemoteArchive> {
  const name = archive.key.slice(connected.destination.s3.prefix.length);
  const base = { destination: connected.destination.name, key: archive.key, name, bytes: archive.bytes, lastModified: archive.lastModified };
  let sidecar: ArchiveSidecar | null = null;
  let problem: string | undefined;
  if (!sidecarObject) problem = 'No sidecar next to it: the upload did not finish, or the sidecar was deleted.';
  else {
    try {
      sidecar = await fetchSidecar(connected, sidecarObject, signal);
      if (sidecar.archive !== name) problem = `Its sidecar describes another archive (${sidecar.archive}).`;
      else if (sidecar.bytes !== archive.bytes) problem = `It is ${archive.bytes} bytes; its sidecar says ${sidecar.bytes}.`;
    } catch (error) {
      if (error instanceof LifeboatError && error.code !== 'NOT_AN_ARCHIVE') throw error;
      problem = (error as Error).message;
    }
  }
  const local = sidecar !== null && localSha256(name) === sidecar.sha256;
  return { ...base, sidecar, local, ...(problem ? { problem } : {}) };
}

async function fetchSidecar({ destination, client }: ConnectedDestination, object: ListedObject, signal?: AbortSignal): Promise<ArchiveSidecar> {
  const notSidecar = (why: string) => new LifeboatError('NOT_AN_ARCHIVE', `The sidecar ${object.key} ${why}.`);
  if (object.bytes > MAX_SIDECAR_BYTES) throw notSidecar(`is ${object.bytes} bytes, more than a sidecar can be`);
  const answer = await client
    .send(new GetObjectCommand({ Bucket: destination.s3.bucket, Key: object.key, Range: `bytes=0-${MAX_SIDECAR_BYTES}` }), signal ? { abortSignal: signal } : {})
    .catch((error: unknown) => Promise.reject(s3Problem(error, destination.s3, `read the sidecar ${object.key}`)));
  const bytes = await answer.Body?.transformToByteArray();
  if (!bytes || bytes.length > MAX_SIDECAR_BYTES) throw notSidecar('is larger than a sidecar can be');
  try {
    return parseSidecar(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)));
  } catch (error) {
    throw notSidecar(`is not valid: ${(error as Error).message}`);
  }
}

/**
 * Downloads the remote archive and hashes it: the copy is good when its bytes have the SHA-256 and
 * size its remote sidecar names, and — when this computer has the original — the local sidecar too.
 */
export async function verifyRemoteArchive(connected: ConnectedDestination, name: string, expected: { sha256: string; bytes: number } | null, ctx: JobContext): Promise<RemoteVerifyResult> {
  const { destination, client, keyFor } = connected;
  const key = keyFor(name);
  const sidecarObject = { key: `${key}${SIDECAR_SUFFIX}`, bytes: 0, lastModified: null };
  const sidecar = await fetchSidecar(connected, sidecarObject, ctx.signal);
  const head = await client.send(new HeadObjectCommand({ Bucket: destination.s3.bucket, Key: key }), { abortSignal: ctx.signal }).catch((error: unknown) => Promise.reject(s3Problem(error, destination.s3, `read ${name}`)));
  const { sha256, bytes } = await hashObject(client, destination.s3, key, head.ContentLength ?? sidecar.bytes, ctx);
  const checks: string[] = [];
  const mismatch = (what: string, want: string) => new LifeboatError('VERIFY_FAILED', `The copy of ${name} in ${destination.name} does not match ${what}: it is ${bytes} bytes with SHA-256 ${sha256}, ${what} says ${want}.`, 'This copy is damaged: copy the archive to the destination again (lifeboat copy FILE --to DEST), or restore from another copy.');
  if (sha256 !== sidecar.sha256 || bytes !== sidecar.bytes) throw mismatch('its sidecar at the destination', `${sidecar.bytes} bytes with ${sidecar.sha256}`);
  checks.push(`SHA-256 of the ${bytes} bytes downloaded equals the remote sidecar's`);
  const recorded = head.Metadata?.[SHA256_METADATA];
  if (recorded && recorded !== sha256) throw mismatch('the SHA-256 recorded when it was uploaded', recorded);
  if (recorded) checks.push('equals the SHA-256 recorded at upload');
  if (expected) {
    if (expected.sha256 !== sha256 || expected.bytes !== bytes) throw mismatch('the local sidecar', `${expected.bytes} bytes with ${expected.sha256}`);
    checks.push('equals the local archive\'s sidecar');
  }
  return { destination: destination.name, key, bytes, sha256, ok: true, checks };
}

/**
 * Streams the object through SHA-256 (and into `sink`, when given), reporting progress. The store
 * is hostile: it is cut off at `total` bytes rather than trusted to end.
 */
async function hashObject(client: S3Client, location: S3Location, key: string, total: number, ctx: JobContext, sink?: (chunk: Uint8Array) => Promise<void>): Promise<{ sha256: string; bytes: number }> {
  const answer = await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: key }), { abortSignal: ctx.signal }).catch((error: unknown) => Promise.reject(s3Problem(error, location, `download ${key}`)));
  const body = answer.Body as AsyncIterable<Uint8Array> | undefined;
  if (!body) throw new LifeboatError('S3_FAILED', `The store returned no body for ${key}.`, 'Try again.');
  const hash = createHash('sha256');
  const meter = new RateMeter();
  let bytes = 0;
  let reported = 0;
  for await (const chunk of body) {
    bytes += chunk.length;
    if (bytes > total) throw new LifeboatError('VERIFY_FAILED', `${key} is longer than the ${total} bytes its sidecar names: the download was stopped.`, 'This copy is damaged or was replaced: copy the archive to the destination again, or use another copy.');
    hash.update(chunk);
    if (sink) await sink(chunk);
    if (bytes - reported >= 4 * 1024 * 1024 || bytes === total) {
      reported = bytes;
      const rate = meter.sample(bytes);
      ctx.report({ phase: 'Downloading', fraction: total ? Math.min(1, bytes / total) : null, bytes, bytesPerSecond: rate, etaSeconds: rate ? Math.round((total - bytes) / rate) : null });
    }
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * Downloads a remote archive and its sidecar into `folder`: written under a temporary name, kept
 * only when its bytes have the SHA-256 and size the remote sidecar names, never over an existing file.
 */
export async function downloadRemoteArchive(connected: ConnectedDestination, name: string, folder: string, ctx: JobContext): Promise<{ file: string; sha256: string; bytes: number }> {
  const { destination, client, keyFor } = connected;
  const key = keyFor(name);
  const sidecar = await fetchSidecar(connected, { key: `${key}${SIDECAR_SUFFIX}`, bytes: 0, lastModified: null }, ctx.signal);
  if (sidecar.archive !== name) throw new LifeboatError('VERIFY_FAILED', `The sidecar of ${name} in ${destination.name} describes another archive (${sidecar.archive}).`, 'Use another copy of this backup.');
  const file = path.join(folder, name);
  if (await stat(file).then(() => true, () => false)) throw new LifeboatError('INVALID_INPUT', `${file} already exists; Lifeboat never overwrites a file.`, 'Choose another folder, or move that file away first.');
  const partial = `${file}${PARTIAL_SUFFIX}`;
  const handle = await open(partial, 'wx', 0o600);
  try {
    const got = await hashObject(client, destination.s3, key, sidecar.bytes, ctx, async (chunk) => void (await handle.write(chunk)));
    await handle.sync();
    if (got.sha256 !== sidecar.sha256 || got.bytes !== sidecar.bytes) {
      throw new LifeboatError('VERIFY_FAILED', `The copy of ${name} in ${destination.name} is ${got.bytes} bytes with SHA-256 ${got.sha256}; its sidecar says ${sidecar.bytes} bytes with ${sidecar.sha256}. It was not kept.`, 'This copy is damaged: use another copy of this backup, or copy the archive there again.');
    }
    await handle.close();
    await rename(partial, file);
    await writeFileDurably(`${file}${SIDECAR_SUFFIX}`, `${JSON.stringify(sidecar, undefined, 2)}\n`);
    return { file, ...got };
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(partial, { force: true });
    throw error;
  }
}
