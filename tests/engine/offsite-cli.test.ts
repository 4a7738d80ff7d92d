// lifeboat destination add / test / list, backup (copies), list --destination from a new computer,
// verify DEST:ARCHIVE, and a copy SIGKILLed mid-upload that the next `lifeboat copy` resumes — as a
// user runs them, against s3rver behind the lab's proxy.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, lifeboat as runLifeboat, type CliResult } from '../support/cli-runner.ts';
import { NODE_BIN_DIR, readAllFiles } from '../support/engine-fixture.ts';
import { startCluster, type Cluster } from '../support/pg-cluster.ts';
import { startS3Lab, type S3Lab } from '../support/s3-lab.ts';
import { BLOBS_SQL } from '../support/offsite-data.ts';

const SECRET_VAR = 'LB_TEST_S3_SECRET';
let cluster: Cluster;
let lab: S3Lab;
let home: string;
let newLaptop: string;
let out: string;
let leftoversBefore = 0;

const lifeboat = (args: string[], where = home, stdin?: string): Promise<CliResult> => runLifeboat(where, args, { env: { [SECRET_VAR]: lab.secretAccessKey }, ...(stdin !== undefined ? { stdin } : {}), watchFor: lab.secretAccessKey });
const addDestination = (name: string, profile: string, prefix: string, where = home) =>
  lifeboat(['destination', 'add', name, '--profile', profile, '--s3', `s3://${lab.bucket}/${prefix}`, '--endpoint', lab.endpoint, '--path-style', '--access-key-id', lab.accessKeyId, '--secret-key-env', SECRET_VAR, '--json'], where);

beforeAll(async () => {
  [cluster, lab] = await Promise.all([startCluster(12), startS3Lab({ secretAccessKey: `s3-secret-${process.pid}-cli` })]);
  lab.faults.verifySignatures(true);
  await cluster.createDatabase('big');
  await cluster.query(BLOBS_SQL, [], 'big');
  leftoversBefore = (await readdir(os.tmpdir())).filter((n) => /^lifeboat-restore-/.test(n)).length;
  home = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-s3cli-'));
  newLaptop = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-s3cli-new-'));
  out = path.join(home, 'backups');
  for (const where of [home, newLaptop]) {
    const added = await lifeboat(['profile', 'add', 'big', '--url', cluster.url('big'), '--password-stdin'], where, cluster.password);
    if (added.code !== 0) throw new Error(added.stderr);
  }
}, 120_000);

afterAll(async () => {
  for (const where of [home, newLaptop]) if (where) await lifeboat(['profile', 'remove', 'big'], where).catch(() => {});
  await Promise.all([cluster?.stop(), lab?.stop()]);
  for (const where of [home, newLaptop]) if (where) await rm(where, { recursive: true, force: true });
});

