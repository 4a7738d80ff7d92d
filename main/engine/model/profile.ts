// Connection profiles as they cross the engine's boundary (CLI, IPC), an import's proposals and a
// connection test's report. Plain data, no behaviour: the model layer imports nothing but other model
// types. SSL_MODES and PROFILE_COLORS are the only values: the lists the two unions are derived from.
import type { ErrorInfo } from './error.ts';
import type { DatabaseScope } from './server-run.ts';
import type { PgTool } from './tools.ts';

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export const PROFILE_COLORS = ['slate', 'blue', 'green', 'amber', 'red', 'purple', 'teal', 'pink'] as const;
export type ProfileColor = (typeof PROFILE_COLORS)[number];

export const SSH_AUTH_METHODS = ['key', 'agent', 'password'] as const;
/** How Lifeboat logs in to an SSH host: a private key file, the running SSH agent, or a password. */
export type SshAuthMethod = (typeof SSH_AUTH_METHODS)[number];

/** One SSH host on the way to the database. A password or key passphrase is never here: it is in the keychain. */
export interface SshHop {
  host: string;
  port: number;
  user: string;
  auth: SshAuthMethod;
  /** auth 'key': the private key file (OpenSSH or PEM format). */
  keyFile?: string;
}

/**
 * Reach the database through SSH: the last host (the bastion) forwards to the profile's host:port as
 * the bastion sees it; jumps come before it, in the order they are connected to (ProxyJump).
 */
export interface SshSettings extends SshHop {
  jumps: SshHop[];
  /** Seconds between keep-alive messages on every hop; 0 turns them off. */
  keepAliveSeconds: number;
}

/** A hop's secret as an add/edit carries it: undefined keeps the saved one, null forgets it, a string replaces it. */
export type SshSecretInput = string | null | undefined;

/** What a profile stores on disk. Never a password. */
export interface Profile {
  id: string;
  name: string;
  host: string;
  port: number;
  /** The database backed up — or, with a scope, the one connected to first (the maintenance database). */
  database: string;
  /** Several databases of the server (a list, or all of them): absent = `database` only. */
  scope?: DatabaseScope;
  user: string;
  sslmode: SslMode;
  sslRootCert?: string;
  sslCert?: string;
  sslKey?: string;
  /** Reach the server through an SSH tunnel; host and port above are then as the bastion sees them. */
  ssh?: SshSettings;
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

/**
 * Add/edit input. password: undefined keeps the saved one, null forgets it, a string replaces it.
 * ssh the same way on an edit: absent keeps the profile's SSH section, null removes it (and its secrets).
 */
export interface ProfileInput extends Omit<ProfileFields, 'ssh' | 'scope' | 'backupFolder' | 'canaryQueries'> {
  ssh?: SshSettings | null;
  /** On an edit: absent keeps the profile's folder, null (or '') goes back to the default folder. */
  backupFolder?: string | null;
  /** On an edit: absent keeps the profile's canaries, null (or []) removes them. */
  canaryQueries?: { name: string; sql: string }[] | null;
  /** On an edit: absent keeps the profile's scope, null goes back to its one database. */
  scope?: DatabaseScope | null;
  password?: string | null;
  /** update: the host, port or user changed and no new password was given — keep the saved one for the new server (otherwise it is forgotten). */
  keepPasswordForNewServer?: boolean;
  /** SSH password or key passphrase per hop, in connection order (jumps first, the bastion last). */
  sshSecrets?: SshSecretInput[];
}

export type PasswordStorage = 'keychain' | 'session' | 'none';

/** A profile as shown to the user: the password only as "is there one, and where". */
export interface ProfileSummary extends Profile {
  passwordStorage: PasswordStorage;
  /** Per SSH hop (connection order): whether a password or passphrase is saved. */
  sshSecretsSaved?: boolean[];
}

/** A profile proposed by an import (URI, ~/.pgpass, PG* variables); the password stays in the engine. */
export interface ImportCandidate {
  fields: ProfileFields;
  hasPassword: boolean;
  source: string;
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
  /** Present when the connection went through SSH: each hop with the time its login took, then the database as the bastion sees it. */
  tunnel?: TunnelReport;
  tools: { pg_dump: PgTool; pg_restore: PgTool };
  /** The databases this user may connect to (templates left out), by name: only when asked (the add/edit form's test). */
  databases?: string[];
}

export type ConnectionTestResult = { ok: true; report: ConnectionReport } | { ok: false; error: ErrorInfo };

/** How a tunnel reached the database: "via bastion → db:5432". */
export interface TunnelReport {
  hops: { host: string; port: number; user: string; latencyMs: number }[];
  target: string;
}
