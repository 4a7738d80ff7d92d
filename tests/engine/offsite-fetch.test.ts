// engine.copies.fetchForUse, the one way the app and the CLI restore or drill a remote copy: the
// archive lands in a private temporary folder of this process (0700, named for the pid, so a later
// start removes it if the process is killed), checked against its remote sidecar; release() removes
// it; a cancelled or damaged download leaves nothing behind. Against s3rver on loopback.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import { createTestEngine, type EngineFixture } from '../support/engine-fixture.ts';
import { startS3Lab, type S3Lab } from '../support/s3-lab.ts';

let fixture: EngineFixture;
let lab: S3Lab;
const bytes = Buffer.from('the bytes the sidecar names\n'.repeat(50_000));

/** This process's private restore folders (one test file runs in one process). */
const mine = async () => (await readdir(os.tmpdir())).filter((name) => name.startsWith(`lifeboat-restore-${process.pid}-`));

beforeAll(async () => {
  lab = await startS3Lab();
  fixture = await createTestEngine({ secrets: new SessionSecretStore('fetch test') });
  const profile = await fixture.engine.profiles.add({ name: 'src', host: '127.0.0.1', port: 9, database: 'postgres', user: 'postgres', sslmode: 'disable', color: 'blue' });
  await fixture.engine.destinations.add({ name: 'lab', profile: profile.id, s3: { endpoint: lab.endpoint, region: lab.region, bucket: lab.bucket, prefix: 'f/', pathStyle: true, accessKeyId: lab.accessKeyId, partChecksums: true }, secretKey: lab.secretAccessKey });
  const sidecar = { sidecarVersion: 1, archive: 'x.lifeboat', formatVersion: 1, profile: 'src', host: '127.0.0.1', port: 9, database: 'postgres', serverVersion: '18.0', pgDumpVersion: '18.0', createdAt: '2026-11-22T01:00:00.000Z', finishedAt: '2026-11-22T01:00:01.000Z', durationMs: 1000, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), encryption: { kind: 'none', recipients: [] }, compression: 'zstd', tables: 0, totalRows: 0, rowCountsExact: true, dumpBytes: 1 };
  await lab.client().send(new PutObjectCommand({ Bucket: lab.bucket, Key: 'f/x.lifeboat', Body: bytes }));
  await lab.client().send(new PutObjectCommand({ Bucket: lab.bucket, Key: 'f/x.lifeboat.json', Body: JSON.stringify(sidecar) }));
}, 60_000);

afterAll(async () => {
  await fixture?.dispose();
  await lab?.stop();
});

describe('fetchForUse', () => {
  it('downloads into a private folder of this process, checked against the sidecar; release() removes it', async () => {
    const job = fixture.engine.copies.fetchForUse('lab', 'x.lifeboat');
    const phases = new Set<string>();
    job.onProgress((p) => phases.add(p.phase));
    const copy = await job.result;
    expect(job.kind).toBe('download');
    expect(phases).toContain('Downloading');
    expect(copy).toMatchObject({ destination: 'lab', name: 'x.lifeboat', bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    expect(await readFile(copy.file)).toEqual(bytes);
    const folder = path.dirname(copy.file);
    expect(path.basename(folder)).toMatch(new RegExp(`^lifeboat-restore-${process.pid}-`));
    expect((await stat(folder)).mode & 0o777).toBe(0o700);
    await copy.release();
    await copy.release();
    expect(await stat(folder).then(() => true, () => false)).toBe(false);
  });

  it('a cancelled fetch, or one whose bytes do not match the sidecar, leaves no folder behind', async () => {
    expect(await mine()).toEqual([]);
    const cancelled = fixture.engine.copies.fetchForUse('lab', 'x.lifeboat');
    cancelled.cancel();
    await expect(cancelled.result).rejects.toMatchObject({ code: 'CANCELLED', message: 'The download of x.lifeboat from lab was cancelled; nothing was kept.' });
    expect(await mine()).toEqual([]);

    await lab.flipBit('f/x.lifeboat', 12_345);
    await expect(fixture.engine.copies.fetchForUse('lab', 'x.lifeboat').result).rejects.toMatchObject({ code: 'VERIFY_FAILED', message: expect.stringMatching(/It was not kept/) });
    expect(await mine()).toEqual([]);
  });

  it('names are file names of archives, never paths', () => {
    for (const name of ['../x.lifeboat', 'f/x.lifeboat', '.x.lifeboat', 'x.txt']) expect(() => fixture.engine.copies.fetchForUse('lab', name), name).toThrow(/is not the name of an archive/);
  });
});
