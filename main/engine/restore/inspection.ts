// What inspecting a file found (restore-inspect.ts fills it; restore-checklist.ts judges it): its own
// module, so the inspection and the checklist do not import each other.
import type { ArchiveChecksums, ArchiveManifest, ArchiveSidecar } from '../archive/archive-format.ts';
import type { ArchiveAuthenticity } from '../archive/archive-authenticity.ts';
import type { ErrorInfo } from '../types.ts';
import type { SourceDescription } from './restore-source.ts';
import type { SqlFacts } from './sql-guard.ts';
import type { TocListing } from './toc-listing.ts';
import type { UnsafeStatement } from './unsafe-statements.ts';

export interface InspectedTable {
  schema: string;
  name: string;
  rows: number | null;
}

export interface Inspection extends SourceDescription {
  encryption: 'age' | 'gpg' | null;
  sourceDatabase: string | null;
  sourceServerVersion: string | null;
  dumpedBy: string | null;
  createdAt: string | null;
  tables: InspectedTable[];
  /** Roles the archive's objects belong to or are granted to. */
  roles: string[];
  /** Roles the dump makes owners (OWNER TO, default privileges FOR ROLE, the TOC's owner field): a subset of roles. */
  owners: string[];
  extensions: string[];
  /** The newest pg_dump major that wrote it (decides which pg_restore can read it). */
  dumpMajor: number | null;
  /** authenticity: who made it, by its tag (see archive-authenticity.ts); null when the archive was not read to its end (quick). */
  lifeboat: { manifest: ArchiveManifest; checksums: ArchiveChecksums | null; globals: string; sidecar: ArchiveSidecar | null; authenticity: ArchiveAuthenticity | null } | null;
  toc: TocListing | null;
  sql: Pick<SqlFacts, 'lines' | 'connects' | 'createsDatabase' | 'needsAutocommit'> | null;
  /** Statements that reach beyond the database being restored (from the SQL, or an archive's definitions). */
  unsafe: { statements: UnsafeStatement[]; count: number };
  /** Problem found while reading (damage, forbidden command): the preflight turns it into a blocker. */
  problem: ErrorInfo | null;
  /** Read only up to the table of contents (drills): integrity is checked while restoring instead. */
  quick: boolean;
  /** The file's identity while it was read (restore-source.ts fileIdentity); null when it changed meanwhile or is a folder. */
  fileIdentity: string | null;
}
