import { ARCHIVE_FORMAT, ARCHIVE_FORMAT_VERSION, type ArchiveManifest, type CanaryResult, type ObjectCounts } from '../archive/archive-format.ts';
import type { ResolvedEncryption } from '../keys/key-service.ts';
import type { PgTool, Profile } from '../types.ts';
import type { LiveTable } from './snapshot-session.ts';

/** Everything the manifest and the sidecar say about one backup, gathered by BackupService. */
export interface BackupFacts {
  appVersion: string;
  profile: Profile;
  server: { version: string; versionNum: number };
  pgDump: PgTool;
  snapshotId: string | null;
  snapshotNote: string | null;
  started: Date;
  compressionLabel: string;
  rowCounts: boolean;
  encryption: Pick<ResolvedEncryption, 'kind' | 'recipients'>;
}

/** What was read in the backup's snapshot while pg_dump started. */
export interface SnapshotMetadata {
  tables: LiveTable[];
  objectCounts: ObjectCounts;
  canaries: CanaryResult[];
}

/** The result of pg_dumpall --globals-only, as far as the manifest cares. */
export interface GlobalsFacts {
  tool: PgTool | null;
  kind: ArchiveManifest['options']['globals'];
}

/**
 * manifest.json. `notes` is kept by reference, not copied: notes added later in the backup still
 * reach the archive, which serialises the manifest only when it writes it.
 */
export function buildManifest(facts: BackupFacts, meta: SnapshotMetadata, globals: GlobalsFacts, notes: string[]): ArchiveManifest {
  const { profile, pgDump } = facts;
  return {
    format: ARCHIVE_FORMAT,
    formatVersion: ARCHIVE_FORMAT_VERSION,
    createdBy: `Lifeboat ${facts.appVersion}`,
    source: { profile: profile.name, host: profile.host, port: profile.port, database: profile.database, user: profile.user },
    server: facts.server,
    tools: { pg_dump: { version: pgDump.version, path: pgDump.path }, pg_dumpall: globals.tool ? { version: globals.tool.version, path: globals.tool.path } : null },
    snapshot: { id: facts.snapshotId, exact: facts.snapshotId !== null, note: facts.snapshotNote },
    startedAt: facts.started.toISOString(),
    options: { compression: facts.compressionLabel, partSize: 8 * 1024 * 1024, globals: globals.kind, rowCounts: facts.rowCounts, encryption: facts.encryption.kind },
    tables: meta.tables.map(({ oid: _oid, ...table }) => table),
    objectCounts: meta.objectCounts,
    canaries: meta.canaries,
    notes,
  };
}

export { totalRowsOf } from '../archive/sidecar-build.ts';
