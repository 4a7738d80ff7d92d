// THE IPC contract between main, preload and renderer. Types only; the data shapes come from the
// engine's model layer (main/engine/model/: plain data, no behaviour), and from nowhere else in the
// engine (tests/engine/import-graph.test.ts). Channel names carry a namespace prefix.
import type { ActivityEntry, ActivityKind } from '../engine/model/activity.ts';
import type { ArchiveDetails, ArchiveEntry, FolderProblem, VerifyResult } from '../engine/model/archive.ts';
import type { BackupResult } from '../engine/model/backup.ts';
import type { DemoStatus } from '../engine/model/demo.ts';
import type { DrillRecord } from '../engine/model/drill.ts';
import type { ErrorInfo } from '../engine/model/error.ts';
import type { JobProgress } from '../engine/model/job.ts';
import type { HealthOverview } from '../engine/model/health.ts';
import type { KeyImportResult, KeyStatus } from '../engine/model/keys.ts';
import type { CopyResult, CopyState, DestinationSummary, DestinationTestResult, RemoteArchive, RemoteVerifyResult, S3Location, SftpLocation } from '../engine/model/offsite.ts';
import type { ConnectionTestResult, ImportCandidate, ProfileInput, ProfileSummary, SshSecretInput } from '../engine/model/profile.ts';
import type { CheckItem, Inspection, Preflight, PreflightOptions, RestoreResult } from '../engine/model/restore.ts';
import type { RetentionPlan, RetentionPolicy } from '../engine/model/retention.ts';
import type { DueRun, OsJobStatus, ProfileSchedule, SchedulePatch, ScheduleView } from '../engine/model/schedule.ts';
import type { KeychainStatus } from '../engine/model/secrets.ts';
import type { RunDrillResult, RunPreflight, RunRestoreResult, ServerRunRecord, ServerRunResult } from '../engine/model/server-run.ts';
import type { Settings } from '../engine/model/settings.ts';
import type { ToolsReport } from '../engine/model/tools.ts';

// Everything main/engine/types.ts re-exports (profiles, tools, the keychain, errors).
export type * from '../engine/model/error.ts';
export type * from '../engine/model/profile.ts';
export type * from '../engine/model/secrets.ts';
export type * from '../engine/model/tools.ts';
export type { ArchiveChecksums, ArchiveManifest, ArchiveSidecar, ManifestTable, VerificationRecord } from '../engine/model/archive.ts';
export type { DrillCheck } from '../engine/model/drill.ts';
export type { ScheduleSpec } from '../engine/model/schedule.ts';
export type { DatabaseScope, RunDatabase, RunDatabaseDrill, RunDatabaseOutcome, RunDrillResult, RunOutcome, RunPreflight, RunRestorePart, RunRestoreResult, ServerRunRecord, ServerRunResult } from '../engine/model/server-run.ts';
export type { BackupFreshness, HealthDrill, HealthOffsite, HealthVerify, ProfileHealth } from '../engine/model/health.ts';
export type { HealthOverview };
export type { ActivityEntry, ActivityKind, DueRun, OsJobStatus, ProfileSchedule, RetentionPlan, RetentionPolicy, SchedulePatch, ScheduleView };
export type { ArchiveDetails, ArchiveEntry, FolderProblem, BackupResult, DemoStatus, DrillRecord, CheckItem, Inspection, JobProgress, KeyImportResult, KeyStatus, Preflight, RestoreResult, VerifyResult };
export type { CopyResult, CopyState, CopyStateKind, DestinationKind, DestinationSummary, DestinationTestResult, RemoteArchive, RemoteVerifyResult, S3Location, SftpLocation } from '../engine/model/offsite.ts';

/** Keys the user gives for one file: a passphrase typed in the Restore screen, or an identity file. */
export interface OpenKeys {
  passphrase?: string;
  identityFile?: string;
}


export interface DrillUiRequest extends OpenKeys {
  file: string;
  /** 'embedded': a throwaway local PostgreSQL 18; otherwise a scratch database on this profile's server. */
  scratch: 'embedded' | { profileId: string };
  keep?: boolean;
  /** The words "I trust where this file came from", typed (see PreflightOptions.trust). */
  trust?: string;
}

/** The engine's restore options (mode, database, tables, owner/privilege/role choices, confirm) plus the file, keys and jobs. */
export interface RestoreUiRequest extends OpenKeys, PreflightOptions {
  file: string;
  profileId: string;
  jobs?: number;
}

