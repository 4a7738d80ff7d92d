// Proves the S3 lab (tests/support/s3-lab.ts) with the real AWS SDK: the proxy's ListParts and
// multipart bookkeeping answer like S3, and each fault control does what it says — checked against
// a plain request first where s3rver alone would let it through, so a control that does nothing fails.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { startS3Lab, type S3Lab } from '../support/s3-lab.ts';

let lab: S3Lab;

beforeAll(async () => {
  lab = await startS3Lab();
});

afterEach(() => lab.faults.reset());

afterAll(async () => {
  await lab?.stop();
});

function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('base64');
}

/** How an S3 call failed, as the engine sees it (the error's Code, S3's Message, the HTTP status). */
async function s3Failure(call: Promise<unknown>): Promise<{ code: string; message: string; status: number | undefined }> {
  const outcome = await call.then(
    () => null,
    (error: unknown) => error as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } },
  );
  if (outcome === null) throw new Error('the S3 call was expected to fail, and succeeded');
  return { code: outcome.Code ?? outcome.name ?? '', message: outcome.message ?? '', status: outcome.$metadata?.httpStatusCode };
}

async function bodyOf(s3: S3Client, key: string, range?: string): Promise<Buffer> {
  const answer = await s3.send(new GetObjectCommand({ Bucket: lab.bucket, Key: key, ...(range ? { Range: range } : {}) }));
  return Buffer.from(await answer.Body!.transformToByteArray());
}

async function createUpload(s3: S3Client, key: string): Promise<string> {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: lab.bucket, Key: key }));
  return UploadId!;
}

function uploadPart(s3: S3Client, key: string, uploadId: string, partNumber: number, body: Buffer, checksum: string | null = sha256(body)) {
  return s3.send(new UploadPartCommand({ Bucket: lab.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: body.length, ...(checksum ? { ChecksumSHA256: checksum } : {}) }));
}

function put(s3: S3Client, key: string, body: Buffer, checksum: string | null = null) {
  return s3.send(new PutObjectCommand({ Bucket: lab.bucket, Key: key, Body: body, ContentLength: body.length, ...(checksum ? { ChecksumSHA256: checksum } : {}) }));
}

test('a multipart upload through the proxy: ListParts lists its parts with their checksums, Complete is checked like S3', async () => {
  const s3 = lab.client();
  const key = 'multipart/listed.bin';
  const parts = [randomBytes(70_000), randomBytes(30_000)];
  const uploadId = await createUpload(s3, key);
  const etags: string[] = [];
  for (const [index, body] of parts.entries()) {
    const answer = await uploadPart(s3, key, uploadId, index + 1, body);
    // S3 echoes the checksum it verified; the engine compares it with its own.
    expect(answer.ChecksumSHA256).toBe(sha256(body));
    etags.push(answer.ETag!);
  }

  const listed = await s3.send(new ListPartsCommand({ Bucket: lab.bucket, Key: key, UploadId: uploadId }));
  expect(listed.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag, p.ChecksumSHA256])).toEqual([
    [1, 70_000, etags[0], sha256(parts[0]!)],
    [2, 30_000, etags[1], sha256(parts[1]!)],
  ]);
  expect(listed.Parts?.every((p) => p.LastModified instanceof Date)).toBe(true);
  expect(listed.IsTruncated).toBe(false);
  expect(lab.requests.filter((r) => r.operation === 'UploadPart' && r.uploadId === uploadId).map((r) => [r.partNumber, r.status, r.bytes])).toEqual([
    [1, 200, 70_000],
    [2, 200, 30_000],
  ]);

  // s3rver alone would assemble whatever it is told; the proxy refuses a wrong ETag and a wrong order.
  const complete = (list: { PartNumber: number; ETag: string }[]) => s3.send(new CompleteMultipartUploadCommand({ Bucket: lab.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: list } }));
  expect(await s3Failure(complete([{ PartNumber: 1, ETag: etags[1]! }, { PartNumber: 2, ETag: etags[1]! }]))).toMatchObject({ code: 'InvalidPart', status: 400 });
  expect(await s3Failure(complete([{ PartNumber: 2, ETag: etags[1]! }, { PartNumber: 1, ETag: etags[0]! }]))).toMatchObject({ code: 'InvalidPartOrder', status: 400 });
  await complete([{ PartNumber: 1, ETag: etags[0]! }, { PartNumber: 2, ETag: etags[1]! }]);

  expect((await bodyOf(s3, key)).equals(Buffer.concat(parts))).toBe(true);
  // A completed upload is gone, as on S3.
  expect(await s3Failure(s3.send(new ListPartsCommand({ Bucket: lab.bucket, Key: key, UploadId: uploadId })))).toMatchObject({ code: 'NoSuchUpload', status: 404 });
  expect(await s3Failure(uploadPart(s3, key, uploadId, 3, parts[1]!))).toMatchObject({ code: 'NoSuchUpload', status: 404 });
});

