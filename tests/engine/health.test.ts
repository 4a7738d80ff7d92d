// The health overview against a real PostgreSQL 18 server and real backups and drills: the newest
// good backup and its age against the limit (the stale alert's, else the schedule's own past runs),
// a failed attempt after it, the last verification and drill (recovery time without the scratch
// server's start), and a stranger's file in the backup folder that must not count as a backup.
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { freshness, freshnessLimit } from '../../main/engine/health/health-service.ts';
import type { ScheduleView } from '../../main/engine/model/schedule.ts';
import { lifeboat } from '../support/cli-runner.ts';
import { createTestEngine, type EngineFixture } from '../support/engine-fixture.ts';
import { clusterProfile, startCluster, stopAllClusters, type Cluster } from '../support/pg-cluster.ts';

const HOUR = 3_600_000;
const key = generateAgeKeyPair();
let now = new Date();
let fixture: EngineFixture;
let cluster: Cluster;
let folder: string;

beforeAll(async () => {
  cluster = await startCluster(18);
  await cluster.createDatabase('shop');
  await cluster.query('CREATE TABLE orders AS SELECT g AS id FROM generate_series(1, 500) g', [], 'shop');
  fixture = await createTestEngine({ clock: { now: () => now } });
  folder = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-health-'));
  await fixture.engine.settings.update({ backupFolder: folder });
});
afterAll(async () => {
  await fixture?.dispose();
  await rm(folder, { recursive: true, force: true });
  await stopAllClusters();
});

const rowOf = async (name: string) => {
  const overview = await fixture.engine.health.overview();
  const row = overview.profiles.find((p) => p.profileName === name);
  if (!row) throw new Error(`no row for ${name}`);
  return { overview, row };
};

const backUp = (profile: string) => fixture.engine.backups.start({ profile, encryption: { kind: 'recipients', recipients: [key.recipient] } }).result;

