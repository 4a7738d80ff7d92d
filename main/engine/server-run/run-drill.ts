// A drill of a whole run: each database the run backed up is drilled in turn (restored into a
// scratch database and compared with its snapshot), and the run passes only when every one does.
// Only a run record this Lifeboat wrote is followed (its tag verifies): a record planted in the
// folder cannot send the drill to other files.
import path from 'node:path';
import type { LibraryKey } from '../archive/sidecar-tag.ts';
import type { DrillRequest, DrillService } from '../drill/drill-service.ts';
import { LifeboatError, toErrorInfo } from '../errors.ts';
import { startJob, type Job, type JobRunContext } from '../jobs/job.ts';
import type { RunDatabaseDrill, RunDrillResult, ServerRunRecord } from '../model/server-run.ts';
import { readRunRecord } from './run-record.ts';

export type RunDrillRequest = Omit<DrillRequest, 'file' | 'reportFile' | 'keep'> & { file: string };

export interface RunDrillDeps {
  drills: Pick<DrillService, 'start'>;
  libraryKey?: LibraryKey;
}

export class RunDrills {
  readonly #deps: RunDrillDeps;

  constructor(deps: RunDrillDeps) {
    this.#deps = deps;
  }

  start(request: RunDrillRequest): Job<RunDrillResult> {
    return startJob('drill', (ctx) => this.#run(request, ctx));
  }

  async #run(request: RunDrillRequest, ctx: JobRunContext): Promise<RunDrillResult> {
    const t0 = performance.now();
    const record = await this.#recognisedRecord(request.file);
    const backedUp = record.databases.filter((d) => d.outcome === 'ok' && d.archive);
    const databases: RunDatabaseDrill[] = [];
    for (const [index, entry] of backedUp.entries()) {
      ctx.signal.throwIfAborted();
      const archive = archivePath(request.file, entry.archive!);
      const child = this.#deps.drills.start({ ...request, file: archive });
      const drilled = await ctx.follow(child, (p) => ({ ...p, fraction: (index + (p.fraction ?? 0)) / backedUp.length, currentItem: entry.name, message: `${entry.name}: ${p.phase} (${index + 1} of ${backedUp.length})` })).then(
        (drill) => ({ database: entry.name, archive, record: drill, error: null }),
        (error: unknown) => {
          if (ctx.signal.aborted) throw new LifeboatError('CANCELLED', 'The drill of the run was cancelled; its scratch databases were removed.', undefined, { cause: error });
          return { database: entry.name, archive, record: null, error: toErrorInfo(error) };
        },
      );
      databases.push(drilled);
    }
    const failed = databases.some((d) => d.record && !d.record.passed && !d.record.couldNotRun);
    const unrun = databases.some((d) => !d.record || d.record.couldNotRun);
    return {
      run: { id: record.id, profile: record.profile, startedAt: record.startedAt, file: request.file, outcome: record.outcome },
      databases,
      passed: !failed && !unrun && databases.length > 0,
      couldNotRun: !failed && (unrun || databases.length === 0),
      durationMs: Math.round(performance.now() - t0),
    };
  }

  async #recognisedRecord(file: string): Promise<ServerRunRecord> {
    const record = await readRunRecord(file, (await this.#deps.libraryKey?.get()) ?? null);
    if (!record) {
      throw new LifeboatError('INVALID_INPUT', `${path.basename(file)} is not a run record this Lifeboat wrote (unreadable, or its tag does not verify).`, 'Drill each archive of the run on its own: lifeboat drill FILE.lifeboat');
    }
    return record;
  }
}

/** An archive the record names: a plain file name beside the record, never a path elsewhere. */
function archivePath(recordFile: string, name: string): string {
  if (path.basename(name) !== name || name === '..' || name === '.') {
    throw new LifeboatError('INVALID_INPUT', `The run record names "${name}", which is not a file beside it.`, 'Drill each archive of the run on its own.');
  }
  return path.join(path.dirname(recordFile), name);
}