export type ImportSource = { kind: 'uri'; uri: string } | { kind: 'pgpass'; file?: string } | { kind: 'env' };

export interface AppInfo {
  version: string;
  dataDir: string;
  platform: string;
  keychain: KeychainStatus;
}

/** Everything in Settings the renderer may read and change (no secrets live there). */
export type AppSettings = Settings;

export interface BackupStartRequest {
  profileId: string;
  /** 'settings': as configured (Lifeboat's key or the saved passphrase); 'none': explicitly unencrypted. */
  encryption: 'settings' | 'none';
}

/**
 * A new offsite destination for one connection's backups: exactly one of `s3` and `sftp`. Secrets
 * (the S3 secret access key, or the SFTP password or key passphrase per hop) travel from the page to
 * main this once, into the keychain; they never come back (summaries say `secretSaved`,
 * `sshSecretsSaved`). An SFTP key file must be one the user chose in the file dialog.
 */
export interface DestinationAddRequest {
  name: string;
  profileId: string;
  s3?: S3Location;
  /** s3 only. */
  secretKey?: string;
  sftp?: SftpLocation;
  /** sftp only: per hop, in connection order (jumps first, the host last). */
  sshSecrets?: SshSecretInput[];
}

export interface CopyStartRequest {
  /** A .lifeboat archive in a library folder (main refuses any other file). */
  file: string;
  destinationId: string;
}

/** What a copy job works on, said by main: a copy main started after a backup has no other way to name its archive. */
export interface CopySubject {
  file: string;
  destinationId: string;
  destinationName: string;
}

/**
 * An archive in a destination that a job works on, said by main with the job's progress and outcome:
 * verify (download and hash), download (into a folder the user chose), restore (download into a
 * private temporary copy for the Restore screen), drill (download, then drill).
 */
export interface RemoteSubject {
  destinationId: string;
  destinationName: string;
  /** The archive's file name in the destination. */
  name: string;
  action: 'verify' | 'download' | 'restore' | 'drill';
}

/** A remote archive downloaded and checked against its remote sidecar. */
export interface DownloadedArchive {
  file: string;
  sha256: string;
  bytes: number;
}

/** A drill of an archive in a destination: downloaded into a private temporary copy, removed when the drill ends. */
export interface RemoteDrillRequest extends Omit<DrillUiRequest, 'file'> {
  destinationId: string;
  name: string;
}

/** A whole-server run in the library: its record file (`*.lifeboat-run.json`) and what the record says. */
export interface ServerRunEntry {
  file: string;
  record: ServerRunRecord;
}

/** A drill of every database of a run; the file must be one `runs:list` returned (main checks). */
export interface RunDrillUiRequest {
  file: string;
}

/**
 * Restoring a listed run onto a server (runs:restore-preflight, runs:restore): each chosen database
 * as a new database on the profile's server. The file must be one `runs:list` returned (main checks).
 * Keys as for one archive (OpenKeys): Lifeboat's own key and saved passphrase are always tried.
 */
export interface RunRestoreUiRequest extends OpenKeys {
  file: string;
  profileId: string;
  /** A subset of the databases the run backed up (default: every one). */
  databases?: string[];
  /** Source name → new name on the target (default: the same name). */
  rename?: Record<string, string>;
  /** Roles the archives use that the target lacks, created from the run's globals (without passwords). */
  createMissingRoles?: boolean;
  noOwner?: boolean;
  noPrivileges?: boolean;
}

/** A job's progress as the window hears it: the engine's, plus what a copy copies where, or which remote archive it works on. */
export type JobProgressEvent = JobProgress & { copy?: CopySubject; remote?: RemoteSubject };

/**
 * A job's end. A backup of a profile with a database scope is a whole-server run: `run` holds its
 * result (each database's outcome; a partial run still ends ok, its record says what failed) and
 * `value` is absent, so `'run' in`/`outcome.run` tells the two backups apart. A drill of a whole run
 * (runs:drill) is a drill job too: `runDrill` holds its verdict per database and `value` is absent.
 * A restore of a whole run (runs:restore) is a restore job: `runRestore` holds each database's result
 * (a partial one still ends ok as a job: its outcome says what failed) and `value` is absent.
 */
