// Backup fault matrix: whatever goes wrong mid-backup, nothing that looks like an archive is left,
// no tool process, server session or temporary file outlives it, and the error names the cause.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import type { BackupResult } from '../../main/engine/backup/backup-service.ts';
import type { Job } from '../../main/engine/jobs/job.ts';
import { createTestEngine, NODE_BIN_DIR, type EngineFixture } from '../support/engine-fixture.ts';
import { startCluster, type Cluster, clusterProfile } from '../support/pg-cluster.ts';
import { addCliProfile, CLI, findProcesses, isolateTmp, lifeboat, waitFor } from '../support/restore-fixtures.ts';
import { forTier, seededRandom } from './fault-tier.ts';

let fixture: EngineFixture;
let cluster: Cluster;
let tmp: Awaited<ReturnType<typeof isolateTmp>>;
let home: string;
let tmpAtStart: string[];
const key = generateAgeKeyPair();
const encryption = { kind: 'recipients' as const, recipients: [key.recipient] };

beforeAll(async () => {
  tmp = await isolateTmp('lifeboat-backup-faults-');
  home = path.join(tmp.dir, 'cli-home');
  fixture = await createTestEngine();
  cluster = await startCluster(18);
  // Big enough that pg_dump runs for a few seconds here, so faults land mid-dump.
  await cluster.query(`CREATE TABLE big (id bigint PRIMARY KEY, payload text);
    INSERT INTO big SELECT i, md5(i::text) || md5((i * 7)::text) || md5((i * 13)::text) FROM generate_series(1, 1200000) i;
    CREATE TABLE small (x int); INSERT INTO small SELECT generate_series(1, 1000);`);
  await fixture.engine.profiles.add(clusterProfile(cluster, 'big', { color: 'amber' }));
  await addCliProfile(home, 'big', cluster);
  tmpAtStart = await readdir(tmp.dir);
});
afterAll(async () => {
  await fixture?.dispose();
  await cluster?.stop();
  await tmp?.restore();
});
afterEach(async () => {
  // A fault test that left a tool running must not spoil the next one.
  for (const pid of backupTools()) process.kill(pid, 'SIGKILL');
});

/** pg_dump / pg_dumpall processes started by this test process (the in-process engine). */
function backupTools(parent = process.pid): number[] {
  return findProcesses((argv) => ['pg_dump', 'pg_dumpall'].includes(path.basename(argv[0]!)), parent);
}

/** Every pg_dump / pg_dumpall on the machine talking to this test's server (also orphans of a killed CLI). */
function anyBackupToolOnThisServer(): number[] {
  return findProcesses((argv) => ['pg_dump', 'pg_dumpall'].includes(path.basename(argv[0]!))).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`PGPORT=${cluster.port}`);
    } catch {
      return false;
    }
  });
}

async function lifeboatSessions(): Promise<number> {
  const rows = await cluster.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'Lifeboat%' AND pid <> pg_backend_pid()");
  return rows[0]!.n;
}

/** What a failed backup may leave: nothing in its folder, no tool, no server session, no temp file. */
async function expectNothingLeft(out: string, what: string): Promise<void> {
  expect(await readdir(out).catch(() => []), `${what}: files in the backup folder`).toEqual([]);
  await waitFor(() => backupTools().length === 0, 10_000, `${what}: pg_dump/pg_dumpall gone`);
  await waitFor(async () => (await lifeboatSessions()) === 0, 15_000, `${what}: Lifeboat's server sessions gone`);
  expect((await readdir(tmp.dir)).filter((n) => !tmpAtStart.includes(n) && !n.startsWith('lifeboat-pg-') && !n.startsWith('fault-')), `${what}: temp files`).toEqual([]);
}

/** Resolves at the job's first progress event that `reached` accepts. */
function whenProgress(job: Job<BackupResult>, reached: (p: { phase: string; bytes: number; fraction: number | null }) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const off = job.onProgress((p) => {
      if (reached(p)) {
        off();
        resolve();
      }
    });
  });
}

