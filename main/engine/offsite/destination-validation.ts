// A destination's fields as the user typed them (CLI flags, the app's form, an IPC payload — all
// hostile): checked and normalised before anything is saved or any request is made.
import { isIP } from 'node:net';
import { LifeboatError } from '../errors.ts';
import type { S3Location } from '../model/offsite.ts';

const invalid = (message: string, fix: string) => new LifeboatError('INVALID_INPUT', message, fix);

/** Names are used on the command line as NAME:ARCHIVE, so no colon, no spaces. */
export function checkDestinationName(name: unknown): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name)) {
    throw invalid(`"${String(name).slice(0, 80)}" is not a usable destination name.`, 'Use 1–63 letters, digits, dots, dashes or underscores, starting with a letter or digit (e.g. "offsite-s3").');
  }
  return name;
}

/** "s3://bucket/prefix at endpoint", for messages (here, not beside the S3 client: no SDK loaded to say it). */
export function describeS3(location: S3Location): string {
  return `s3://${location.bucket}/${location.prefix} at ${location.endpoint}`;
}

export function normaliseS3Location(input: S3Location): S3Location {
  const location: S3Location = {
    endpoint: checkEndpoint(input.endpoint),
    region: checkPattern(input.region ?? 'us-east-1', /^[a-z0-9-]{1,40}$/, 'region', '"us-east-1", "eu-central-1", "auto" (R2)'),
    bucket: checkBucket(input.bucket),
    prefix: checkPrefix(input.prefix ?? ''),
    pathStyle: input.pathStyle === true,
    accessKeyId: checkPattern(input.accessKeyId, /^[\x21-\x7e]{1,128}$/, 'access key id', 'the key id your provider shows (printable characters, no spaces)'),
    partChecksums: input.partChecksums !== false,
  };
  if (input.storageClass !== undefined && input.storageClass !== '') location.storageClass = checkPattern(input.storageClass, /^[A-Z_]{1,40}$/, 'storage class', 'STANDARD, STANDARD_IA, GLACIER_IR…');
  if (input.objectLockDays !== undefined && input.objectLockDays !== null) {
    if (!Number.isInteger(input.objectLockDays) || input.objectLockDays < 1 || input.objectLockDays > 36_500) throw invalid(`Object Lock days must be a whole number from 1 to 36500, not ${String(input.objectLockDays)}.`, 'Enter the number of days each copy stays locked, or leave it empty.');
    if (!location.partChecksums) throw invalid('Object Lock needs a checksum on every part: S3 refuses locked uploads without one.', 'Keep "checksum every part" on, or leave Object Lock off.');
    location.objectLockDays = input.objectLockDays;
  }
  return location;
}

function checkPattern(value: unknown, pattern: RegExp, what: string, example: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) throw invalid(`"${String(value).slice(0, 80)}" is not a valid ${what}.`, `Enter ${example}.`);
  return value;
}

/**
 * https, or http to this computer or a private network address (a MinIO on the LAN): over the
 * internet, plain http would show every request to anyone on the way.
 */
function checkEndpoint(value: unknown): string {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw invalid(`"${String(value).slice(0, 120)}" is not an endpoint URL.`, 'Enter the store\'s URL, e.g. https://s3.eu-central-1.amazonaws.com or https://<account>.r2.cloudflarestorage.com.');
  }
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw invalid(`The endpoint ${url.origin} must be only scheme, host and port (no user, path, query or fragment).`, 'Put the bucket and folder in their own fields; the secret key goes in the key field, never in the URL.');
  }
  if (url.protocol === 'http:' && !isPrivateHost(url.hostname)) throw invalid(`The endpoint ${url.origin} uses plain http over the internet.`, 'Use https:// (plain http only reaches this computer or a private network address).');
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid(`The endpoint ${url.origin} is not http(s).`, 'Enter an https:// URL.');
  return url.origin;
}

function isPrivateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(host);
  if (isIP(host) === 6) return host === '::1' || /^f[cd]/i.test(host);
  return false;
}

function checkBucket(value: unknown): string {
  if (typeof value !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value) || value.includes('..')) {
    throw invalid(`"${String(value).slice(0, 80)}" is not a valid bucket name.`, 'Bucket names are 3–63 lower-case letters, digits, dots and dashes.');
  }
  return value;
}

/** "" or a folder path ending in "/": no leading slash, no empty, "." or ".." segments. */
function checkPrefix(value: unknown): string {
  if (typeof value !== 'string') throw invalid('The folder inside the bucket must be text.', 'Enter a folder such as "lifeboat/" or leave it empty.');
  const trimmed = value.replace(/^\/+/, '');
  if (trimmed === '') return '';
  const prefix = trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
  const segments = prefix.slice(0, -1).split('/');
  if (prefix.length > 512 || segments.some((s) => s === '' || s === '.' || s === '..' || /[\p{Cc}\\]/u.test(s))) {
    throw invalid(`"${value.slice(0, 80)}" is not a usable folder inside the bucket.`, 'Use a path such as "backups/lifeboat/": no empty, "." or ".." parts, no backslashes or control characters.');
  }
  return prefix;
}

/** Bytes per second: from 16 KiB/s (slower would stretch a backup's upload over days) to 100 GB/s. */
export function checkBandwidthLimit(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 16 * 1024 || value > 100e9) {
    throw invalid(`A bandwidth limit must be a whole number of bytes per second from 16 KiB/s to 100 GB/s, not ${String(value).slice(0, 40)}.`, 'Enter a rate such as 5M (5 MB/s), or none for no limit.');
  }
  return value;
}
