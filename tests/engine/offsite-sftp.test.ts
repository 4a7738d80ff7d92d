// Offsite copies to a folder on real OpenSSH servers over SFTP (tests/support/ssh-lab.ts), through a
// jump host: host keys are trusted hop by hop only when a person accepts them; a backup lands in the
// folder, verified, and a new computer lists, verifies and downloads it; an upload cancelled or cut
// off mid-way resumes without writing its finished chunks again (counted by the server's own
// process) and never leaves a partial file under the archive's name; a flipped bit is caught; a
// wrong password is named as such. And the same from the command line.
import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../main/engine/index.ts';
import type { SftpLocation } from '../../main/engine/model/offsite.ts';
import { lifeboat } from '../support/cli-runner.ts';
import { createIsolatedKeychainEngine, readAllFiles, type EngineFixture } from '../support/engine-fixture.ts';
import { clusterProfile, startCluster, type Cluster } from '../support/pg-cluster.ts';
import { sshLabSupported, startSshLab, type SshLab } from '../support/ssh-lab.ts';
import { BLOBS_SQL } from '../support/offsite-data.ts';

const supported = sshLabSupported();
const CHUNK = 16 * 1024 * 1024;

describe.skipIf(!supported.ok)('offsite copies over SFTP', () => {
  let lab: SshLab;
  let cluster: Cluster;
  let fixture: EngineFixture;
  let engine: Engine;
  let work: string;
  let out: string;
  /** A backup of ~40 MB of incompressible rows: three 16 MiB chunks. */
  let bigArchive: string;
  let fingerprints: string[];

  async function backup(profile: string): Promise<string> {
    const result = await engine.backups.start({ profile, outDir: out, encryption: { kind: 'none' }, exactRowCounts: false }).result;
    // Copies to the profile's destinations are follow-ups of the backup: wait for them too.
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.allSettled(engine.followUps.running().map((j) => j.result));
    return result.archive;
  }

  /** The SFTP host is sshd[1], inside the lab's namespace: reachable only through sshd[0], the jump. */
  const throughJump = (folder: string, more: Partial<SftpLocation> = {}): SftpLocation => {
    const login = { user: lab.user, auth: 'key' as const, keyFile: lab.keys.passphraseKey.file };
    return { host: '127.0.0.1', port: lab.sshd[1]!.inside.port, ...login, jumps: [{ host: '127.0.0.1', port: lab.sshd[0]!.outside!.port, ...login }], keepAliveSeconds: 15, folder, ...more };
  };
  const passphrases = () => [lab.keys.passphraseKey.passphrase, lab.keys.passphraseKey.passphrase];

  beforeAll(async () => {
    [lab, cluster] = await Promise.all([startSshLab({ major: 18, sshdCount: 2 }), startCluster(18)]);
    fingerprints = lab.sshd.map((s) => s.hostKeyFingerprint);
    await cluster.createDatabase('big');
    await cluster.query(BLOBS_SQL, [], 'big');
    await cluster.createDatabase('small');
    await cluster.query('CREATE TABLE t (id int PRIMARY KEY, note text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 1000) g', [], 'small');
    work = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-sftp-'));
    out = path.join(work, 'backups');
    // Not this machine's ~/.ssh/known_hosts: what the test trusts is only what it accepted.
    fixture = await createIsolatedKeychainEngine({ userKnownHosts: path.join(work, 'no-user-known-hosts') });
    engine = fixture.engine;
    await engine.profiles.add(clusterProfile(cluster, 'big', { database: 'big' }));
    await engine.profiles.add(clusterProfile(cluster, 'small', { database: 'small' }));
    bigArchive = await backup('big');
  }, 240_000);

  afterAll(async () => {
    for (const destination of (await engine?.destinations.list().catch(() => [])) ?? []) await engine.destinations.remove(destination.id);
    await fixture?.dispose();
    await Promise.all([lab?.stop(), cluster?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('trusts host keys hop by hop only when accepted, then proves it can write, read and delete in the folder', async () => {
    const folder = await lab.userFolder('first');
    const added = await engine.destinations.add({ name: 'first', profile: 'small', sftp: throughJump(folder), sshSecrets: passphrases() });
    expect(added).toMatchObject({ kind: 'sftp', secretSaved: true, sshSecretsSaved: [true, true], where: `sftp://${lab.user}@127.0.0.1:${lab.sshd[1]!.inside.port}${folder} via ${lab.user}@127.0.0.1:${lab.sshd[0]!.outside!.port}` });

    const first = await engine.destinations.test('first');
    expect(first).toMatchObject({ ok: false, error: { code: 'SSH_HOST_KEY_UNKNOWN', hostKey: { port: lab.sshd[0]!.outside!.port, fingerprint: fingerprints[0] } } });
    expect(first.error!.message).toContain(fingerprints[0]);
    expect(await readFile(path.join(fixture.dataDir, 'known_hosts'), 'utf8').catch(() => '')).toBe('');
    // The jump's key accepted, the host behind it (as the jump sees it) is asked about next.
    const second = await engine.destinations.test('first', { acceptHostKeys: [fingerprints[0]!] });
    expect(second).toMatchObject({ ok: false, error: { code: 'SSH_HOST_KEY_UNKNOWN', hostKey: { port: lab.sshd[1]!.inside.port, fingerprint: fingerprints[1] } } });
    const third = await engine.destinations.test('first', { acceptHostKeys: fingerprints });
    expect(third, JSON.stringify(third.error)).toMatchObject({ ok: true, checks: [expect.stringMatching(/^logged in over SSH/), expect.stringMatching(/^wrote a 1 KiB/), expect.stringMatching(/^read it back/), 'deleted it'] });
    // Remembered: unattended runs need no acceptance. The test file and its temporary name are gone.
    expect((await engine.destinations.test('first')).ok).toBe(true);
    expect(await readdir(folder)).toEqual([]);
    for (const { file, content } of await readAllFiles(fixture.dataDir)) expect(content.includes(lab.keys.passphraseKey.passphrase), file).toBe(false);
  }, 60_000);

  it('copies every backup of the profile through the jump host, verified; a new computer lists, verifies and downloads it', async () => {
    const archive = await backup('small');
    const name = path.basename(archive);
    const [state] = await engine.copies.states({ file: archive });
    expect(state).toMatchObject({ destinationName: 'first', state: 'verified', bytes: (await stat(archive)).size });
    const folder = path.join(lab.dir, 'first');
    expect((await readdir(folder)).sort()).toEqual([name, `${name}.json`]);
    expect(await readFile(path.join(folder, name))).toEqual(await readFile(archive));
    // Other users of the server cannot read the copies.
    expect((await stat(path.join(folder, name))).mode & 0o777).toBe(0o600);

    const fresh = await createIsolatedKeychainEngine({ userKnownHosts: path.join(work, 'no-user-known-hosts') });
    try {
      await fresh.engine.profiles.add(clusterProfile(cluster, 'small', { database: 'small' }));
      await fresh.engine.destinations.add({ name: 'first', profile: 'small', sftp: throughJump(folder), sshSecrets: passphrases() });
      // A new computer knows no host key yet: listing refuses until a person has accepted them.
      await expect(fresh.engine.copies.listRemote('first')).rejects.toMatchObject({ code: 'SSH_HOST_KEY_UNKNOWN' });
      expect((await fresh.engine.destinations.test('first', { acceptHostKeys: fingerprints })).ok).toBe(true);
      const listed = await fresh.engine.copies.listRemote('first');
      expect(listed).toEqual([expect.objectContaining({ name, local: false, bytes: state!.bytes, sidecar: expect.objectContaining({ database: 'small', sha256: state!.sha256 }) })]);
      expect(await fresh.engine.copies.verifyRemote('first', name).result).toMatchObject({ ok: true, sha256: state!.sha256 });
      const downloads = path.join(work, 'downloads');
      await mkdir(downloads);
      const got = await fresh.engine.copies.download('first', name, downloads).result;
      expect(await readFile(got.file)).toEqual(await readFile(archive));
    } finally {
      for (const destination of await fresh.engine.destinations.list()) await fresh.engine.destinations.remove(destination.id);
      await fresh.dispose();
    }
    expect((await engine.copies.listRemote('first'))[0]).toMatchObject({ name, local: true });
  }, 120_000);

  it('an upload cancelled after its first chunk resumes without writing that chunk again; a partial file never has the final name', async () => {
    const folder = await lab.userFolder('resume');
    await engine.destinations.add({ name: 'resume', profile: 'big', sftp: throughJump(folder), sshSecrets: passphrases() });
    const name = path.basename(bigArchive);
    const size = (await stat(bigArchive)).size;
    const job = engine.copies.start({ file: bigArchive, destination: 'resume' });
    // Progress is reported once a chunk is acknowledged and in the journal: cancel right there.
    job.onProgress((p) => p.bytes >= CHUNK && job.cancel());
    await expect(job.result).rejects.toMatchObject({ code: 'CANCELLED' });
    const left = await readdir(folder);
    expect(left).toEqual([expect.stringMatching(new RegExp(`^${name.replaceAll('.', '\\.')}\\.partial-[0-9a-f]{8}$`))]);
    expect((await stat(path.join(folder, left[0]!))).size).toBe(CHUNK);
    expect((await engine.copies.states({ file: bigArchive, destination: 'resume' }))[0]).toMatchObject({ state: 'failed', bytesDone: CHUNK });

    const server = await countServerWrites(engine, lab.sshd[1]!.pid!);
    const resumed = await engine.copies.start({ file: bigArchive, destination: 'resume' }).result.finally(server.stop);
    expect(resumed).toMatchObject({ partsResumed: 1, partsSent: 2 });
    // What the server's sftp process wrote: the two missing chunks (and its small replies), not the first again.
    expect(server.written()).toBeGreaterThanOrEqual(size - CHUNK);
    expect(server.written()).toBeLessThan(size - CHUNK + 256 * 1024);
    expect((await readdir(folder)).sort()).toEqual([name, `${name}.json`]);
    expect((await engine.copies.states({ file: bigArchive, destination: 'resume' }))[0]).toMatchObject({ state: 'verified' });
    expect((await engine.copies.verifyRemote('resume', name).result).ok).toBe(true);
  }, 120_000);

  it('a connection cut mid-upload fails with its own message; the next copy resumes from the chunks the journal holds', async () => {
    const folder = await lab.userFolder('cut');
    await engine.destinations.add({ name: 'cut', profile: 'big', sftp: throughJump(folder), sshSecrets: passphrases() });
    const job = engine.copies.start({ file: bigArchive, destination: 'cut' });
    let killed: number[] | null = null;
    job.onProgress((p) => {
      if (p.bytes < CHUNK || killed) return;
      // The server side of the SFTP connection dies at once (sshd itself keeps listening).
      killed = sessionPids(lab.sshd[1]!.pid!);
      for (const pid of killed) process.kill(pid, 'SIGKILL');
    });
    // Each step has its own limit, so a hang names the step (a loaded CI run once timed out here as a whole).
    const cutCopy = await within('the copy whose connection was cut', 60_000, job.result.then(() => null, (error: unknown) => error));
    expect(killed, 'sshd session processes killed').not.toEqual([]);
    expect(cutCopy).toMatchObject({ code: 'SFTP_FAILED', message: expect.stringMatching(/SSH connection to sftp:\/\/.* was lost/) });
    expect((await readdir(folder)).filter((n) => !n.includes('.partial-'))).toEqual([]);
    const resumed = await within('the resumed copy', 60_000, engine.copies.start({ file: bigArchive, destination: 'cut' }).result);
    expect(resumed.partsResumed).toBeGreaterThanOrEqual(1);
    expect(resumed.partsResumed + resumed.partsSent).toBe(3);
    expect((await within('verifying the copy', 45_000, engine.copies.verifyRemote('cut', path.basename(bigArchive)).result)).ok).toBe(true);
  }, 180_000);

  it('a chunk whose local bytes changed since it was written is written again, with every chunk after it', async () => {
    const folder = await lab.userFolder('changed');
    await engine.destinations.add({ name: 'changed', profile: 'big', sftp: throughJump(folder), sshSecrets: passphrases() });
    const original = await readFile(bigArchive);
    const damaged = Buffer.from(original);
    damaged[CHUNK + 1000] = damaged[CHUNK + 1000]! ^ 0xff;
    await writeFile(bigArchive, damaged);
    try {
      // Two chunks written (the second from the damaged bytes), then cancelled.
      const job = engine.copies.start({ file: bigArchive, destination: 'changed' });
      job.onProgress((p) => p.bytes >= 2 * CHUNK && job.cancel());
      await expect(job.result).rejects.toMatchObject({ code: 'CANCELLED' });
    } finally {
      await writeFile(bigArchive, original);
    }
    const server = await countServerWrites(engine, lab.sshd[1]!.pid!);
    const resumed = await engine.copies.start({ file: bigArchive, destination: 'changed' }).result.finally(server.stop);
    expect(resumed).toMatchObject({ partsResumed: 1, partsSent: 2 });
    expect(server.written()).toBeGreaterThanOrEqual(original.length - CHUNK);
    expect(server.written()).toBeLessThan(original.length - CHUNK + 256 * 1024);
    expect(await readFile(path.join(folder, path.basename(bigArchive)))).toEqual(original);
  }, 120_000);

  it('a copy already there is not sent again; a different file under the name is never replaced', async () => {
    const small = (await engine.library.list({ folders: [out], profile: 'small' }))[0]!.path;
    expect(await engine.copies.start({ file: small, destination: 'first' }).result).toMatchObject({ partsSent: 0, partsResumed: 1 });
    const folder = await lab.userFolder('taken');
    await engine.destinations.add({ name: 'taken', profile: 'small', sftp: throughJump(folder), sshSecrets: passphrases() });
    await writeFile(path.join(folder, path.basename(small)), 'someone else\'s file');
    await expect(engine.copies.start({ file: small, destination: 'taken' }).result).rejects.toMatchObject({ code: 'SFTP_FAILED', message: expect.stringMatching(/A different file of 19 bytes named .* never replaces a file/) });
    expect(await readFile(path.join(folder, path.basename(small)), 'utf8')).toBe('someone else\'s file');
    expect(await readdir(folder)).toEqual([path.basename(small)]);
  }, 60_000);

  it('a bit flipped in the remote copy is caught by verification', async () => {
    const file = path.join(lab.dir, 'resume', path.basename(bigArchive));
    const handle = await open(file, 'r+');
    try {
      const byte = Buffer.alloc(1);
      await handle.read(byte, 0, 1, 20 * 1024 * 1024 + 5);
      byte[0] = byte[0]! ^ 0x01;
      await handle.write(byte, 0, 1, 20 * 1024 * 1024 + 5);
    } finally {
      await handle.close();
    }
    await expect(engine.copies.verifyRemote('resume', path.basename(bigArchive)).result).rejects.toMatchObject({ code: 'VERIFY_FAILED', message: expect.stringMatching(/does not match its sidecar at the destination/) });
  }, 60_000);

  it('a wrong password is refused as such; the right one works; hostile locations are refused before any connection', async () => {
    const folder = await lab.userFolder('password');
    const direct = (password: string, name: string) => engine.destinations.add({ name, profile: 'small', sftp: { host: '127.0.0.1', port: lab.sshd[0]!.outside!.port, user: lab.user, auth: 'password', jumps: [], keepAliveSeconds: 15, folder }, sshSecrets: [password] });
    await direct('not the password', 'wrongpw');
    await direct(lab.password, 'rightpw');
    const wrong = await engine.destinations.test('wrongpw', { acceptHostKeys: fingerprints });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'SSH_AUTH_FAILED', message: expect.stringMatching(/refused the login with the saved password/), fix: expect.stringMatching(/destination remove wrongpw/) } });
    expect(JSON.stringify(wrong)).not.toContain('not the password');
    expect(await engine.destinations.test('rightpw', { acceptHostKeys: fingerprints })).toMatchObject({ ok: true });
    await engine.destinations.add({ name: 'nofolder', profile: 'small', sftp: throughJump(path.join(lab.dir, 'no-such-folder')), sshSecrets: passphrases() });
    expect((await engine.destinations.test('nofolder')).error).toMatchObject({ code: 'SFTP_FOLDER_MISSING' });

    const add = (sftp: Partial<SftpLocation>) => engine.destinations.add({ name: 'bad', profile: 'small', sftp: throughJump('/srv', sftp) });
    for (const bad of ['relative/folder', '/srv/../etc', '/srv/a\u0007b', '/srv\\x', `/${'a'.repeat(1100)}`]) await expect(add({ folder: bad })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/not a usable folder/) });
    await expect(add({ host: '-oProxyCommand=x' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(add({ user: 'a b' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(engine.destinations.add({ name: 'both', profile: 'small', sftp: throughJump('/srv'), s3: { endpoint: 'https://s3.example.com', region: 'us-east-1', bucket: 'abc', prefix: '', pathStyle: false, accessKeyId: 'k', partChecksums: true } })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect((await engine.destinations.add({ name: 'tidy', profile: 'small', sftp: throughJump('//srv//backups/') })).sftp!.folder).toBe('/srv/backups');
  }, 60_000);

  it('from the command line: destination add --sftp with --ssh-key, --ssh-jump and --accept-host-key, then copy', async () => {
    const home = path.join(work, 'cli-home');
    const env = { HOME: path.join(work, 'cli-user-home'), XDG_CACHE_HOME: process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache') };
    const run = (args: string[], where = home, stdin?: string) => lifeboat(where, args, { env, ...(stdin !== undefined ? { stdin } : {}) });
    expect((await run(['profile', 'add', 'small', '--url', cluster.url('small'), '--password-stdin'], home, cluster.password)).code).toBe(0);
    const folder = await lab.userFolder('cli');
    const route = ['--sftp', `sftp://${lab.user}@127.0.0.1:${lab.sshd[1]!.inside.port}${folder}`, '--ssh-key', lab.keys.pemKey.file, '--ssh-jump', `${lab.user}@127.0.0.1:${lab.sshd[0]!.outside!.port}`];
    try {
      // Without a person to accept it, the unknown key is refused and shown.
      const refusedHome = path.join(work, 'cli-refused');
      expect((await run(['profile', 'add', 'small', '--url', cluster.url('small'), '--password-stdin'], refusedHome, cluster.password)).code).toBe(0);
      const refused = await run(['destination', 'add', 'offsite', '--profile', 'small', ...route], refusedHome);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toContain(fingerprints[0]);
      expect(refused.stdout).toContain('--accept-host-key');
      await run(['profile', 'remove', 'small'], refusedHome);

      const added = await run(['destination', 'add', 'offsite', '--profile', 'small', ...route, ...fingerprints.flatMap((f) => ['--accept-host-key', f]), '--json']);
      expect(added.code, added.stdout + added.stderr).toBe(0);
      expect(added.json).toMatchObject({ destination: { name: 'offsite', kind: 'sftp', where: expect.stringMatching(/^sftp:\/\/.* via /) }, test: { ok: true } });
      const archive = (await engine.library.list({ folders: [out], profile: 'small' }))[0]!.path;
      const copied = await run(['copy', archive, '--to', 'offsite', '--json']);
      expect(copied.code, copied.stdout + copied.stderr).toBe(0);
      expect(copied.json).toMatchObject({ key: path.basename(archive), where: added.json.destination.where });
      expect(await readFile(path.join(folder, path.basename(archive)))).toEqual(await readFile(archive));
      const listed = await run(['destination', 'list']);
      // SECRET "-": the key has no passphrase, so nothing is in the keychain for this route.
      expect(listed.stdout).toMatch(/^offsite +.+ +sftp:\/\/\S+ via \S+ +-$/m);
    } finally {
      await run(['destination', 'remove', 'offsite']);
      await run(['profile', 'remove', 'small']);
    }
  }, 180_000);
});

/** The pids of the connections an sshd serves (its children and theirs), not the listener itself. */
/** `promise`, or a failure naming `what` once `ms` have passed. */
function within<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not end within ${ms / 1000} s`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function sessionPids(sshdPid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // ended meanwhile
    }
  }
  const found = new Set([sshdPid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, parent] of parents) {
      if (found.has(parent) && !found.has(pid)) {
        found.add(pid);
        grew = true;
      }
    }
  }
  found.delete(sshdPid);
  return [...found];
}

/** Bytes written by the sftp server processes of an sshd's sessions (wchar: every write, to the file and its replies). */
function sftpWrites(sshdPid: number): number {
  let total = 0;
  for (const pid of sessionPids(sshdPid)) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('@internal-sftp')) continue;
      total += Number(/wchar: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? 0);
    } catch {
      // ended meanwhile
    }
  }
  return total;
}

/**
 * Counts what the server's sftp process writes during the next copy: read when the copy closes its
 * connection (the process ends with it). Waits first until no earlier session is left.
 */
async function countServerWrites(engine: Engine, sshdPid: number): Promise<{ written(): number; stop(): void }> {
  for (let i = 0; i < 250 && sftpWrites(sshdPid) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  const destinations = engine.destinations;
  const connect = destinations.connect;
  let written = -1;
  destinations.connect = async (...args) => {
    const connected = await connect.apply(destinations, args);
    const close = connected.store.close.bind(connected.store);
    connected.store.close = async () => {
      written = sftpWrites(sshdPid);
      await close();
    };
    return connected;
  };
  return { written: () => written, stop: () => void (destinations.connect = connect) };
}
