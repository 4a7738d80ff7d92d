// What the page may do with an archive in a destination: verify the copy there, download it into a
// folder the user chose, fetch it into a private temporary copy for the Restore screen (fetched-copies.ts:
// readable by its path, removed when the restore using it ends), or drill it (downloaded, drilled, and
// the temporary copy removed when the drill ends). The page names a destination and an archive's file
// name, never a path main did not give it; each job tells the window which remote archive it works on.
import { LifeboatError } from '../engine/errors.ts';
import { startJob, type Job, type JobKind } from '../engine/jobs/job.ts';
import type { DrillRecord } from '../engine/model/drill.ts';
import type { RemoteDrillRequest, RemoteSubject } from './contract.ts';
import type { HandlerContext, HandlerGroup } from './handler-context.ts';

export function remoteArchiveHandlers(ctx: HandlerContext): HandlerGroup {
  const { engine, grants } = ctx;
  const subject = async (destinationId: string, name: string, action: RemoteSubject['action']): Promise<RemoteSubject> => {
    const destination = await engine.destinations.get(destinationId);
    return { destinationId: destination.id, destinationName: destination.name, name, action };
  };
  return {
    'copies:verifyRemote': async (destinationId, name) => {
      const remote = await subject(destinationId, name, 'verify');
      const job = followed('verify', engine.copies.verifyRemote(remote.destinationId, name), `The verification of ${name} in ${remote.destinationName}`);
      return ctx.track(job, (value) => ({ kind: 'verify', ok: true, value }), { remote });
    },
    'copies:download': async (destinationId, name, folder) => {
      const target = grants.use('folder', folder, 'The download folder');
      const remote = await subject(destinationId, name, 'download');
      // A job of its own kind, so its outcome (a file) is not taken for a copy's.
      const job = followed('download', engine.copies.download(remote.destinationId, name, target), `The download of ${name} from ${remote.destinationName}`);
      return ctx.track(job, (value) => ({ kind: 'download', ok: true, value }), { remote });
    },
    'copies:fetch': async (destinationId, name) => {
      const remote = await subject(destinationId, name, 'restore');
      const job = engine.copies.fetchForUse(remote.destinationId, name);
      // Held (readable by its path) before the window hears the outcome: this reaction runs before track's.
      job.result.then((copy) => ctx.fetched.add(copy), () => {});
      return ctx.track(job, ({ file, sha256, bytes }) => ({ kind: 'download', ok: true, value: { file, sha256, bytes } }), { remote });
    },
    'copies:discardFetched': (file) => ctx.fetched.discard(file),
    'copies:drillRemote': async (request) => {
      const remote = await subject(request.destinationId, request.name, 'drill');
      return ctx.track(await remoteDrill(ctx, remote, request), (value) => ({ kind: 'drill', ok: true, value }), { remote });
    },
  };
}

/**
 * The engine's job as a job of `kind` for the window, whose cancel reads as a cancel: a store answers
 * a cancelled download with "request aborted", which is not what the user needs to hear.
 */
function followed<R>(kind: JobKind, job: Job<R>, what: string): Job<R> {
  return startJob(kind, async (run) => {
    try {
      return await run.follow(job, (progress) => progress);
    } catch (error) {
      if (run.signal.aborted) throw new LifeboatError('CANCELLED', `${what} was cancelled; nothing was kept.`, undefined, { cause: error });
      throw error;
    }
  });
}

/** Downloads the archive into a private temporary copy, drills that, and removes it when the drill ends. */
async function remoteDrill(ctx: HandlerContext, remote: RemoteSubject, request: RemoteDrillRequest): Promise<Job<DrillRecord>> {
  const { engine } = ctx;
  const keys = await ctx.keysFrom(request);
  const scratch = request.scratch === 'embedded' ? { kind: 'embedded' as const } : { kind: 'profile' as const, profile: request.scratch.profileId };
  return startJob('drill', async (run) => {
    const copy = await run.follow(engine.copies.fetchForUse(remote.destinationId, remote.name), (progress) => ({ ...progress, currentItem: `${remote.destinationName}: ${remote.name}` }));
    run.defer(copy.release);
    const drill = engine.drills.start({ file: copy.file, scratch, keep: request.keep ?? false, keys, ...(request.trust !== undefined ? { trust: request.trust } : {}) });
    return run.follow(drill, (progress) => progress);
  });
}
