// Whole-server backups: which databases a profile covers, and what one run of them produced.
// Plain data, no behaviour: the model layer imports nothing but other model types.
import type { DrillRecord } from './drill.ts';
import type { ErrorInfo } from './error.ts';
import type { CheckItem, Preflight, RestoreResult } from './restore.ts';

/**
 * Which databases of the server a backup of the profile takes. Absent on a profile: only its own
 * database (the default). 'all' is resolved at each run, so a database created since is included.
 */
export type DatabaseScope =
  | { kind: 'list'; databases: string[] }
  | {
      kind: 'all';
      /** Patterns of names left out: `*` any run of characters, `?` one character; case-sensitive like PostgreSQL's names. */
      exclude: string[];
      /** The maintenance database "postgres" is skipped unless this is set. */
      includeMaintenance: boolean;
      /** Template databases (template1, and any marked as a template) are skipped unless this is set; template0 never accepts connections. */
      includeTemplates: boolean;
    };

/** What became of one database in a run. */
export type RunDatabaseOutcome = 'ok' | 'failed' | 'missing';

export interface RunDatabase {
  name: string;
  outcome: RunDatabaseOutcome;
  /** The archive's file name (in the run's folder) when it was backed up. */
  archive?: string;
  sha256?: string;
  bytes?: number;
  tables?: number;
  totalRows?: number | null;
  durationMs?: number;
  /** Why it failed; for 'missing', that the list names a database the server does not have. */
  error?: ErrorInfo;
}

export type RunOutcome = 'ok' | 'partial' | 'failed';

/**
 * The record of one whole-server run (`*.lifeboat-run.json` beside its archives). Each archive is a
 * normal Lifeboat archive; the record groups them. Tagged with the library key like sidecars.
 */
export interface ServerRunRecord {
  format: 'lifeboat-run';
  version: 1;
  id: string;
  profile: string;
  profileId: string;
  host: string;
  port: number;
  serverVersion: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  outcome: RunOutcome;
  /** Said wherever the run is shown: each database has its own snapshot. */
  consistency: string;
  concurrency: number;
  scope: DatabaseScope;
  /** Roles and tablespaces, taken once for the run and put in every archive's globals.sql. */
  globals: { kind: 'roles-with-passwords' | 'roles-without-passwords' | 'skipped'; sha256: string; bytes: number; note: string | null };
  databases: RunDatabase[];
  /** Left out by the exclude patterns (or as maintenance/template databases). */
  excluded: string[];
  /** In this profile's previous run but no longer on the server: reported, not an error. */
  dropped: string[];
  libraryTag?: string;
}

export interface ServerRunResult {
  record: ServerRunRecord;
  /** The record's path. */
  file: string;
  /** Absolute paths of the archives made. */
  archives: string[];
  notes: string[];
  keyCreated: boolean;
}

export const RUN_CONSISTENCY = 'Each database is consistent on its own (its own snapshot); the databases are not consistent with each other.';

/** One database of a run, drilled: its drill record, or why no drill could run. */
export interface RunDatabaseDrill {
  database: string;
  archive: string;
  record: DrillRecord | null;
  error: ErrorInfo | null;
}

/** A whole run drilled, database by database, as one verdict. */
export interface RunDrillResult {
  run: { id: string; profile: string; startedAt: string; file: string; outcome: RunOutcome };
  databases: RunDatabaseDrill[];
  /** Every database of the run that was backed up restored and matched. */
  passed: boolean;
  /** Some database's drill could not run (no verdict on it), and none failed. */
  couldNotRun: boolean;
  durationMs: number;
}

/** Restoring a run's databases onto a server: which, under what names, and how roles are handled. */
export interface RunRestoreOptions {
  /** The run record. */
  file: string;
  /** The target server's profile. */
  profile: string;
  /** A subset of the run's databases (default: every one it backed up). */
  databases?: string[];
  /** New names on the target: source name → target name (default: the same name). */
  rename?: Record<string, string>;
  createMissingRoles?: boolean;
  noOwner?: boolean;
  noPrivileges?: boolean;
}

/** One database's part of a run restore. */
export interface RunRestorePart {
  source: string;
  target: string;
  archive: string;
}

/** A run restore's result: each database restored, or why not (nothing of that database left behind). */
export interface RunRestoreResult {
  run: { id: string; profile: string; startedAt: string };
  databases: (RunRestorePart & { result: RestoreResult | null; error: ErrorInfo | null })[];
  outcome: RunOutcome;
  durationMs: number;
}

/** One checklist for a run restore: each database's own, plus what only the whole shows (space for the sum, names given twice). */
export interface RunPreflight {
  run: { id: string; profile: string; startedAt: string; serverVersion: string };
  parts: (RunRestorePart & { preflight: Preflight })[];
  /** Checks of the whole restore (run-level), shown before each database's. */
  items: CheckItem[];
  ok: boolean;
}