/** Once the job is dumping and `fraction` of the way through (by its own progress). */
const whenDumping = (job: Job<BackupResult>, fraction = 0) => whenProgress(job, (p) => p.phase === 'Dumping' && p.bytes > 0 && (p.fraction ?? 0) >= fraction);

/** Once the job has written `bytes` of its archive file. */
const whenWritten = (job: Job<BackupResult>, bytes: number) => whenProgress(job, (p) => p.phase === 'Dumping' && p.bytes >= bytes);

async function expectFailure(job: Job<BackupResult>, pattern: RegExp, code = 'BACKUP_FAILED'): Promise<string> {
  const error = await job.result.then(() => null, (e: unknown) => e as { code?: string; message?: string; fix?: string });
  expect(error, 'the backup must fail').not.toBeNull();
  expect(error!.code).toBe(code);
  expect(error!.message).toMatch(pattern);
  expect(error!.message).not.toMatch(/\n\s+at /);
  return error!.message!;
}

describe('backup: tools, server and connection failing mid-dump', () => {
  it('pg_dump killed at random points: a clear error naming pg_dump, nothing kept', async () => {
    // The kill point is a fraction of a whole archive's bytes: bytes grow steadily, while the
    // table-size percentage can leap past a point as pg_dump finishes its last big table.
    const baselineDir = path.join(tmp.dir, 'fault-pg-dump-baseline');
    const whole = await fixture.engine.backups.start({ profile: 'big', outDir: baselineDir, encryption }).result;
    await rm(baselineDir, { recursive: true, force: true });
    const random = seededRandom(7001);
    const rounds = forTier(2, 6);
    for (let round = 0; round < rounds; round++) {
      const out = path.join(tmp.dir, `fault-pg-dump-killed-${round}`);
      const job = fixture.engine.backups.start({ profile: 'big', outDir: out, encryption });
      // Up to 40 %: pg_dump runs ahead of the file by the writer's queue (16 MB), the held-back
      // part (8 MB) and what it writes between two progress events; past that it may have exited.
      const at = 0.02 + Math.round(random() * 38) / 100;
      await whenWritten(job, at * whole.bytes);
      const dumps = backupTools().filter((pid) => findProcesses((argv) => path.basename(argv[0]!) === 'pg_dump').includes(pid));
      expect(dumps, `round ${round}: pg_dump running`).toHaveLength(1);
      process.kill(dumps[0]!, 'SIGKILL');
      await expectFailure(job, /pg_dump failed \(killed by SIGKILL\)/);
      await expectNothingLeft(out, `round ${round}, killed at ${at * 100}%`);
    }
  });

  for (const mode of ['fast', 'immediate'] as const) {
    it(`the server stopped mid-dump (${mode} shutdown): the lost connection is named, nothing kept`, async () => {
      const out = path.join(tmp.dir, `fault-server-stopped-${mode}`);
      const job = fixture.engine.backups.start({ profile: 'big', outDir: out, encryption });
      await whenDumping(job, 0.2);
      await cluster.shutdown(mode);
      try {
        const message = await expectFailure(job, /server|connection/i);
        expect(message).toMatch(/terminat|closed the connection|shut ?down|lost/i);
        expect(await readdir(out)).toEqual([]);
        await waitFor(() => backupTools().length === 0, 10_000, 'pg_dump gone');
      } finally {
        await cluster.resume();
      }
      await expectNothingLeft(out, `${mode} shutdown`);
      // The server is back: the next backup works.
      const again = await fixture.engine.backups.start({ profile: 'big', outDir: out, encryption }).result;
      expect(again.archive.endsWith('.lifeboat')).toBe(true);
      await rm(out, { recursive: true, force: true });
    });
  }

  it("the connection cut (pg_terminate_backend of pg_dump's session): the error says the server ended it", async () => {
    const out = path.join(tmp.dir, 'fault-terminated-dump');
    const job = fixture.engine.backups.start({ profile: 'big', outDir: out, encryption });
    await whenDumping(job, 0.1);
    const killed = await cluster.query<{ pid: number }>(
      "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'Lifeboat%' AND query ILIKE 'COPY %' AND pid <> pg_backend_pid()");
    expect(killed.length).toBeGreaterThanOrEqual(1);
    await expectFailure(job, /connection to the server was lost/i);
    await expectNothingLeft(out, 'terminated pg_dump session');
  });

  it("the snapshot session cut mid-dump (the one holding the exported snapshot and counting rows): nothing kept", async () => {
    const out = path.join(tmp.dir, 'fault-terminated-snapshot');
    const job = fixture.engine.backups.start({ profile: 'big', outDir: out, encryption });
    await whenDumping(job, 0.1);
    const killed = await cluster.query<{ pid: number }>(
      "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'Lifeboat' AND query NOT ILIKE 'COPY %' AND pid <> pg_backend_pid()");
    expect(killed.length).toBeGreaterThanOrEqual(1);
    // pg_dump has imported the snapshot by now, so it may finish: then the archive must be whole and
    // its row counts exact. Otherwise the backup fails and keeps nothing. Never anything in between.
    const outcome = await job.result.then((r) => r, (e: unknown) => e as { code: string; message: string });
    if ('archive' in outcome) {
      const verified = await fixture.engine.library.verify(outcome.archive, 'full', { identities: [key.identity] }).result;
      expect(verified).toMatchObject({ ok: true });
      expect(outcome.totalRows).toBe(1_201_000);
      await rm(out, { recursive: true, force: true });
    } else {
      expect(outcome.code).toBe('BACKUP_FAILED');
      expect(outcome.message).toMatch(/connection|terminat|row/i);
    }
    await expectNothingLeft(out, 'terminated snapshot session');
  });
});

