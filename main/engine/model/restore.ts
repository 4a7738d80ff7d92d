// What inspecting a file found, the checklist before a restore, and what a restore gives back.
// Plain data, no behaviour: the model layer imports nothing but other model types.
// PRIVILEGED_ROLE_ATTRIBUTES is the only value: the list PrivilegedRoleAttribute is derived from.
import type { ArchiveAuthenticity, ArchiveChecksums, ArchiveManifest, ArchiveSidecar } from './archive.ts';
import type { ErrorInfo } from './error.ts';

export type WrapperKind = 'age' | 'gzip' | 'zstd' | 'gpg';
export type InnerKind = 'lifeboat-tar' | 'pg-custom' | 'pg-tar' | 'sql';

export type SourceInner = InnerKind | 'pg-directory';

export interface SourceDescription {
  path: string;
  size: number;
  /** Outermost first, e.g. ['age', 'gzip']. */
  layers: WrapperKind[];
  inner: SourceInner;
  label: string;
}

export interface UnsafeStatement {
  line: number;
  /** The statement's start, cut to 160 characters. */
  statement: string;
  reason: string;
  /** In an archive: its TOC entry (type and name) that holds the statement. */
  entry?: string;
}

export interface TocEntry {
  id: number;
  type: string;
  schema: string;
  name: string;
  owner: string;
  line: string;
}

export interface TocListing {
  dumpedFromVersion: string | null;
  dumpedByVersion: string | null;
  database: string | null;
  createdAt: string | null;
  format: string | null;
  entries: TocEntry[];
}

/** Facts learned while scanning, used by the preflight and to choose how to run psql. */
export interface SqlFacts {
  lines: number;
  connects: string[];
  createsDatabase: boolean;
  /** Statements that cannot run inside a transaction block. */
  needsAutocommit: string[];
  owners: Set<string>;
  grantees: Set<string>;
  extensions: Set<string>;
  dumpedFromVersion: string | null;
  tables: string[];
  /** Statements that reach beyond the database being restored (the first MAX_LISTED_UNSAFE), and how many there are. */
  unsafe: UnsafeStatement[];
  unsafeCount: number;
}

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
  /** Column options its definitions set that some servers reject (sql-pipeline.ts FOREIGN_COLUMN_OPTIONS); absent when not known (plain SQL). */
  columnOptions?: string[];
  /** Problem found while reading (damage, forbidden command): the preflight turns it into a blocker. */
  problem: ErrorInfo | null;
  /** Read only up to the table of contents (drills): integrity is checked while restoring instead. */
  quick: boolean;
  /** The file's identity while it was read (restore-source.ts fileIdentity); null when it changed meanwhile or is a folder. */
  fileIdentity: string | null;
  /** The sha256 of the whole file as this inspection read it, for the sidecar's check; absent when it did not read all of it (or the file changed meanwhile). */
  fileSha256?: string;
}

export const PRIVILEGED_ROLE_ATTRIBUTES = ['superuser', 'createdb', 'createrole', 'replication', 'bypassrls'] as const;
export type PrivilegedRoleAttribute = (typeof PRIVILEGED_ROLE_ATTRIBUTES)[number];

/**
 * 'unknown': a question the checklist could not answer (the file does not say which PostgreSQL made
 * it, the free space or the space needed cannot be read). Never shown as passed; it does not block.
 */
export type CheckStatus = 'ok' | 'info' | 'unknown' | 'warning' | 'blocker';

export interface CheckItem {
  id: 'identity' | 'trust' | 'privileges' | 'versions' | 'roles' | 'extensions' | 'space' | 'target' | 'sessions' | 'safety-backup' | 'confirmation' | 'tables' | 'tools';
  status: CheckStatus;
  title: string;
  detail: string;
  fix?: string;
}

export interface PreflightOptions {
  mode: 'new' | 'replace' | 'data-only';
  database: string;
  tables?: string[];
  noOwner?: boolean;
  noPrivileges?: boolean;
  createMissingRoles?: boolean;
  /** Per role created from globals.sql: privileged attributes the archive gives it that are kept (none unless chosen). */
  privilegedRoleAttributes?: Record<string, PrivilegedRoleAttribute[]>;
  safetyBackup?: boolean;
  confirm?: string;
  /** TRUST_PHRASE, typed: statements that reach beyond the new database may run (recorded in the activity log). */
  trust?: string;
  /** Drills: run even an own archive as a temporary role without superuser rights when it needs none. */
  leastPrivilege?: 'whenever-possible';
  /**
   * A file this Lifeboat did not make: give its objects to the roles it names (roles that cannot log
   * in and have no special rights) instead of the stand-in lifeboat_restored. Their code (index
   * expressions, SECURITY DEFINER functions) then runs with those roles' rights.
   */
  keepOwners?: boolean;
}

export interface RoleChoice {
  name: string;
  /** Privileged attributes the archive gives this role (offered per role, off by default) and those chosen. */
  offered: PrivilegedRoleAttribute[];
  kept: PrivilegedRoleAttribute[];
}

export interface SessionInfo {
  pid: number;
  user: string;
  client: string;
  application: string;
  state: string;
  since: string | null;
}

export interface Preflight {
  inspection: Inspection;
  target: { profile: string; host: string; port: number; serverVersion: string; database: string; exists: boolean; sessions: SessionInfo[] };
  items: CheckItem[];
  /** Roles the restore will create that the archive gives privileged attributes (kept only when chosen). */
  roleChoices: RoleChoice[];
  /** The file's SQL will run as a temporary role without superuser rights (least-privilege-restore.ts). */
  leastPrivilege: boolean;
  ok: boolean;
}

export interface TableCheck {
  table: string;
  expected: number;
  /** Rows found (0 when the table is missing). */
  actual: number;
  /** The backup recorded this table, but the restored database has no such table. */
  missing?: true;
}

export interface RestoreResult {
  mode: PreflightOptions['mode'];
  database: string;
  /** replace: the previous database, kept under this name. */
  keptDatabase: string | null;
  safetyBackup: { archive: string; sha256: string } | null;
  createdRoles: string[];
  tolerated: string[];
  verification: { checked: TableCheck[]; mismatches: TableCheck[]; note: string };
  endedSessions: number;
  durationMs: number;
  source: string;
  /** sha256 of the file as it was read during this restore (null for a dump folder). */
  fileSha256: string | null;
  timings: { restoreMs: number; verifyMs: number };
  /** A file Lifeboat did not make ran as a temporary role without superuser rights; objects it gave to these privileged roles belong to lifeboat_restored. */
  leastPrivilege: { standInFor: string[] } | null;
  /** What ran the file's SQL: psql behind the SQL guard, or pg_restore itself (a trusted Lifeboat archive, or --jobs). */
  runner: 'psql' | 'pg_restore';
}
