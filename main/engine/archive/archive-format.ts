// What a .lifeboat archive holds. Plaintext inside the age layer is a tar stream:
//   manifest.json, globals.sql, database.dump.0001 …, checksums.json
// `cat database.dump.*` is a pg_dump custom-format archive for pg_restore.
import type { ObjectCounts } from '../model/archive.ts';

export const ARCHIVE_FORMAT = 'lifeboat-archive';
export const ARCHIVE_FORMAT_VERSION = 1;
export const ARCHIVE_EXTENSION = '.lifeboat';
export const SIDECAR_SUFFIX = '.json';
export const PARTIAL_SUFFIX = '.partial';
/** Dump parts are buffered whole (a tar header needs the size first): this bounds memory. */
export const DUMP_PART_SIZE = 8 * 1024 * 1024;

export const MANIFEST_ENTRY = 'manifest.json';
export const GLOBALS_ENTRY = 'globals.sql';
export const CHECKSUMS_ENTRY = 'checksums.json';
export const dumpPartName = (index: number) => `database.dump.${String(index).padStart(4, '0')}`;
export const DUMP_PART_PATTERN = /^database\.dump\.(\d{4,})$/;

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
  format: typeof ARCHIVE_FORMAT;
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

export type { ObjectCounts };

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
}