export type JobOutcome =
  | { jobId: string; kind: 'backup'; ok: true; value: BackupResult; run?: undefined }
  | { jobId: string; kind: 'backup'; ok: true; run: ServerRunResult; value?: undefined }
  | { jobId: string; kind: 'verify'; ok: true; value: VerifyResult; remote?: undefined }
  | { jobId: string; kind: 'verify'; ok: true; value: RemoteVerifyResult; remote: RemoteSubject }
  | { jobId: string; kind: 'restore'; ok: true; value: RestoreResult; runRestore?: undefined }
  | { jobId: string; kind: 'restore'; ok: true; runRestore: RunRestoreResult; value?: undefined }
  | { jobId: string; kind: 'drill'; ok: true; value: DrillRecord; remote?: RemoteSubject; runDrill?: undefined }
  | { jobId: string; kind: 'drill'; ok: true; runDrill: RunDrillResult; value?: undefined; remote?: undefined }
  | { jobId: string; kind: 'copy'; ok: true; value: CopyResult }
  | { jobId: string; kind: 'download'; ok: true; value: DownloadedArchive; remote: RemoteSubject }
  | { jobId: string; kind: JobProgress['kind']; ok: false; error: ErrorInfo; remote?: RemoteSubject };

export type ScreenId = 'overview' | 'connections' | 'backups' | 'restore' | 'drills' | 'schedules' | 'activity' | 'settings';

export interface FileFilter {
  name: string;
  extensions: string[];
}

