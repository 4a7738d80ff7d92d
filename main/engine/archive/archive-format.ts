// What a .lifeboat archive holds. Plaintext inside the age layer is a tar stream:
//   manifest.json, globals.sql, database.dump.0001 …, checksums.json
// `cat database.dump.*` is a pg_dump custom-format archive for pg_restore.

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

// The data shapes (manifest, checksums, sidecar) live in model/archive.ts, the engine's plain-data layer.
export type { ArchiveChecksums, ArchiveManifest, ArchiveSidecar, AuthenticityTag, CanaryQuery, CanaryResult, EncryptionKind, FileTag, ManifestTable, ObjectCounts, TableRowCount, VerificationRecord } from '../model/archive.ts';
