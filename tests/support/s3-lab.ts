// An S3 lab for engine tests: a real HTTP S3 server (s3rver, in-process) on loopback, behind a
// fault proxy that every client talks to.
//
//   S3Client ──HTTP 127.0.0.1:endpoint── fault proxy ──HTTP 127.0.0.1:directEndpoint── s3rver ── <tmp dir>
//
// The proxy buffers each request body (parts of a few MiB: fine for tests), logs the request,
// applies the faults the test asked for, and forwards it to s3rver. It also makes s3rver behave
// more like S3 where the engine depends on it:
//   - ListParts (s3rver answers 405) is answered from the parts the proxy saw succeed; with
//     `listParts: false` it passes through, like the S3-compatibles that lack it.
//   - AbortMultipartUpload (s3rver answers 405) is answered by the proxy, which deletes the parts.
//   - UploadPart, ListParts, CompleteMultipartUpload and AbortMultipartUpload on an upload id that
//     was never created through the proxy, or was completed or aborted, get 404 NoSuchUpload
//     (s3rver would happily store parts of a dead upload).
//   - CompleteMultipartUpload is checked like S3 does: parts in ascending order, each uploaded
//     with that ETag (and that SHA-256, when both sides name one), else InvalidPartOrder/InvalidPart;
//     non-last parts below `minPartSize` (default 0: off) get EntityTooSmall.
//   - A checksum header (Content-MD5, x-amz-checksum-sha256/-sha1/-crc32) that does not match the
//     body gets 400 BadDigest, always, as S3 does (s3rver ignores them); UploadPart and PutObject
//     answers echo the request's x-amz-checksum-* header, as S3 does.
//   - aws-chunked bodies (the SDK's streaming checksum trailers) are decoded before s3rver sees
//     them (it would store the chunk framing); the trailer's checksum counts as a header. Chunk
//     signatures are not checked.
//   - RequestTimeTooSkewed for a request time more than 15 minutes off (faults.checkClockSkew).
//     The proxy owns that check: it forwards the request time as "now", so s3rver's own check
//     never fires.
// Objects are stored by s3rver as <dir>/<bucket>/<key dirs>/<last key segment>._S3rver_object
// (with a .md5 file beside it that flipBit leaves alone, so the ETag still claims the old bytes,
// like silent corruption at rest).
//
// Leftovers: stop() is idempotent and stops both servers and removes the temp dir; a test file that
// forgets it loses the servers with its process, and an exit hook removes the dir.
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, createHmac, randomBytes, type Hash, type Hmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { crc32 } from 'node:zlib';
import S3rver from 's3rver';

export interface S3LabOptions {
  /** Created at start; default 'lifeboat-test'. */
  bucket?: string;
  /** The fault proxy answers ListParts itself from the parts it saw succeed (s3rver lacks ListParts); false = pass through (405, like S3-compatibles without it). Default true. */
  listParts?: boolean;
  /** CompleteMultipartUpload refuses (EntityTooSmall) a non-last part smaller than this; S3's is 5 MiB. Default 0 (off), so tests may use small parts. */
  minPartSize?: number;
  /** The secret that verifySignatures checks against and client() signs with; default 'S3RVER'. A unique one lets a test look for it in logs and files. (s3rver itself checks only the access key id, which stays 'S3RVER'.) */
  secretAccessKey?: string;
}

export interface S3Lab {
  /** The endpoint clients use: the fault proxy, http://127.0.0.1:PORT */
  endpoint: string;
  /** s3rver itself, bypassing the proxy (no faults, no log, no emulation). */
  directEndpoint: string;
  bucket: string;
  /** 'S3RVER' (s3rver's only account). */
  accessKeyId: string;
  /** 'S3RVER' unless options.secretAccessKey. */
  secretAccessKey: string;
  /** 'us-east-1' */
  region: string;
  /** Every request the proxy saw, in order of arrival (status filled in when answered). */
  requests: S3Request[];
  faults: S3Faults;
  /** Flips one bit (the lowest) of a stored object's byte at `offset` (in s3rver's storage on disk). */
  flipBit(key: string, offset: number): Promise<void>;
  /** The file s3rver keeps the object's bytes in (for corruptions flipBit does not cover). */
  objectFile(key: string): string;
  /** An S3Client (path-style, requestChecksumCalculation/responseChecksumValidation 'WHEN_REQUIRED') on the proxy endpoint; `overrides` e.g. { maxAttempts: 1 }. Destroyed by stop(). */
  client(overrides?: Partial<S3ClientConfig>): S3Client;
  stop(): Promise<void>;
}

