// One S3 client per destination and the one place S3's answers become Lifeboat errors. The SDK's
// default flexible checksums (CRC32 in an aws-chunked trailer) are turned off: several
// S3-compatibles reject them, and Lifeboat sends its own SHA-256 per part instead (s3-upload.ts).
import { S3Client } from '@aws-sdk/client-s3';
import { LifeboatError } from '../errors.ts';
import { visibleText } from '../name-text.ts';
import type { S3Location } from '../model/offsite.ts';
import { describeS3 } from './destination-validation.ts';

export function s3Client(location: S3Location, secretKey: string): S3Client {
  return new S3Client({
    endpoint: location.endpoint,
    region: location.region,
    forcePathStyle: location.pathStyle,
    credentials: { accessKeyId: location.accessKeyId, secretAccessKey: secretKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Retries (with backoff) on 500/503/throttling and dropped connections; a resumable upload
    // survives more than this anyway, at the next run.
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 15_000, requestTimeout: 300_000 },
  });
}

interface SdkError {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EPROTO', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID', 'TimeoutError', 'RequestTimeout']);
const CHECKSUM_CODES = new Set(['BadDigest', 'InvalidDigest', 'XAmzContentSHA256Mismatch', 'InvalidChecksum']);

/**
 * What went wrong talking to the destination, with the fix. `doing` names the step in plain words
 * ("write the test object", "upload part 3"): a permission problem depends on it.
 */
export function s3Problem(error: unknown, location: S3Location, doing: string): LifeboatError {
  if (error instanceof LifeboatError) return error;
  const e = (error ?? {}) as SdkError;
  // A socket's code (ENOTFOUND…) says more than its class name ("Error"), which is no S3 code at all.
  const code = (e.code && NETWORK_CODES.has(e.code) ? e.code : null) ?? e.Code ?? (e.name && e.name !== 'Error' ? e.name : null) ?? e.code ?? '';
  const status = e.$metadata?.httpStatusCode;
  const where = describeS3(location);
  const said = visibleText(String(e.message ?? code)).slice(0, 300);
  const problem = (c: ConstructorParameters<typeof LifeboatError>[0], message: string, fix: string) => new LifeboatError(c, message, fix, { cause: error });
  if (code === 'InvalidAccessKeyId') return problem('S3_AUTH_FAILED', `${where} does not know the access key id "${visibleText(location.accessKeyId)}".`, 'Check the access key id (and that it belongs to this provider and region), then save the destination again.');
  if (code === 'SignatureDoesNotMatch') return problem('S3_AUTH_FAILED', `${where} refused the secret access key for "${visibleText(location.accessKeyId)}" (the request signature does not match).`, 'Enter the secret key again (it is shown once, when the key is created at the provider; make a new key if it is lost).');
  if (code === 'NoSuchBucket') return problem('S3_BUCKET_MISSING', `The bucket "${visibleText(location.bucket)}" does not exist at ${location.endpoint}.`, 'Create the bucket at your provider, or correct its name (and the region, and path-style for S3-compatibles).');
  if (code === 'RequestTimeTooSkewed') return problem('S3_CLOCK_SKEW', `${where} refused the request because this computer's clock is too far from the server's (more than 15 minutes).`, 'Set this computer\'s clock right (turn on automatic time), then try again.');
  if (CHECKSUM_CODES.has(code) || (code === 'InvalidRequest' && /checksum|content-md5/i.test(said))) return problem('S3_CHECKSUM_REJECTED', `${where} refused a checksum while Lifeboat tried to ${doing}: ${said}`, location.partChecksums ? 'If this store does not support SHA-256 checksums, turn off "checksum every part" for this destination (not possible with Object Lock). If it keeps happening, the data changed on the way: check the network.' : 'This bucket requires a checksum on every part (Object Lock does): turn on "checksum every part" for this destination.');
  if (code === 'InvalidObjectState') return problem('S3_FAILED', `${where} keeps this object in an archive storage class (Glacier, Deep Archive): it cannot be read until it is restored (${said}).`, 'Restore the object at your provider (it takes hours), or use a storage class that reads at once (STANDARD_IA, GLACIER_IR) for copies you may need to restore or drill.');
  if (code === 'AccessDenied' || code === 'AllAccessDisabled' || status === 403) return problem('S3_PERMISSION_DENIED', `The key "${visibleText(location.accessKeyId)}" may not ${doing} in ${where}: ${said}`, 'Give the key permission for s3:PutObject, s3:GetObject, s3:ListBucket, s3:DeleteObject and the multipart upload actions on this bucket and prefix.');
  if (NETWORK_CODES.has(code) || (!status && /socket|network|connect|timed? ?out/i.test(said))) return problem('S3_UNREACHABLE', `Lifeboat could not reach ${location.endpoint} to ${doing} (${said}).`, 'Check the endpoint URL and this computer\'s network; if the store is down, the next run tries again and resumes where this one stopped.');
  return problem('S3_FAILED', `${where} answered "${visibleText(code || String(status ?? 'error'))}" when Lifeboat tried to ${doing}: ${said}`, 'Try again; if it keeps happening, check the destination at your provider.');
}

/** The store does not implement this call (ListParts on some S3-compatibles). */
export function isNotImplemented(error: unknown): boolean {
  const e = (error ?? {}) as SdkError;
  const code = e.Code ?? e.name ?? '';
  return code === 'NotImplemented' || code === 'MethodNotAllowed' || e.$metadata?.httpStatusCode === 501 || e.$metadata?.httpStatusCode === 405;
}

/** The multipart upload is gone (completed, aborted, or expired by a lifecycle rule). */
export function isUploadGone(error: unknown): boolean {
  const e = (error ?? {}) as SdkError;
  const code = e.Code ?? e.name ?? '';
  return code === 'NoSuchUpload' || code === 'InvalidPart' || code === 'InvalidPartOrder';
}
