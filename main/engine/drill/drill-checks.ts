// A drill's checks as plain comparisons, and the verdict they add up to. Nothing here reads a database
// or a file: drill-service.ts gathers the values (the restore's result, the sidecar, the scratch
// database's object counts and canary values) and these functions turn them into DrillChecks.
import type { ArchiveManifest, CanaryResult, ObjectCounts } from '../archive/archive-format.ts';
import type { SidecarRead } from '../archive/sidecar-file.ts';
import { COULD_NOT_RUN_CODES, isCodeIn, toErrorInfo, VERDICT_ON_THE_BACKUP_CODES } from '../errors.ts';
import type { DrillCheck, DrillRecord } from '../model/drill.ts';
import type { TableCheck } from '../restore/restore-service.ts';
import type { ErrorInfo, Profile } from '../types.ts';

export const OBJECT_LABELS = { tables: 'Tables', views: 'Views', materializedViews: 'Materialized views', sequences: 'Sequences', indexes: 'Indexes', functions: 'Functions' } as const;

const RESTORE_CHECK = 'Restore finished without errors';
const SIDECAR_CHECK = 'Archive sha256 equals the sidecar';

/**
 * The file itself was refused (damaged, unsafe SQL…): the backup fails its drill. One from a newer
 * Lifeboat is not judged by this one (no check: the drill could not run).
 */
export function refusedFileChecks(problem: ErrorInfo): DrillCheck[] {
  if (problem.code === 'ARCHIVE_UNSUPPORTED') return [];
  return [{ kind: 'integrity', name: 'The backup file can be read and restored', expected: 'a restorable backup', actual: problem.message, passed: false }];
}

export function restoreFailedCheck(message: string): DrillCheck {
  return { kind: 'restore', name: RESTORE_CHECK, expected: 'success', actual: message, passed: false };
}

/** The restore succeeded; what it tolerated (and went on past) is noted. */
export function restoreSucceededCheck(tolerated: string[]): DrillCheck {
  return { kind: 'restore', name: RESTORE_CHECK, expected: 'success', actual: 'success', passed: true, ...(tolerated.length ? { note: `Tolerated: ${tolerated.join('; ')}` } : {}) };
}

/** The drilled bytes' sha256 against the sidecar's; an unusable sidecar is noted, not failed. */
export function sidecarChecks(read: SidecarRead, fileSha256: string | null): DrillCheck[] {
  const checks: DrillCheck[] = [];
  const sidecar = read.kind === 'ok' ? read.sidecar : null;
  if (read.kind === 'bad') checks.push({ kind: 'integrity', name: SIDECAR_CHECK, expected: 'a usable sidecar', actual: 'not checked', passed: true, note: `Not checked: ${read.problem}` });
  if (sidecar && fileSha256) {
    checks.push({ kind: 'integrity', name: SIDECAR_CHECK, expected: sidecar.sha256, actual: fileSha256, passed: sidecar.sha256 === fileSha256 });
  }
  return checks;
}

/** Each table's restored rows against the backup's count; a manifest that promised counts but has none fails. */
export function rowCountChecks(checked: TableCheck[], manifest: ArchiveManifest | null): DrillCheck[] {
  const checks: DrillCheck[] = [];
  for (const check of checked) {
    checks.push({ kind: 'table', name: check.table, expected: String(check.expected), actual: check.missing ? 'table missing' : String(check.actual), passed: !check.missing && check.expected === check.actual });
  }
  if (manifest && !checked.length && manifest.options.rowCounts) {
    checks.push({ kind: 'table', name: 'Row counts', expected: 'recorded in the backup', actual: 'none recorded', passed: false });
  }
  return checks;
}

/** The manifest's object counts (its keys, as the file's author wrote them) against the scratch database's. */
export function objectCountChecks(recorded: ObjectCounts, actual: ObjectCounts): DrillCheck[] {
  const checks: DrillCheck[] = [];
  for (const key of Object.keys(recorded) as (keyof typeof actual)[]) {
    checks.push({ kind: 'objects', name: OBJECT_LABELS[key], expected: String(recorded[key]), actual: String(actual[key]), passed: recorded[key] === actual[key] });
  }
  return checks;
}