export interface S3Request {
  method: string;
  key: string | null;
  bucket: string | null;
  /** 'CreateMultipartUpload' | 'UploadPart' | 'ListParts' | 'CompleteMultipartUpload' | 'AbortMultipartUpload' | 'PutObject' | 'CopyObject' | 'GetObject' | 'HeadObject' | 'DeleteObject' | 'DeleteObjects' | 'ListObjectsV2' | 'HeadBucket' | 'CreateBucket' | 'other' */
  operation: string;
  partNumber: number | null;
  uploadId: string | null;
  /** What the proxy answered (0 while unanswered, or when it dropped the connection). */
  status: number;
  /** Request body bytes, as received (before aws-chunked decoding). */
  bytes: number;
  /** Request headers, lower-case names. */
  headers: Record<string, string>;
}

export interface S3Faults {
  /** Drop the connection (destroy the socket, no response) on the next UploadPart with this part number; once. */
  dropAtPart(partNumber: number): void;
  /** Answer the next `count` requests (optionally only those of `operation`) with this status and an S3 XML error body (Code InternalError for 500, SlowDown for 503, AccessDenied for 403 unless `code`). */
  failNext(count: number, status: 500 | 503 | 403, options?: { operation?: string; code?: string; message?: string }): void;
  /** Like an Object Lock bucket: UploadPart and PutObject without a checksum header (x-amz-checksum-* or Content-MD5) get 400 InvalidRequest. (A wrong checksum gets 400 BadDigest whether this is on or not.) */
  requireChecksums(on: boolean): void;
  /** Check SigV4 header signatures against the lab's secretAccessKey (recomputed with @smithy/signature-v4); mismatch → 403 SignatureDoesNotMatch. Off by default. */
  verifySignatures(on: boolean): void;
  /** Limit the proxy's throughput of request bodies (all requests together) to this many bytes per second (null = no limit). */
  throttle(bytesPerSecond: number | null): void;
  /** RequestTimeTooSkewed 403 for every request whose x-amz-date (or Date) is more than 15 minutes off. On by default, as on real S3. */
  checkClockSkew(on: boolean): void;
  /** Back to the defaults: no injected faults, no checksum requirement, no signature checks, no throttle, clock skew checked. */
  reset(): void;
}

const ACCESS_KEY_ID = 'S3RVER';
const DEFAULT_SECRET_ACCESS_KEY = 'S3RVER';
const REGION = 'us-east-1';
const MAX_SKEW_MS = 15 * 60 * 1000;
const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
/** s3rver's file-name suffixes (lib/stores/filesystem.js). */
const OBJECT_SUFFIX = '._S3rver_object';
const UPLOADS_DIR = '._S3rver_uploads';

// --- state -----------------------------------------------------------------------------------

interface Reply {
  status: number;
  code: string;
  message: string;
  /** More elements of the <Error> document (BucketName, UploadId…). */
  extra?: Record<string, string>;
}

interface Target {
  method: string;
  rawPath: string;
  query: URLSearchParams;
  bucket: string | null;
  key: string | null;
  operation: string;
  partNumber: number | null;
  uploadId: string | null;
}

interface PartRecord {
  partNumber: number;
  /** As s3rver answered it, quotes included. */
  etag: string;
  size: number;
  checksumSha256: string | null;
  lastModified: Date;
}

interface Upload {
  bucket: string;
  key: string;
  parts: Map<number, PartRecord>;
}

interface Failure {
  remaining: number;
  reply: Reply;
  operation: string | undefined;
}

interface FaultState {
  dropParts: Set<number>;
  failures: Failure[];
  requireChecksums: boolean;
  verifySignatures: boolean;
  checkClockSkew: boolean;
  bytesPerSecond: number | null;
  /** Throttle: when the bytes received so far are "due" (shared by all requests). */
  throttledUntil: number;
}

interface LabState {
  dir: string;
  secretAccessKey: string;
  listParts: boolean;
  minPartSize: number;
  upstreamPort: number;
  agent: http.Agent;
  requests: S3Request[];
  faults: FaultState;
  uploads: Map<string, Upload>;
}

function defaultFaults(): FaultState {
  return { dropParts: new Set(), failures: [], requireChecksums: false, verifySignatures: false, checkClockSkew: true, bytesPerSecond: null, throttledUntil: 0 };
}

// --- leftovers (an 'exit' hook cannot await: only the temp dirs need it, the servers die with the process)

const liveDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  });
}

// --- requests --------------------------------------------------------------------------------

function flatHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Path-style only: /bucket/key?query. The raw path is kept: signatures are over it as sent. */
function parseTarget(method: string, rawUrl: string, headers: Record<string, string>): Target {
  const mark = rawUrl.indexOf('?');
  const rawPath = mark < 0 ? rawUrl : rawUrl.slice(0, mark);
  const query = new URLSearchParams(mark < 0 ? '' : rawUrl.slice(mark + 1));
  const [, rawBucket = '', ...rest] = rawPath.split('/');
  const bucket = rawBucket ? safeDecode(rawBucket) : null;
  const key = bucket && rest.join('/') ? safeDecode(rest.join('/')) : null;
  const partText = query.get('partNumber');
  const partNumber = partText !== null && /^\d+$/.test(partText) ? Number(partText) : null;
  const uploadId = query.get('uploadId');
  return { method, rawPath, query, bucket, key, partNumber, uploadId, operation: operationOf(method, bucket, key, query, headers) };
}

