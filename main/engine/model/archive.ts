// Plain data about an archive that crosses the engine's boundary and is shared by capabilities
// (the backup records it, the drill compares against it): what it holds (manifest, checksums), the
// sidecar next to it, who made it, and the library's listing, details and verification of it.
// The model layer imports nothing but other model types.

/** Schema objects a restore must bring back (extension members excluded). */
export interface ObjectCounts {
  tables: number;
  views: number;
  materializedViews: number;
  sequences: number;
  indexes: number;
  functions: number;
}

export type EncryptionKind = 'x25519' | 'passphrase' | 'none';

export interface ManifestTable {
  schema: string;
  name: string;
  /** r = table, p = partitioned table (its rows live in its partitions), m = materialized view */
  kind: 'r' | 'p' | 'm';
  estimatedBytes: number;
  estimatedRows: number;
}

export interface ArchiveManifest {
  format: 'lifeboat-archive'; // ARCHIVE_FORMAT (archive/archive-format.ts)
  formatVersion: number;
  createdBy: string;
  source: { profile: string; host: string; port: number; database: string; user: string };
  server: { version: string; versionNum: number };
  tools: { pg_dump: { version: string; path: string }; pg_dumpall: { version: string; path: string } | null };
  snapshot: { id: string | null; exact: boolean; note: string | null };
  startedAt: string;
  options: {
    compression: string;
    partSize: number;
    globals: 'roles-without-passwords' | 'roles-with-passwords' | 'skipped';
    rowCounts: boolean;
    encryption: EncryptionKind;
  };
  tables: ManifestTable[];
  /** Counts of schema objects in the snapshot; a drill compares them after restoring. */
  objectCounts?: ObjectCounts;
  /** Canary queries (one value each) run in the backup's snapshot; a drill re-runs them. */
  canaries?: CanaryResult[];
  notes: string[];
}

export interface CanaryQuery {
  name: string;
  sql: string;
}

export interface CanaryResult extends CanaryQuery {
  value: string | null;
  error: string | null;
}

export interface TableRowCount {
  schema: string;
  name: string;
  rows: number;
}

export interface ArchiveChecksums {
  dump: { sha256: string; bytes: number; parts: number };
  globals: { sha256: string; bytes: number };
  /** manifest.json's exact bytes; absent in archives written before checksums covered it. */
  manifest?: { sha256: string; bytes: number };
  rowCounts: { exact: boolean; tables: TableRowCount[] } | null;
  finishedAt: string;
  timings: { totalMs: number; globalsMs: number; dumpMs: number; rowCountsMs: number | null };
  /** Who made the archive (see archive-authenticity.ts): an HMAC over the rest of this file. Absent in archives not made to Lifeboat's own key or passphrase, and in older ones. */
  authenticity?: AuthenticityTag;
}

/** The MAC says: made by whoever holds the X25519 identity of `recipient`, or knows the passphrase. */
export type AuthenticityTag =
  | { version: 1; kind: 'x25519'; recipient: string; mac: string }
  | { version: 1; kind: 'passphrase'; salt: string; logN: number; mac: string };

/**
 * In the sidecar: the MAC of the archive file's sha256 and size, keyed like checksums.json's X25519
 * authenticity tag (archive-authenticity.ts). It says "the holder of `recipient`'s identity wrote a
 * file with exactly these bytes", so a restore knows its own archive by hashing the file, without
 * decrypting it a second time. Self-authenticating: the library tag does not need to cover it.
 */
export interface FileTag {
  version: 1;
  kind: 'x25519';
  recipient: string;
  mac: string;
}

export interface VerificationRecord {
  at: string;
  level: 'quick' | 'full';
  ok: boolean;
  message: string;
}

/** The plaintext file next to each archive: facts to list and check it without any key. */
export interface ArchiveSidecar {
  sidecarVersion: 1;
  archive: string;
  formatVersion: number;
  profile: string;
  host: string;
  port: number;
  database: string;
  serverVersion: string;
  pgDumpVersion: string;
  createdAt: string;
  finishedAt: string;
  durationMs: number;
  bytes: number;
  sha256: string;
  encryption: { kind: EncryptionKind; recipients: string[] };
  compression: string;
  tables: number;
  totalRows: number | null;
  rowCountsExact: boolean;
  dumpBytes: number;
  verification?: VerificationRecord;
  /** The latest test-restore drill of this archive. */
  drill?: { at: string; passed: boolean; recoveryMs: number };
  /** Set when the sidecar was rebuilt from an archive whose contents could not be read. */
  partial?: boolean;
  /**
   * HMAC-SHA256 (hex) over the fields above, keyed with this installation's library key (see
   * sidecar-tag.ts). Only a sidecar whose tag verifies counts in retention, the stale alert and "the
   * latest backup": anyone who can write to a backup folder can write a sidecar that says anything.
   */
  libraryTag?: string;
  /** Archives encrypted to this Lifeboat's own key (not passphrase ones): see FileTag. */
  fileTag?: FileTag;
}

/** own-key / own-passphrase: made by a holder of the keys at hand; none: no tag (a stranger's file, or older); mismatch: a tag that does not verify. */
export type ArchiveAuthenticity = 'own-key' | 'own-passphrase' | 'none' | 'mismatch';

export interface TocReport {
  entries: number;
  tableData: string[];
}

/** A library folder that could not be read (no permission, an I/O error): its archives are not listed, the others' are. */
export interface FolderProblem {
  folder: string;
  message: string;
  fix: string;
}

export interface ArchiveEntry {
  path: string;
  folder: string;
  /** With `problem`: only what the file name and size tell (partial: true), not a sidecar's facts. */
  sidecar: ArchiveSidecar;
  /** Set when this archive cannot be listed normally (a bad sidecar, a file that is not a regular file…): the others still list. */
  problem?: { message: string; fix: string };
  /**
   * This Lifeboat wrote its sidecar, for this very file: the sidecar's tag verifies with the library
   * key (sidecar-tag.ts), and the file's name and size are the recorded ones. Only recognised archives
   * count in retention, the stale alert and "the latest backup"; the others are listed, never counted,
   * never pruned. An older Lifeboat's archive (untagged sidecar) becomes recognised after a full
   * verification (`verify --full`, recognise()) finds it made with this Lifeboat's own key or passphrase.
   */
  recognised: boolean;
}

export interface ArchiveDetails {
  path: string;
  sidecar: ArchiveSidecar;
  manifest: ArchiveManifest;
  checksums: ArchiveChecksums;
}

export interface VerifyResult {
  path: string;
  level: 'quick' | 'full';
  ok: true;
  sha256: string;
  checks: string[];
  toc: TocReport | null;
  /** The archive's sidecar is recognised as this Lifeboat's after the verification (see ArchiveEntry.recognised). */
  recognised: boolean;
}
