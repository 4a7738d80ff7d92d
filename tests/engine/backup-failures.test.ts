// What a failed, cancelled or killed backup leaves behind: nothing that looks like an archive.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { createTestEngine, NODE_BIN_DIR, REPO_ROOT, type EngineFixture } from '../support/engine-fixture.ts';
import { startCluster, type Cluster, clusterProfile } from '../support/pg-cluster.ts';
import { waitFor } from '../support/restore-fixtures.ts';

let fixture: EngineFixture;
let cluster: Cluster;
let work: string;
const key = generateAgeKeyPair();
const recipients = { kind: 'recipients' as const, recipients: [key.recipient] };

beforeAll(async () => {
  fixture = await createTestEngine();
  work = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-failures-'));
  cluster = await startCluster(18);
  // Big enough that a backup takes a few seconds on this machine.
  await cluster.query(`CREATE TABLE big (id bigint, payload text);
    INSERT INTO big SELECT i, md5(i::text) || md5((i * 7)::text) || md5((i * 13)::text) FROM generate_series(1, 1500000) i;
    CREATE TABLE secret_stuff (x int); INSERT INTO secret_stuff VALUES (1);`);
  await cluster.createRole('limited', 'Limited-pw-1');
  await cluster.query('GRANT SELECT ON big TO limited');
  await fixture.engine.profiles.add(clusterProfile(cluster, 'big', { color: 'amber' }));
  await fixture.engine.profiles.add({ name: 'wrong-password', host: cluster.host, port: cluster.port, database: 'postgres', user: 'limited', sslmode: 'disable', color: 'amber', password: 'not-the-password' });
  await fixture.engine.profiles.add({ name: 'limited', host: cluster.host, port: cluster.port, database: 'postgres', user: 'limited', sslmode: 'disable', color: 'amber', password: 'Limited-pw-1' });
});
afterAll(async () => {
  await fixture.dispose();
  await cluster.stop();
  await rm(work, { recursive: true, force: true });
});

/** Where an open file descriptor points (a path, pipe:[n], socket:[n]); gone in between: ''. */
/** The count once it stayed the same for 300 ms (connections and a child's pipes still closing count until then). */
async function settledCount(list: () => string[]): Promise<number> {
  let last = list().length;
  for (let stable = 0; stable < 3; ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = list().length;
    stable = now === last ? stable + 1 : 0;
    last = now;
  }
  return last;
}

/** Whether /proc/PID is a `name` process whose parent is this process. */
function childOfThisProcess(pid: string, name: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [comm, rest] = [stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), stat.slice(stat.lastIndexOf(')') + 2).split(' ')];
    return comm === name && rest[1] === String(process.pid);
  } catch {
    return false; // gone meanwhile
  }
}

function readlinkOr(link: string): string {
  try {
    return readlinkSync(link);
  } catch {
    return '';
  }
}

async function lifeboatDumpBackends(): Promise<number> {
  const rows = await cluster.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'Lifeboat%' AND pid <> pg_backend_pid()");
  return rows[0]!.n;
}