/** Renderer → main calls. Every payload is validated in main (main/ipc/schemas.ts). */
export interface Invoke {
  'app:info': () => AppInfo;
  'profiles:list': () => ProfileSummary[];
  'profiles:add': (input: ProfileInput) => ProfileSummary;
  'profiles:update': (id: string, input: ProfileInput) => ProfileSummary;
  'profiles:duplicate': (id: string) => ProfileSummary;
  'profiles:remove': (id: string) => void;
  /** acceptHostKeys: SSH host key fingerprints the user just chose to trust in the host-key dialog. */
  'profiles:test': (id: string, acceptHostKeys: string[]) => ConnectionTestResult;
  /**
   * "Test" in the add/edit form: the fields as typed, before saving; the report lists the server's
   * databases. profileId (an edit): a password or SSH secret left empty is the saved one, used in main
   * only where saving would keep it, never sent back. New SSL and SSH key files must come from a dialog.
   */
  'profiles:test-input': (input: ProfileInput, profileId: string | null, acceptHostKeys: string[]) => ConnectionTestResult;
  'profiles:import-preview': (source: ImportSource) => ImportCandidate[];
  'profiles:import-save': (source: ImportSource, name: string | null) => ProfileSummary[];
  'tools:report': () => ToolsReport;
  'settings:get': () => AppSettings;
  'settings:update': (patch: Partial<AppSettings>) => AppSettings;
  'dialog:choose-file': (title: string, filters: FileFilter[]) => string | null;
  'dialog:choose-folder': (title: string) => string | null;
  'dialog:choose-save-file': (title: string, defaultName: string) => string | null;
  /** A profile with a database scope starts a whole-server run (one archive per database; its outcome carries `run`). */
  'backups:start': (request: BackupStartRequest) => { jobId: string };
  'jobs:cancel': (jobId: string) => void;
  'jobs:active': () => JobProgressEvent[];
  'library:folders': () => string[];
  /** The library as the screens show it (Backups, Drills, Restore's newest): the archives, and the folders that could not be read. */
  'library:listing': (filter: { profile?: string; database?: string }) => { archives: ArchiveEntry[]; unreadable: FolderProblem[] };
  'library:details': (file: string) => ArchiveDetails;
  'library:verify': (file: string, level: 'quick' | 'full') => { jobId: string };
  'library:delete': (file: string) => void;
  'library:import': (file: string) => ArchiveEntry;
  'library:reveal': (file: string) => void;
  'keys:status': () => KeyStatus;
  'keys:export-recovery': (file: string) => { file: string; recipient: string };
  'keys:set-passphrase': (passphrase: string | null) => void;
  /**
   * Makes the identity in a file the user chose in the open dialog Lifeboat's key (the new-computer
   * case), after a yes in a main-process question; a replaced key stays in the keychain to open the
   * backups it made. Only public recipients come back, never the key.
   */
  'keys:import-recovery': (file: string) => KeyImportResult;
  'restore:inspect': (file: string, keys: OpenKeys) => Inspection;
  'restore:preflight': (request: RestoreUiRequest) => Preflight;
  'restore:start': (request: RestoreUiRequest) => { jobId: string };
  'restore:drop-kept': (profileId: string, database: string) => void;
  /** The connection's server's databases a restore may replace or add rows to (templates left out). */
  'restore:target-databases': (profileId: string) => string[];
  'drills:start': (request: DrillUiRequest) => { jobId: string };
  /** This Lifeboat's whole-server runs in the library folders (records whose tag verifies), newest first. */
  'runs:list': () => ServerRunEntry[];
  /** Drills every database a listed run backed up, in turn (a drill job whose outcome carries `runDrill`). */
  'runs:drill': (request: RunDrillUiRequest) => { jobId: string };
  /** One checklist for restoring a listed run: the run-level items, then each chosen database's (as a new database). */
  'runs:restore-preflight': (request: RunRestoreUiRequest) => RunPreflight;
  /** Restores each chosen database of a listed run in turn (a restore job whose outcome carries `runRestore`). */
  'runs:restore': (request: RunRestoreUiRequest) => { jobId: string };
  'drills:history': (filter: { profile?: string; archive?: string }) => DrillRecord[];
  'drills:open-report': (drillId: string) => void;
  'drills:export-report': (drillId: string, file: string) => void;
  'schedules:list': () => ScheduleView[];
  'schedules:set': (profileId: string, patch: SchedulePatch) => ScheduleView;
  'schedules:preview-retention': (profileId: string, policy: RetentionPolicy) => RetentionPlan;
  'schedules:prune': (profileId: string) => RetentionPlan & { deleted: string[] };
  'schedules:run-due': () => DueRun[];
  'schedules:test-webhook': (profileId: string) => { ok: boolean; attempts: number; error: string | null };
  'schedules:test-desktop': () => void;
  'schedules:os-job': () => OsJobStatus;
  'schedules:install-os-job': () => OsJobStatus;
  'schedules:uninstall-os-job': () => OsJobStatus;
  /** Per connection: the newest good backup and its age against the limit, next runs, last verify and drill, offsite copies. */
  'health:overview': () => HealthOverview;
  'activity:list': (filter: { what?: ActivityKind; profile?: string; result?: ActivityEntry['result']; limit?: number }) => ActivityEntry[];
  'activity:export': (file: string) => { file: string; entries: number };
  'destinations:list': (filter: { profileId?: string }) => DestinationSummary[];
  /** Confirmed in a main-process question: every new backup of the connection will be copied there. */
  'destinations:add': (request: DestinationAddRequest) => DestinationSummary;
  'destinations:remove': (destinationId: string) => void;
  /** acceptHostKeys: SFTP host key fingerprints the user just chose to trust in the host-key dialog. */
  'destinations:test': (destinationId: string, acceptHostKeys: string[]) => DestinationTestResult;
  'copies:states': (filter: { file?: string }) => CopyState[];
  'copies:start': (request: CopyStartRequest) => { jobId: string };
  'copies:listRemote': (destinationId: string) => RemoteArchive[];
  /** Downloads the archive and hashes it against its sidecars there (and here, when this computer has it). */
  'copies:verifyRemote': (destinationId: string, name: string) => { jobId: string };
  /** Into a folder the user just chose in a folder dialog; never over an existing file. */
  'copies:download': (destinationId: string, name: string, folder: string) => { jobId: string };
  /**
   * Downloads the archive into a private temporary copy for the Restore screen: its path (in the
   * outcome) may then be inspected, preflighted and restored; the restore or drill started on it owns
   * it, and it is removed when that job ends.
   */
  'copies:fetch': (destinationId: string, name: string) => { jobId: string };
  /** A temporary copy from copies:fetch that no job will use (the Restore screen closed it): removed now. */
  'copies:discardFetched': (file: string) => void;
  'copies:drillRemote': (request: RemoteDrillRequest) => { jobId: string };
  'demo:status': () => DemoStatus;
  'demo:start': () => ProfileSummary;
  'demo:remove': () => void;
}

/** Main → renderer events. */
export interface Events {
  'menu:navigate': (screen: ScreenId) => void;
  'menu:new-profile': () => void;
  'jobs:progress': (progress: JobProgressEvent) => void;
  'jobs:finished': (outcome: JobOutcome) => void;
  /** A file was opened from the OS (dock, "Open with", command line): show it in Restore. */
  'app:open-file': (file: string) => void;
}

export type InvokeChannel = keyof Invoke;
export type EventChannel = keyof Events;

/** What every call resolves to: errors arrive as data (code, message, fix), never as a stack. */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };
export type InvokeResult<K extends InvokeChannel> = IpcResult<Awaited<ReturnType<Invoke[K]>>>;