describe('health overview', () => {
  it('a connection never backed up is red and needs attention', async () => {
    await fixture.engine.profiles.add(clusterProfile(cluster, 'shop', { database: 'shop' }));
    const { overview, row } = await rowOf('shop');
    expect(row).toMatchObject({ lastBackup: null, freshness: 'red', limit: null, lastDrill: null, lastVerify: null, nextBackup: null, offsite: [] });
    expect(overview.attention).toBe(1);
  });

  it('the newest backup is judged by the stale alert, else by the schedule\'s past runs', async () => {
    const result = await backUp('shop');
    const profile = await fixture.engine.profiles.get('shop');
    let { row } = await rowOf('shop');
    expect(row.lastBackup?.archive).toBe(result.archive);
    expect(row.freshness).toBe('unknown');

    await fixture.engine.schedules.set(profile.id, { backup: { preset: 'hourly', enabled: true } });
    ({ row } = await rowOf('shop'));
    expect(row.limit).toMatchObject({ from: 'schedule', since: expect.any(String) });
    expect(row.limit!.hours).toBeGreaterThanOrEqual(1);
    expect(row.limit!.hours).toBeLessThanOrEqual(2);
    expect(row.nextBackup).not.toBeNull();
    expect(row.freshness).toBe('ok');

    await fixture.engine.schedules.set(profile.id, { notify: { staleHours: 6 } });
    now = new Date(Date.now() + 7 * HOUR);
    ({ row } = await rowOf('shop'));
    expect(row.limit).toEqual({ hours: 6, from: 'stale-alert' });
    expect(row.freshness).toBe('amber');
    now = new Date(Date.now() + 13 * HOUR);
    ({ row } = await rowOf('shop'));
    expect(row.freshness).toBe('red');
    now = new Date();
  });

  it('a stranger\'s copy with a newer name in the backup folder does not count as a backup', async () => {
    const { row: before } = await rowOf('shop');
    const original = before.lastBackup!.archive;
    // The same bytes and sidecar under a later file name: the sidecar's tag does not cover this name.
    const forged = path.join(folder, `shop-2099-01-01T00-00-00Z.lifeboat`);
    await copyFile(original, forged);
    const sidecar = JSON.parse(await readFile(`${original}.json`, 'utf8'));
    await writeFile(`${forged}.json`, JSON.stringify({ ...sidecar, archive: path.basename(forged), createdAt: '2099-01-01T00:00:00.000Z', finishedAt: '2099-01-01T00:00:01.000Z' }));
    const { row } = await rowOf('shop');
    expect(row.lastBackup?.archive).toBe(original);
    await rm(forged);
    await rm(`${forged}.json`);
  });

  it('shows the last verification and drill; the recovery time leaves out the scratch server start', async () => {
    const { row: before } = await rowOf('shop');
    const archive = before.lastBackup!.archive;
    await fixture.engine.library.verify(archive, 'quick', { identities: [key.identity] }).result;
    const record = await fixture.engine.drills.start({ file: archive, keys: { identities: [key.identity] } }).result;
    expect(record.passed).toBe(true);
    const { row, overview } = await rowOf('shop');
    expect(row.lastVerify).toMatchObject({ archive, ok: true, level: 'quick' });
    expect(row.lastDrill).toMatchObject({ drillId: record.id, passed: true, couldNotRun: false, recoveryMs: record.timings.restoreMs + record.timings.verifyMs, scratchStartMs: record.timings.startMs });
    expect(overview.attention).toBe(0);

    // A recovery target in Settings: a drill over it needs attention, one within it does not.
    fixture.engine.settings.update({ recoveryTargetSeconds: 7 * 24 * 3600 });
    let after = await rowOf('shop');
    expect(after.overview.recoveryTargetSeconds).toBe(7 * 24 * 3600);
    expect(after.row.lastDrill?.overTarget).toBe(false);
    const recoveryMs = record.timings.restoreMs + record.timings.verifyMs;
    fixture.engine.settings.update({ recoveryTargetSeconds: 1 });
    after = await rowOf('shop');
    expect(after.row.lastDrill?.overTarget).toBe(recoveryMs > 1000);
    expect(after.overview.attention).toBe(recoveryMs > 1000 ? 1 : 0);
    fixture.engine.settings.update({ recoveryTargetSeconds: null });
  });

  it('a failed attempt after the newest good backup is shown, and the CLI prints the same overview', async () => {
    const profile = await fixture.engine.profiles.get('shop');
    await fixture.engine.profiles.update(profile.id, { ...clusterProfile(cluster, 'shop', { database: 'no_such_db' }), password: undefined });
    await expect(backUp('shop')).rejects.toThrow();
    const { row, overview } = await rowOf('shop');
    expect(row.lastFailure?.error?.message).toMatch(/no_such_db/);
    expect(row.lastBackup).not.toBeNull();
    expect(overview.attention).toBe(1);

    const cli = await lifeboat(fixture.dataDir, ['status', '--json']);
    expect(cli.code).toBe(0);
    expect(cli.json.profiles[0]).toMatchObject({ profileName: 'shop', lastBackup: { archive: row.lastBackup!.archive }, lastFailure: { at: row.lastFailure!.at } });
    const text = await lifeboat(fixture.dataDir, ['status']);
    expect(text.stdout).toMatch(/! shop .*last attempt FAILED/);
    expect(text.stdout).toMatch(/1 connection needs attention/);
  });

  it('a backup folder that cannot be read is said, and the other folders\' backups still count', async () => {
    // A file where a library folder should be: readdir fails (ENOTDIR), as it would for a folder without permission.
    const notAFolder = path.join(folder, 'not-a-folder');
    await writeFile(notAFolder, 'x');
    fixture.engine.settings.update({ libraryFolders: [notAFolder] });
    try {
      const { row, overview } = await rowOf('shop');
      expect(row.lastBackup).not.toBeNull();
      expect(overview.unreadableFolders).toEqual([{ folder: notAFolder, message: `Cannot read the backup folder ${notAFolder} (ENOTDIR): its backups are not listed or counted.`, fix: expect.stringMatching(/disk is attached/) }]);
      expect((await fixture.engine.library.list()).length).toBeGreaterThan(0);
      // Named explicitly, the folder is still an error.
      await expect(fixture.engine.library.list({ folders: [notAFolder] })).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
      const status = await lifeboat(fixture.dataDir, ['status']);
      expect(status.stdout).toContain(`! Cannot read the backup folder ${notAFolder} (ENOTDIR)`);
      const list = await lifeboat(fixture.dataDir, ['list', '--json']);
      expect(list.json.unreadableFolders).toEqual([expect.objectContaining({ folder: notAFolder })]);
      expect(list.json.archives.length).toBeGreaterThan(0);
    } finally {
      fixture.engine.settings.update({ libraryFolders: [] });
    }
  });
});

