// Plain data that crosses the engine boundary (to the CLI and, through IPC, to the renderer).
// Types only: the IPC contract imports these, so nothing here may carry behaviour or secrets.

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export const PROFILE_COLORS = ['slate', 'blue', 'green', 'amber', 'red', 'purple', 'teal', 'pink'] as const;
export type ProfileColor = (typeof PROFILE_COLORS)[number];

/** What a profile stores on disk. Never a password. */
export interface Profile {
  id: string;
  name: string;
  host: string;
  port: number;
  database: string;
  user: string;
  sslmode: SslMode;
  sslRootCert?: string;
  sslCert?: string;
  sslKey?: string;
  color: ProfileColor;
  /** Where this profile's backups go; absent = the default backup folder. */
  backupFolder?: string;
  /** Canary queries: SQL returning one value, captured in each backup's snapshot and re-checked by drills. */
  canaryQueries?: { name: string; sql: string }[];
  /** The server (host, port, user) the saved password was given for: it is never sent anywhere else. Set by the engine only. */
  passwordEndpoint?: string;
  createdAt: string;
  updatedAt: string;
}

export type ProfileFields = Omit<Profile, 'id' | 'createdAt' | 'updatedAt' | 'passwordEndpoint'>;

/** Add/edit input. password: undefined keeps the saved one, null forgets it, a string replaces it. */
export interface ProfileInput extends ProfileFields {
  password?: string | null;
  /** update: the host, port or user changed and no new password was given — keep the saved one for the new server (otherwise it is forgotten). */
  keepPasswordForNewServer?: boolean;
}

export type PasswordStorage = 'keychain' | 'session' | 'none';

/** A profile as shown to the user: the password only as "is there one, and where". */
export interface ProfileSummary extends Profile {
  passwordStorage: PasswordStorage;
}

/** A profile proposed by an import (URI, ~/.pgpass, PG* variables); the password stays in the engine. */
export interface ImportCandidate {
  fields: ProfileFields;
  hasPassword: boolean;
  source: string;
}

export type PgToolName = 'pg_dump' | 'pg_restore' | 'pg_dumpall' | 'psql';
export type ToolSource = 'bundled' | 'configured' | 'override' | 'path' | 'well-known';

export interface PgTool {
  name: PgToolName;
  path: string;
  version: string;
  major: number;
  source: ToolSource;
}

export interface ToolsReport {
  tools: PgTool[];
  /** The tool each name resolves to when no server version is known (the newest one). */
  chosen: Partial<Record<PgToolName, PgTool>>;
  bundledDir: string | null;
  overrideDir: string | null;
}

export interface KeychainStatus {
  available: boolean;
  /** Plain words for the user when passwords are kept for this session only. */
  message: string;
}

export type ErrorCode =
  | 'INVALID_INPUT'
  | 'PROFILE_NOT_FOUND'
  | 'PROFILE_EXISTS'
  | 'AUTH_FAILED'
  | 'PASSWORD_MISSING'
  | 'HOST_UNREACHABLE'
  | 'HOST_NOT_FOUND'
  | 'CONNECT_TIMEOUT'
  | 'SSL_REQUIRED'
  | 'SSL_UNSUPPORTED'
  | 'SSL_CERTIFICATE'
  | 'ACCESS_DENIED'
  | 'DATABASE_NOT_FOUND'
  | 'TOOL_NOT_FOUND'
  | 'TOOL_TOO_OLD'
  | 'KEYCHAIN'
  | 'IMPORT_FAILED'
  | 'CONNECTION_FAILED'
  | 'WRONG_KEY'
  | 'NO_KEY'
  | 'ARCHIVE_DAMAGED'
  | 'ARCHIVE_UNSUPPORTED'
  | 'NOT_AN_ARCHIVE'
  | 'FILE_NOT_FOUND'
  | 'BACKUP_FAILED'
  | 'RESTORE_FAILED'
  | 'PREFLIGHT_BLOCKED'
  | 'VERIFY_FAILED'
  | 'DISK_FULL'
  | 'CANCELLED'
  | 'INTERNAL';

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  fix?: string;
}

export interface ConnectionReport {
  profile: string;
  host: string;
  port: number;
  database: string;
  user: string;
  serverVersion: string;
  serverVersionNum: number;
  serverMajor: number;
  databaseSizeBytes: number;
  ssl: boolean;
  latencyMs: number;
  tools: { pg_dump: PgTool; pg_restore: PgTool };
}

export type ConnectionTestResult = { ok: true; report: ConnectionReport } | { ok: false; error: ErrorInfo };
