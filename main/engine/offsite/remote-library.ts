// What a destination holds, read from the destination alone (a new laptop, a second admin): the
// archives listed from their sidecars there, without downloading any archive; a full check of a
// remote copy (download, hash, compare); and a download into a local folder. Everything read from
// the store is hostile: listings are capped, sidecars size-bounded and checked field by field like
// local ones, downloads cut off at the size the sidecar names, names never become paths.
import { createHash } from 'node:crypto';
import { open, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { ARCHIVE_EXTENSION, PARTIAL_SUFFIX, SIDECAR_SUFFIX } from '../archive/archive-format.ts';
import { MAX_SIDECAR_BYTES, parseSidecar } from '../archive/sidecar-file.ts';
import { LifeboatError } from '../errors.ts';
import { placeExclusively, writeFileExclusively } from '../files/durable-files.ts';
import { RateMeter, type JobContext } from '../jobs/job.ts';
import type { ArchiveSidecar } from '../model/archive.ts';
import type { RemoteArchive, RemoteVerifyResult } from '../model/offsite.ts';
import type { ConnectedDestination } from './destination-service.ts';
import type { RemoteObject, RemoteStore } from './remote-store.ts';

/** A folder can hold anything: listing stops here rather than page through millions of objects. */
const MAX_LISTED_OBJECTS = 200_000;
const SIDECAR_FETCHES_AT_ONCE = 8;
/** Names Lifeboat gives archives: a remote name outside this never becomes a local file name. */
const ARCHIVE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.lifeboat$/;

export async function listRemoteArchives(connected: ConnectedDestination, localSha256: (name: string) => string | null, signal?: AbortSignal): Promise<RemoteArchive[]> {
  const objects = await connected.store.list(MAX_LISTED_OBJECTS, signal);
  const byName = new Map(objects.map((o) => [o.name, o]));
  const archives = objects.filter((o) => o.name.endsWith(ARCHIVE_EXTENSION) && ARCHIVE_NAME.test(o.name));
  const listed: RemoteArchive[] = [];
  for (let i = 0; i < archives.length; i += SIDECAR_FETCHES_AT_ONCE) {
    const batch = archives.slice(i, i + SIDECAR_FETCHES_AT_ONCE);
    listed.push(...(await Promise.all(batch.map((o) => describeRemote(connected, o, byName.get(`${o.name}${SIDECAR_SUFFIX}`) ?? null, localSha256, signal)))));
  }
  return listed.sort((a, b) => (b.sidecar?.createdAt ?? b.lastModified ?? '').localeCompare(a.sidecar?.createdAt ?? a.lastModified ?? ''));
}

async function describeRemote(connected: ConnectedDestination, archive: RemoteObject, sidecarObject: RemoteObject | null, localSha256: (name: string) => string | null, signal?: AbortSignal): Promise<RemoteArchive> {
  const base = { destination: connected.destination.name, key: archive.name, name: archive.name, bytes: archive.bytes, lastModified: archive.lastModified };
  let sidecar: ArchiveSidecar | null = null;
  let problem: string | undefined;
  if (!sidecarObject) problem = 'No sidecar next to it: the upload did not finish, or the sidecar was deleted.';
  else {
    try {
      sidecar = await fetchSidecar(connected.store, archive.name, signal, sidecarObject.bytes);
      if (sidecar.archive !== archive.name) problem = `Its sidecar describes another archive (${sidecar.archive}).`;
      else if (sidecar.bytes !== archive.bytes) problem = `It is ${archive.bytes} bytes; its sidecar says ${sidecar.bytes}.`;
    } catch (error) {
      // One unreadable sidecar (archived to Glacier, refused, damaged) is that archive's problem, not the listing's.
      problem = (error as Error).message;
    }
  }
  const local = sidecar !== null && localSha256(archive.name) === sidecar.sha256;
  return { ...base, sidecar, local, ...(problem ? { problem } : {}) };
}

/** The archive's sidecar at the destination, bounded and checked field by field. */
async function fetchSidecar(store: RemoteStore, archiveName: string, signal?: AbortSignal, listedBytes = 0): Promise<ArchiveSidecar> {
  const name = `${archiveName}${SIDECAR_SUFFIX}`;
  const notSidecar = (why: string) => new LifeboatError('NOT_AN_ARCHIVE', `The sidecar ${name} ${why}.`, 'Copy the archive to the destination again (its sidecar is written last).');
  if (listedBytes > MAX_SIDECAR_BYTES) throw notSidecar(`is ${listedBytes} bytes, more than a sidecar can be`);
  const bytes = await store.getSmall(name, MAX_SIDECAR_BYTES, signal);
  if (bytes.length > MAX_SIDECAR_BYTES) throw notSidecar('is larger than a sidecar can be');
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
  const { destination, store } = connected;
  const sidecar = await fetchSidecar(store, name, ctx.signal);
  const found = await store.stat(name, ctx.signal);
  if (!found) throw new LifeboatError('FILE_NOT_FOUND', `${destination.name} has a sidecar for ${name} but not the archive.`, 'Copy the archive to the destination again.');
  const { sha256, bytes } = await hashObject(store, name, Math.max(found.bytes, sidecar.bytes), ctx);
  const checks: string[] = [];
  const mismatch = (what: string, want: string) => new LifeboatError('VERIFY_FAILED', `The copy of ${name} in ${destination.name} does not match ${what}: it is ${bytes} bytes with SHA-256 ${sha256}, ${what} says ${want}.`, 'This copy is damaged: copy the archive to the destination again (lifeboat copy FILE --to DEST), or restore from another copy.');
  if (sha256 !== sidecar.sha256 || bytes !== sidecar.bytes) throw mismatch('its sidecar at the destination', `${sidecar.bytes} bytes with ${sidecar.sha256}`);
  checks.push(`SHA-256 of the ${bytes} bytes downloaded equals the remote sidecar's`);
  if (found.sha256 && found.sha256 !== sha256) throw mismatch('the SHA-256 recorded when it was uploaded', found.sha256);
  if (found.sha256) checks.push('equals the SHA-256 recorded at upload');
  if (expected) {
    if (expected.sha256 !== sha256 || expected.bytes !== bytes) throw mismatch('the local sidecar', `${expected.bytes} bytes with ${expected.sha256}`);
    checks.push('equals the local archive\'s sidecar');
  }
  return { destination: destination.name, key: name, bytes, sha256, ok: true, checks };
}

/**
 * Streams the object through SHA-256 (and into `sink`, when given), reporting progress. The store
 * is hostile: it is cut off one byte past `total` rather than trusted to end.
 */
async function hashObject(store: RemoteStore, name: string, total: number, ctx: JobContext, sink?: (chunk: Uint8Array) => Promise<void>): Promise<{ sha256: string; bytes: number }> {
  const body = await store.read(name, ctx.signal);
  const hash = createHash('sha256');
  const meter = new RateMeter();
  let bytes = 0;
  let reported = 0;
  for await (const chunk of body) {
    bytes += chunk.length;
    if (bytes > total) throw new LifeboatError('VERIFY_FAILED', `${name} is longer than the ${total} bytes its sidecar names: the download was stopped.`, 'This copy is damaged or was replaced: copy the archive to the destination again, or use another copy.');
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
  const { destination, store } = connected;
  const sidecar = await fetchSidecar(store, name, ctx.signal);
  if (sidecar.archive !== name) throw new LifeboatError('VERIFY_FAILED', `The sidecar of ${name} in ${destination.name} describes another archive (${sidecar.archive}).`, 'Use another copy of this backup.');
  const file = path.join(folder, name);
  if (await stat(file).then(() => true, () => false)) throw alreadyThere(file);
  const partial = `${file}${PARTIAL_SUFFIX}`;
  const handle = await open(partial, 'wx', 0o600);
  try {
    const got = await hashObject(store, name, sidecar.bytes, ctx, async (chunk) => void (await handle.write(chunk)));
    await handle.sync();
    if (got.sha256 !== sidecar.sha256 || got.bytes !== sidecar.bytes) {
      throw new LifeboatError('VERIFY_FAILED', `The copy of ${name} in ${destination.name} is ${got.bytes} bytes with SHA-256 ${got.sha256}; its sidecar says ${sidecar.bytes} bytes with ${sidecar.sha256}. It was not kept.`, 'This copy is damaged: use another copy of this backup, or copy the archive there again.');
    }
    await handle.close();
    // As a backup publishes: the sidecar claims the name, then the archive is placed — neither over a
    // file that appeared meanwhile (the check above only says it early).
    const sidecarFile = `${file}${SIDECAR_SUFFIX}`;
    if (!(await writeFileExclusively(sidecarFile, `${JSON.stringify(sidecar, undefined, 2)}\n`))) throw alreadyThere(sidecarFile);
    await placeExclusively(partial, file).catch(async (error: NodeJS.ErrnoException) => {
      await rm(sidecarFile, { force: true }).catch(() => {});
      throw error.code === 'EEXIST' ? alreadyThere(file) : error;
    });
    return { file, ...got };
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(partial, { force: true });
    throw error;
  }
}

function alreadyThere(file: string): LifeboatError {
  return new LifeboatError('INVALID_INPUT', `${file} already exists; Lifeboat never overwrites a file.`, 'Choose another folder, or move that file away first.');
}