describe('freshness rules', () => {
  const view = (backup: object | null, staleHours: number | null = null, timeZone = 'UTC') => ({ backup, timeZone, next: { backup: [], drill: [] }, notify: { staleHours } }) as unknown as ScheduleView;
  const daily = { preset: 'daily', time: '01:00', enabled: true };
  const at = Date.parse('2026-12-06T12:00:00Z');

  it('takes the stale alert when set, else the schedule\'s own past runs', () => {
    expect(freshnessLimit(view(daily), at)).toEqual({ hours: 35, from: 'schedule', since: '2026-12-05T01:00:00.000Z', staleBefore: '2026-12-03T01:00:00.000Z' });
    expect(freshnessLimit(view(daily, 30), at)).toEqual({ hours: 30, from: 'stale-alert' });
    expect(freshnessLimit(view({ ...daily, enabled: false }), at)).toBeNull();
    expect(freshnessLimit(view({ preset: 'cron', cron: '0 1 30 2 *', enabled: true }), at)).toBeNull(); // 30 February never comes
    expect(freshnessLimit(undefined, at)).toBeNull();
  });

  it('a daily schedule: on time with one run missed (or still running), late with up to three, stale past that', () => {
    const limit = freshnessLimit(view(daily), at);
    expect(freshness('2026-12-06T01:20:00Z', limit, at)).toBe('ok');
    expect(freshness('2026-12-05T01:20:00Z', limit, at)).toBe('ok'); // today's run missed, or still running
    expect(freshness('2026-12-04T01:20:00Z', limit, at)).toBe('amber');
    expect(freshness('2026-12-02T23:00:00Z', limit, at)).toBe('red');
    expect(freshness(null, limit, at)).toBe('red');
  });

  it('a Monday-to-Friday schedule is not late over the weekend, and is when Monday\'s and Tuesday\'s runs are missed', () => {
    const weekdays = view({ preset: 'cron', cron: '0 22 * * 1-5', enabled: true }, null, 'Europe/Berlin');
    const fridayNight = '2026-12-04T21:10:00Z'; // Friday 22:10 in Berlin
    for (const when of ['2026-12-06T12:00:00Z', '2026-12-07T09:00:00Z', '2026-12-07T21:30:00Z']) expect(freshness(fridayNight, freshnessLimit(weekdays, Date.parse(when)), Date.parse(when)), when).toBe('ok');
    const wednesday = Date.parse('2026-12-09T09:00:00Z');
    expect(freshness(fridayNight, freshnessLimit(weekdays, wednesday), wednesday)).toBe('amber');
    const friday = Date.parse('2026-12-11T09:00:00Z');
    expect(freshness(fridayNight, freshnessLimit(weekdays, friday), friday)).toBe('red');
  });

  it('the stale alert: ok within its hours, amber past them, red past twice them', () => {
    const limit = { hours: 24, from: 'stale-alert' as const };
    expect(freshness('2026-12-06T02:00:00Z', limit, at)).toBe('ok');
    expect(freshness('2026-12-05T02:00:00Z', limit, at)).toBe('amber');
    expect(freshness('2026-12-04T02:00:00Z', limit, at)).toBe('red');
    expect(freshness('2026-12-04T02:00:00Z', null, at)).toBe('unknown');
  });
});
