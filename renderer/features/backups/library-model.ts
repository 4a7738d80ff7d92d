// What the library table sorts, filters and counts, derived once per listing from each archive:
// plain functions, so the table (library-table.tsx) and each row (archive-row.tsx) agree on them.
import type { ArchiveEntry, ErrorInfo } from '../../../main/ipc/contract.ts';
import { baseName } from '../../components/format.ts';
import { isRunning, type JobEntry } from '../../stores/jobs-store.ts';

/** One word for where an archive stands; `failed` covers a failed verification and a failed drill. */
export type ArchiveStatus = 'problem' | 'failed' | 'unverified' | 'verified';

/** Ascending status order puts what needs attention first. */
export const STATUS_RANK: Record<ArchiveStatus, number> = { problem: 0, failed: 1, unverified: 2, verified: 3 };

/** The status filter's choices, after "All" (the empty value). */
export const STATUS_CHOICES: { value: ArchiveStatus; label: string }[] = [
  { value: 'verified', label: 'Verified' },
  { value: 'unverified', label: 'Not verified' },
  { value: 'failed', label: 'Failed' },
  { value: 'problem', label: 'Problem' },
];

export function archiveStatus(entry: ArchiveEntry): ArchiveStatus {
  const { verification, drill } = entry.sidecar;
  if (entry.problem) return 'problem';
  if (verification?.ok === false || drill?.passed === false) return 'failed';
  return verification?.ok ? 'verified' : 'unverified';
}

/** An archive as the table handles it: the values it sorts and filters on, computed once per listing. */
export interface LibraryRow {
  entry: ArchiveEntry;
  /** Milliseconds since the epoch; NaN for a date that does not parse (sorted as the oldest). */
  created: number;
  status: ArchiveStatus;
  /** Lower-case file name, connection, database and host: what the text search looks in. */
  haystack: string;
}

export function toLibraryRows(entries: ArchiveEntry[]): LibraryRow[] {
  return entries.map((entry) => {
    const { sidecar } = entry;
    return {
      entry,
      created: Date.parse(sidecar.createdAt),
      status: archiveStatus(entry),
      haystack: `${baseName(entry.path)}\n${sidecar.profile}\n${sidecar.database}\n${sidecar.host}`.toLowerCase(),
    };
  });
}

// One formatter each, made once: toLocaleString() builds a new one per call, which costs about a
// millisecond each in Chromium — too much for dozens of rows redrawn at every sort or keystroke.
const SHORT_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const EXACT_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'long' });
const DAY = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** "12 Mar 2026, 14:03", as formatDateTime writes it; the ISO text itself when it is not a date. */
export function shortTime(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : SHORT_TIME.format(time);
}

/** "Thursday 12 March 2026 at 14:03:22 CET": the exact time, for a title. */
export function exactTime(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : EXACT_TIME.format(time);
}

/** "12 Mar 2026", as formatDate writes it. */
export function shortDay(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : DAY.format(time);
}

/** Every word of the query appears somewhere in the row (file name, connection, database, host). */
export function matchesSearch(row: LibraryRow, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return words.every((word) => row.haystack.includes(word));
}

/** From and to are `YYYY-MM-DD` days of the date inputs (either may be ''), both included, in local time. */
export interface DateRange {
  from: string;
  to: string;
}

function localDay(day: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  return match ? new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3])).getTime() : null;
}

export function inDateRange(created: number, range: DateRange): boolean {
  const from = localDay(range.from);
  const to = localDay(range.to);
  if (from !== null && !(created >= from)) return false;
  if (to === null) return true;
  // The whole "to" day counts: up to the start of the next one (a day is not always 24 hours).
  const end = new Date(to);
  end.setDate(end.getDate() + 1);
  return created < end.getTime();
}

export function totalBytes(rows: readonly LibraryRow[]): number {
  let total = 0;
  for (const row of rows) if (Number.isFinite(row.entry.sidecar.bytes)) total += row.entry.sidecar.bytes;
  return total;
}

/** The verify job of each archive in this window (the first one found, as the rows always showed). */
export function verifyJobsByFile(jobs: Record<string, JobEntry>): Map<string, JobEntry> {
  const byFile = new Map<string, JobEntry>();
  for (const job of Object.values(jobs)) {
    if (job.kind !== 'verify' || job.subject?.kind !== 'verify' || byFile.has(job.subject.path)) continue;
    byFile.set(job.subject.path, job);
  }
  return byFile;
}

export interface VerifyView {
  job: JobEntry | undefined;
  verifying: boolean;
  /** A failure the sidecar does not record (no key, wrong key): shown from the job itself. */
  jobError: ErrorInfo | null;
  /** The sidecar records a failed verification, and none runs now. */
  recordedFailure: string | null;
}

export function verifyView(entry: ArchiveEntry, job: JobEntry | undefined): VerifyView {
  const { verification } = entry.sidecar;
  const verifying = job !== undefined && isRunning(job);
  const failed = job?.outcome && !job.outcome.ok && job.outcome.error.code !== 'CANCELLED' ? job.outcome.error : null;
  const recorded = failed !== null && verification?.ok === false && verification.message === failed.message;
  return {
    job,
    verifying,
    jobError: recorded ? null : failed,
    recordedFailure: verification && !verification.ok && !verifying ? verification.message : null,
  };
}

/** Whether the archive's full-width second row shows: opened with "More", or something to say. */
export function hasDetailRow(entry: ArchiveEntry, view: VerifyView, expanded: boolean): boolean {
  return expanded || entry.problem !== undefined || view.verifying || view.jobError !== null || view.recordedFailure !== null;
}

/**
 * aria-rowindex of each archive's first row (the header row is 1), counting the second rows that
 * show: screen readers announce "row 40 of 2,003" although only a few dozen rows are in the page.
 */
export function rowIndexes(details: readonly boolean[]): { first: number[]; count: number } {
  const first = new Array<number>(details.length);
  let next = 2;
  for (let i = 0; i < details.length; i++) {
    first[i] = next;
    next += details[i] ? 2 : 1;
  }
  return { first, count: next - 1 };
}
