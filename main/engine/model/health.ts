// Plain data of the health overview: "is everything safe right now?", one row per connection.
// The model layer imports nothing but other model types.
import type { ErrorInfo } from './error.ts';
import type { ProfileColor } from './profile.ts';
import type { FolderProblem } from './archive.ts';

/**
 * How fresh the newest good backup is against the connection's limit:
 * ok within it, amber past it, red past twice it or when there is none at all,
 * unknown when no limit is known (no stale alert and no backup schedule) and a backup exists.
 */
export type BackupFreshness = 'ok' | 'amber' | 'red' | 'unknown';

export interface HealthBackup {
  archive: string;
  finishedAt: string;
  bytes: number;
  durationMs: number;
}

export interface HealthVerify {
  archive: string;
  at: string;
  level: 'quick' | 'full';
  ok: boolean;
  message: string;
}

export interface HealthDrill {
  drillId: string;
  archive: string;
  at: string;
  passed: boolean;
  /** The drill could not run (no key, no scratch server): no verdict on the backup. */
  couldNotRun: boolean;
  /** Restore + verification: the recovery time the backup proved. Starting the scratch server is apart. */
  recoveryMs: number;
  scratchStartMs: number;
  hasReport: boolean;
  /** Recovery took longer than the recovery target (Settings); false when no target is set. */
  overTarget: boolean;
}

export interface HealthOffsite {
  destinationId: string;
  destination: string;
  /** When a copy there was last verified; null: never. */
  verifiedAt: string | null;
  /** Copies of this connection's archives waiting to go (interrupted or failed). */
  pending: number;
  failed: number;
}

export interface ProfileHealth {
  profileId: string;
  profileName: string;
  color: ProfileColor;
  /** Whole-server (database scope) or one database. */
  wholeServer: boolean;
  /** Whole-server connections: the newest run (its record file), for drilling or restoring it whole. */
  lastRun: { file: string; finishedAt: string; outcome: 'ok' | 'partial' | 'failed'; databases: number } | null;
  /** The newest backup this Lifeboat made and recognises (a stranger's sidecar never counts). */
  lastBackup: HealthBackup | null;
  freshness: BackupFreshness;
  /** The limit freshness was judged by, and where it comes from. */
  limit: FreshnessLimit | null;
  /** The newest backup attempt failed after the last good one. */
  lastFailure: { at: string; error: ErrorInfo | null } | null;
  nextBackup: string | null;
  nextDrill: string | null;
  lastVerify: HealthVerify | null;
  lastDrill: HealthDrill | null;
  offsite: HealthOffsite[];
}

/**
 * What a backup's age is judged by. The stale alert: a fixed number of hours. A schedule: its own past
 * runs — on time while the newest backup is from after the run before the last scheduled one (that
 * one may still be running), stale once it is older than the fourth one back; `hours` is that first
 * limit as an age now. (Twice the interval flagged a Monday-to-Friday schedule late every Monday.)
 */
export type FreshnessLimit =
  | { hours: number; from: 'stale-alert' }
  | { hours: number; from: 'schedule'; since: string; staleBefore: string };

export interface HealthOverview {
  at: string;
  /** The recovery-time objective from Settings, in seconds; null when none is set. */
  recoveryTargetSeconds: number | null;
  profiles: ProfileHealth[];
  /** Connections not needing attention whose backup age is judged by no limit (no schedule, no stale alert): not "within its limit". */
  noLimit: number;
  /** Connections whose backups are missing, stale or failing, or whose newest drill failed or overran the recovery target. */
  attention: number;
  /** Backup folders that could not be read: their archives count for nothing above, so each is said. */
  unreadableFolders: FolderProblem[];
}
