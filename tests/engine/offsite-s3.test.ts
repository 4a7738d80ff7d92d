// Offsite copies to a real HTTP S3 server on loopback (s3rver behind the lab's fault proxy,
// tests/support/s3-lab.ts): a backup lands in the profile's destination and is verified; a new
// computer lists it from the bucket alone; an interrupted upload resumes sending only the parts the
// store lacks; a damaged remote copy, wrong credentials, a missing bucket and a checksum-demanding
// (Object Lock) bucket each give their own answer; the local archive is never touched by a remote failure.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/engine/index.ts';
import type { S3Location } from '../../main/engine/model/offsite.ts';
import { createTestEngine, type EngineFixture } from '../support/engine-fixture.ts';
import { clusterProfile, startCluster, type Cluster } from '../support/pg-cluster.ts';
import { startS3Lab, type S3Lab } from '../support/s3-lab.ts';
import { BLOBS_SQL } from '../support/offsite-data.ts';

let cluster: Cluster;
let lab: S3Lab;
let fixture: EngineFixture;
let engine: Engine;
let out: string;
/** A backup of ~40 MB of incompressible rows: three 16 MiB parts. */
let bigArchive: string;

const location = (more: Partial<S3Location> = {}): S3Location => ({ endpoint: lab.endpoint, region: lab.region, bucket: lab.bucket, prefix: 'team/lifeboat/', pathStyle: true, accessKeyId: lab.accessKeyId, partChecksums: true, ...more });

async function backup(profile: string): Promise<string> {
  const job = engine.backups.start({ profile, outDir: out, encryption: { kind: 'none' }, exactRowCounts: false });
  const result = await job.result;
  // Copies to the profile's destinations are follow-ups of the backup: wait for them too.
  await new Promise((resolve) => setImmediate(resolve));
  await Promise.allSettled(engine.followUps.running().map((j) => j.result));
  return result.archive;
}

beforeAll(async () => {
  [cluster, lab] = await Promise.all([startCluster(18), startS3Lab()]);
  await cluster.createDatabase('big');
  await cluster.query(BLOBS_SQL, [], 'big');
  await cluster.createDatabase('small');
  await cluster.query('CREATE TABLE t (id int PRIMARY KEY, note text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 1000) g', [], 'small');
  fixture = await createTestEngine();
  engine = fixture.engine;
  out = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-offsite-'));
  await engine.profiles.add(clusterProfile(cluster, 'big', { database: 'big' }));
  await engine.profiles.add(clusterProfile(cluster, 'small', { database: 'small' }));
  bigArchive = await backup('big');
}, 180_000);

afterAll(async () => {
  await fixture?.dispose();
  await Promise.all([cluster?.stop(), lab?.stop()]);
  if (out) await rm(out, { recursive: true, force: true });
});