describe('backup: the disk filling up', () => {
  it('a full filesystem (a 4 MB tmpfs): "disk is full" with the folder named, the partial file removed', async (ctx) => {
    const mountPoint = path.join(tmp.dir, 'fault-tiny-disk');
    await mkdir(mountPoint, { recursive: true });
    const mounted = await new Promise<boolean>((resolve) => {
      spawn('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint], { stdio: 'ignore' }).on('exit', (code) => resolve(code === 0)).on('error', () => resolve(false));
    });
    // Mounting needs root; the RLIMIT_FSIZE case below covers the same path without it.
    if (!mounted) ctx.skip();
    try {
      const job = fixture.engine.backups.start({ profile: 'big', outDir: mountPoint, encryption });
      const message = await expectFailure(job, /ran out of space/i, 'DISK_FULL');
      expect(message).toContain(mountPoint);
      await expectNothingLeft(mountPoint, 'disk full');
    } finally {
      await new Promise((resolve) => spawn('umount', [mountPoint], { stdio: 'ignore' }).on('exit', resolve));
    }
  });

  it('a file size limit (RLIMIT_FSIZE) through the CLI: exit 1, one clear line, no archive, no partial file', async () => {
    const out = path.join(tmp.dir, 'fault-fsize-limit');
    const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn('sh', ['-c', 'ulimit -f 4096; exec "$0" "$@"', CLI, 'backup', '--profile', 'big', '--out', out, '--recipient', key.recipient], {
        env: { ...process.env, PATH: `${NODE_BIN_DIR}:${process.env.PATH}`, LIFEBOAT_HOME: home },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code, stderr }));
    });
    expect(run.code, run.stderr).toBe(1);
    const errors = run.stderr.split('\n').filter((l) => l.startsWith('lifeboat:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/ran out of space|size limit/i);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(await readdir(out).catch(() => [])).toEqual([]);
    expect(anyBackupToolOnThisServer()).toEqual([]);
  });
});

