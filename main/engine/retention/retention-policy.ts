// Grandfather-father-son retention, counted the way restic and borg prune do: keep the newest N,
// then the newest archive in each of the last N days / weeks / months / years that have one.
// Never the newest archive that verified or drilled successfully; nothing while backups are failing.
import { LifeboatError } from '../errors.ts';
import type { RetentionPlan, RetentionPolicy } from '../model/retention.ts';
export type { RetentionDecision, RetentionPlan, RetentionPolicy } from '../model/retention.ts';

export const DEFAULT_RETENTION: RetentionPolicy = { keepLast: 0, keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 0, keepMinimum: 3 };

export interface RetentionCandidate {
  path: string;
  createdAt: string;
  /** Verified (quick or full) or drilled successfully. */
  proven: boolean;
  /**
   * Archives of one database (profile and database): each group is counted on its own, so a
   * whole-server run's six archives of a day are six dailies, not one, and no database is left
   * without its newest proven archive. Absent: one group.
   */
  group?: string;
}

/** Calendar buckets in a time zone: day 2026-11-22, ISO week 2026-W47, month 2026-11, year 2026. */
export function buckets(iso: string, timeZone: string): { daily: string; weekly: string; monthly: string; yearly: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date(iso)).map((p) => [p.type, p.value]),
  ) as { year: string; month: string; day: string };
  // ISO 8601 week: the week's Thursday decides its year.
  const thursday = new Date(Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day)));
  thursday.setUTCDate(thursday.getUTCDate() + 4 - (thursday.getUTCDay() || 7));
  const yearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((thursday.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return {
    daily: `${parts.year}-${parts.month}-${parts.day}`,
    weekly: `${thursday.getUTCFullYear()}-W${String(week).padStart(2, '0')}`,
    monthly: `${parts.year}-${parts.month}`,
    yearly: parts.year,
  };
}

export function planRetention(archives: RetentionCandidate[], policy: RetentionPolicy, options: { timeZone: string; latestRunsFailing?: string | null }): RetentionPlan {
  const groups = new Map<string, RetentionCandidate[]>();
  for (const archive of archives) groups.set(archive.group ?? '', [...(groups.get(archive.group ?? '') ?? []), archive]);
  const plans = [...groups.values()].map((group) => planGroup(group, policy, options));
  return {
    decisions: plans.flatMap((p) => p.decisions).sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
    blocked: plans[0]?.blocked ?? (options.latestRunsFailing ? `Nothing is deleted while backups are failing (${options.latestRunsFailing}).` : null),
  };
}

/** One database's archives, by the policy. */
function planGroup(archives: RetentionCandidate[], policy: RetentionPolicy, options: { timeZone: string; latestRunsFailing?: string | null }): RetentionPlan {
  const sorted = [...archives].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const reasons = new Map<string, string[]>(sorted.map((a) => [a.path, []]));
  const add = (path: string, reason: string) => reasons.get(path)!.push(reason);

  sorted.slice(0, policy.keepLast).forEach((a, i) => add(a.path, `last ${i + 1} of ${policy.keepLast}`));
  const rules: [keyof ReturnType<typeof buckets>, number, string][] = [
    ['daily', policy.keepDaily, 'daily'],
    ['weekly', policy.keepWeekly, 'weekly'],
    ['monthly', policy.keepMonthly, 'monthly'],
    ['yearly', policy.keepYearly, 'yearly'],
  ];
  for (const [bucket, count, label] of rules) {
    if (count <= 0) continue;
    const seen = new Set<string>();
    for (const archive of sorted) {
      if (seen.size >= count) break;
      const key = buckets(archive.createdAt, options.timeZone)[bucket];
      if (seen.has(key)) continue;
      seen.add(key);
      add(archive.path, `${label} ${key}`);
    }
  }
  const newestProven = sorted.find((a) => a.proven);
  if (newestProven) add(newestProven.path, 'newest verified or drilled backup');
  const kept = sorted.filter((a) => reasons.get(a.path)!.length > 0).length;
  if (kept < policy.keepMinimum) {
    for (const archive of sorted) {
      if (sorted.filter((a) => reasons.get(a.path)!.length > 0).length >= policy.keepMinimum) break;
      if (reasons.get(archive.path)!.length === 0) add(archive.path, `minimum of ${policy.keepMinimum}`);
    }
  }
  const blocked = options.latestRunsFailing ? `Nothing is deleted while backups are failing (${options.latestRunsFailing}).` : null;
  return {
    decisions: sorted.map((a) => {
      const why = reasons.get(a.path)!;
      if (why.length === 0 && blocked) return { path: a.path, createdAt: a.createdAt, keep: true, reasons: ['backups are failing: pruning paused'] };
      return { path: a.path, createdAt: a.createdAt, keep: why.length > 0, reasons: why };
    }),
    blocked,
  };
}

/** Every count given is a whole number from 0 to 10000 (the local and each destination's policy alike). */
export function validateRetention(policy: Partial<RetentionPolicy>): void {
  for (const [key, value] of Object.entries(policy)) {
    if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 10_000) throw new LifeboatError('INVALID_INPUT', `${key} must be a whole number from 0 to 10000.`, 'Use counts such as keep-daily 7.');
  }
}
