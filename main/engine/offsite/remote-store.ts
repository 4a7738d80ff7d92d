// What the copy, listing, verification and download code needs from a destination, whatever it is
// (an S3-compatible bucket, an SFTP folder): one interface, so each kind of store is one file and
// every safety rule (verified means the sidecar's SHA-256, hostile listings, bounded reads) is
// written once, above it. Names are file names inside the destination's folder, never paths.
import type { LifeboatError } from '../errors.ts';
import type { CopyRecord } from './copy-records.ts';

export interface RemoteObject {
  name: string;
  bytes: number;
  lastModified: string | null;
}

export interface StoreUpload {
  /** The local file (its bytes must hash to record.sha256). */
  file: string;
  name: string;
  /** The copy record: the store keeps its resume state in record.upload and saves it with `save`. */
  record: CopyRecord;
  save(record: CopyRecord): Promise<void>;
  signal: AbortSignal;
  /** After each part: progress, and the wait a bandwidth limit asks for (uploads await it). */
  onBytes(bytesDone: number): void | Promise<void>;
  now(): Date;
}

export interface UploadOutcome {
  partsSent: number;
  partsResumed: number;
}

export interface RemoteStore {
  /** "s3://bucket/prefix at https://endpoint", "sftp://user@host:22/path": for lists and messages. */
  readonly where: string;
  /**
   * Uploads `file` as `name`, resuming an earlier attempt recorded in record.upload, and publishes it
   * only when the bytes sent hash to record.sha256. A killed upload leaves no object under `name`.
   */
  upload(request: StoreUpload): Promise<UploadOutcome>;
  /**
   * The object's size and the SHA-256 recorded with it at upload (null where the store keeps none),
   * or null when absent. lockedUntil: an Object Lock retention date still in force, if any.
   */
  stat(name: string, signal?: AbortSignal): Promise<{ bytes: number; sha256: string | null; lockedUntil?: string | null } | null>;
  putSmall(name: string, body: Buffer, signal?: AbortSignal): Promise<void>;
  /** At most `maxBytes` + 1 bytes of the object (so a caller sees it was too big). */
  getSmall(name: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer>;
  /** The objects directly in the destination's folder; at most `limit`. */
  list(limit: number, signal?: AbortSignal): Promise<RemoteObject[]>;
  read(name: string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>>;
  remove(name: string, signal?: AbortSignal): Promise<void>;
  /** Drops the resume state of an upload that will not be finished (the archive is gone). */
  abandon(record: CopyRecord): Promise<void>;
  close(): Promise<void>;
  /** The store's error as a Lifeboat error naming what went wrong and the fix; `doing` is the step in plain words. */
  problem(error: unknown, doing: string): LifeboatError;
}
