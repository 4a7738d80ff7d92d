// Offsite copies on a schedule, against s3rver behind the lab's proxy: a scheduled backup is copied
// to the profile's destination and the destination is pruned by its own policy (never another
// computer's files); a copy that fails is loud and stops the local prune; a destination without a
// verified copy for longer than the stale limit raises its own alert, even when it cannot be reached.
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/engine/index.ts';
import type { S3Location } from '../../main/engine/model/offsite.ts';
import { createIsolatedKeychainEngine, type EngineFixture } from '../support/engine-fixture.ts';
import { clusterProfile, startCluster, type Cluster } from '../support/pg-cluster.ts';
import { startS3Lab, type S3Lab } from '../support/s3-lab.ts';

let cluster: Cluster;
let lab: S3Lab;
let home: string;
let engine: Engine;
let fixture: EngineFixture;
let now = new Date('2026-12-01T12:00:00Z');
const DAY = 86_400_000;

const location = (more: Partial<S3Location> = {}): S3Location => ({ endpoint: lab.endpoint, region: lab.region, bucket: lab.bucket, prefix: 'fleet/', pathStyle: true, accessKeyId: lab.accessKeyId, partChecksums: true, ...more });
const notify = { onSuccess: false, desktop: false, staleHours: null };

beforeAll(async () => {
  [cluster, lab] = await Promise.all([startCluster(18), startS3Lab()]);
  await cluster.query('CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 100)');
  // Lifeboat's own key (an isolated keychain service): scheduled drills decrypt with it, as in real use.
  fixture = await createIsolatedKeychainEngine({ clock: { now: () => now } });
  engine = fixture.engine;
  home = fixture.dataDir;
  engine.settings.update({ timeZone: 'UTC', backupFolder: path.join(home, 'backups') });
  await engine.profiles.add(clusterProfile(cluster, 'db', { database: 'postgres' }));
  await engine.profiles.add(clusterProfile(cluster, 'db2', { database: 'postgres' }));
}, 120_000);

afterAll(async () => {
  await fixture?.dispose();
  await Promise.all([cluster?.stop(), lab?.stop()]);
});

