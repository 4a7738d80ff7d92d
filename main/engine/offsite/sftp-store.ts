// A folder on an SSH server as a RemoteStore: reached over the same SSH route code as a profile's
// tunnel (jump hosts, logins, host keys: TunnelService.connect), through the sftp subsystem of the
// last hop. Archives go up by the resumable upload of sftp-upload.ts; small files (sidecars, the
// test file) are written under a temporary name and renamed. Everything read from the server is
// hostile: listings are bounded and hold only regular files with plain names, reads are capped.
import { randomBytes } from 'node:crypto';
import { LifeboatError } from '../errors.ts';
import type { SftpLocation } from '../model/offsite.ts';
import type { ConnectedHop } from '../tunnel/ssh-chain.ts';
import { hopLabel } from '../tunnel/ssh-hop-login.ts';
import type { CopyRecord } from './copy-records.ts';
import type { RemoteObject, RemoteStore, StoreUpload, UploadOutcome } from './remote-store.ts';
import { describeSftp, remotePath } from './sftp-location.ts';
import { SftpSession, sftpProblem } from './sftp-session.ts';
import { removeQuietly, uploadToSftp } from './sftp-upload.ts';

/** A server answering with empty batches forever is not followed forever. */
const MAX_LIST_BATCHES = 10_000;
/** Names that can only be a file in the folder: no path separators or control characters ("." and ".." are refused apart). */
const PLAIN_NAME = /^[^/\\\p{Cc}]{1,255}$/u;

/** Connects the sftp subsystem over the route's hops (already connected) and checks the folder is there. */
export async function openSftpStore(location: SftpLocation, hops: ConnectedHop[]): Promise<SftpStore> {
  const last = hops[hops.length - 1]!;
  const where = describeSftp(location);
  let session: SftpSession | null = null;
  try {
    session = await SftpSession.start(last.client, hopLabel(last.hop));
    const folder = await session.stat(location.folder).catch((error: unknown) => Promise.reject(sftpProblem(error, session, where, 'look at the folder')));
    if (!folder?.isDirectory()) {
      throw new LifeboatError('SFTP_FOLDER_MISSING', `${location.folder} ${folder ? 'is not a folder' : 'does not exist'} on SSH host ${hopLabel(last.hop)}.`, `Create it on the host (mkdir -p ${location.folder}, writable by ${location.user}), or correct the destination's folder.`);
    }
    return new SftpStore(location, hops, session);
  } catch (error) {
    session?.end();
    for (const { client } of [...hops].reverse()) client.end();
    throw error;
  }
}

export class SftpStore implements RemoteStore {
  readonly where: string;
  readonly #location: SftpLocation;
  readonly #hops: ConnectedHop[];
  readonly #session: SftpSession;

  constructor(location: SftpLocation, hops: ConnectedHop[], session: SftpSession) {
    this.#location = location;
    this.#hops = hops;
    this.#session = session;
    this.where = describeSftp(location);
  }