describe('lifeboat destination and copy', () => {
  let archive: string;

  it('adds and tests a destination; backup copies to it and --json lists the verified copy', async () => {
    const added = await addDestination('offsite', 'big', 'lb');
    expect(added.code, added.stderr).toBe(0);
    expect(added.json.destination).toMatchObject({ name: 'offsite', secretSaved: true, where: `s3://${lab.bucket}/lb/ at ${lab.endpoint}` });
    const tested = await lifeboat(['destination', 'test', 'offsite']);
    expect(tested.code, tested.stdout + tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/✓ wrote a 1 KiB test object[\s\S]*✓ deleted it\nOK/);

    const backup = await lifeboat(['backup', '--profile', 'big', '--out', out, '--no-encrypt', '--no-row-counts', '--json']);
    expect(backup.code, backup.stderr).toBe(0);
    archive = backup.json.archive;
    expect(backup.json.copies).toEqual([expect.objectContaining({ state: 'verified', destination: 'offsite', bytes: backup.json.bytes, sha256: backup.json.sha256, partsSent: 3 })]);
    const listed = await lifeboat(['list', out, '--json']);
    expect(listed.json.archives[0].copies).toEqual([expect.objectContaining({ destinationName: 'offsite', state: 'verified' })]);
    expect((await lifeboat(['list', out])).stdout).toMatch(/offsite ✓/);

    // Retention of its own in the destination; a dry run says what a prune would do there.
    const retention = await lifeboat(['retention', 'set', '--destination', 'offsite', '--keep-last', '1', '--keep-daily', '0', '--keep-weekly', '0', '--keep-monthly', '0', '--keep-minimum', '1', '--json']);
    expect(retention.code, retention.stderr).toBe(0);
    expect(retention.json.retention).toMatchObject({ keepLast: 1, keepDaily: 0, keepMinimum: 1 });
    const pruned = await lifeboat(['prune', '--profile', 'big', '--destination', 'offsite', '--dry-run', '--json']);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.json).toMatchObject({ destination: 'offsite', dryRun: true, deleted: [], archives: [{ name: path.basename(archive), action: 'keep', reasons: expect.arrayContaining(['last 1 of 1']) }] });

    // The secret key is in no file of the data folder.
    for (const { file, content } of await readAllFiles(home)) expect(content.includes(lab.secretAccessKey), file).toBe(false);
  }, 120_000);

  it('a new computer lists the destination from the bucket and verifies the remote copy', async () => {
    expect((await addDestination('offsite', 'big', 'lb', newLaptop)).code).toBe(0);
    const listed = await lifeboat(['list', '--destination', 'offsite', '--json'], newLaptop);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.json.archives).toEqual([expect.objectContaining({ name: path.basename(archive), local: false, sidecar: expect.objectContaining({ database: 'big', profile: 'big' }) })]);
    const verified = await lifeboat(['verify', `offsite:${path.basename(archive)}`], newLaptop);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/✓ SHA-256 of the \d+ bytes downloaded equals the remote sidecar's/);

    // Straight from the remote copy: a drill, a restore, a download (never over an existing file).
    const drilled = await lifeboat(['drill', `offsite:${path.basename(archive)}`, '--json'], newLaptop);
    expect(drilled.code, drilled.stderr + drilled.stdout).toBe(0);
    expect(drilled.json).toMatchObject({ passed: true });
    // Unencrypted, so nothing proves who made it on this new computer: it restores with least
    // privilege (pgcrypto needs more) unless the user vouches for it.
    const untrusted = await lifeboat(['restore', `offsite:${path.basename(archive)}`, '--profile', 'big', '--into', 'big_from_s3', '--json'], newLaptop);
    expect(untrusted.json.error).toMatchObject({ code: 'RESTORE_FAILED', message: expect.stringMatching(/permission denied to create extension/) });
    const restored = await lifeboat(['restore', `offsite:${path.basename(archive)}`, '--profile', 'big', '--into', 'big_from_s3', '--trust', 'I trust where this file came from', '--json'], newLaptop);
    expect(restored.code, restored.stderr + restored.stdout).toBe(0);
    expect((await cluster.query('SELECT count(*)::int AS n FROM blobs', [], 'big_from_s3'))[0]!.n).toBe(40000);
    const folder = path.join(newLaptop, 'downloads');
    await mkdir(folder);
    const downloaded = await lifeboat(['download', `offsite:${path.basename(archive)}`, '--to', folder, '--json'], newLaptop);
    expect(downloaded.code, downloaded.stderr).toBe(0);
    expect(await readFile(downloaded.json.file)).toEqual(await readFile(archive));
    expect(JSON.parse(await readFile(`${downloaded.json.file}.json`, 'utf8'))).toMatchObject({ sha256: downloaded.json.sha256 });
    const again = await lifeboat(['download', `offsite:${path.basename(archive)}`, '--to', folder, '--json'], newLaptop);
    expect(again.json.error).toMatchObject({ message: expect.stringMatching(/already exists; Lifeboat never overwrites/) });
    // Nothing downloaded for the drill and the restore is left behind.
    expect((await readdir(os.tmpdir())).filter((n) => /^lifeboat-restore-/.test(n) && !n.includes(`-${process.pid}-`)).length).toBeLessThanOrEqual(leftoversBefore);
  }, 180_000);

  it('a bit flipped in the remote copy fails its verification and its drill (exit 1: a verdict on that copy)', async () => {
    expect((await addDestination('flipped', 'big', 'flipped')).code).toBe(0);
    expect((await lifeboat(['copy', archive, '--to', 'flipped'])).code).toBe(0);
    await lab.flipBit(`flipped/${path.basename(archive)}`, 123_456);
    const verified = await lifeboat(['verify', `flipped:${path.basename(archive)}`, '--json']);
    expect(verified.json.error).toMatchObject({ code: 'VERIFY_FAILED' });
    const drilled = await lifeboat(['drill', `flipped:${path.basename(archive)}`, '--json']);
    expect(drilled.code).toBe(1);
    expect(drilled.json).toMatchObject({ passed: false, couldNotRun: false, error: { code: 'VERIFY_FAILED', message: expect.stringMatching(/It was not kept/) } });
  }, 120_000);

  it('a copy killed mid-upload (SIGKILL) resumes at the next run without sending the finished parts again', async () => {
    expect((await addDestination('second', 'big', 'second')).code).toBe(0);
    const key = `second/${path.basename(archive)}`;
    const confirmed = () => lab.requests.filter((r) => r.key === key && r.operation === 'UploadPart' && r.status === 200).map((r) => r.partNumber!);
    lab.faults.throttle(6 * 1024 * 1024);
    const child = spawn(CLI, ['copy', archive, '--to', 'second'], { env: { ...process.env, PATH: `${NODE_BIN_DIR}${path.delimiter}${process.env.PATH}`, LIFEBOAT_HOME: home } });
    const ended = new Promise((resolve) => child.on('close', resolve));
    const until = Date.now() + 60_000;
    while (confirmed().length < 1 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGKILL');
    await ended;
    lab.faults.throttle(null);
    const before = confirmed();
    expect(before.length).toBeGreaterThanOrEqual(1);
    expect(before.length).toBeLessThan(3);

    const resumed = await lifeboat(['copy', archive, '--to', 'second', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.json).toMatchObject({ partsResumed: before.length, partsSent: 3 - before.length });
    expect(confirmed().slice(before.length).sort()).toEqual([1, 2, 3].filter((n) => !before.includes(n)));
    const states = JSON.parse(await readFile(path.join(home, 'destinations.json'), 'utf8'));
    expect(JSON.stringify(states)).not.toContain(lab.secretAccessKey);
  }, 120_000);

  it('a wrong secret key is refused with its own message and exit code', async () => {
    const added = await runLifeboat(home, ['destination', 'add', 'wrong', '--profile', 'big', '--s3', `s3://${lab.bucket}/x`, '--endpoint', lab.endpoint, '--path-style', '--access-key-id', lab.accessKeyId, '--secret-key-env', SECRET_VAR], { env: { [SECRET_VAR]: 'not-the-secret' } });
    expect(added.code, added.stderr).toBe(0);
    const tested = await lifeboat(['destination', 'test', 'wrong', '--json']);
    expect(tested.code).toBe(1);
    expect(tested.json.error).toMatchObject({ code: 'S3_AUTH_FAILED' });
    const removed = await lifeboat(['destination', 'remove', 'wrong']);
    expect(removed.stdout).toMatch(/Copies already in the bucket stay there/);
  }, 60_000);
});
