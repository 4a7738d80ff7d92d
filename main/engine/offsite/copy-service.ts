// Copies of archives in destinations: the copy job (archive, then its sidecar, then verification),
// the state of each copy as this computer last saw it, and resuming copies a killed or failed run
// left unfinished. A copy counts as verified only when the store holds exactly the bytes whose
// SHA-256 the local sidecar names: the hash of the bytes sent equals the sidecar's, the store
// confirmed each part's SHA-256, and the object's size and recorded SHA-256 match.
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { SIDECAR_SUFFIX } from '../archive/archive-format.ts';
import { readSidecarFile } from '../archive/sidecar-file.ts';
import { sidecarTagVerifies, type LibraryKey } from '../archive/sidecar-tag.ts';
import type { JobActivity } from '../activity/activity-log.ts';
import { LifeboatError, toErrorInfo } from '../errors.ts';
import { RateMeter, startJob, type Job, type JobRunContext } from '../jobs/job.ts';
import { makePrivateTemp } from '../jobs/private-temp.ts';
import type { Clock } from '../ports.ts';
import type { ArchiveSidecar } from '../model/archive.ts';
import type { CopyResult, CopyState, Destination, RemoteArchive, RemoteVerifyResult } from '../model/offsite.ts';
import { ARCHIVE_EXTENSION } from '../archive/archive-format.ts';
import { downloadRemoteArchive, listRemoteArchives, verifyRemoteArchive } from './remote-library.ts';
import { CopyRecords, copyStateOf, type CopyRecord } from './copy-records.ts';
import type { ConnectedDestination, DestinationService } from './destination-service.ts';
import type { RemoteStore } from './remote-store.ts';

/** A failed upload is tried again by the scheduler after this long. */
const FAILED_COPY_RETRY_MS = 30 * 60_000;

export interface CopyRequest {
  /** The local archive (its sidecar must sit next to it). */
  file: string;
  /** Destination id or name. */
  destination: string;
}

/** A remote archive downloaded into a private temporary folder for one restore, drill or inspection (fetchForUse). */
export interface FetchedCopy {
  file: string;
  sha256: string;
  bytes: number;
  /** The destination's name, and the archive's name there. */
  destination: string;
  name: string;
  /** Removes the temporary folder and the copy in it (safe to call more than once). */
  release(): Promise<void>;
}

export class CopyService {
  readonly #destinations: DestinationService;
  readonly #records: CopyRecords;
  readonly #clock: Clock;
  readonly #activity: JobActivity | null;

  readonly #libraryKey: LibraryKey | null;

  constructor(deps: { destinations: DestinationService; records: CopyRecords; clock: Clock; activity?: JobActivity; libraryKey?: LibraryKey }) {
    this.#libraryKey = deps.libraryKey ?? null;
    this.#destinations = deps.destinations;
    this.#records = deps.records;
    this.#clock = deps.clock;
    this.#activity = deps.activity ?? null;
  }