test('AbortMultipartUpload ends an upload (s3rver alone answers 405)', async () => {
  const s3 = lab.client();
  const key = 'multipart/aborted.bin';
  const uploadId = await createUpload(s3, key);
  await uploadPart(s3, key, uploadId, 1, randomBytes(1000));
  await s3.send(new AbortMultipartUploadCommand({ Bucket: lab.bucket, Key: key, UploadId: uploadId }));
  expect(lab.requests.at(-1)).toMatchObject({ operation: 'AbortMultipartUpload', status: 204 });
  expect(await s3Failure(s3.send(new ListPartsCommand({ Bucket: lab.bucket, Key: key, UploadId: uploadId })))).toMatchObject({ code: 'NoSuchUpload', status: 404 });
  expect(await s3Failure(uploadPart(s3, key, uploadId, 2, randomBytes(10)))).toMatchObject({ code: 'NoSuchUpload', status: 404 });
});

test('with listParts: false, ListParts reaches s3rver (405, like S3-compatibles without it); its own secret; stop() leaves nothing', async () => {
  const bare = await startS3Lab({ listParts: false, bucket: 'bare-bucket', secretAccessKey: 'bare-secret' });
  bare.faults.verifySignatures(true);
  const s3 = bare.client({ maxAttempts: 1 });
  expect(bare.secretAccessKey).toBe('bare-secret');
  const usual = bare.client({ maxAttempts: 1, credentials: { accessKeyId: bare.accessKeyId, secretAccessKey: 'S3RVER' } });
  expect(await s3Failure(usual.send(new ListObjectsV2Command({ Bucket: bare.bucket })))).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });

  const key = 'no-list.bin';
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bare.bucket, Key: key }));
  await s3.send(new UploadPartCommand({ Bucket: bare.bucket, Key: key, UploadId, PartNumber: 1, Body: Buffer.from('part') }));
  expect(await s3Failure(s3.send(new ListPartsCommand({ Bucket: bare.bucket, Key: key, UploadId })))).toMatchObject({ code: 'MethodNotAllowed', status: 405 });

  const file = bare.objectFile(key);
  await bare.stop();
  expect(existsSync(file.slice(0, file.indexOf('/bare-bucket/')))).toBe(false);
  await expect(fetch(bare.endpoint)).rejects.toThrow();
  await expect(fetch(bare.directEndpoint)).rejects.toThrow();
  await bare.stop(); // idempotent
});

test('dropAtPart(2) drops the connection of part 2 once; a retry of the part succeeds', async () => {
  const s3 = lab.client({ maxAttempts: 1 });
  const key = 'multipart/dropped.bin';
  const uploadId = await createUpload(s3, key);
  const part2 = randomBytes(20_000);
  await uploadPart(s3, key, uploadId, 1, randomBytes(20_000));
  lab.faults.dropAtPart(2);
  await expect(uploadPart(s3, key, uploadId, 2, part2)).rejects.toThrow();
  await uploadPart(s3, key, uploadId, 2, part2);

  const tries = lab.requests.filter((r) => r.uploadId === uploadId && r.operation === 'UploadPart').map((r) => [r.partNumber, r.status]);
  expect(tries).toEqual([
    [1, 200],
    [2, 0],
    [2, 200],
  ]);
  const listed = await s3.send(new ListPartsCommand({ Bucket: lab.bucket, Key: key, UploadId: uploadId }));
  expect(listed.Parts?.map((p) => [p.PartNumber, p.ChecksumSHA256])).toEqual([
    [1, expect.any(String)],
    [2, sha256(part2)],
  ]);
});

test('requireChecksums: a part or object without a checksum is refused, a wrong one is BadDigest, a right one passes', async () => {
  const s3 = lab.client({ maxAttempts: 1 });
  const body = Buffer.from('an object in an Object Lock bucket');
  await put(s3, 'lock/plain-before.txt', body); // s3rver takes it without a checksum

  lab.faults.requireChecksums(true);
  const missing = await s3Failure(put(s3, 'lock/plain.txt', body));
  expect(missing).toMatchObject({ code: 'InvalidRequest', status: 400 });
  expect(missing.message).toContain('Content-MD5 OR x-amz-checksum- HTTP header is required');
  expect(await s3Failure(put(s3, 'lock/wrong.txt', body, sha256(Buffer.from('other bytes'))))).toMatchObject({ code: 'BadDigest', status: 400 });
  await put(s3, 'lock/right.txt', body, sha256(body));

  const key = 'lock/multipart.bin';
  const uploadId = await createUpload(s3, key);
  const part = randomBytes(5000);
  expect(await s3Failure(uploadPart(s3, key, uploadId, 1, part, null))).toMatchObject({ code: 'InvalidRequest', status: 400 });
  expect(await s3Failure(uploadPart(s3, key, uploadId, 1, part, sha256(randomBytes(10))))).toMatchObject({ code: 'BadDigest', status: 400 });
  await uploadPart(s3, key, uploadId, 1, part);
  expect(lab.requests.filter((r) => r.uploadId === uploadId && r.operation === 'UploadPart').map((r) => r.status)).toEqual([400, 400, 200]);
});

