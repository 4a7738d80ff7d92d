// The one way a sidecar (X.lifeboat.json) is made: from what the archive itself says (its manifest and
// checksums.json) and what its file is. A new backup and a rebuilt or imported one get the same fields
// in the same order; only a new backup knows its recipients (the age header does not name them).
import type { ArchiveChecksums, ArchiveManifest, ArchiveSidecar, EncryptionKind } from './archive-format.ts';

export interface ArchiveFileFacts {
  name: string;
  bytes: number;
  sha256: string;
}

export function sidecarFor(manifest: ArchiveManifest, checksums: ArchiveChecksums, file: ArchiveFileFacts, encryption: { kind: EncryptionKind; recipients: string[] }): ArchiveSidecar {
  return {
    sidecarVersion: 1,
    archive: file.name,
    formatVersion: manifest.formatVersion,
    profile: manifest.source.profile,
    host: manifest.source.host,
    port: manifest.source.port,
    database: manifest.source.database,
    serverVersion: manifest.server.version,
    pgDumpVersion: manifest.tools.pg_dump.version,
    createdAt: manifest.startedAt,
    finishedAt: checksums.finishedAt,
    durationMs: checksums.timings.totalMs,
    bytes: file.bytes,
    sha256: file.sha256,
    encryption: { kind: encryption.kind, recipients: encryption.recipients },
    compression: manifest.options.compression,
    tables: manifest.tables.length,
    totalRows: totalRowsOf(checksums),
    rowCountsExact: checksums.rowCounts?.exact ?? false,
    dumpBytes: checksums.dump.bytes,
  };
}

/** The sum of the exact row counts, or null when the backup counted none. */
export function totalRowsOf(checksums: Pick<ArchiveChecksums, 'rowCounts'>): number | null {
  return checksums.rowCounts ? checksums.rowCounts.tables.reduce((sum, t) => sum + t.rows, 0) : null;
}