describe('offsite copies on a schedule', () => {
  it('copies each scheduled backup and prunes the destination by its own policy, never a stranger\'s file', async () => {
    await engine.destinations.add({ name: 'off', profile: 'db', s3: location(), secretKey: lab.secretAccessKey });
    engine.offsiteRetention.setPolicy('off', { keepLast: 1, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepYearly: 0, keepMinimum: 1 });
    await engine.schedules.set('db', { backup: { preset: 'daily', time: '01:00', enabled: true }, autoPrune: true, notify });
    // Another computer's backup in the same folder of the bucket: listed, never counted or deleted.
    await lab.client().send(new PutObjectCommand({ Bucket: lab.bucket, Key: 'fleet/other_db_20261101T000000Z.lifeboat', Body: Buffer.alloc(10) }));
    await lab.client().send(new PutObjectCommand({ Bucket: lab.bucket, Key: 'fleet/other_db_20261101T000000Z.lifeboat.json', Body: JSON.stringify(strangerSidecar('other_db_20261101T000000Z.lifeboat', 10)) }));

    const names: string[] = [];
    for (const day of [1, 2, 3]) {
      now = new Date(Date.UTC(2026, 11, 1 + day, 12));
      const runs = await engine.schedules.runDue();
      expect(runs.map((r) => `${r.kind}:${r.result}`), JSON.stringify(runs)).toEqual(expect.arrayContaining(['backup:ok', 'copy:ok']));
      names.push(path.basename(runs.find((r) => r.kind === 'backup')!.archive!));
      if (day > 1) expect(runs.find((r) => r.kind === 'prune' && r.destination === 'off')).toMatchObject({ result: 'ok', detail: 'off: 1 copy(ies) deleted' });
    }
    const remote = await engine.copies.listRemote('off');
    expect(remote.map((a) => a.name).sort()).toEqual([names[2], 'other_db_20261101T000000Z.lifeboat'].sort());
    const preview = await engine.offsiteRetention.preview('off');
    expect(preview.decisions.find((d) => d.path.startsWith('other_db'))).toMatchObject({ keep: true, reasons: [expect.stringMatching(/not recognised/)] });
    expect(preview.decisions.find((d) => d.path === names[2])).toMatchObject({ keep: true, reasons: expect.arrayContaining([expect.stringMatching(/newest verified/)]) });
    // Locally, nothing was pruned because of the destination: every backup is still there.
    expect((await engine.library.list({ profile: 'db' })).length).toBe(3);

    // The drill schedule can drill the newest offsite copy instead of the local file.
    await engine.schedules.set('db', { backup: null, drill: { preset: 'daily', time: '02:00', enabled: true }, drillSource: 'offsite' });
    now = new Date(now.getTime() + DAY);
    const drilled = (await engine.schedules.runDue()).find((r) => r.profile === 'db' && r.kind === 'drill');
    expect(drilled).toMatchObject({ result: 'ok', destination: 'off', archive: `off:${names[2]}` });
    expect((await readdir(os.tmpdir())).filter((n) => n.startsWith(`lifeboat-restore-${process.pid}-`))).toEqual([]);
  }, 240_000);

  it('a copy that fails is loud: the run says so, the local prune waits, and a stale destination raises its own alert', async () => {
    await engine.destinations.add({ name: 'down', profile: 'db2', s3: location({ endpoint: 'http://127.0.0.1:9' }), secretKey: lab.secretAccessKey });
    await engine.schedules.set('db2', { backup: { preset: 'daily', time: '01:00', enabled: true }, autoPrune: true, notify: { ...notify, staleHours: 24 } });
    now = new Date(now.getTime() + DAY);
    const runs = (await engine.schedules.runDue()).filter((r) => r.profile === 'db2');
    expect(runs.find((r) => r.kind === 'copy')).toMatchObject({ result: 'failed', destination: 'down', detail: expect.stringMatching(/^down: Lifeboat could not reach/) });
    expect(runs.find((r) => r.kind === 'prune')).toMatchObject({ result: 'skipped', detail: 'Not pruned: the offsite copy of this backup failed.' });
    const logged = await engine.activity.list({ what: 'copy', result: 'failed' });
    expect(logged[0]).toMatchObject({ title: 'Copy to down', error: { code: 'S3_UNREACHABLE' } });

    // A day and more without a verified copy there: its own alert, once per limit.
    now = new Date(now.getTime() + DAY + 3_600_000);
    const later = (await engine.schedules.runDue()).filter((r) => r.profile === 'db2' && r.kind === 'stale-alert' && r.destination);
    expect(later).toEqual([expect.objectContaining({ destination: 'down', detail: expect.stringMatching(/no verified offsite copy of "db2" in down for more than 24 hours \(none yet\)/) })]);
    now = new Date(now.getTime() + 3_600_000);
    expect((await engine.schedules.runDue()).filter((r) => r.kind === 'stale-alert' && r.destination)).toEqual([]);
  }, 180_000);
});

function strangerSidecar(archive: string, bytes: number) {
  return {
    sidecarVersion: 1, archive, formatVersion: 1, profile: 'db', host: 'elsewhere', port: 5432, database: 'postgres', serverVersion: '18.0', pgDumpVersion: '18.0',
    createdAt: '2026-11-01T00:00:00.000Z', finishedAt: '2026-11-01T00:00:01.000Z', durationMs: 1000, bytes, sha256: '0'.repeat(64),
    encryption: { kind: 'none', recipients: [] }, compression: 'zstd:3', tables: 1, totalRows: 1, rowCountsExact: true, dumpBytes: 1,
    libraryTag: 'f'.repeat(64),
  };
}