test('verifySignatures: a wrong secret gets SignatureDoesNotMatch; the right one passes for every kind of request', async () => {
  const body = randomBytes(3000);
  const wrong = lab.client({ maxAttempts: 1, credentials: { accessKeyId: lab.accessKeyId, secretAccessKey: 'not-the-secret' } });
  await put(wrong, 'signed/unchecked.bin', body); // s3rver checks no signature

  lab.faults.verifySignatures(true);
  expect(await s3Failure(put(wrong, 'signed/refused.bin', body))).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
  expect(await s3Failure(wrong.send(new ListObjectsV2Command({ Bucket: lab.bucket, Prefix: 'signed/' })))).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });

  // Keys that need escaping, query strings, ranges, empty and non-empty bodies: the recomputed
  // signature must agree with the SDK's on all of them, or the check would refuse good clients.
  const s3 = lab.client({ maxAttempts: 1 });
  const key = 'signed/a key with spaces, ünïcode & a+plus=sign (1).bin';
  await put(s3, key, body, sha256(body));
  expect((await s3.send(new HeadObjectCommand({ Bucket: lab.bucket, Key: key }))).ContentLength).toBe(body.length);
  expect((await bodyOf(s3, key, 'bytes=10-19')).equals(body.subarray(10, 20))).toBe(true);
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: lab.bucket, Prefix: 'signed/a key' }));
  expect(listed.Contents?.map((c) => c.Key)).toEqual([key]);
  const uploadId = await createUpload(s3, key);
  const { ETag } = await uploadPart(s3, key, uploadId, 1, body);
  await s3.send(new ListPartsCommand({ Bucket: lab.bucket, Key: key, UploadId: uploadId }));
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: lab.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] } }));
  await s3.send(new DeleteObjectCommand({ Bucket: lab.bucket, Key: key }));
  expect(lab.requests.filter((r) => r.headers['authorization']?.includes('Credential=S3RVER/') && r.status === 403)).toHaveLength(2);
});

test('flipBit changes what GetObject returns at that offset, and nothing else (the ETag still claims the old bytes)', async () => {
  const s3 = lab.client();
  const key = 'rot/flipped.bin';
  const body = randomBytes(4096);
  await put(s3, key, body);
  const etag = (await s3.send(new HeadObjectCommand({ Bucket: lab.bucket, Key: key }))).ETag;

  await lab.flipBit(key, 1234);
  const read = await bodyOf(s3, key);
  const expected = Buffer.from(body);
  expected[1234]! ^= 0x01;
  expect(read.equals(expected)).toBe(true);
  expect(read.equals(body)).toBe(false);
  expect((await bodyOf(s3, key, 'bytes=1234-1234'))[0]).toBe(body[1234]! ^ 0x01);
  expect((await s3.send(new HeadObjectCommand({ Bucket: lab.bucket, Key: key }))).ETag).toBe(etag);
  await expect(lab.flipBit(key, body.length)).rejects.toThrow(RangeError);
});

test('failNext answers the next requests (of one operation, if asked) with an S3 error, then lets them through', async () => {
  const s3 = lab.client({ maxAttempts: 1 });
  const body = Buffer.from('busy');
  lab.faults.failNext(1, 503);
  expect(await s3Failure(put(s3, 'busy/one.txt', body))).toMatchObject({ code: 'SlowDown', status: 503 });
  await put(s3, 'busy/one.txt', body);

  lab.faults.failNext(1, 500, { operation: 'GetObject' });
  await put(s3, 'busy/two.txt', body); // not a GetObject: passes
  expect(await s3Failure(s3.send(new GetObjectCommand({ Bucket: lab.bucket, Key: 'busy/two.txt' })))).toMatchObject({ code: 'InternalError', status: 500 });
  expect((await bodyOf(s3, 'busy/two.txt')).toString()).toBe('busy');

  // The SDK's own retries ride over one failure: the log shows both tries.
  lab.faults.failNext(1, 500, { operation: 'PutObject' });
  const before = lab.requests.length;
  await put(lab.client(), 'busy/three.txt', body);
  expect(lab.requests.slice(before).map((r) => [r.operation, r.status])).toEqual([
    ['PutObject', 500],
    ['PutObject', 200],
  ]);
});

test('a request time more than 15 minutes off gets RequestTimeTooSkewed unless checkClockSkew(false)', async () => {
  const skewed = () => lab.client({ maxAttempts: 1, systemClockOffset: -20 * 60 * 1000 });
  expect(await s3Failure(put(skewed(), 'skew/late.txt', Buffer.from('x')))).toMatchObject({ code: 'RequestTimeTooSkewed', status: 403 });
  lab.faults.checkClockSkew(false);
  // A fresh client: the SDK corrects its clock from the Date of a skew error.
  await put(skewed(), 'skew/late.txt', Buffer.from('x'));
});

test('throttle slows request bodies down to the given rate', async () => {
  const s3 = lab.client();
  const body = randomBytes(200_000);
  lab.faults.throttle(400_000);
  const started = performance.now();
  await put(s3, 'slow/body.bin', body);
  // 200 kB at 400 kB/s: at least half a second (a little slack for timer granularity).
  expect(performance.now() - started).toBeGreaterThanOrEqual(480);
  expect((await bodyOf(s3, 'slow/body.bin')).equals(body)).toBe(true);
});