  upload(request: StoreUpload): Promise<UploadOutcome> {
    return uploadToSftp({ ...request, session: this.#session, location: this.#location, where: this.where });
  }

  /** Size only: an SFTP server keeps no checksum with a file (the sidecar next to it names the SHA-256). */
  async stat(name: string): Promise<{ bytes: number; sha256: string | null; lockedUntil: string | null } | null> {
    const found = await this.#session.lstat(this.#path(name)).catch((error: unknown) => Promise.reject(this.problem(error, `look for ${name}`)));
    return found?.isFile() ? { bytes: found.size, sha256: null, lockedUntil: null } : null;
  }

  /** Written whole under a temporary name, then renamed over the old one (a sidecar is replaced as S3 replaces an object). */
  async putSmall(name: string, body: Buffer, signal?: AbortSignal): Promise<void> {
    const temp = `${name}.partial-${randomBytes(4).toString('hex')}`;
    const session = this.#session;
    try {
      const handle = await session.open(this.#path(temp), 'wx');
      try {
        await session.write(handle, body, 0, signal ?? new AbortController().signal);
        await session.fsync(handle);
      } finally {
        await session.close(handle).catch(() => {});
      }
      if (await session.replace(this.#path(temp), this.#path(name))) return;
      // No posix-rename: SFTP's rename refuses an existing name, so the old file goes first.
      if (await session.lstat(this.#path(name))) await session.unlink(this.#path(name));
      await session.rename(this.#path(temp), this.#path(name));
    } catch (error) {
      await removeQuietly({ session, location: this.#location }, temp);
      throw this.problem(error, `write ${name}`);
    }
  }

  async getSmall(name: string, maxBytes: number): Promise<Buffer> {
    const handle = await this.#session.open(this.#path(name), 'r').catch((error: unknown) => Promise.reject(this.problem(error, `read ${name}`)));
    const chunks: Buffer[] = [];
    let length = 0;
    try {
      // One byte past the limit at most, so the caller sees the file was too big.
      while (length <= maxBytes) {
        const chunk = await this.#session.read(handle, Math.min(32 * 1024, maxBytes + 1 - length), length);
        if (chunk.length === 0) break;
        chunks.push(chunk);
        length += chunk.length;
      }
    } catch (error) {
      throw this.problem(error, `read ${name}`);
    } finally {
      await this.#session.close(handle).catch(() => {});
    }
    return Buffer.concat(chunks, length);
  }

  /** The regular files directly in the folder (no links, folders or odd names); at most `limit`. */
  async list(limit: number, signal?: AbortSignal): Promise<RemoteObject[]> {
    const session = this.#session;
    const handle = await session.opendir(this.#location.folder).catch((error: unknown) => Promise.reject(this.problem(error, 'list the folder')));
    const objects: RemoteObject[] = [];
    try {
      for (let batch = 0; batch < MAX_LIST_BATCHES && objects.length < limit; batch++) {
        signal?.throwIfAborted();
        const entries = await session.readdir(handle);
        if (entries === null) break;
        for (const { filename, attrs } of entries) {
          if (!attrs.isFile() || !PLAIN_NAME.test(filename) || filename === '.' || filename === '..') continue;
          const mtime = Number.isFinite(attrs.mtime) && attrs.mtime > 0 ? new Date(attrs.mtime * 1000).toISOString() : null;
          objects.push({ name: filename, bytes: attrs.size, lastModified: mtime });
        }
      }
    } catch (error) {
      if (signal?.aborted) throw error;
      throw this.problem(error, 'list the folder');
    } finally {
      await session.close(handle).catch(() => {});
    }
    return objects.slice(0, limit);
  }

  async read(name: string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const handle = await this.#session.open(this.#path(name), 'r').catch((error: unknown) => Promise.reject(this.problem(error, `download ${name}`)));
    return this.#stream(handle, name, signal);
  }

  async *#stream(handle: Buffer, name: string, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    try {
      yield* this.#session.stream(handle, signal);
    } catch (error) {
      if (signal?.aborted) throw error;
      throw this.problem(error, `download ${name}`);
    } finally {
      await this.#session.close(handle).catch(() => {});
    }
  }

  async remove(name: string): Promise<void> {
    const path = this.#path(name);
    // Gone already is removed (as S3 answers a delete of a missing key).
    if ((await this.#session.lstat(path).catch(() => undefined)) === null) return;
    await this.#session.unlink(path).catch((error: unknown) => Promise.reject(this.problem(error, `delete ${name}`)));
  }

  async abandon(record: CopyRecord): Promise<void> {
    if (record.upload?.kind === 'sftp') await removeQuietly({ session: this.#session, location: this.#location }, record.upload.temp);
  }

  async close(): Promise<void> {
    this.#session.end();
    for (const { client } of [...this.#hops].reverse()) client.end();
  }

  problem(error: unknown, doing: string): LifeboatError {
    return sftpProblem(error, this.#session, this.where, doing);
  }

  #path(name: string): string {
    return remotePath(this.#location, name);
  }
}