/** Query parameters that do not change what an object request does. */
const PLAIN_OBJECT_PARAMS = new Set(['x-id', 'versionId', 'partNumber', 'response-content-type', 'response-content-disposition', 'response-cache-control']);

function operationOf(method: string, bucket: string | null, key: string | null, query: URLSearchParams, headers: Record<string, string>): string {
  if (!bucket) return 'other';
  if (key === null) {
    if (method === 'HEAD') return 'HeadBucket';
    if (method === 'PUT' && query.size === 0) return 'CreateBucket';
    if (method === 'GET' && query.get('list-type') === '2') return 'ListObjectsV2';
    if (method === 'POST' && query.has('delete')) return 'DeleteObjects';
    return 'other';
  }
  if (method === 'POST' && query.has('uploads')) return 'CreateMultipartUpload';
  if (query.has('uploadId')) {
    if (method === 'PUT') return query.has('partNumber') && !headers['x-amz-copy-source'] ? 'UploadPart' : 'other';
    const multipart: Record<string, string> = { POST: 'CompleteMultipartUpload', GET: 'ListParts', DELETE: 'AbortMultipartUpload' };
    return multipart[method] ?? 'other';
  }
  if ([...query.keys()].some((name) => !PLAIN_OBJECT_PARAMS.has(name))) return 'other';
  const plain: Record<string, string> = { PUT: headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject', GET: 'GetObject', HEAD: 'HeadObject', DELETE: 'DeleteObject' };
  return plain[method] ?? 'other';
}

/**
 * The whole body. With a throttle, reading pauses until the bytes so far are due at that rate:
 * TCP backpressure then slows the sender, as a slow uplink would.
 */
function readBody(req: http.IncomingMessage, faults: FaultState): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let ended = false;
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const rate = faults.bytesPerSecond;
      if (!rate) return;
      const now = Date.now();
      faults.throttledUntil = Math.max(now, faults.throttledUntil) + (chunk.length / rate) * 1000;
      req.pause();
      setTimeout(() => req.resume(), faults.throttledUntil - now).unref();
    });
    req.on('end', () => {
      ended = true;
      resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
    req.on('close', () => {
      if (!ended) reject(new Error('the client went away before the end of the body'));
    });
  });
}

// --- answers -----------------------------------------------------------------------------------

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_all, name: string) => {
    const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
    if (named[name]) return named[name];
    return String.fromCodePoint(name.startsWith('#x') ? parseInt(name.slice(2), 16) : Number(name.slice(1)));
  });
}

function requestId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}

function sendXml(res: http.ServerResponse, method: string, status: number, xml: string): void {
  const body = Buffer.from(xml, 'utf8');
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': body.length, 'x-amz-request-id': requestId() });
  // HEAD answers carry no body: the SDK then knows the error only by its status.
  res.end(method === 'HEAD' ? undefined : body);
}