describe('offsite copies to S3', () => {
  it('copies every backup of the profile to its destination, verified; a new computer lists it from the bucket', async () => {
    const destination = await engine.destinations.add({ name: 'offsite', profile: 'small', s3: location(), secretKey: lab.secretAccessKey });
    expect(destination).toMatchObject({ secretSaved: true, profileName: 'small' });
    expect((await engine.destinations.test('offsite'))).toMatchObject({ ok: true, checks: [expect.stringMatching(/^wrote/), expect.stringMatching(/^read it back/), 'deleted it'] });

    const archive = await backup('small');
    const [state] = await engine.copies.states({ file: archive });
    expect(state).toMatchObject({ destinationName: 'offsite', state: 'verified', bytes: (await stat(archive)).size });
    const key = `team/lifeboat/${path.basename(archive)}`;
    expect(lab.requests.filter((r) => r.key === key && r.operation === 'UploadPart')).toHaveLength(1);
    expect(lab.requests.find((r) => r.key === key && r.operation === 'UploadPart')!.headers['x-amz-checksum-sha256']).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    // The SDK's own CRC32 checksums are never sent (several S3-compatibles refuse them).
    expect(lab.requests.some((r) => Object.keys(r.headers).some((h) => h.includes('crc32')))).toBe(false);

    const fresh = await createTestEngine();
    try {
      await fresh.engine.profiles.add(clusterProfile(cluster, 'small', { database: 'small' }));
      await fresh.engine.destinations.add({ name: 'offsite', profile: 'small', s3: location(), secretKey: lab.secretAccessKey });
      const listed = await fresh.engine.copies.listRemote('offsite');
      expect(listed).toEqual([expect.objectContaining({ name: path.basename(archive), local: false, sidecar: expect.objectContaining({ database: 'small', sha256: state!.sha256 }) })]);
      expect(await fresh.engine.copies.verifyRemote('offsite', path.basename(archive)).result).toMatchObject({ ok: true, sha256: state!.sha256 });
    } finally {
      await fresh.dispose();
    }
    expect((await engine.copies.listRemote('offsite'))[0]).toMatchObject({ local: true });
  }, 60_000);

  it('resumes an interrupted upload: only the parts the store does not have are sent again', async () => {
    await engine.destinations.add({ name: 'resume', profile: 'big', s3: location({ prefix: 'resume/' }), secretKey: lab.secretAccessKey });
    const key = `resume/${path.basename(bigArchive)}`;
    const parts = () => lab.requests.filter((r) => r.key === key && r.operation === 'UploadPart' && r.status === 200).map((r) => r.partNumber);
    lab.faults.throttle(8 * 1024 * 1024);
    const first = engine.copies.start({ file: bigArchive, destination: 'resume' });
    await waitFor(() => parts().length >= 1);
    first.cancel();
    await expect(first.result).rejects.toMatchObject({ code: 'CANCELLED' });
    lab.faults.throttle(null);
    const confirmed = parts();
    expect(confirmed.length).toBeGreaterThanOrEqual(1);
    // The store may have answered a part the cancel kept Lifeboat from journaling (a loaded CI run saw
    // 0 here): such a part is adopted at the resume by its SHA-256 (ListParts), and counts as resumed.
    const interrupted = (await engine.copies.states({ file: bigArchive, destination: 'resume' }))[0]!;
    expect(interrupted.state).toBe('failed');
    expect([16 * 1024 * 1024 * confirmed.length, 16 * 1024 * 1024 * (confirmed.length - 1)]).toContain(interrupted.bytesDone);

    const second = await engine.copies.start({ file: bigArchive, destination: 'resume' }).result;
    expect(second).toMatchObject({ partsResumed: confirmed.length, partsSent: 3 - confirmed.length });
    const sentAgain = parts().slice(confirmed.length);
    expect(sentAgain.sort()).toEqual([1, 2, 3].filter((n) => !confirmed.includes(n)));
    expect(lab.requests.filter((r) => r.key === key && r.operation === 'ListParts')).toHaveLength(1);
    expect(lab.requests.filter((r) => r.key === key && r.operation === 'CreateMultipartUpload')).toHaveLength(1);
    expect((await engine.copies.states({ file: bigArchive, destination: 'resume' }))[0]).toMatchObject({ state: 'verified' });
    expect((await engine.copies.verifyRemote('resume', path.basename(bigArchive)).result).ok).toBe(true);
  }, 120_000);

  it('a part sent before the local file changed is sent again; a file that no longer matches its sidecar is never published', async () => {
    await engine.destinations.add({ name: 'changed', profile: 'big', s3: location({ prefix: 'changed/', partChecksums: false }), secretKey: lab.secretAccessKey });
    const key = `changed/${path.basename(bigArchive)}`;
    const sent = () => lab.requests.filter((r) => r.key === key && r.operation === 'UploadPart' && r.status === 200).map((r) => r.partNumber);
    // Parts in the copy's journal (saved after each part the store confirmed; 16 MiB each but the last).
    const journaled = async () => Math.floor(((await engine.copies.states({ file: bigArchive, destination: 'changed' }))[0]?.bytesDone ?? 0) / (16 * 1024 * 1024));
    // Cancelled once the journal holds `parts`: the next part has just begun (2 s at this rate), so no
    // part is answered by the store but missing from the journal — that case is the resume test's above.
    const cancelAfter = async (parts: number) => {
      lab.faults.throttle(8 * 1024 * 1024);
      const job = engine.copies.start({ file: bigArchive, destination: 'changed' });
      await waitFor(async () => (await journaled()) >= parts, 30_000, `${parts} part(s) journaled`);
      job.cancel();
      await job.result.catch(() => {});
      lab.faults.throttle(null);
    };
    // Two interrupted runs, then one that finishes: every part goes up once (the journal follows each resume).
    await cancelAfter(1);
    const afterFirst = await journaled();
    await cancelAfter(afterFirst + 1);
    const afterSecond = await journaled();
    expect(sent()).toHaveLength(afterSecond);
    const done = await engine.copies.start({ file: bigArchive, destination: 'changed' }).result;
    expect(done.partsResumed).toBe(afterSecond);
    expect(sent().sort()).toEqual([1, 2, 3]);

    // Now the local file is damaged in its first part, which the store already holds from an earlier attempt.
    await engine.destinations.add({ name: 'changed2', profile: 'big', s3: location({ prefix: 'changed2/' }), secretKey: lab.secretAccessKey });
    const key2 = `changed2/${path.basename(bigArchive)}`;
    lab.faults.throttle(8 * 1024 * 1024);
    const first = engine.copies.start({ file: bigArchive, destination: 'changed2' });
    await waitFor(() => lab.requests.some((r) => r.key === key2 && r.operation === 'UploadPart' && r.status === 200));
    first.cancel();
    await first.result.catch(() => {});
    lab.faults.throttle(null);
    const original = await readFile(bigArchive);
    const damaged = Buffer.from(original);
    damaged[1000] = damaged[1000]! ^ 0xff;
    await writeFile(bigArchive, damaged);
    try {
      await expect(engine.copies.start({ file: bigArchive, destination: 'changed2' }).result).rejects.toMatchObject({ code: 'COPY_NOT_VERIFIED' });
      expect(lab.requests.filter((r) => r.key === key2 && r.operation === 'UploadPart' && r.partNumber === 1 && r.status === 200)).toHaveLength(2);
      expect(lab.requests.some((r) => r.key === key2 && r.operation === 'CompleteMultipartUpload')).toBe(false);
      expect(lab.requests.some((r) => r.key === key2 && r.operation === 'AbortMultipartUpload')).toBe(true);
    } finally {
      await writeFile(bigArchive, original);
    }
    expect((await engine.copies.start({ file: bigArchive, destination: 'changed2' }).result).partsSent).toBe(3);
    expect((await engine.copies.verifyRemote('changed2', path.basename(bigArchive)).result).ok).toBe(true);
  }, 180_000);

  it('a dropped connection at a part is retried; a bit flipped in the remote copy is caught by verification', async () => {
    await engine.destinations.add({ name: 'flaky', profile: 'big', s3: location({ prefix: 'flaky/' }), secretKey: lab.secretAccessKey });
    lab.faults.dropAtPart(2);
    const copied = await engine.copies.start({ file: bigArchive, destination: 'flaky' }).result;
    expect(copied).toMatchObject({ partsSent: 3, partsResumed: 0 });
    const key = `flaky/${copied.key}`;
    expect(lab.requests.filter((r) => r.key === key && r.operation === 'UploadPart' && r.partNumber === 2).map((r) => r.status)).toEqual([0, 200]);

    await lab.flipBit(key, 20 * 1024 * 1024 + 5);
    await expect(engine.copies.verifyRemote('flaky', path.basename(bigArchive)).result).rejects.toMatchObject({ code: 'VERIFY_FAILED', message: expect.stringMatching(/does not match its sidecar at the destination/) });
  }, 120_000);

  it('a bandwidth limit keeps the upload at or under its rate', async () => {
    const limit = 20 * 1024 * 1024;
    await engine.destinations.add({ name: 'slow', profile: 'big', s3: location({ prefix: 'slow/' }), secretKey: lab.secretAccessKey, bandwidthLimit: limit });
    const copied = await engine.copies.start({ file: bigArchive, destination: 'slow' }).result;
    // Waits come after each part: everything but the last part must have taken its time at the rate.
    const lastPart = copied.bytes % (16 * 1024 * 1024) || 16 * 1024 * 1024;
    expect(copied.durationMs).toBeGreaterThanOrEqual(((copied.bytes - lastPart) / limit) * 1000 * 0.95);
    await expect(engine.destinations.add({ name: 'crawl', profile: 'big', s3: location(), secretKey: 'k', bandwidthLimit: 1000 })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/bandwidth limit/) });
  }, 60_000);

  it('a bucket that demands checksums (Object Lock) takes the copy; without part checksums it is refused with its own message', async () => {
    lab.faults.requireChecksums(true);
    try {
      await engine.destinations.add({ name: 'locked', profile: 'small', s3: location({ prefix: 'locked/' }), secretKey: lab.secretAccessKey });
      await engine.destinations.add({ name: 'nosums', profile: 'small', s3: location({ prefix: 'nosums/', partChecksums: false }), secretKey: lab.secretAccessKey });
      const archive = (await engine.library.list({ folders: [out], profile: 'small' }))[0]!.path;
      expect((await engine.copies.start({ file: archive, destination: 'locked' }).result).sha256).toMatch(/^[0-9a-f]{64}$/);
      await expect(engine.copies.start({ file: archive, destination: 'nosums' }).result).rejects.toMatchObject({ code: 'S3_CHECKSUM_REJECTED', fix: expect.stringMatching(/turn on "checksum every part"/) });
      expect((await engine.copies.states({ file: archive, destination: 'nosums' }))[0]).toMatchObject({ state: 'failed', error: { code: 'S3_CHECKSUM_REJECTED' } });
    } finally {
      lab.faults.requireChecksums(false);
    }
  }, 60_000);

  it('wrong credentials, a missing bucket and an unreachable store each say what is wrong; the local archive stays', async () => {
    await engine.destinations.add({ name: 'badkey', profile: 'small', s3: location({ accessKeyId: 'NOTAKEY' }), secretKey: 'x' });
    await engine.destinations.add({ name: 'badsecret', profile: 'small', s3: location(), secretKey: 'wrong secret' });
    await engine.destinations.add({ name: 'nobucket', profile: 'small', s3: location({ bucket: 'no-such-bucket' }), secretKey: lab.secretAccessKey });
    await engine.destinations.add({ name: 'down', profile: 'small', s3: location({ endpoint: 'http://127.0.0.1:9' }), secretKey: lab.secretAccessKey });
    expect((await engine.destinations.test('badkey')).error).toMatchObject({ code: 'S3_AUTH_FAILED', message: expect.stringMatching(/does not know the access key id "NOTAKEY"/) });
    lab.faults.verifySignatures(true);
    try {
      expect((await engine.destinations.test('badsecret')).error).toMatchObject({ code: 'S3_AUTH_FAILED', message: expect.stringMatching(/refused the secret access key/) });
      expect((await engine.destinations.test('offsite')).ok).toBe(true);
    } finally {
      lab.faults.verifySignatures(false);
    }
    expect((await engine.destinations.test('nobucket')).error).toMatchObject({ code: 'S3_BUCKET_MISSING', message: expect.stringMatching(/"no-such-bucket" does not exist/) });
    expect((await engine.destinations.test('down')).error).toMatchObject({ code: 'S3_UNREACHABLE' });

    const archive = (await engine.library.list({ folders: [out], profile: 'small' }))[0]!.path;
    lab.faults.failNext(50, 500);
    await expect(engine.copies.start({ file: archive, destination: 'offsite' }).result).rejects.toMatchObject({ code: 'S3_FAILED' });
    lab.faults.reset();
    expect(existsSync(archive) && existsSync(`${archive}.json`)).toBe(true);
    expect((await engine.copies.states({ file: archive, destination: 'offsite' }))[0]).toMatchObject({ state: 'failed' });
  }, 60_000);

  it('refuses unusable destinations before any request', async () => {
    const add = (s3: Partial<S3Location>, name = 'x') => engine.destinations.add({ name, profile: 'small', s3: location(s3), secretKey: 'k' });
    await expect(add({ endpoint: 'http://s3.example.com' })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/plain http over the internet/) });
    await expect(add({ endpoint: 'https://key:secret@s3.example.com' })).rejects.toMatchObject({ message: expect.stringMatching(/only scheme, host and port/) });
    await expect(add({ bucket: 'A_B' })).rejects.toMatchObject({ message: expect.stringMatching(/not a valid bucket name/) });
    await expect(add({ prefix: 'a/../b' })).rejects.toMatchObject({ message: expect.stringMatching(/not a usable folder/) });
    await expect(add({ objectLockDays: 7, partChecksums: false })).rejects.toMatchObject({ message: expect.stringMatching(/Object Lock needs a checksum/) });
    await expect(add({}, 'has:colon')).rejects.toMatchObject({ message: expect.stringMatching(/not a usable destination name/) });
    await expect(add({}, 'offsite')).rejects.toMatchObject({ code: 'DESTINATION_EXISTS' });
    expect(() => engine.copies.verifyRemote('offsite', '../etc/passwd.lifeboat')).toThrow(/not the name of an archive/);
  });
});

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 30_000, what = 'the condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