/** One canary as the manifest recorded it, its fields taken as text whatever they held. */
export interface RecordedCanary {
  name: string;
  sql: string;
  value: string | null;
  error: string | null;
}

/** What to do with one recorded canary: report it as not checked, or run the profile's own SQL. */
export type CanaryPlan = { kind: 'not-checked'; check: DrillCheck } | { kind: 'run'; canary: RecordedCanary; sql: string };

/**
 * Which recorded canaries can be re-checked. The SQL always comes from the saved profile the archive
 * names (matched by canary name), never from the archive: the manifest is written by whoever made the
 * file, and its SQL would run on the admin's own machine. The value is compared only when the
 * profile's query is still the one the backup ran; a canary the profile does not have (or has changed
 * since) is reported as not checked, and nothing of it runs.
 */
export function planCanaries(recorded: CanaryResult[], profileName: string, profiles: Profile[]): CanaryPlan[] {
  const profile = profiles.find((p) => p.name.toLowerCase() === profileName.toLowerCase()) ?? null;
  const plans: CanaryPlan[] = [];
  for (const entry of recorded) {
    // The manifest is the file author's: take its fields as text, whatever they hold.
    const canary: RecordedCanary = { name: String(entry?.name), sql: String(entry?.sql ?? ''), value: entry?.value ?? null, error: entry?.error ? String(entry.error) : null };
    const notChecked = (why: string): CanaryPlan => ({ kind: 'not-checked', check: { kind: 'canary', name: canary.name, expected: canary.error ? '(failed at backup time)' : String(canary.value), actual: 'not checked', passed: true, note: `Not checked: ${why}` } });
    if (canary.error) {
      plans.push(notChecked(canary.error));
      continue;
    }
    const own = profile?.canaryQueries?.find((q) => q.name === canary.name);
    if (!profile) plans.push(notChecked(`no saved profile is named "${profileName}"; canary queries run only from a saved profile, never from the archive`));
    else if (!own) plans.push(notChecked(`the profile "${profile.name}" has no canary named "${canary.name}"; canary queries run only from a saved profile, never from the archive`));
    else if (own.sql.trim() !== canary.sql.trim()) plans.push(notChecked(`the profile's query for this canary changed since the backup, so the recorded value is not comparable`));
    else plans.push({ kind: 'run', canary, sql: own.sql });
  }
  return plans;
}

/** A re-run canary's value (or "error: …") against the recorded one. */
export function canaryCheck(canary: RecordedCanary, actual: string | null): DrillCheck {
  return { kind: 'canary', name: canary.name, expected: String(canary.value), actual: String(actual), passed: canary.value === actual };
}

/**
 * The scratch restore stopped on `error`: a failed restore check. When the reason is not the file's
 * (cancelled, no key or the wrong one, tools missing or too old) the drill could not run.
 */
export function recordRestoreFailure(record: DrillRecord, error: unknown): void {
  const info = toErrorInfo(error);
  if (isCodeIn(COULD_NOT_RUN_CODES, info.code)) record.couldNotRun = true;
  record.checks.push(restoreFailedCheck(info.message));
}

/** A drill passes when every check passed. */
export function allPassed(checks: DrillCheck[]): boolean {
  return checks.every((c) => c.passed);
}

/** Sort order of a record's checks: failed ones first, otherwise as they were recorded (sort is stable). */
export function failuresFirst(a: DrillCheck, b: DrillCheck): number {
  return Number(a.passed) - Number(b.passed);
}

/**
 * A drill stopped by `error`: it did not pass. With no check recorded it could not run, unless the
 * error is itself a verdict on the backup (a damaged file is a failed backup; one from a newer
 * Lifeboat is not judged by this one).
 */
export function recordFailure(record: DrillRecord, error: unknown): void {
  const info = toErrorInfo(error);
  record.error = info;
  record.passed = false;
  if (!record.checks.length && !isCodeIn(VERDICT_ON_THE_BACKUP_CODES, info.code)) record.couldNotRun = true;
}

/** The drill's last progress phase: its verdict. */
export function verdictPhase(record: DrillRecord): 'Passed' | 'Could not run' | 'Failed' {
  return record.passed ? 'Passed' : record.couldNotRun ? 'Could not run' : 'Failed';
}
