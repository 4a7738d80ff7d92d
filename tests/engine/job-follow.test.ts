// A job that runs another as one of its steps (restore → safety backup, drill → restore) follows it
// with ctx.follow: the child's progress is mapped into the parent's, cancelling the parent cancels the
// child, nothing stays attached once the child settles, and the child's result or error comes back.
// Real jobs from startJob throughout.
import { getEventListeners } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LifeboatError } from '../../main/engine/errors.ts';
import { JobCancelledError, startJob, type Job, type JobContext, type JobProgress } from '../../main/engine/jobs/job.ts';

interface Gate {
  promise: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Waits until the job is cancelled, then fails as a cancelled job does. */
function untilCancelled(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** Every progress report of a job. */
function recorded(job: { onProgress(listener: (p: JobProgress) => void): () => void }): JobProgress[] {
  const seen: JobProgress[] = [];
  job.onProgress((p) => seen.push({ ...p }));
  return seen;
}

async function settled<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  return promise.then((value) => ({ value }), (error: unknown) => ({ error }));
}

describe('ctx.follow', () => {
  // As in the engine, each parent starts its child inside its own work and follows it at once.

  it('maps each of the child\'s reports into the parent\'s (jobId and kind stay the parent\'s) and resolves with the child\'s value', async () => {
    const parent = startJob('restore', async (ctx) => {
      ctx.report({ phase: 'Checking', fraction: 0, message: 'Safety checklist' });
      const child = startJob('backup', async (childCtx) => {
        childCtx.report({ phase: 'Dumping', fraction: 0.5, bytes: 100, bytesPerSecond: 50, etaSeconds: 7, currentItem: 'public.orders', message: 'half' });
        childCtx.report({ phase: 'Done', fraction: 1, bytes: 200 });
        return { archive: 'a.lifeboat', sha256: 'abc' };
      });
      // Spreading the child's progress must not hand the parent the child's id or kind.
      const value = await ctx.follow(child, (p) => ({ ...p, phase: p.phase === 'Done' ? 'Verifying' : `Safety backup: ${p.phase}`, fraction: 0.1 + 0.5 * (p.fraction ?? 0), etaSeconds: null }));
      ctx.report({ phase: 'Restoring', fraction: 0.7 });
      return value;
    });
    const seen = recorded(parent);

    await expect(parent.result).resolves.toEqual({ archive: 'a.lifeboat', sha256: 'abc' });
    expect(seen.map((p) => [p.phase, p.fraction])).toEqual([['Checking', 0], ['Safety backup: Dumping', 0.35], ['Verifying', 0.6], ['Restoring', 0.7]]);
    expect(seen.every((p) => p.jobId === parent.id && p.kind === 'restore')).toBe(true);
    expect(seen[1]).toMatchObject({ bytes: 100, bytesPerSecond: 50, etaSeconds: null, currentItem: 'public.orders', message: 'half' });
    expect(seen[2]).toMatchObject({ bytes: 200, currentItem: 'public.orders' });
  });

  it('forwards only what the mapping returns: the rest of the parent\'s progress stays as it was', async () => {
    const parent = startJob('restore', async (ctx) => {
      ctx.report({ phase: 'Safety backup', fraction: 0, message: 'Backing up "app" first' });
      const child = startJob('backup', async (childCtx) => {
        childCtx.report({ phase: 'Dumping', fraction: 0.25, bytes: 4096, bytesPerSecond: 1024, etaSeconds: 3, currentItem: 'public.big', message: 'from the child' });
        return 1;
      });
      return ctx.follow(child, (p) => ({ phase: 'Safety backup', fraction: (p.fraction ?? 0) * 0.35, currentItem: p.currentItem, bytes: p.bytes, bytesPerSecond: p.bytesPerSecond, etaSeconds: null }));
    });
    const seen = recorded(parent);
    await expect(parent.result).resolves.toBe(1);
    expect(seen.at(-1)).toEqual({ jobId: parent.id, kind: 'restore', phase: 'Safety backup', fraction: 0.25 * 0.35, bytes: 4096, bytesPerSecond: 1024, etaSeconds: null, currentItem: 'public.big', message: 'Backing up "app" first' });
  });

  it('cancelling the parent cancels the child, and the parent fails with the child\'s own error', async () => {
    const childStarted = gate();
    const kept: { child?: Job<never> } = {};
    const parent = startJob('restore', (ctx) => {
      kept.child = startJob('backup', async (childCtx) => {
        childCtx.report({ phase: 'Dumping', fraction: 0.1 });
        childStarted.open();
        return untilCancelled(childCtx.signal);
      });
      return ctx.follow(kept.child, (p) => ({ phase: p.phase }));
    });
    await childStarted.promise;
    const child = kept.child!;
    expect(child.signal.aborted).toBe(false);

    parent.cancel();
    expect(child.signal.aborted).toBe(true);
    const [fromParent, fromChild] = await Promise.all([settled(parent.result), settled(child.result)]);
    expect(fromChild.error).toBeInstanceOf(JobCancelledError);
    expect(fromParent.error).toBe(fromChild.error);
  });

  it('a parent already cancelled when it starts to follow cancels the child at once', async () => {
    const parentCancelled = gate();
    const seen: { childCancelledAtStart?: boolean; child?: Promise<{ error?: unknown }> } = {};
    const parent = startJob('drill', async (ctx) => {
      await parentCancelled.promise;
      const child = startJob('restore', async (childCtx) => {
        seen.childCancelledAtStart = childCtx.signal.aborted;
        // Not cancelled within a second: the child would have run to its end.
        return Promise.race([untilCancelled(childCtx.signal), delay(1000, 'ran to its end', { ref: false })]);
      });
      seen.child = settled(child.result);
      return ctx.follow(child, () => ({}));
    });
    parent.cancel();
    parentCancelled.open();
    const { error } = await settled(parent.result);
    expect(error).toBeInstanceOf(JobCancelledError);
    expect(seen.childCancelledAtStart).toBe(true);
    expect((await seen.child!).error).toBe(error);
  });

  it('once the child settles nothing stays attached: its later reports and the parent\'s cancel no longer reach across', async () => {
    const kept: { child?: Job<string>; report?: JobContext['report'] } = {};
    const followed = gate();
    const parent = startJob('restore', async (ctx) => {
      kept.child = startJob('backup', async (childCtx) => {
        kept.report = childCtx.report;
        childCtx.report({ phase: 'Dumping', fraction: 0.5 });
        return 'done';
      });
      const value = await ctx.follow(kept.child, (p) => ({ phase: `Safety backup: ${p.phase}`, fraction: p.fraction }));
      followed.open();
      // The parent goes on with its own steps until it is cancelled.
      return [value, await untilCancelled(ctx.signal)];
    });
    const seen = recorded(parent);
    await followed.promise;
    const child = kept.child!;
    expect(seen.map((p) => p.phase)).toEqual(['Safety backup: Dumping']);

    kept.report!({ phase: 'Late', fraction: 0.9 });
    expect(child.lastProgress()?.phase).toBe('Late');
    expect(seen.map((p) => p.phase)).toEqual(['Safety backup: Dumping']);

    parent.cancel();
    await expect(parent.result).rejects.toBeInstanceOf(JobCancelledError);
    expect(child.signal.aborted).toBe(false);
    await expect(child.result).resolves.toBe('done');
  });

  it('a failed child rejects follow with its very error (the parent wraps it as it likes), and the listeners are gone', async () => {
    const failure = new LifeboatError('BACKUP_FAILED', 'pg_dump failed: connection refused.', 'Check that the server is running.');
    const kept: { child?: Job<never>; report?: JobContext['report']; parentSignal?: AbortSignal } = {};
    const parent = startJob('restore', async (ctx) => {
      kept.parentSignal = ctx.signal;
      kept.child = startJob('backup', async (childCtx) => {
        kept.report = childCtx.report;
        childCtx.report({ phase: 'Dumping', fraction: 0.2 });
        throw failure;
      });
      try {
        return await ctx.follow(kept.child, (p) => ({ phase: 'Safety backup', fraction: (p.fraction ?? 0) * 0.35 }));
      } catch (error) {
        throw new LifeboatError('RESTORE_FAILED', `The safety backup failed, so nothing was restored: ${(error as Error).message}`, undefined, { cause: error });
      }
    });
    const seen = recorded(parent);
    const { error } = await settled(parent.result);
    expect(error).toBeInstanceOf(LifeboatError);
    expect((error as LifeboatError).code).toBe('RESTORE_FAILED');
    expect((error as LifeboatError).message).toBe('The safety backup failed, so nothing was restored: pg_dump failed: connection refused.');
    expect((error as Error).cause).toBe(failure);
    await expect(kept.child!.result).rejects.toBe(failure);
    expect(seen.map((p) => [p.phase, p.fraction])).toEqual([['Safety backup', 0.2 * 0.35]]);

    kept.report!({ phase: 'Late' });
    expect(seen).toHaveLength(1);
    expect(getEventListeners(kept.parentSignal!, 'abort')).toEqual([]);
  });
});