describe('backup failures', () => {
  it('cancel stops pg_dump and the row counter, and keeps nothing', async () => {
    const out = path.join(work, 'cancel');
    const job = fixture.engine.backups.start({ profile: 'big', outDir: out, encryption: recipients });
    const fractions: number[] = [];
    await new Promise<void>((resolve) => job.onProgress((p) => {
      if (p.fraction !== null) fractions.push(p.fraction);
      if (p.phase === 'Dumping' && p.bytes > 0) resolve();
    }));
    job.cancel();
    await expect(job.result).rejects.toMatchObject({ code: 'CANCELLED', message: expect.stringContaining('nothing was kept') });
    expect(await readdir(out)).toEqual([]);
    // The server notices the ended count(*) session only when it next writes to it: slow on a busy machine.
    await waitFor(async () => (await lifeboatDumpBackends()) === 0, 15_000, 'the dump and counting sessions gone');
    expect(fractions.every((f, i) => i === 0 || f >= fractions[i - 1]!)).toBe(true);
  });

  it('reports live progress with percent, current table, bytes, speed and an ETA', async () => {
    const out = path.join(work, 'progress');
    const job = fixture.engine.backups.start({ profile: 'big', outDir: out, encryption: recipients });
    const seen: { phase: string; fraction: number | null; item: string | null; bytes: number; speed: number | null; eta: number | null }[] = [];
    job.onProgress((p) => seen.push({ phase: p.phase, fraction: p.fraction, item: p.currentItem, bytes: p.bytes, speed: p.bytesPerSecond, eta: p.etaSeconds }));
    const result = await job.result;
    const during = seen.filter((p) => p.item === 'public.big');
    expect(during.length).toBeGreaterThan(2);
    // The bar moves inside the big table (pg_stat_progress_copy), not only between tables.
    expect(new Set(during.map((p) => p.fraction)).size).toBeGreaterThan(2);
    expect(during.some((p) => p.speed !== null && p.speed > 0)).toBe(true);
    expect(during.some((p) => p.eta !== null)).toBe(true);
    expect(seen.at(-1)).toMatchObject({ fraction: 1 });
    // Once the dump has ended the phase moves on: the archive's last bytes never show "Dumping" again.
    const phases = seen.map((p) => p.phase).filter((phase, i, all) => phase !== all[i - 1]);
    expect(phases).toEqual(['Connecting', 'Dumping', 'Counting rows', 'Finishing', 'Done']);
    expect(seen.filter((p) => p.phase === 'Finishing').every((p) => p.item === null && p.speed === null)).toBe(true);
    expect(seen.at(-2)!.bytes).toBe(result.bytes);
  });

  it('a pg_dump error (no privilege on a table) fails with its message and keeps nothing', async () => {
    const out = path.join(work, 'denied');
    const job = fixture.engine.backups.start({ profile: 'limited', outDir: out, encryption: recipients });
    await expect(job.result).rejects.toMatchObject({ code: 'BACKUP_FAILED', message: expect.stringMatching(/pg_dump failed.*permission denied.*secret_stuff/) });
    expect(await readdir(out)).toEqual([]);
  });

  it("pg_dump's own socket to the archive thread: backups that finish, fail and are cancelled leave no end of it open", async () => {
    // pg_dump (a child of this process) writes into the channel's socket: accepted from the listener in
    // its private folder, so /proc/net/unix shows it with that path (a child's stdout stream, the
    // fallback, would be an unnamed socket pair).
    const pgDumpStdouts = () =>
      readdirSync('/proc').filter((pid) => /^\d+$/.test(pid) && childOfThisProcess(pid, 'pg_dump')).map((pid) => readlinkOr(`/proc/${pid}/fd/1`));
    const channelSockets = () => {
      const inodes = new Set(readFileSync('/proc/net/unix', 'utf8').split('\n').filter((line) => line.includes('/lifeboat-dump-')).map((line) => line.trim().split(/\s+/)[6]));
      return pgDumpStdouts().filter((target) => inodes.has(/^socket:\[(\d+)\]$/.exec(target)?.[1]));
    };
    const sockets = () => readdirSync('/proc/self/fd').map((fd) => readlinkOr(`/proc/self/fd/${fd}`)).filter((target) => target.startsWith('socket:'));
    const backup = async (profile: string, cancel = false) => {
      const job = fixture.engine.backups.start({ profile, outDir: path.join(work, 'fds'), encryption: recipients, exactRowCounts: false });
      let sawSocket = false;
      job.onProgress((p) => {
        if (p.phase === 'Dumping' && p.bytes > 0 && channelSockets().length > 0) sawSocket = true;
        if (cancel && p.phase === 'Dumping' && p.bytes > 0) job.cancel();
      });
      const outcome = await job.result.then(() => 'done', (error: { code?: string }) => error.code);
      return { outcome, sawSocket };
    };
    const everyWay = async () => {
      expect(await backup('big')).toEqual({ outcome: 'done', sawSocket: true });
      expect((await backup('limited')).outcome).toBe('BACKUP_FAILED');
      // The socket is made while the connection opens: a backup whose login fails never starts pg_dump.
      expect((await backup('wrong-password')).outcome).toBe('AUTH_FAILED');
      expect((await backup('big', true)).outcome).toBe('CANCELLED');
    };
    // Once every way has been taken (the keychain keeps a connection per account it has read), the
    // same backups again leave this process with no more sockets than before.
    await everyWay();
    await waitFor(() => pgDumpStdouts().length === 0, 5_000, 'pg_dump ended');
    const before = await settledCount(sockets);
    await everyWay();
    await waitFor(() => sockets().length <= before, 5_000, `no socket left open (${sockets().length} now, ${before} before)`);
  });

  it('without a keychain Lifeboat refuses to invent a key it could not keep', async () => {
    const { SessionSecretStore } = await import('../../main/engine/secrets/secret-store.ts');
    const session = await createTestEngine({ secrets: new SessionSecretStore('test') });
    try {
      await session.engine.profiles.add(clusterProfile(cluster, 'big', { color: 'amber' }));
      await expect(session.engine.backups.start({ profile: 'big', outDir: path.join(work, 'nokey') }).result).rejects.toMatchObject({ code: 'NO_KEY', fix: expect.stringContaining('--recipient') });
    } finally {
      await session.dispose();
    }
  });

  it('a Lifeboat process killed (SIGKILL) at random moments never leaves an archive that is not complete', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-kill-'));
    const out = path.join(work, 'killed');
    const env = { ...process.env, PATH: `${NODE_BIN_DIR}:${process.env.PATH}`, LIFEBOAT_HOME: home };
    const cli = path.join(REPO_ROOT, 'main/cli/bin.mjs');
    await new Promise<void>((resolve, reject) => {
      const add = spawn(cli, ['profile', 'add', 'big', '--url', cluster.url('postgres'), '--password-stdin'], { env });
      add.stdin.end(cluster.password);
      add.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`profile add exited ${code}`))));
    });
    let seed = 20261122;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let completed = 0;
    let killed = 0;
    for (let round = 0; round < 6; round++) {
      const child = spawn(cli, ['backup', '--profile', 'big', '--out', out, '--recipient', key.recipient, '--json'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      // Kill at a random moment of a random phase (the progress lines say which), not at a fixed time:
      // on a loaded machine a backup may take twice as long.
      const phase = random() < 0.3 ? 'Connecting' : 'Dumping';
      const delay = Math.floor(random() * (phase === 'Dumping' ? 600 : 50));
      let timer: NodeJS.Timeout | undefined;
      child.stderr.on('data', (d: Buffer) => {
        if (!timer && d.toString().includes(`"phase":"${phase}"`)) timer = setTimeout(() => child.kill('SIGKILL'), delay);
      });
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      clearTimeout(timer);
      if (code === 0) completed++;
      else killed++;
      const when = `${phase} + ${delay} ms`;
      const archives = (await readdir(out).catch(() => [] as string[])).filter((n) => n.endsWith('.lifeboat'));
      // Whatever is named .lifeboat is complete: it verifies fully (a kill after the rename is fine).
      for (const name of archives) await fixture.engine.library.verify(path.join(out, name), 'full', { identities: [key.identity] }).result;
      expect(archives.length, `round ${round}, killed at ${when}`).toBeGreaterThanOrEqual(completed);
    }
    expect(killed, 'most rounds must really be killed mid-backup').toBeGreaterThanOrEqual(3);
    // A later run clears the dead processes' partial files.
    await fixture.engine.library.list({ folders: [out] });
    expect((await readdir(out)).filter((n) => n.endsWith('.partial'))).toEqual([]);
    await rm(home, { recursive: true, force: true });
  });

  it('verify catches a flipped byte (quick and full) and a wrong key', async () => {
    const out = path.join(work, 'verify');
    const small = await cluster.query("SELECT 1").then(() => fixture.engine.profiles.add({ name: 'small', host: cluster.host, port: cluster.port, database: 'postgres', user: 'limited', sslmode: 'disable', color: 'teal', password: 'Limited-pw-1' }));
    await cluster.query('GRANT SELECT ON secret_stuff TO limited');
    const { archive } = await fixture.engine.backups.start({ profile: small.id, outDir: out, encryption: recipients }).result;
    await expect(fixture.engine.library.verify(archive, 'full', { identities: [generateAgeKeyPair().identity] }).result).rejects.toMatchObject({ code: 'WRONG_KEY' });
    const bytes = await readFile(archive);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    await writeFile(archive, bytes);
    await expect(fixture.engine.library.verify(archive, 'quick').result).rejects.toMatchObject({ code: 'ARCHIVE_DAMAGED' });
    const sidecar = JSON.parse(await readFile(`${archive}.json`, 'utf8'));
    expect(sidecar.verification).toMatchObject({ ok: false, level: 'quick' });
  });
});
