// Offsite copies as they cross the engine's boundary: destinations (where copies go), the state of
// each archive's copy in each destination, and archives listed from a destination's sidecars.
// Plain data, no behaviour: the model layer imports nothing but other model types.
import type { ArchiveSidecar } from './archive.ts';
import type { ErrorInfo } from './error.ts';
import type { SshSecretInput, SshSettings } from './profile.ts';

/** An S3-compatible bucket (AWS S3, Backblaze B2, Cloudflare R2, MinIO, Wasabi…). The secret key is in the keychain only. */
export interface S3Location {
  /** https://s3.eu-central-1.amazonaws.com, https://ACCOUNT.r2.cloudflarestorage.com…; http only for loopback. */
  endpoint: string;
  region: string;
  bucket: string;
  /** Folder inside the bucket, "" or ending in "/". */
  prefix: string;
  /** Address the bucket as endpoint/bucket (MinIO and most S3-compatibles) instead of bucket.endpoint. */
  pathStyle: boolean;
  accessKeyId: string;
  /** STANDARD, STANDARD_IA, GLACIER_IR…; absent = the bucket's default. */
  storageClass?: string;
  /** Object Lock: every object is locked for this many days after upload (the bucket must have Object Lock enabled). */
  objectLockDays?: number;
  /**
   * Send a SHA-256 checksum with every part (Object Lock buckets refuse parts without one, and the
   * store checks each part on arrival). Off only for S3-compatibles that reject checksum headers;
   * the SDK's own default CRC32 checksums are never sent (several S3-compatibles reject them).
   */
  partChecksums: boolean;
}

/**
 * A folder on an SSH server, reached like a profile's SSH tunnel: the host (the last hop) with its
 * login method, jump hosts before it (ProxyJump), host keys checked against known_hosts. Passwords and
 * key passphrases are in the keychain only, per hop.
 */
export interface SftpLocation extends SshSettings {
  /** The folder on the host, an absolute path ("/srv/backups/lifeboat"). */
  folder: string;
}

export type DestinationKind = 's3' | 'sftp';

export interface Destination {
  id: string;
  name: string;
  /** The profile whose backups are copied here. */
  profileId: string;
  kind: DestinationKind;
  /** kind 's3'. */
  s3?: S3Location;
  /** kind 'sftp'. */
  sftp?: SftpLocation;
  /** Upload at most this many bytes per second (the copy waits between parts); absent = as fast as the link allows. */
  bandwidthLimit?: number;
  /** The endpoint, bucket and key id the saved secret key was given for: it is never sent anywhere else. Set by the engine only. */
  secretEndpoint?: string;
  createdAt: string;
}

export interface DestinationInput {
  name: string;
  /** Profile id or name. */
  profile: string;
  /** Exactly one of s3 and sftp. */
  s3?: S3Location;
  sftp?: SftpLocation;
  /** The S3 secret access key: kept in the keychain. */
  secretKey?: string | null;
  /** Bytes per second; absent or null = no limit. */
  bandwidthLimit?: number | null;
  /** SFTP: the password or key passphrase per hop, in connection order (jumps first, the host last): kept in the keychain. */
  sshSecrets?: SshSecretInput[];
}

export interface DestinationSummary extends Omit<Destination, 'secretEndpoint'> {
  profileName: string;
  /** S3: the secret key is saved. SFTP: every hop that logs in with a password has it saved. */
  secretSaved: boolean;
  /** SFTP: per hop (connection order), whether a password or key passphrase is saved. */
  sshSecretsSaved?: boolean[];
  /** "s3://bucket/prefix at endpoint", "sftp://user@host:22/folder via jump:22": for lists and messages. */
  where: string;
}

export interface DestinationTestResult {
  ok: boolean;
  /** What was checked, in order ("wrote a 1 KiB test object", "read it back", "deleted it"). */
  checks: string[];
  error?: ErrorInfo;
  durationMs: number;
}

export type CopyStateKind = 'uploading' | 'verified' | 'failed';

/** One archive's copy in one destination, as this computer last saw it. */
export interface CopyState {
  destinationId: string;
  destinationName: string;
  archive: string;
  /** The archive's SHA-256 (from its sidecar): the copy is of exactly these bytes. */
  sha256: string;
  bytes: number;
  state: CopyStateKind;
  /** uploading: bytes the destination has confirmed. */
  bytesDone: number;
  updatedAt: string;
  verifiedAt?: string;
  error?: ErrorInfo;
}

export interface CopyResult {
  destination: string;
  archive: string;
  /** The object's name in the destination's folder. */
  key: string;
  /** The destination's location ("s3://bucket/prefix at …"). */
  where: string;
  bytes: number;
  sha256: string;
  /** Parts sent in this run, and parts a previous interrupted run had already sent. */
  partsSent: number;
  partsResumed: number;
  durationMs: number;
  verifiedAt: string;
}

/** An archive in a destination, listed from its sidecar there without downloading the archive. */
export interface RemoteArchive {
  destination: string;
  key: string;
  /** The archive's file name: DEST:NAME names it on the command line. */
  name: string;
  bytes: number | null;
  lastModified: string | null;
  sidecar: ArchiveSidecar | null;
  /** Set when the sidecar is missing or unreadable: the archive is listed with what is wrong. */
  problem?: string;
  /** This computer has a local copy of the same archive (same name and SHA-256). */
  local: boolean;
}

export interface RemoteVerifyResult {
  destination: string;
  key: string;
  bytes: number;
  sha256: string;
  ok: boolean;
  checks: string[];
}
