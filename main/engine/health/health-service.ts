// The health overview: for every connection, whether its data is safe right now — the newest good
// backup and its age against the connection's limit, what runs next, the last verification and
// drill, and where its offsite copies stand. Read-only: it gathers what the other services know.
//
// Only archives this Lifeboat recognises count as "the newest good backup" (ArchiveEntry.recognised):
// anyone who can write to a backup folder can drop a sidecar claiming a fresh backup, and an overview
// that believed it would hide exactly the failure it exists to show.
import type { ActivityEntry } from '../model/activity.ts';
import type { ArchiveEntry, FolderProblem } from '../model/archive.ts';
import type { DrillRecord } from '../model/drill.ts';
import type { BackupFreshness, FreshnessLimit, HealthDrill, HealthOffsite, HealthOverview, HealthVerify, ProfileHealth } from '../model/health.ts';
import type { CopyState } from '../model/offsite.ts';
import type { ProfileSummary } from '../model/profile.ts';
import type { ScheduleView } from '../model/schedule.ts';
import type { ServerRunRecord } from '../model/server-run.ts';
import type { Clock } from '../ports.ts';
import { previousRuns } from '../schedule/schedule-spec.ts';

export interface HealthDeps {
  profiles: { list(): Promise<ProfileSummary[]> };
  library: { listing(): Promise<{ archives: ArchiveEntry[]; unreadable: FolderProblem[] }> };
  schedules: { list(): Promise<ScheduleView[]> };
  drills: { history(): Promise<DrillRecord[]> };
  copies: {
    lastVerified(profileId: string): Promise<{ destinationId: string; destination: string; verifiedAt: string | null }[]>;
    states(): Promise<CopyState[]>;
  };
  activity: { list(filter: { what: 'backup' }): Promise<ActivityEntry[]> };
  /** Whole-server runs (records whose tag verifies), newest first. */
  runs: { list(): Promise<{ file: string; record: ServerRunRecord }[]> };
  settings: { get(): { recoveryTargetSeconds: number | null } };
  clock: Clock;
}

/** Everything the rows are computed from, read once per overview. */
interface Facts {
  now: number;
  archives: ArchiveEntry[];
  schedules: Map<string, ScheduleView>;
  drills: DrillRecord[];
  copies: CopyState[];
  backupAttempts: ActivityEntry[];
  runs: { file: string; record: ServerRunRecord }[];
  recoveryTargetMs: number | null;
}

export class HealthService {
  readonly #deps: HealthDeps;

  constructor(deps: HealthDeps) {
    this.#deps = deps;
  }

  async overview(): Promise<HealthOverview> {
    const d = this.#deps;
    const [profiles, { archives, unreadable }, schedules, drills, copies, backupAttempts, runs] = await Promise.all([
      d.profiles.list(),
      d.library.listing(),
      d.schedules.list(),
      d.drills.history(),
      d.copies.states(),
      d.activity.list({ what: 'backup' }),
      d.runs.list(),
    ]);
    const now = d.clock.now();
    const target = d.settings.get().recoveryTargetSeconds;
    const facts: Facts = { now: now.getTime(), archives, schedules: new Map(schedules.map((s) => [s.profileId, s])), drills, copies, backupAttempts, runs, recoveryTargetMs: target ? target * 1000 : null };
    const rows = await Promise.all(profiles.map(async (p) => profileHealth(p, facts, await d.copies.lastVerified(p.id))));
    const attention = rows.filter(needsAttention);
    return { at: now.toISOString(), recoveryTargetSeconds: target, profiles: rows, attention: attention.length, noLimit: rows.filter((r) => r.freshness === 'unknown' && !attention.includes(r)).length, unreadableFolders: unreadable };
  }
}

export function needsAttention(row: ProfileHealth): boolean {
  return row.freshness === 'amber' || row.freshness === 'red' || row.lastFailure !== null || (row.lastVerify !== null && !row.lastVerify.ok) || (row.lastDrill !== null && (!row.lastDrill.passed || row.lastDrill.overTarget));
}

function profileHealth(profile: ProfileSummary, facts: Facts, verified: { destinationId: string; destination: string; verifiedAt: string | null }[]): ProfileHealth {
  const own = facts.archives.filter((a) => a.recognised && !a.problem && !a.sidecar.partial && sameName(a.sidecar.profile, profile.name));
  // An archive whose last verification failed (bit rot, a truncated copy) is not a good backup.
  const newest = own.find((a) => a.sidecar.verification?.ok !== false) ?? null;
  const schedule = facts.schedules.get(profile.id);
  const limit = freshnessLimit(schedule, facts.now);
  const lastBackup = newest ? { archive: newest.path, finishedAt: newest.sidecar.finishedAt, bytes: newest.sidecar.bytes, durationMs: newest.sidecar.durationMs } : null;
  return {
    profileId: profile.id,
    profileName: profile.name,
    color: profile.color,
    wholeServer: Boolean(profile.scope),
    lastRun: lastRun(profile, facts.runs),
    lastBackup,
    freshness: freshness(lastBackup?.finishedAt ?? null, limit, facts.now),
    limit,
    lastFailure: lastFailure(profile, facts.backupAttempts, lastBackup?.finishedAt ?? null),
    nextBackup: schedule?.backup?.enabled ? (schedule.next.backup[0] ?? null) : null,
    nextDrill: schedule?.drill?.enabled ? (schedule.next.drill[0] ?? null) : null,
    lastVerify: lastVerify(own),
    lastDrill: lastDrill(own, facts.drills, facts.recoveryTargetMs),
    offsite: offsite(verified, facts.copies, new Set(own.map((a) => a.path))),
  };
}

