// What the engine starts after a backup on its own — offsite copies to the profile's destinations and
// "drill after every backup" (jobs/follow-ups.ts): the backup command waits for them, shows their
// progress, and reports each outcome with the backup (a CLI that exited first would kill them halfway).
import type { Engine } from '../../engine/index.ts';
import { toErrorInfo } from '../../engine/errors.ts';
import type { Job } from '../../engine/jobs/job.ts';
import type { DrillRecord } from '../../engine/model/drill.ts';
import type { ErrorInfo } from '../../engine/model/error.ts';
import type { CopyResult } from '../../engine/model/offsite.ts';
import type { FollowUpCause } from '../../engine/jobs/follow-ups.ts';
import { visibleText } from '../../engine/name-text.ts';
import { formatBytes, type Output } from '../cli-output.ts';
import { runWithProgress } from '../job-progress.ts';

export type CopyOutcome = ({ state: 'verified' } & CopyResult) | { state: 'failed'; destination: string; error: ErrorInfo };

/** Collects the jobs the engine starts while `work` runs, then waits for each: copies first (a drill is of the local file). */
export async function followUps<R>(engine: Engine, out: Output, work: () => Promise<R>): Promise<{ result: R; drills: DrillRecord[]; copies: CopyOutcome[] }> {
  const started: { job: Job<unknown>; cause: FollowUpCause }[] = [];
  const stop = engine.followUps.onStarted((job, cause) => started.push({ job, cause }));
  let result: R;
  try {
    result = await work();
    // The follow-ups start in the backup's own completion callback, which has run by now; one more turn to be sure.
    await new Promise<void>((resolve) => setImmediate(resolve));
  } finally {
    stop();
  }
  const copies: CopyOutcome[] = [];
  for (const { job, cause } of started.filter((s) => s.job.kind === 'copy')) copies.push(await waitForCopy(job as Job<CopyResult>, cause.destination ?? '?', out));
  const drills: DrillRecord[] = [];
  for (const { job } of started.filter((s) => s.job.kind === 'drill')) {
    out.note('lifeboat: drilling the new backup (Settings: drill after every backup)…');
    drills.push(await runWithProgress(job as Job<DrillRecord>, out));
  }
  return { result, drills, copies };
}

/** A failed copy is reported with the backup, not thrown: the backup itself is made and kept. */
async function waitForCopy(job: Job<CopyResult>, destination: string, out: Output): Promise<CopyOutcome> {
  out.note(`lifeboat: copying the new backup to ${destination}…`);
  try {
    return { state: 'verified', ...(await runWithProgress(job, out)) };
  } catch (error) {
    return { state: 'failed', destination, error: toErrorInfo(error) };
  }
}

/** One copy's outcome, one line. */
export function describeCopy(copy: CopyOutcome): string {
  return copy.state === 'verified'
    ? `Copied to ${visibleText(copy.destination)}: verified (${formatBytes(copy.bytes)}${copy.partsResumed ? `, resumed after ${copy.partsResumed} parts` : ''})`
    : `Copy to ${visibleText(copy.destination)} FAILED: ${visibleText(copy.error.message)}${copy.error.fix ? ` Fix: ${visibleText(copy.error.fix)}` : ''}`;
}