  start(request: CopyRequest): Job<CopyResult> {
    const file = path.resolve(request.file);
    const destination = this.#destinations.find(request.destination);
    const job = startJob('copy', (ctx) => this.#copy(file, destination, ctx));
    this.#activity?.recordJob(job, { what: 'copy', title: `Copy to ${destination.name}`, profile: destination.profileId, archive: file });
    return job;
  }

  /** Copies of a profile's new backup to each of its destinations (after every backup). */
  startForBackup(file: string, profileId: string): { job: Job<CopyResult>; destination: string }[] {
    return this.#destinations.forProfile(profileId).map((d) => ({ job: this.start({ file, destination: d.id }), destination: d.name }));
  }

  /** Copies a failed or killed run left unfinished (state "uploading" or "failed" with an upload to resume), whose archive is still here. */
  async resumeInterrupted(): Promise<{ job: Job<CopyResult>; destination: string; profileId: string; archive: string }[]> {
    const jobs: { job: Job<CopyResult>; destination: string; profileId: string; archive: string }[] = [];
    const retryBefore = this.#clock.now().getTime() - FAILED_COPY_RETRY_MS;
    for (const record of await this.#records.list()) {
      // Killed mid-upload ("uploading" with no live owner), or failed a while ago: not every minute
      // against a destination that is down (the app's scheduler asks every minute).
      // A copy the user cancelled waits for the user.
      const due = record.state === 'uploading' || (record.state === 'failed' && record.error?.code !== 'CANCELLED' && new Date(record.updatedAt).getTime() < retryBefore);
      if (!due || !record.upload || (await this.#records.isLocked(record.destinationId, record.archiveName))) continue;
      const known = await this.#destinations.get(record.destinationId).catch(() => null);
      const present = await stat(record.archivePath).then((s) => s.isFile(), () => false);
      if (known && present) jobs.push({ job: this.start({ file: record.archivePath, destination: record.destinationId }), destination: known.name, profileId: known.profileId, archive: record.archivePath });
    }
    return jobs;
  }

  /** The archives in a destination, from its sidecars there (nothing is downloaded but sidecars). */
  async listRemote(destination: string, signal?: AbortSignal): Promise<RemoteArchive[]> {
    const connected = await this.#destinations.connect(destination);
    try {
      const local = await this.#localCopies(connected.destination.id);
      return await listRemoteArchives(connected, (name) => local.get(name) ?? null, signal);
    } finally {
      await connected.store.close();
    }
  }

  /** Downloads a remote copy and checks its bytes against its sidecars (remote, and local when this computer has the archive). */
  verifyRemote(destination: string, name: string): Job<RemoteVerifyResult> {
    const archiveName = checkRemoteName(name);
    const found = this.#destinations.find(destination);
    const job = startJob('verify', cancelSaysSo(`The check of ${archiveName} in ${found.name} was cancelled.`, async (ctx) => {
      const connected = await this.#destinations.connect(found.id);
      ctx.defer(() => connected.store.close());
      const record = await this.#records.read(found.id, archiveName);
      const expected = record && record.state === 'verified' ? { sha256: record.sha256, bytes: record.bytes } : null;
      return verifyRemoteArchive(connected, archiveName, expected, ctx);
    }));
    this.#activity?.recordJob(job, { what: 'verify', title: `Verify the copy in ${found.name}`, profile: found.profileId, archive: `${found.name}:${archiveName}` });
    return job;
  }

  /** Downloads a remote archive (and its sidecar) into a local folder, checked against its remote sidecar. */
  download(destination: string, name: string, folder: string): Job<{ file: string; sha256: string; bytes: number }> {
    const archiveName = checkRemoteName(name);
    const found = this.#destinations.find(destination);
    return startJob('copy', cancelSaysSo(`The download of ${archiveName} from ${found.name} was cancelled; nothing was kept.`, async (ctx) => {
      const connected = await this.#destinations.connect(found.id);
      ctx.defer(() => connected.store.close());
      return downloadRemoteArchive(connected, archiveName, path.resolve(folder), ctx);
    }));
  }

  /**
   * A remote archive downloaded (checked against its remote sidecar, as download() does) into a private
   * temporary folder of its own, to restore, drill or inspect it: the caller calls release() once done
   * with the file. A failed or cancelled download leaves nothing behind, and the folder of a process
   * killed first is removed at the next start (jobs/private-temp.ts). The app and the CLI share this.
   */
  fetchForUse(destination: string, name: string): Job<FetchedCopy> {
    const archiveName = checkRemoteName(name);
    const found = this.#destinations.find(destination);
    return startJob('download', async (ctx) => {
      const folder = await makePrivateTemp('restore');
      let removed: Promise<void> | null = null;
      const release = () => (removed ??= rm(folder, { recursive: true, force: true }));
      try {
        const got = await ctx.follow(this.download(found.id, archiveName, folder), (progress) => ({ ...progress, currentItem: found.name }));
        return { ...got, destination: found.name, name: archiveName, release };
      } catch (error) {
        await release();
        // The store's "request aborted" is not the news: the user cancelled.
        if (ctx.signal.aborted) throw new LifeboatError('CANCELLED', `The download of ${archiveName} from ${found.name} was cancelled; nothing was kept.`, undefined, { cause: error });
        throw error;
      }
    });
  }

  /** Archive name → SHA-256 of the archives this computer copied to the destination and still has. */
  async #localCopies(destinationId: string): Promise<Map<string, string>> {
    const local = new Map<string, string>();
    for (const record of await this.#records.list(destinationId)) {
      if (record.state === 'verified' && (await stat(record.archivePath).then((s) => s.size === record.bytes, () => false))) local.set(record.archiveName, record.sha256);
    }
    return local;
  }

  /**
   * The newest of this computer's own backups (sidecar tag verifies) among the profile's
   * destinations' copies, listed from the destinations themselves; null when there is none.
   */
  async newestOffsite(profileId: string, signal?: AbortSignal): Promise<{ destinationId: string; destination: string; name: string; createdAt: string } | null> {
    const key = (await this.#libraryKey?.get()) ?? null;
    let newest: { destinationId: string; destination: string; name: string; createdAt: string } | null = null;
    for (const destination of this.#destinations.forProfile(profileId)) {
      for (const archive of await this.listRemote(destination.id, signal)) {
        const sidecar = archive.sidecar;
        if (!sidecar || archive.problem || sidecar.partial || !sidecarTagVerifies(sidecar, key)) continue;
        if (!newest || sidecar.createdAt > newest.createdAt) newest = { destinationId: destination.id, destination: destination.name, name: archive.name, createdAt: sidecar.createdAt };
      }
    }
    return newest;
  }

  /** For each destination of the profile: when a copy there was last verified (null: never), and since when the destination exists. */
  async lastVerified(profileId: string): Promise<{ destinationId: string; destination: string; verifiedAt: string | null; since: string }[]> {
    const answer = [];
    for (const destination of this.#destinations.forProfile(profileId)) {
      const times = (await this.#records.list(destination.id)).map((r) => r.verifiedAt).filter((t): t is string => typeof t === 'string');
      answer.push({ destinationId: destination.id, destination: destination.name, verifiedAt: times.sort().at(-1) ?? null, since: destination.createdAt });
    }
    return answer;
  }

  /** What this computer knows of each copy, for one archive or all. */
  async states(filter: { file?: string; destination?: string } = {}): Promise<CopyState[]> {
    const destinationId = filter.destination ? this.#destinations.find(filter.destination).id : undefined;
    const names = new Map((await this.#destinations.list()).map((d) => [d.id, d.name]));
    const records = await this.#records.list(destinationId);
    const file = filter.file ? path.resolve(filter.file) : null;
    return records.filter((r) => names.has(r.destinationId) && (!file || r.archivePath === file)).map((r) => copyStateOf(r, names.get(r.destinationId)!));
  }

  async #copy(file: string, destination: Destination, ctx: JobRunContext): Promise<CopyResult> {
    const started = performance.now();
    const sidecar = await localSidecar(file);
    const release = await this.#records.lock(destination.id, path.basename(file));
    ctx.defer(release);
    const connected = await this.#destinations.connect(destination.id);
    ctx.defer(() => connected.store.close());
    const record = await this.#startRecord(destination, file, sidecar, connected.store);
    try {
      const result = await this.#upload(connected, record, ctx);
      return { ...result, durationMs: Math.round(performance.now() - started) };
    } catch (error) {
      const failure = ctx.signal.aborted ? new LifeboatError('CANCELLED', `The copy to ${destination.name} was cancelled; the next copy resumes where it stopped.`, undefined, { cause: error }) : error;
      await this.#records.write({ ...record, state: 'failed', error: toErrorInfo(failure), updatedAt: this.#clock.now().toISOString() });
      throw failure;
    }
  }

  /** The record to continue: the same archive's unfinished upload when there is one, else a fresh one. */
  async #startRecord(destination: Destination, file: string, sidecar: ArchiveSidecar, store: RemoteStore): Promise<CopyRecord> {
    const existing = await this.#records.read(destination.id, path.basename(file));
    const now = this.#clock.now().toISOString();
    const sameArchive = existing && existing.archivePath === file && existing.sha256 === sidecar.sha256 && existing.bytes === sidecar.bytes;
    // An unfinished upload of other bytes under this name is dropped at the store (its parts are billed, its temporary file takes space).
    if (existing?.upload && !sameArchive) await store.abandon(existing).catch(() => {});
    const record: CopyRecord = sameArchive && existing.upload
      ? { ...existing, state: 'uploading', updatedAt: now }
      : { version: 1, destinationId: destination.id, archiveName: path.basename(file), archivePath: file, sha256: sidecar.sha256, bytes: sidecar.bytes, state: 'uploading', bytesDone: 0, updatedAt: now };
    delete record.error;
    delete record.verifiedAt;
    await this.#records.write(record);
    return record;
  }

  async #upload(connected: ConnectedDestination, record: CopyRecord, ctx: JobRunContext): Promise<Omit<CopyResult, 'durationMs'>> {
    const { destination, store } = connected;
    const meter = new RateMeter();
    const pace = bandwidthPacer(destination.bandwidthLimit ?? null, record.bytesDone, ctx.signal);
    const progress = async (done: number) => {
      const rate = meter.sample(done);
      ctx.report({ phase: 'Uploading', fraction: record.bytes ? done / record.bytes : null, bytes: done, bytesPerSecond: rate, etaSeconds: rate ? Math.round((record.bytes - done) / rate) : null, currentItem: destination.name });
      await pace(done);
    };
    ctx.report({ phase: 'Uploading', fraction: 0, bytes: 0, currentItem: destination.name, message: `Copying ${record.archiveName} to ${destination.name}` });
    const save = (next: CopyRecord) => this.#records.write({ ...next, updatedAt: this.#clock.now().toISOString() });
    const outcome = await store.upload({ file: record.archivePath, name: record.archiveName, record, save, signal: ctx.signal, onBytes: progress, now: () => this.#clock.now() });
    ctx.report({ phase: 'Verifying', fraction: 1, bytes: record.bytes, bytesPerSecond: null, etaSeconds: null });
    await verifyObject(connected, record, ctx.signal);
    await putSidecar(store, record, ctx.signal);
    const verifiedAt = this.#clock.now().toISOString();
    const { upload: _done, ...rest } = record;
    await this.#records.write({ ...rest, state: 'verified', bytesDone: record.bytes, verifiedAt, updatedAt: verifiedAt });
    return { destination: destination.name, archive: record.archivePath, key: record.archiveName, where: store.where, bytes: record.bytes, sha256: record.sha256, partsSent: outcome.partsSent, partsResumed: outcome.partsResumed, verifiedAt };
  }
}

/** The local sidecar names the bytes a copy must hold; an archive without a usable one is not copied. */
async function localSidecar(file: string): Promise<ArchiveSidecar> {
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) throw new LifeboatError('FILE_NOT_FOUND', `${file} is not a file.`, 'Choose a .lifeboat archive in your backup folder.');
  const read = await readSidecarFile(`${file}${SIDECAR_SUFFIX}`);
  if (read.kind === 'missing') throw new LifeboatError('NOT_AN_ARCHIVE', `${path.basename(file)} has no sidecar (${path.basename(file)}${SIDECAR_SUFFIX}) next to it: Lifeboat copies only archives whose SHA-256 it can check at the destination.`, 'Run "lifeboat verify FILE" (it rebuilds a missing sidecar from the archive), then copy again.');
  if (read.kind === 'bad') throw new LifeboatError('NOT_AN_ARCHIVE', read.problem, 'Run "lifeboat verify FILE" to check the archive and rebuild its sidecar.');
  if (read.sidecar.archive !== path.basename(file) || read.sidecar.bytes !== info.size) {
    throw new LifeboatError('COPY_NOT_VERIFIED', `The sidecar next to ${path.basename(file)} describes ${read.sidecar.archive} of ${read.sidecar.bytes} bytes, not this file of ${info.size} bytes.`, 'Run "lifeboat verify FILE" to check the archive; copy only archives that verify.');
  }
  return read.sidecar;
}

/** The object the store now holds has the archive's size and (where the store records one) its SHA-256. */
async function verifyObject({ destination, store }: ConnectedDestination, record: CopyRecord, signal: AbortSignal): Promise<void> {
  const found = await store.stat(record.archiveName, signal);
  if (!found || found.bytes !== record.bytes || (found.sha256 !== null && found.sha256 !== record.sha256)) {
    throw new LifeboatError('COPY_NOT_VERIFIED', `The copy in ${destination.name} is ${found ? `${found.bytes} bytes with SHA-256 ${found.sha256?.slice(0, 16) ?? 'unrecorded'}…` : 'missing'}, not ${record.bytes} bytes with ${record.sha256.slice(0, 16)}… as the local sidecar says.`, 'Copy it again; if it keeps happening, the store changes objects: check it with "lifeboat destination test".');
  }
}

/**
 * The sidecar goes last: its presence at the destination says the archive next to it is complete.
 * Read again like any file in a backup folder (bounded, no links, no FIFOs), and it must still name
 * exactly the bytes that were just uploaded.
 */
async function putSidecar(store: RemoteStore, record: CopyRecord, signal: AbortSignal): Promise<void> {
  const read = await readSidecarFile(`${record.archivePath}${SIDECAR_SUFFIX}`);
  if (read.kind !== 'ok' || read.sidecar.archive !== record.archiveName || read.sidecar.sha256 !== record.sha256 || read.sidecar.bytes !== record.bytes) {
    throw new LifeboatError('COPY_NOT_VERIFIED', `The sidecar of ${record.archiveName} changed while the archive was copied: it no longer names the bytes that were uploaded.`, 'Run "lifeboat verify FILE" to check the archive and its sidecar, then copy again.');
  }
  await store.putSmall(`${record.archiveName}${SIDECAR_SUFFIX}`, Buffer.from(`${JSON.stringify(read.sidecar, undefined, 2)}\n`), signal);
}

/**
 * Keeps an upload at or under `limit` bytes per second on average: after each part, waits until the
 * bytes sent in this run could have been sent at that rate (cancellable).
 */
function bandwidthPacer(limit: number | null, startBytes: number, signal: AbortSignal): (done: number) => Promise<void> {
  const started = performance.now();
  return async (done) => {
    if (!limit) return;
    const due = ((done - startBytes) / limit) * 1000 - (performance.now() - started);
    if (due > 0) await setTimeout(due, undefined, { signal });
  };
}

/** A job whose failure after a cancel is reported as the cancel (the store's "request aborted" is not the news). */
function cancelSaysSo<R>(message: string, work: (ctx: JobRunContext) => Promise<R>): (ctx: JobRunContext) => Promise<R> {
  return async (ctx) => {
    try {
      return await work(ctx);
    } catch (error) {
      if (ctx.signal.aborted && !(error instanceof LifeboatError && error.code === 'CANCELLED')) throw new LifeboatError('CANCELLED', message, undefined, { cause: error });
      throw error;
    }
  };
}

/** A remote archive is named by its file name only (DEST:NAME on the command line). */
export function checkRemoteName(name: string): string {
  if (typeof name !== 'string' || name.length > 255 || !name.endsWith(ARCHIVE_EXTENSION) || /[/\\\p{Cc}]/u.test(name) || name.startsWith('.')) {
    throw new LifeboatError('INVALID_INPUT', `"${String(name).slice(0, 80)}" is not the name of an archive in a destination.`, `Use the file name "lifeboat list --destination NAME" shows (…${ARCHIVE_EXTENSION}).`);
  }
  return name;
}