function lastRun(profile: ProfileSummary, runs: Facts['runs']): ProfileHealth['lastRun'] {
  const newest = runs.find((r) => r.record.profileId === profile.id);
  return newest ? { file: newest.file, finishedAt: newest.record.finishedAt, outcome: newest.record.outcome, databases: newest.record.databases.length } : null;
}

function sameName(a: string | null | undefined, b: string): boolean {
  return typeof a === 'string' && a.toLowerCase() === b.toLowerCase();
}

/**
 * What the newest backup's age is judged by: the stale alert's hours when set, else (with a backup
 * schedule) the schedule's own past runs — see FreshnessLimit: one missed run is late, not lost, and
 * the hours no run was due in (a weekend, a night) never count against it.
 */
export function freshnessLimit(schedule: ScheduleView | undefined, now: number): FreshnessLimit | null {
  if (schedule?.notify.staleHours) return { hours: schedule.notify.staleHours, from: 'stale-alert' };
  if (!schedule?.backup?.enabled) return null;
  const past = previousRuns(schedule.backup, schedule.timeZone, new Date(now), 4);
  if (past.length < 4) return null;
  const since = past[1]!;
  return { hours: Math.round(((now - since.getTime()) / 3_600_000) * 100) / 100, from: 'schedule', since: since.toISOString(), staleBefore: past[3]!.toISOString() };
}

export function freshness(finishedAt: string | null, limit: FreshnessLimit | null, now: number): BackupFreshness {
  if (!finishedAt) return 'red';
  if (limit === null) return 'unknown';
  const finished = Date.parse(finishedAt);
  if (limit.from === 'schedule') return finished >= Date.parse(limit.since) ? 'ok' : finished >= Date.parse(limit.staleBefore) ? 'amber' : 'red';
  const ageHours = (now - finished) / 3_600_000;
  if (ageHours <= limit.hours) return 'ok';
  return ageHours <= 2 * limit.hours ? 'amber' : 'red';
}

/** The newest backup attempt of the profile, when it failed after the newest good backup (a cancel is not a failure). */
function lastFailure(profile: ProfileSummary, attempts: ActivityEntry[], lastGood: string | null): ProfileHealth['lastFailure'] {
  const latest = attempts.find((e) => e.result !== 'info' && e.result !== 'cancelled' && (sameName(e.profile, profile.name) || e.profile === profile.id));
  if (!latest || latest.result !== 'failed') return null;
  if (lastGood && Date.parse(lastGood) >= Date.parse(latest.at)) return null;
  return { at: latest.at, error: latest.error };
}

function lastVerify(archives: ArchiveEntry[]): HealthVerify | null {
  let best: HealthVerify | null = null;
  for (const a of archives) {
    const v = a.sidecar.verification;
    if (v && (!best || v.at > best.at)) best = { archive: a.path, at: v.at, level: v.level, ok: v.ok, message: v.message };
  }
  return best;
}

/**
 * The newest drill of one of the profile's recognised archives — matched by path or by the archive's
 * SHA-256 (a drill of its offsite copy ran on a fetched copy of the same bytes). Not by the profile
 * name in the drilled file's manifest: a stranger's file can name any profile.
 */
function lastDrill(recognised: ArchiveEntry[], drills: DrillRecord[], targetMs: number | null): HealthDrill | null {
  const paths = new Set(recognised.map((a) => a.path));
  const hashes = new Set(recognised.map((a) => a.sidecar.sha256));
  let best: DrillRecord | null = null;
  for (const d of drills) {
    const ours = paths.has(d.archive.path) || (d.archive.sha256 !== null && hashes.has(d.archive.sha256));
    if (ours && (!best || d.finishedAt > best.finishedAt)) best = d;
  }
  if (!best) return null;
  const recoveryMs = best.timings.restoreMs + best.timings.verifyMs;
  return {
    drillId: best.id,
    archive: best.archive.path,
    at: best.finishedAt,
    passed: best.passed,
    couldNotRun: best.couldNotRun,
    recoveryMs,
    scratchStartMs: best.timings.startMs,
    // Every drill with a verdict stores its evidence report (drill-history.ts); one that could not run has none.
    hasReport: !best.couldNotRun,
    overTarget: targetMs !== null && !best.couldNotRun && recoveryMs > targetMs,
  };
}

function offsite(verified: { destinationId: string; destination: string; verifiedAt: string | null }[], copies: CopyState[], ownArchives: Set<string>): HealthOffsite[] {
  return verified.map((v) => {
    const here = copies.filter((c) => c.destinationId === v.destinationId && ownArchives.has(c.archive));
    return { destinationId: v.destinationId, destination: v.destination, verifiedAt: v.verifiedAt, pending: here.filter((c) => c.state === 'uploading').length, failed: here.filter((c) => c.state === 'failed').length };
  });
}
