// An S3-compatible bucket (and a folder in it) as a RemoteStore: the resumable multipart upload of
// s3-upload.ts, the SHA-256 kept as object metadata, Object Lock on every object when asked.
import { createHash } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { LifeboatError } from '../errors.ts';
import type { S3Location } from '../model/offsite.ts';
import type { CopyRecord, MultipartJournal } from './copy-records.ts';
import type { RemoteObject, RemoteStore, StoreUpload, UploadOutcome } from './remote-store.ts';
import { describeS3 } from './destination-validation.ts';
import { s3Client, s3Problem } from './s3-connection.ts';
import { abortUpload, objectLockFields, SHA256_METADATA, uploadResumable } from './s3-upload.ts';

export class S3Store implements RemoteStore {
  readonly where: string;
  readonly #location: S3Location;
  readonly #client: S3Client;

  constructor(location: S3Location, secretKey: string) {
    this.#location = location;
    this.#client = s3Client(location, secretKey);
    this.where = describeS3(location);
  }

  upload(request: StoreUpload): Promise<UploadOutcome> {
    return uploadResumable({ client: this.#client, location: this.#location, file: request.file, key: this.#key(request.name), record: request.record, save: request.save, signal: request.signal, onBytes: request.onBytes, now: request.now });
  }

  async stat(name: string, signal?: AbortSignal): Promise<{ bytes: number; sha256: string | null; lockedUntil: string | null } | null> {
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#location.bucket, Key: this.#key(name) }), options(signal));
      const until = head.ObjectLockRetainUntilDate;
      return { bytes: head.ContentLength ?? 0, sha256: head.Metadata?.[SHA256_METADATA] ?? null, lockedUntil: until && until.getTime() > Date.now() ? until.toISOString() : null };
    } catch (error) {
      const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      // HEAD answers carry no body: a missing key and a missing bucket are both a bare 404 here.
      if (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return null;
      throw this.problem(error, `read ${name}`);
    }
  }

  async putSmall(name: string, body: Buffer, signal?: AbortSignal): Promise<void> {
    const checksum = this.#location.partChecksums ? { ChecksumSHA256: createHash('sha256').update(body).digest('base64') } : {};
    await this.#client
      .send(new PutObjectCommand({ Bucket: this.#location.bucket, Key: this.#key(name), Body: body, ContentLength: body.length, ...checksum, ...objectLockFields(this.#location, new Date()) }), options(signal))
      .catch((error: unknown) => Promise.reject(this.problem(error, `write ${name}`)));
  }

  async getSmall(name: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer> {
    const answer = await this.#client
      .send(new GetObjectCommand({ Bucket: this.#location.bucket, Key: this.#key(name), Range: `bytes=0-${maxBytes}` }), options(signal))
      .catch((error: unknown) => Promise.reject(this.problem(error, `read ${name}`)));
    // A store that ignores Range could send anything: read at most one byte past the limit.
    return readAtMost(answer.Body as AsyncIterable<Uint8Array> | undefined, maxBytes + 1);
  }

  async list(limit: number, signal?: AbortSignal): Promise<RemoteObject[]> {
    const { bucket, prefix } = this.#location;
    const objects: RemoteObject[] = [];
    let token: string | undefined;
    const seen = new Set<string>();
    do {
      // A store that keeps answering "more" (or repeats a token) is not followed forever.
      if (token) seen.add(token);
      const page = await this.#client
        .send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ...(token ? { ContinuationToken: token } : {}) }), options(signal))
        .catch((error: unknown) => Promise.reject(this.problem(error, 'list the objects in the bucket')));
      for (const item of page.Contents ?? []) {
        if (item.Key && item.Key.length > prefix.length) objects.push({ name: item.Key.slice(prefix.length), bytes: item.Size ?? 0, lastModified: item.LastModified?.toISOString() ?? null });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token && !seen.has(token) && objects.length < limit && seen.size < MAX_LIST_PAGES);
    return objects.slice(0, limit);
  }

  async read(name: string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const answer = await this.#client.send(new GetObjectCommand({ Bucket: this.#location.bucket, Key: this.#key(name) }), options(signal)).catch((error: unknown) => Promise.reject(this.problem(error, `download ${name}`)));
    const body = answer.Body as AsyncIterable<Uint8Array> | undefined;
    if (!body) throw new LifeboatError('S3_FAILED', `The store returned no body for ${name}.`, 'Try again.');
    return body;
  }

  async remove(name: string, signal?: AbortSignal): Promise<void> {
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.#location.bucket, Key: this.#key(name) }), options(signal)).catch((error: unknown) => Promise.reject(this.problem(error, `delete ${name}`)));
  }

  async abandon(record: CopyRecord): Promise<void> {
    if (record.upload) await abortUpload(this.#client, this.#location, record.upload as MultipartJournal);
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  problem(error: unknown, doing: string): LifeboatError {
    return s3Problem(error, this.#location, doing);
  }

  #key(name: string): string {
    return `${this.#location.prefix}${name}`;
  }
}

const options = (signal?: AbortSignal) => (signal ? { abortSignal: signal } : {});
/** 1,000 keys a page: 200,000 objects, or a store that answers empty pages, stop here. */
const MAX_LIST_PAGES = 200;

async function readAtMost(body: AsyncIterable<Uint8Array> | undefined, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body ?? []) {
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    length += chunk.byteLength;
    if (length >= limit) break; // leaving the loop closes the stream
  }
  return Buffer.concat(chunks, length).subarray(0, limit);
}
