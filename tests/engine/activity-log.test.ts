import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActivityLog } from '../../main/engine/activity/activity-log.ts';
import { LifeboatError } from '../../main/engine/errors.ts';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-activity-'));
});
afterEach(() => rm(dataDir, { recursive: true, force: true }));

/** A log whose profile names take a while to look up, as they do when profiles.json is read from disk. */
function slowNamesLog(delayMs: number): ActivityLog {
  return new ActivityLog({ dataDir, clock: { now: () => new Date() }, profileName: async (idOrName) => (await sleep(delayMs), `name of ${idOrName}`) });
}

describe('the activity log', () => {
  it("has a job's entry as soon as the job's caller sees it end", async () => {
    const log = slowNamesLog(300);
    const failing = { result: sleep(20).then(() => Promise.reject(new LifeboatError('CONNECTION_FAILED', 'database "no_such_db" does not exist', 'Check the database name.'))) };
    log.recordJob(failing, { what: 'backup', title: 'Backup', profile: 'p1' });
    await expect(failing.result).rejects.toThrow(/no_such_db/);
    const [entry] = await log.list({ what: 'backup' });
    expect(entry).toMatchObject({ profile: 'name of p1', result: 'failed', error: { code: 'CONNECTION_FAILED', message: 'database "no_such_db" does not exist', fix: 'Check the database name.' } });
    // The time is the job's own (20 ms), not until its profile's name was found (300 ms).
    expect(entry!.durationMs).toBeGreaterThanOrEqual(15);
    expect(entry!.durationMs).toBeLessThan(250);

    const ok = { result: Promise.resolve({ archive: '/backups/a.lifeboat' }) };
    log.recordJob(ok, { what: 'backup', title: 'Backup', profile: 'p2', archiveOf: (r) => r.archive });
    await ok.result;
    expect((await log.list({ what: 'backup' }))[0]).toMatchObject({ profile: 'name of p2', result: 'ok', archive: '/backups/a.lifeboat', error: null });
  });

  it('makes a reader wait at most 2 s for an entry whose profile name never comes (a hung keychain)', async () => {
    const log = new ActivityLog({ dataDir, clock: { now: () => new Date() }, profileName: () => new Promise<string>(() => {}) });
    const job = { result: Promise.resolve() };
    log.recordJob(job, { what: 'backup', title: 'Backup', profile: 'p1' });
    await job.result;
    const started = performance.now();
    expect(await log.list()).toEqual([]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1900);
    expect(performance.now() - started).toBeLessThan(4000);
  });

  it('does not make a reader wait for a job that is still running', async () => {
    const log = slowNamesLog(0);
    let finish!: () => void;
    const running = { result: new Promise<void>((resolve) => (finish = resolve)) };
    log.recordJob(running, { what: 'drill', title: 'Drill', profile: null });
    const listed = await Promise.race([log.list(), sleep(2000).then(() => 'waited' as const)]);
    expect(listed).toEqual([]);
    finish();
    await running.result;
    expect(await log.list()).toMatchObject([{ what: 'drill', result: 'ok' }]);
  });
});