describe('backup: Ctrl-C in the CLI', () => {
  it('SIGINT cancels: the children stopped, the partial file removed, a plain "cancelled" line, exit 1', async () => {
    const out = path.join(tmp.dir, 'fault-ctrl-c');
    const child = spawn(CLI, ['backup', '--profile', 'big', '--out', out, '--recipient', key.recipient, '--json'], {
      env: { ...process.env, PATH: `${NODE_BIN_DIR}:${process.env.PATH}`, LIFEBOAT_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    let sent = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && /"phase":"Dumping","fraction":0\.[3-9]/.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(sent, 'SIGINT was sent mid-dump').toBe(true);
    expect(code, stderr.slice(-500)).toBe(1);
    expect(JSON.parse(stdout).error).toMatchObject({ code: 'CANCELLED', message: expect.stringContaining('nothing was kept') });
    expect(await readdir(out).catch(() => [])).toEqual([]);
    await waitFor(() => anyBackupToolOnThisServer().length === 0, 10_000, 'pg_dump gone');
    await waitFor(async () => (await lifeboatSessions()) === 0, 15_000, "Lifeboat's server sessions gone");
    expect((await readdir(tmp.dir)).filter((n) => n.startsWith('lifeboat-pass-'))).toEqual([]);
  });
});

describe('backup: the Lifeboat process killed (SIGKILL) mid-write and started again', () => {
  it('never leaves an incomplete archive; the next start clears the partial files and backs up fine', async () => {
    const out = path.join(tmp.dir, 'fault-lifeboat-killed');
    const random = seededRandom(7002);
    const rounds = forTier(3, 8);
    let killedMidWrite = 0;
    for (let round = 0; round < rounds; round++) {
      const child = spawn(CLI, ['backup', '--profile', 'big', '--out', out, '--recipient', key.recipient, '--json'], {
        env: { ...process.env, PATH: `${NODE_BIN_DIR}:${process.env.PATH}`, LIFEBOAT_HOME: home },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const at = Math.round(random() * 90) / 100;
      let killed = false;
      child.stderr.on('data', (d: Buffer) => {
        const match = /"phase":"Dumping","fraction":([\d.]+)/.exec(d.toString());
        if (!killed && match && Number(match[1]) >= at) {
          killed = true;
          child.kill('SIGKILL');
        }
      });
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      if (killed && code !== 0) killedMidWrite++;
      const names = await readdir(out).catch(() => [] as string[]);
      // Whatever carries the archive name is complete (a kill after the rename is fine).
      for (const name of names.filter((n) => n.endsWith('.lifeboat'))) {
        await fixture.engine.library.verify(path.join(out, name), 'full', { identities: [key.identity] }).result;
      }
      // pg_dump was a child of the killed process: it must not keep running for long.
      await waitFor(() => anyBackupToolOnThisServer().length === 0, 15_000, `round ${round}: orphaned pg_dump gone`);
    }
    expect(killedMidWrite, 'most rounds really are killed mid-write').toBeGreaterThanOrEqual(Math.ceil(rounds / 2));
    // Started again: listing the folder clears the dead processes' partial files, and any start
    // removes their passfile folders.
    const listed = await lifeboat(home, ['list', out, '--json']);
    expect(listed.code).toBe(0);
    expect((await readdir(out)).filter((n) => n.endsWith('.partial'))).toEqual([]);
    expect((await readdir(tmp.dir)).filter((n) => n.startsWith('lifeboat-pass-'))).toEqual([]);
    await waitFor(async () => (await lifeboatSessions()) === 0, 15_000, "Lifeboat's server sessions gone");
    const again = await lifeboat(home, ['backup', '--profile', 'big', '--out', out, '--recipient', key.recipient, '--json']);
    expect(again.code, again.stderr).toBe(0);
    await fixture.engine.library.verify(again.json.archive, 'full', { identities: [key.identity] }).result;
  });
});