function sendError(res: http.ServerResponse, target: Target, reply: Reply): void {
  const extra = Object.entries(reply.extra ?? {})
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join('');
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(reply.code)}</Code><Message>${escapeXml(reply.message)}</Message>${extra}<Resource>${escapeXml(target.rawPath)}</Resource><RequestId>${requestId()}</RequestId></Error>`;
  sendXml(res, target.method, reply.status, xml);
}

const DEFAULT_ERRORS: Record<number, { code: string; message: string }> = {
  500: { code: 'InternalError', message: 'We encountered an internal error. Please try again.' },
  503: { code: 'SlowDown', message: 'Please reduce your request rate.' },
  403: { code: 'AccessDenied', message: 'Access Denied' },
};

// --- injected faults and S3's own refusals -------------------------------------------------

function takeDrop(faults: FaultState, target: Target): boolean {
  return target.operation === 'UploadPart' && target.partNumber !== null && faults.dropParts.delete(target.partNumber);
}

function takeFailure(faults: FaultState, target: Target): Reply | null {
  const index = faults.failures.findIndex((f) => f.operation === undefined || f.operation === target.operation);
  if (index < 0) return null;
  const failure = faults.failures[index]!;
  if (--failure.remaining <= 0) faults.failures.splice(index, 1);
  return failure.reply;
}

/** x-amz-date (20240102T030405Z) or else Date; null when neither is sent, NaN date when unreadable. */
function requestTime(headers: Record<string, string>): Date | null {
  const amz = headers['x-amz-date'];
  if (amz !== undefined) {
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amz);
    return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : new Date(NaN);
  }
  return headers['date'] !== undefined ? new Date(headers['date']) : null;
}

function clockSkewProblem(headers: Record<string, string>): Reply | null {
  const time = requestTime(headers);
  if (time === null) return null;
  if (Number.isNaN(time.getTime())) return { status: 403, code: 'AccessDenied', message: 'AWS authentication requires a valid Date or x-amz-date header' };
  const now = new Date();
  if (Math.abs(now.getTime() - time.getTime()) <= MAX_SKEW_MS) return null;
  return {
    status: 403,
    code: 'RequestTimeTooSkewed',
    message: 'The difference between the request time and the current time is too large.',
    extra: { RequestTime: headers['x-amz-date'] ?? headers['date'] ?? '', ServerTime: now.toISOString(), MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS) },
  };
}

/** The SHA-256 (and HMAC-SHA-256) that @smithy/signature-v4 asks for, from node:crypto. */
class NodeSha256 {
  private readonly hash: Hash | Hmac;

  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }

  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBuffer(data));
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest());
  }
}

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

function queryRecord(query: URLSearchParams): Record<string, string | string[]> {
  const record: Record<string, string | string[]> = {};
  for (const [name, value] of query) {
    const before = record[name];
    record[name] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
  }
  return record;
}

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/\s,]+)\/(\d{8})\/([^/\s,]+)\/([^/\s,]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;_.-]+),\s*Signature=([0-9a-f]{64})$/;

/**
 * Recomputes the request's SigV4 signature from what arrived (method, raw path, query, the signed
 * headers, x-amz-content-sha256) with the lab's secret. The signer signs exactly the headers it is
 * given (signableHeaders also admits those it would skip by default), so the client's choice holds.
 */
async function signatureProblem(target: Target, headers: Record<string, string>, body: Buffer, secretAccessKey: string): Promise<Reply | null> {
  if (target.query.has('X-Amz-Signature') || target.query.has('Signature')) {
    return { status: 403, code: 'AccessDenied', message: 's3-lab checks header signatures only, not presigned URLs' };
  }
  const authorization = headers['authorization'];
  if (authorization === undefined) return { status: 403, code: 'AccessDenied', message: 'Access Denied' };
  const m = AUTHORIZATION.exec(authorization);
  if (!m) return { status: 400, code: 'AuthorizationHeaderMalformed', message: 'The authorization header is malformed.' };
  const [, accessKeyId, , region, service, signedList, signature] = m as unknown as [string, string, string, string, string, string, string];
  if (accessKeyId !== ACCESS_KEY_ID) return { status: 403, code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.', extra: { AWSAccessKeyId: accessKeyId } };
  const signingDate = requestTime(headers);
  if (!signingDate || Number.isNaN(signingDate.getTime())) return { status: 403, code: 'AccessDenied', message: 'AWS authentication requires a valid Date or x-amz-date header' };

  const signedNames = signedList.split(';');
  const signedHeaders: Record<string, string> = {};
  for (const name of signedNames) if (headers[name] !== undefined) signedHeaders[name] = headers[name];
  const signer = new SignatureV4({ credentials: { accessKeyId, secretAccessKey }, region, service, sha256: NodeSha256, uriEscapePath: false, applyChecksum: false });
  const recomputed = await signer.sign(
    { method: target.method, protocol: 'http:', hostname: '127.0.0.1', path: target.rawPath, query: queryRecord(target.query), headers: signedHeaders, body },
    { signingDate, signableHeaders: new Set(signedNames), signingRegion: region, signingService: service },
  );
  const expected = AUTHORIZATION.exec(recomputed.headers['authorization'] ?? '');
  if (!expected || expected[6] !== signature || expected[5] !== signedList) {
    return { status: 403, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', extra: { AWSAccessKeyId: accessKeyId } };
  }
  const contentSha = headers['x-amz-content-sha256'];
  if (contentSha && /^[0-9a-f]{64}$/.test(contentSha) && contentSha !== createHash('sha256').update(body).digest('hex')) {
    return { status: 400, code: 'XAmzContentSHA256Mismatch', message: "The provided 'x-amz-content-sha256' header does not match what was computed." };
  }
  return null;
}

/** The checksum headers S3 takes; null: not checked here (no CRC32C/CRC64NVME in node:crypto), only counted as present. */
const CHECKSUMS: [name: string, label: string, bytes: number, compute: ((body: Buffer) => Buffer) | null][] = [
  ['sha256', 'SHA256', 32, (body) => createHash('sha256').update(body).digest()],
  ['sha1', 'SHA1', 20, (body) => createHash('sha1').update(body).digest()],
  ['crc32', 'CRC32', 4, (body) => uint32(crc32(body))],
  ['crc32c', 'CRC32C', 4, null],
  ['crc64nvme', 'CRC64NVME', 8, null],
];

function uint32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out;
}

/** A base64 value of exactly `bytes` bytes (Buffer.from would silently skip garbage). */
function base64Of(text: string, bytes: number): Buffer | null {
  const decoded = Buffer.from(text, 'base64');
  return decoded.length === bytes && decoded.toString('base64') === text ? decoded : null;
}

function checksumProblem(target: Target, headers: Record<string, string>, body: Buffer, required: boolean): Reply | null {
  if (target.operation !== 'PutObject' && target.operation !== 'UploadPart') return null;
  let present = false;
  const md5 = headers['content-md5'];
  if (md5 !== undefined) {
    present = true;
    const given = base64Of(md5, 16);
    if (!given) return { status: 400, code: 'InvalidDigest', message: 'The Content-MD5 you specified was invalid.' };
    if (!given.equals(createHash('md5').update(body).digest())) return { status: 400, code: 'BadDigest', message: 'The Content-MD5 you specified did not match what we received.' };
  }
  for (const [name, label, bytes, compute] of CHECKSUMS) {
    const text = headers[`x-amz-checksum-${name}`];
    if (text === undefined) continue;
    present = true;
    const given = base64Of(text, bytes);
    if (!given) return { status: 400, code: 'InvalidRequest', message: `Value for x-amz-checksum-${name} header is invalid.` };
    if (compute && !given.equals(compute(body))) return { status: 400, code: 'BadDigest', message: `The ${label} you specified did not match the calculated checksum.` };
  }
  if (required && !present) {
    return { status: 400, code: 'InvalidRequest', message: 'Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters' };
  }
  return null;
}

// --- aws-chunked bodies --------------------------------------------------------------------

interface Received {
  body: Buffer;
  /** The request's headers, with an aws-chunked trailer's fields added. */
  headers: Record<string, string>;
}

/** `size[;chunk-signature=…]\r\n data \r\n … 0[;…]\r\n trailer: value\r\n \r\n`; null when malformed. */
function decodeAwsChunked(raw: Buffer): { body: Buffer; trailers: Record<string, string> } | null {
  const chunks: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', pos);
    if (eol < 0) return null;
    const size = parseInt(raw.toString('latin1', pos, eol).split(';')[0]!, 16);
    if (!Number.isInteger(size) || size < 0) return null;
    pos = eol + 2;
    if (size === 0) break;
    if (pos + size + 2 > raw.length || raw.toString('latin1', pos + size, pos + size + 2) !== '\r\n') return null;
    chunks.push(raw.subarray(pos, pos + size));
    pos += size + 2;
  }
  const trailers: Record<string, string> = {};
  while (pos < raw.length) {
    const eol = raw.indexOf('\r\n', pos);
    const line = raw.toString('utf8', pos, eol < 0 ? raw.length : eol);
    pos = eol < 0 ? raw.length : eol + 2;
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { body: Buffer.concat(chunks), trailers };
}

function receive(raw: Buffer, headers: Record<string, string>): Received | Reply {
  const encodings = (headers['content-encoding'] ?? '').split(',').map((e) => e.trim()).filter(Boolean);
  if (!encodings.includes('aws-chunked')) return { body: raw, headers };
  const decoded = decodeAwsChunked(raw);
  if (!decoded) return { status: 400, code: 'IncompleteBody', message: 'The aws-chunked body could not be decoded.' };
  const rest = encodings.filter((e) => e !== 'aws-chunked');
  const { 'content-encoding': _encoding, 'x-amz-decoded-content-length': _decoded, 'x-amz-trailer': _trailer, ...plain } = headers;
  return { body: decoded.body, headers: { ...plain, ...decoded.trailers, ...(rest.length ? { 'content-encoding': rest.join(', ') } : {}) } };
}

// --- multipart uploads (tracked so ListParts, Abort and NoSuchUpload behave like S3) ---------

const NO_SUCH_UPLOAD = 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.';

function uploadProblem(lab: LabState, target: Target): Reply | null {
  const multipart = ['UploadPart', 'CompleteMultipartUpload', 'AbortMultipartUpload'].includes(target.operation) || (target.operation === 'ListParts' && lab.listParts);
  if (!multipart) return null;
  const upload = target.uploadId === null ? undefined : lab.uploads.get(target.uploadId);
  if (!upload || upload.bucket !== target.bucket || upload.key !== target.key) {
    return { status: 404, code: 'NoSuchUpload', message: NO_SUCH_UPLOAD, extra: { UploadId: target.uploadId ?? '' } };
  }
  if (target.operation === 'UploadPart' && (target.partNumber === null || target.partNumber < 1 || target.partNumber > 10_000)) {
    return { status: 400, code: 'InvalidArgument', message: 'Part number must be an integer between 1 and 10000, inclusive' };
  }
  return null;
}

interface CompletedPart {
  partNumber: number;
  etag: string;
  checksumSha256: string | null;
}

function completedParts(xml: string): CompletedPart[] | null {
  const parts: CompletedPart[] = [];
  for (const part of xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)) {
    const field = (name: string) => {
      const found = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(part[1]!);
      return found ? unescapeXml(found[1]!.trim()) : null;
    };
    const partNumber = Number(field('PartNumber'));
    const etag = field('ETag');
    if (!Number.isInteger(partNumber) || etag === null) return null;
    parts.push({ partNumber, etag, checksumSha256: field('ChecksumSHA256') });
  }
  return parts.length > 0 ? parts : null;
}

/** S3's checks of a CompleteMultipartUpload against the parts it holds; s3rver makes none. */
function completeProblem(lab: LabState, upload: Upload, body: Buffer): Reply | null {
  const parts = completedParts(body.toString('utf8'));
  if (!parts) return { status: 400, code: 'MalformedXML', message: 'The XML you provided was not well-formed or did not validate against our published schema.' };
  const unquote = (etag: string) => etag.replaceAll('"', '');
  for (const [index, part] of parts.entries()) {
    if (index > 0 && part.partNumber <= parts[index - 1]!.partNumber) {
      return { status: 400, code: 'InvalidPartOrder', message: 'The list of parts was not in ascending order. Parts must be ordered by part number.' };
    }
    const held = upload.parts.get(part.partNumber);
    const invalid = { status: 400, code: 'InvalidPart', extra: { PartNumber: String(part.partNumber), ETag: part.etag } };
    if (!held || unquote(held.etag) !== unquote(part.etag)) {
      return { ...invalid, message: "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not have matched the part's entity tag." };
    }
    if (part.checksumSha256 && held.checksumSha256 && part.checksumSha256 !== held.checksumSha256) {
      return { ...invalid, message: `The checksum of part ${part.partNumber} does not match the checksum it was uploaded with.` };
    }
    if (index < parts.length - 1 && held.size < lab.minPartSize) {
      return { status: 400, code: 'EntityTooSmall', message: 'Your proposed upload is smaller than the minimum allowed size', extra: { ProposedSize: String(held.size), MinSizeAllowed: String(lab.minPartSize), PartNumber: String(part.partNumber) } };
    }
  }
  return null;
}

function listPartsXml(target: Target, upload: Upload): string {
  const marker = Math.max(0, Number(target.query.get('part-number-marker') ?? 0) || 0);
  const asked = Number(target.query.get('max-parts') ?? 1000);
  const maxParts = Number.isInteger(asked) && asked > 0 ? Math.min(asked, 1000) : 1000;
  const after = [...upload.parts.values()].filter((p) => p.partNumber > marker).sort((a, b) => a.partNumber - b.partNumber);
  const page = after.slice(0, maxParts);
  const parts = page.map(
    (p) =>
      `<Part><PartNumber>${p.partNumber}</PartNumber><LastModified>${p.lastModified.toISOString()}</LastModified><ETag>${escapeXml(p.etag)}</ETag><Size>${p.size}</Size>` +
      (p.checksumSha256 ? `<ChecksumSHA256>${escapeXml(p.checksumSha256)}</ChecksumSHA256>` : '') +
      '</Part>',
  );
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult xmlns="${S3_XMLNS}">` +
    `<Bucket>${escapeXml(upload.bucket)}</Bucket><Key>${escapeXml(upload.key)}</Key><UploadId>${escapeXml(target.uploadId ?? '')}</UploadId>` +
    `<PartNumberMarker>${marker}</PartNumberMarker><NextPartNumberMarker>${page.at(-1)?.partNumber ?? marker}</NextPartNumberMarker>` +
    `<MaxParts>${maxParts}</MaxParts><IsTruncated>${after.length > page.length}</IsTruncated>` +
    `<StorageClass>STANDARD</StorageClass>${parts.join('')}</ListPartsResult>`
  );
}

