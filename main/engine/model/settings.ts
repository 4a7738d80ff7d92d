// The app's settings (settings.json): no secrets live there.
// Plain data, no behaviour: the model layer imports nothing but other model types.

export type EncryptionMode = 'key' | 'passphrase' | 'recipients';
export type CompressionMethod = 'zstd' | 'gzip';

export interface Settings {
  /** A folder of PostgreSQL client tools the user points Lifeboat to (tried after the bundled ones). */
  pgToolsDir: string | null;
  /** Where backups go when the profile names no folder of its own; null = the default folder. */
  backupFolder: string | null;
  /** More folders whose archives the library lists. */
  libraryFolders: string[];
  /**
   * "key": Lifeboat's own X25519 key (in the keychain) plus the extra recipients; "passphrase": a
   * passphrase kept in the keychain; "recipients": only the extra recipients' public keys — no secret
   * on this machine at all, for unattended servers (restore with the matching identity file).
   */
  encryptionMode: EncryptionMode;
  /** Extra age recipients (public keys) every backup is also encrypted to, e.g. a team's key. */
  extraRecipients: string[];
  compression: CompressionMethod;
  compressionLevel: number;
  /** Exact row counts in the backup's snapshot, for drills (costs one extra read of every table). */
  exactRowCounts: boolean;
  /** Role passwords (hashes) in globals.sql: off unless the user opts in. */
  includeRolePasswords: boolean;
  /** Databases a whole-server run dumps at the same time (1–8; each is one pg_dump and one server backend). */
  serverRunConcurrency: number;
  /** Run a test-restore drill (embedded scratch) after every successful backup. */
  drillAfterBackup: boolean;
  /**
   * The recovery-time objective, in seconds: how long a restore plus its verification may take. Drill
   * charts draw it as a line and say which drills stayed within it; null = no target set.
   */
  recoveryTargetSeconds: number | null;
  /** IANA time zone for schedules; null = the computer's. */
  timeZone: string | null;
  /** Keep running in the tray (schedules included) when the window is closed. */
  keepInTray: boolean;
  /** Start Lifeboat (hidden, in the tray) at login. */
  startAtLogin: boolean;
}
