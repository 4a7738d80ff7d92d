// "Drill after every backup" on the command line: the engine starts the drill when the backup is done
// (jobs/follow-ups.ts); the backup command waits for it, shows its progress, and reports its verdict
// with the backup (a CLI that exited first would kill the drill halfway).
import type { Engine } from '../../engine/index.ts';
import type { Job } from '../../engine/jobs/job.ts';
import type { DrillRecord } from '../../engine/model/drill.ts';
import type { Output } from '../cli-output.ts';
import { runWithProgress } from '../job-progress.ts';

/** Collects the drills the engine starts while `work` runs, then waits for each and returns their records. */
export async function followUpDrills<R>(engine: Engine, out: Output, work: () => Promise<R>): Promise<{ result: R; drills: DrillRecord[] }> {
  const started: Job<DrillRecord>[] = [];
  const stop = engine.followUps.onStarted((job) => started.push(job as Job<DrillRecord>));
  let result: R;
  try {
    result = await work();
    // The follow-up starts in the backup's own completion callback, which has run by now; one more turn to be sure.
    await new Promise<void>((resolve) => setImmediate(resolve));
  } finally {
    stop();
  }
  const drills: DrillRecord[] = [];
  for (const job of started) {
    out.note('lifeboat: drilling the new backup (Settings: drill after every backup)…');
    drills.push(await runWithProgress(job, out));
  }
  return { result, drills };
}