/** Abort: s3rver has no route for it, so the proxy deletes s3rver's parts directory itself. */
async function abortUpload(lab: LabState, target: Target, upload: Upload): Promise<void> {
  lab.uploads.delete(target.uploadId!);
  await fs.rm(path.join(lab.dir, upload.bucket, UPLOADS_DIR, target.uploadId!), { recursive: true, force: true });
}

// --- forwarding ----------------------------------------------------------------------------

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'expect', 'upgrade', 'te', 'trailer', 'proxy-connection']);

function collect(stream: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** What s3rver answered, and the proxy's bookkeeping of uploads and parts from it. */
async function learnFrom(lab: LabState, target: Target, received: Received, answer: http.IncomingMessage): Promise<Buffer | null> {
  const ok = answer.statusCode === 200;
  if (ok && target.operation === 'CreateMultipartUpload') {
    const body = await collect(answer);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(body.toString('utf8'))?.[1];
    if (uploadId) lab.uploads.set(uploadId, { bucket: target.bucket!, key: target.key!, parts: new Map() });
    return body;
  }
  if (ok && target.operation === 'UploadPart') {
    const part: PartRecord = { partNumber: target.partNumber!, etag: String(answer.headers.etag ?? ''), size: received.body.length, checksumSha256: received.headers['x-amz-checksum-sha256'] ?? null, lastModified: new Date() };
    lab.uploads.get(target.uploadId!)?.parts.set(part.partNumber, part);
  }
  if (ok && target.operation === 'CompleteMultipartUpload') lab.uploads.delete(target.uploadId!);
  return null;
}

function forward(lab: LabState, target: Target, received: Received, rawUrl: string, record: S3Request, res: http.ServerResponse): Promise<void> {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(received.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
  headers['host'] = `127.0.0.1:${lab.upstreamPort}`;
  headers['content-length'] = received.body.length;
  // The proxy owns the clock check: s3rver has its own, which checkClockSkew(false) must not leave
  // in force. s3rver checks no SigV4 signature, so the forwarded request time can simply be now.
  if (headers['x-amz-date'] !== undefined) headers['x-amz-date'] = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  else if (headers['date'] !== undefined) headers['date'] = new Date().toUTCString();
  return new Promise((resolve) => {
    const upstream = http.request({ host: '127.0.0.1', port: lab.upstreamPort, method: target.method, path: rawUrl, headers, agent: lab.agent }, (answer) => {
      void learnFrom(lab, target, received, answer).then(
        (buffered) => {
          const out: http.OutgoingHttpHeaders = {};
          for (const [name, value] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(name)) out[name] = value;
          // S3 echoes the checksum it verified; s3rver does not know about checksums.
          for (const [name] of CHECKSUMS) {
            const given = received.headers[`x-amz-checksum-${name}`];
            if (given && answer.statusCode === 200 && (target.operation === 'UploadPart' || target.operation === 'PutObject')) out[`x-amz-checksum-${name}`] = given;
          }
          record.status = answer.statusCode ?? 0;
          res.writeHead(answer.statusCode ?? 502, out);
          if (buffered) res.end(buffered, resolve);
          else pipeline(answer, res, () => resolve());
        },
        () => {
          res.destroy();
          resolve();
        },
      );
    });
    upstream.on('error', (error) => {
      if (res.headersSent) res.destroy();
      else {
        record.status = 500;
        sendError(res, target, { status: 500, code: 'InternalError', message: `s3-lab could not reach s3rver: ${error.message}` });
      }
      resolve();
    });
    // A client that gives up (timeout, abort) must not leave the upstream request open.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.end(received.body);
  });
}

// --- the proxy -----------------------------------------------------------------------------

async function handle(lab: LabState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const rawUrl = req.url ?? '/';
  const headers = flatHeaders(req.headers);
  const target = parseTarget(req.method ?? 'GET', rawUrl, headers);
  const record: S3Request = { method: target.method, key: target.key, bucket: target.bucket, operation: target.operation, partNumber: target.partNumber, uploadId: target.uploadId, status: 0, bytes: 0, headers };
  lab.requests.push(record);

  let raw: Buffer;
  try {
    raw = await readBody(req, lab.faults);
  } catch {
    return; // the client went away: nobody to answer
  }
  record.bytes = raw.length;
  const refuse = (reply: Reply) => {
    record.status = reply.status;
    sendError(res, target, reply);
  };

  // Injected faults first: they stand for the network and an overloaded server, before any check.
  if (takeDrop(lab.faults, target)) {
    req.socket.destroy();
    return;
  }
  const injected = takeFailure(lab.faults, target);
  if (injected) return refuse(injected);

  const received = receive(raw, headers);
  if ('code' in received) return refuse(received);
  const { faults } = lab;
  const problem =
    (faults.checkClockSkew ? clockSkewProblem(headers) : null) ??
    (faults.verifySignatures ? await signatureProblem(target, headers, raw, lab.secretAccessKey) : null) ??
    uploadProblem(lab, target) ??
    checksumProblem(target, received.headers, received.body, faults.requireChecksums);
  if (problem) return refuse(problem);

  const upload = target.uploadId === null ? undefined : lab.uploads.get(target.uploadId);
  if (upload && target.operation === 'CompleteMultipartUpload') {
    const invalid = completeProblem(lab, upload, received.body);
    if (invalid) return refuse(invalid);
  }
  if (upload && target.operation === 'ListParts' && lab.listParts) {
    record.status = 200;
    return sendXml(res, target.method, 200, listPartsXml(target, upload));
  }
  if (upload && target.operation === 'AbortMultipartUpload') {
    await abortUpload(lab, target, upload);
    record.status = 204;
    res.writeHead(204, { 'x-amz-request-id': requestId() }).end();
    return;
  }
  await forward(lab, target, received, rawUrl, record, res);
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

// --- the lab -------------------------------------------------------------------------------

function faultControls(state: FaultState): S3Faults {
  return {
    dropAtPart: (partNumber) => void state.dropParts.add(partNumber),
    failNext(count, status, options = {}) {
      const fallback = DEFAULT_ERRORS[status]!;
      const reply = { status, code: options.code ?? fallback.code, message: options.message ?? fallback.message };
      if (count > 0) state.failures.push({ remaining: count, reply, operation: options.operation });
    },
    requireChecksums: (on) => void (state.requireChecksums = on),
    verifySignatures: (on) => void (state.verifySignatures = on),
    throttle(bytesPerSecond) {
      state.bytesPerSecond = bytesPerSecond && bytesPerSecond > 0 ? bytesPerSecond : null;
      state.throttledUntil = 0;
    },
    checkClockSkew: (on) => void (state.checkClockSkew = on),
    reset: () => void Object.assign(state, defaultFaults()),
  };
}

/** Where s3rver keeps an object's bytes; refuses keys that would lead out of the bucket. */
function objectFileOf(dir: string, bucket: string, key: string): string {
  const segments = key.split('/');
  const last = segments.pop()!;
  const bucketDir = path.join(dir, bucket);
  const file = path.join(bucketDir, ...segments, `${last}${OBJECT_SUFFIX}`);
  if (!file.startsWith(bucketDir + path.sep)) throw new Error(`s3-lab: the key ${JSON.stringify(key)} leads out of the bucket`);
  return file;
}

async function flipBitIn(file: string, offset: number): Promise<void> {
  const handle = await fs.open(file, 'r+');
  try {
    const { size } = await handle.stat();
    if (!Number.isInteger(offset) || offset < 0 || offset >= size) throw new RangeError(`s3-lab: offset ${offset} is outside the object (${size} bytes)`);
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, offset);
    byte[0]! ^= 0x01;
    await handle.write(byte, 0, 1, offset);
  } finally {
    await handle.close();
  }
}

export async function startS3Lab(options: S3LabOptions = {}): Promise<S3Lab> {
  const bucket = options.bucket ?? 'lifeboat-test';
  const secretAccessKey = options.secretAccessKey ?? DEFAULT_SECRET_ACCESS_KEY;
  if (bucket.length < 3) throw new Error('s3-lab: a bucket name needs at least 3 characters');
  installExitHook();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lifeboat-s3-'));
  liveDirs.add(dir);

  const s3rver = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, vhostBuckets: false, configureBuckets: [{ name: bucket }] });
  const agent = new http.Agent({ keepAlive: true });
  const proxy = http.createServer();
  const clients = new Set<S3Client>();
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      for (const c of clients) c.destroy();
      await closeServer(proxy);
      agent.destroy();
      if (s3rver.httpServer) await closeServer(s3rver.httpServer);
      await fs.rm(dir, { recursive: true, force: true });
      liveDirs.delete(dir);
    })());

  try {
    const upstream = await s3rver.run();
    // Unref'd: a test that forgets stop() must not hang its worker.
    s3rver.httpServer?.unref();
    const state: LabState = { dir, secretAccessKey, listParts: options.listParts ?? true, minPartSize: options.minPartSize ?? 0, upstreamPort: upstream.port, agent, requests: [], faults: defaultFaults(), uploads: new Map() };
    proxy.on('request', (req, res) => {
      handle(state, req, res).catch((error: unknown) => {
        if (res.headersSent) res.destroy();
        else sendError(res, parseTarget(req.method ?? 'GET', req.url ?? '/', {}), { status: 500, code: 'InternalError', message: `s3-lab: ${String(error)}` });
      });
    });
    const port = await listen(proxy);
    proxy.unref();
    const endpoint = `http://127.0.0.1:${port}`;
    return {
      endpoint,
      directEndpoint: `http://127.0.0.1:${upstream.port}`,
      bucket,
      accessKeyId: ACCESS_KEY_ID,
      secretAccessKey,
      region: REGION,
      requests: state.requests,
      faults: faultControls(state.faults),
      objectFile: (key) => objectFileOf(dir, bucket, key),
      flipBit: (key, offset) => flipBitIn(objectFileOf(dir, bucket, key), offset),
      client(overrides = {}) {
        const client = new S3Client({
          endpoint,
          region: REGION,
          forcePathStyle: true,
          credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey },
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
          ...overrides,
        });
        clients.add(client);
        return client;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
