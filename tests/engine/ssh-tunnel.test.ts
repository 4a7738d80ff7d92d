// Backups, restores and drills through real OpenSSH servers to a PostgreSQL server that this process
// cannot reach any other way (tests/support/ssh-lab.ts: the server and every sshd but the entry live
// in their own network namespace). If any tool went around the tunnel, it would find nothing there.
import { execFileSync, spawn } from 'node:child_process';
import { readFile, readdir, rm, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import type { ProfileInput, SshHop } from '../../main/engine/types.ts';
import { createIsolatedKeychainEngine, type EngineFixture } from '../support/engine-fixture.ts';
import { availableMajors } from '../support/pg-cluster.ts';
import { engineToolChildren, findProcesses, settleToolChildren } from '../support/restore-fixtures.ts';
import { sshLabSupported, startSshLab, type SshLab } from '../support/ssh-lab.ts';
import { listeningPortsOfThisProcess } from '../support/sockets.ts';

const supported = sshLabSupported();
const majors = [18, 12].filter((m) => availableMajors().includes(m));
const key = generateAgeKeyPair();
const recipients = { kind: 'recipients' as const, recipients: [key.recipient] };

describe.skipIf(!supported.ok).each(majors)('SSH tunnel to PostgreSQL %i', (major) => {
  let lab: SshLab;
  let fixture: EngineFixture;
  let work: string;
  let agent: { socket: string; stop(): Promise<void> };

  beforeAll(async () => {
    // TLS on, with a certificate for "localhost" only: verify-full through the tunnel must check that name.
    lab = await startSshLab({ major, sshdCount: 3, ssl: 'on', certNames: ['DNS:localhost'] });
    agent = await lab.startAgent();
    work = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-ssh-'));
    // Not this machine's ~/.ssh/known_hosts: what the test trusts is only what it accepted.
    fixture = await createIsolatedKeychainEngine({ userKnownHosts: path.join(work, 'no-user-known-hosts') });
    // The agent the tunnel uses is the one a user's session would name.
    process.env.SSH_AUTH_SOCK = agent.socket;
    await lab.cluster.query(`CREATE DATABASE shop`);
    await lab.cluster.query(`CREATE TABLE orders (id int PRIMARY KEY, item text); INSERT INTO orders SELECT i, 'item ' || i FROM generate_series(1, 5000) i;`, [], 'shop');
  }, 120_000);
  afterAll(async () => {
    delete process.env.SSH_AUTH_SOCK;
    await fixture?.dispose();
    await agent?.stop();
    await lab?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const entry = (hop: Partial<SshHop>): SshHop => ({ host: '127.0.0.1', port: lab.sshd[0]!.outside!.port, user: lab.user, auth: 'agent', ...hop });
  const inside = (index: number, hop: Partial<SshHop>): SshHop => ({ host: '127.0.0.1', port: lab.sshd[index]!.inside.port, user: lab.user, auth: 'agent', ...hop });
  const profile = (name: string, more: Partial<ProfileInput>): ProfileInput => ({
    name, host: lab.cluster.host, port: lab.cluster.port, database: 'shop', user: 'postgres', sslmode: 'disable', color: 'blue', password: lab.cluster.password, ...more,
  });

  /** Tests until every hop's key is trusted, accepting each unknown key once (as a person would after checking it). */
  async function trustRoute(name: string): Promise<string[]> {
    const accepted: string[] = [];
    for (let i = 0; i < 5; i++) {
      const result = await fixture.engine.profiles.test(name, { acceptHostKeys: accepted });
      if (result.ok) return accepted;
      if (result.error.code !== 'SSH_HOST_KEY_UNKNOWN') throw new Error(`${result.error.code}: ${result.error.message}`);
      accepted.push(result.error.hostKey!.fingerprint);
    }
    throw new Error('too many host keys');
  }

  it('asks before trusting an unknown host key, then connects and reports the hop', async () => {
    const { passphraseKey } = lab.keys;
    await fixture.engine.profiles.add(profile('direct', { ssh: { ...entry({ auth: 'key', keyFile: passphraseKey.file }), jumps: [], keepAliveSeconds: 15 }, sshSecrets: [passphraseKey.passphrase] }));
    const first = await fixture.engine.profiles.test('direct');
    expect(first).toMatchObject({ ok: false, error: { code: 'SSH_HOST_KEY_UNKNOWN', hostKey: { fingerprint: lab.sshd[0]!.hostKeyFingerprint } } });
    expect(await readFile(path.join(fixture.dataDir, 'known_hosts'), 'utf8').catch(() => '')).toBe('');
    // A wrong fingerprint is no acceptance.
    expect(await fixture.engine.profiles.test('direct', { acceptHostKeys: ['SHA256:' + 'A'.repeat(43)] })).toMatchObject({ ok: false, error: { code: 'SSH_HOST_KEY_UNKNOWN' } });
    const accepted = await fixture.engine.profiles.test('direct', { acceptHostKeys: [lab.sshd[0]!.hostKeyFingerprint] });
    expect(accepted).toMatchObject({ ok: true, report: { serverMajor: major, tunnel: { hops: [{ host: '127.0.0.1', port: lab.sshd[0]!.outside!.port, user: lab.user }], target: `${lab.cluster.host}:${lab.cluster.port}` } } });
    // Remembered in Lifeboat's own known_hosts: the next test needs no acceptance.
    expect(await fixture.engine.profiles.test('direct')).toMatchObject({ ok: true });
    const summary = await fixture.engine.profiles.get('direct');
    expect(summary.sshSecretsSaved).toEqual([true]);
    expect(JSON.stringify(summary)).not.toContain(passphraseKey.passphrase);
  });

  it('lets only this user\'s processes through the tunnel\'s local end', async () => {
    const tunnel = await fixture.engine.tunnels.open(await fixture.engine.profiles.get('direct'));
    try {
      // PostgreSQL answers an SSLRequest with one byte ("S" here, "N" without TLS); a refused peer gets nothing.
      const ask = (as?: { uid: number; gid: number }) => new Promise<string>((resolve, reject) => {
        const child = spawn('socat', ['-t', '2', '-', `TCP:127.0.0.1:${tunnel.port}`], { ...(as ?? {}), stdio: ['pipe', 'pipe', 'ignore'] });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.on('error', reject);
        child.on('close', () => resolve(out));
        child.stdin.end(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]));
      });
      expect(await ask()).toMatch(/^[NS]$/);
      const nobody = { uid: Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' })) };
      expect(await ask(nobody)).toBe('');
    } finally {
      await tunnel.close();
    }
  });

  it('backs up, verifies, restores and drills through the tunnel; the activity log names the route', async () => {
    const out = path.join(work, `direct-${major}`);
    const backup = await fixture.engine.backups.start({ profile: 'direct', outDir: out, encryption: recipients }).result;
    expect(backup.totalRows).toBe(5000);
    await fixture.engine.library.verify(backup.archive, 'full', { identities: [key.identity] }).result;
    const restored = await fixture.engine.restores.start({ profile: 'direct', file: backup.archive, mode: 'new', database: 'shop_copy', keys: { identities: [key.identity] } }).result;
    expect(restored.database).toBe('shop_copy');
    expect(await lab.cluster.query<{ n: number }>('SELECT count(*)::int AS n FROM orders', [], 'shop_copy')).toEqual([{ n: 5000 }]);
    // Replace: the checklist, a safety backup through its own tunnel, the verified swap.
    const preflight = await fixture.engine.restores.preflight({ profile: 'direct', file: backup.archive, mode: 'replace', database: 'shop_copy', keys: { identities: [key.identity] } });
    expect(preflight.target.exists).toBe(true);
    const replaced = await fixture.engine.restores.start({ profile: 'direct', file: backup.archive, mode: 'replace', database: 'shop_copy', confirm: 'shop_copy', keys: { identities: [key.identity] }, safetyBackupEncryption: recipients }).result;
    expect(replaced.safetyBackup?.archive).toMatch(/\.lifeboat$/);
    expect(await lab.cluster.query<{ n: number }>('SELECT count(*)::int AS n FROM orders', [], 'shop_copy')).toEqual([{ n: 5000 }]);
    const drill = await fixture.engine.drills.start({ file: backup.archive, scratch: { kind: 'profile', profile: 'direct' }, keys: { identities: [key.identity] } }).result;
    expect(drill.error).toBeNull();
    expect(drill.passed).toBe(true);
    expect(drill.scratch.server).toContain(`via 127.0.0.1:${lab.sshd[0]!.outside!.port}`);
    const log = await fixture.engine.activity.list({ profile: 'direct' });
    expect(log.filter((e) => e.result === 'ok').map((e) => e.what)).toEqual(expect.arrayContaining(['backup', 'restore']));
    expect(log.find((e) => e.what === 'backup')?.route).toBe(`via 127.0.0.1:${lab.sshd[0]!.outside!.port} → ${lab.cluster.host}:${lab.cluster.port}`);
  }, 180_000);

  it('verify-full checks the certificate against the database\'s real name, not the tunnel\'s 127.0.0.1', async () => {
    const tls = { sslmode: 'verify-full' as const, sslRootCert: lab.cluster.caFile!, ssh: { ...entry({ auth: 'key', keyFile: lab.keys.pemKey.file }), jumps: [], keepAliveSeconds: 30 } };
    await fixture.engine.profiles.add(profile('by-name', { ...tls, host: 'localhost' }));
    expect(await fixture.engine.profiles.test('by-name')).toMatchObject({ ok: true, report: { ssl: true } });
    // pg_dump (libpq: PGHOST=localhost, PGHOSTADDR=127.0.0.1) verifies the name too.
    const backup = await fixture.engine.backups.start({ profile: 'by-name', outDir: path.join(work, `tls-${major}`), encryption: recipients }).result;
    expect(backup.totalRows).toBe(5000);
    await fixture.engine.profiles.add(profile('by-address', { ...tls, host: '127.0.0.1' }));
    expect(await fixture.engine.profiles.test('by-address')).toMatchObject({ ok: false, error: { code: 'SSL_CERTIFICATE' } });
    await expect(fixture.engine.backups.start({ profile: 'by-address', outDir: path.join(work, `tls-bad-${major}`), encryption: recipients }).result).rejects.toMatchObject({ code: expect.stringMatching(/SSL_CERTIFICATE|BACKUP_FAILED/) });
  }, 120_000);

  it('goes through one jump host with the agent, and through two with a password', async () => {
    await fixture.engine.profiles.add(profile('one-jump', { ssh: { ...inside(1, {}), jumps: [entry({})], keepAliveSeconds: 30 } }));
    expect(await trustRoute('one-jump')).toHaveLength(1); // sshd[0] is known since the first test
    const one = await fixture.engine.profiles.test('one-jump');
    expect(one.ok && one.report.tunnel?.hops.map((h) => h.port)).toEqual([lab.sshd[0]!.outside!.port, lab.sshd[1]!.inside.port]);

    const password = { auth: 'password' as const };
    await fixture.engine.profiles.add(profile('two-jumps', { ssh: { ...inside(2, password), jumps: [entry({ auth: 'key', keyFile: lab.keys.pemKey.file }), inside(1, password)], keepAliveSeconds: 30 }, sshSecrets: [undefined, lab.password, lab.password] }));
    expect(await trustRoute('two-jumps')).toHaveLength(1); // sshd[0] and [1] are known already
    const out = path.join(work, `jumps-${major}`);
    const backup = await fixture.engine.backups.start({ profile: 'two-jumps', outDir: out, encryption: recipients }).result;
    const drill = await fixture.engine.drills.start({ file: backup.archive, scratch: { kind: 'profile', profile: 'one-jump' }, keys: { identities: [key.identity] } }).result;
    expect(drill.error).toBeNull();
    expect(drill.passed).toBe(true);
  }, 180_000);

  it('says what is wrong, distinctly: refused login, unreachable hosts, a changed host key', async () => {
    await fixture.engine.profiles.add(profile('bad-password', { ssh: { ...entry({ auth: 'password' }), jumps: [], keepAliveSeconds: 30 }, sshSecrets: ['not the password'] }));
    expect(await fixture.engine.profiles.test('bad-password')).toMatchObject({ ok: false, error: { code: 'SSH_AUTH_FAILED', message: expect.stringContaining('the saved password') } });

    await fixture.engine.profiles.add(profile('no-passphrase', { ssh: { ...entry({ auth: 'key', keyFile: lab.keys.passphraseKey.file }), jumps: [], keepAliveSeconds: 30 } }));
    expect(await fixture.engine.profiles.test('no-passphrase')).toMatchObject({ ok: false, error: { code: 'SSH_AUTH_FAILED', message: expect.stringContaining('protected by a passphrase') } });

    await fixture.engine.profiles.add(profile('wrong-db-port', { port: 1, ssh: { ...entry({}), jumps: [], keepAliveSeconds: 30 } }));
    expect(await fixture.engine.profiles.test('wrong-db-port')).toMatchObject({ ok: false, error: { code: 'SSH_TARGET_UNREACHABLE', message: expect.stringContaining(`127.0.0.1:1 cannot be reached from SSH host ${lab.user}@127.0.0.1`) } });

    // A ~/.pgpass line names a server as this computer sees it: never sent through the bastion.
    const pgpass = path.join(work, `pgpass-${major}`);
    await writeFile(pgpass, `${lab.cluster.host}:${lab.cluster.port}:*:postgres:${lab.cluster.password}\n`, { mode: 0o600 });
    process.env.PGPASSFILE = pgpass;
    try {
      await fixture.engine.profiles.add(profile('pgpass-only', { password: null, ssh: { ...entry({}), jumps: [], keepAliveSeconds: 30 } }));
      expect(await fixture.engine.profiles.test('pgpass-only')).toMatchObject({ ok: false, error: { code: 'PASSWORD_MISSING' } });
    } finally {
      delete process.env.PGPASSFILE;
    }

    await fixture.engine.profiles.add(profile('no-sshd', { ssh: { ...entry({ port: 1 }), jumps: [], keepAliveSeconds: 30 } }));
    expect(await fixture.engine.profiles.test('no-sshd')).toMatchObject({ ok: false, error: { code: 'SSH_UNREACHABLE' } });

    // The user's own known_hosts names another key for the entry: refused, naming both.
    const userKnownHosts = path.join(work, `user-known-hosts-${major}`);
    const other = await lab.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', path.join(lab.dir, `other-${Date.now()}`)]);
    expect(other.code).toBe(0);
    const otherPub = (await readdir(lab.dir)).find((f) => f.startsWith('other-') && f.endsWith('.pub'))!;
    const otherLine = (await readFile(path.join(lab.dir, otherPub), 'utf8')).split(' ').slice(0, 2).join(' ');
    await writeFile(userKnownHosts, `[127.0.0.1]:${lab.sshd[0]!.outside!.port} ${otherLine}\n`);
    const strict = await createIsolatedKeychainEngine({ userKnownHosts });
    try {
      await strict.engine.profiles.add(profile('changed', { ssh: { ...entry({}), jumps: [], keepAliveSeconds: 30 } }));
      const changed = await strict.engine.profiles.test('changed', { acceptHostKeys: [lab.sshd[0]!.hostKeyFingerprint] });
      expect(changed).toMatchObject({ ok: false, error: { code: 'SSH_HOST_KEY_CHANGED', hostKey: { fingerprint: lab.sshd[0]!.hostKeyFingerprint } } });
      expect(!changed.ok && changed.error.message).toContain(lab.sshd[0]!.hostKeyFingerprint);
      expect(!changed.ok && changed.error.hostKey?.knownFingerprints).toHaveLength(1);
      expect(!changed.ok && changed.error.message).toContain(changed.ok ? '' : changed.error.hostKey!.knownFingerprints![0]!);
    } finally {
      await strict.dispose();
    }
  }, 120_000);

  it('a killed sshd mid-backup gives the tunnel-dropped error and leaves no archive, no partial file, no listener, no child', async () => {
    await lab.cluster.query(`CREATE DATABASE big`);
    await lab.cluster.query(`CREATE TABLE big (id bigint, payload text); INSERT INTO big SELECT i, md5(i::text) || md5((i * 7)::text) || md5((i * 13)::text) FROM generate_series(1, 1200000) i;`, [], 'big');
    await fixture.engine.profiles.add(profile('big', { database: 'big', ssh: { ...entry({}), jumps: [], keepAliveSeconds: 5 } }));
    const listenersBefore = listeningPortsOfThisProcess();
    const out = path.join(work, `dropped-${major}`);
    const job = fixture.engine.backups.start({ profile: 'big', outDir: out, encryption: recipients });
    await new Promise<void>((resolve) => job.onProgress((p) => {
      if (p.phase === 'Dumping' && p.bytes > 0) resolve();
    }));
    await lab.sshd[0]!.kill();
    await expect(job.result).rejects.toMatchObject({ code: 'SSH_TUNNEL_DROPPED', message: expect.stringContaining('The SSH tunnel dropped') });
    expect(await readdir(out)).toEqual([]);
    expect(listeningPortsOfThisProcess()).toEqual(listenersBefore);
    expect(await settleToolChildren()).toEqual([]);
    expect(engineToolChildren()).toEqual([]);
    expect(findProcesses((argv) => ['pg_dump', 'pg_dumpall'].includes(path.basename(argv[0]!)), process.pid)).toEqual([]);
    await lab.sshd[0]!.restart();
  }, 180_000);

  it('a cancel and a killed pg_dump close the tunnel too: nothing kept, no listener, no child', async () => {
    const listenersBefore = listeningPortsOfThisProcess();
    const dumping = (job: { onProgress(listener: (p: { phase: string; bytes: number }) => void): () => void }) =>
      new Promise<void>((resolve) => job.onProgress((p) => {
        if (p.phase === 'Dumping' && p.bytes > 0) resolve();
      }));
    const cancelledOut = path.join(work, `cancelled-${major}`);
    const cancelled = fixture.engine.backups.start({ profile: 'big', outDir: cancelledOut, encryption: recipients });
    await dumping(cancelled);
    cancelled.cancel();
    await expect(cancelled.result).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(await readdir(cancelledOut)).toEqual([]);
    expect(listeningPortsOfThisProcess()).toEqual(listenersBefore);

    const killedOut = path.join(work, `killed-${major}`);
    const killed = fixture.engine.backups.start({ profile: 'big', outDir: killedOut, encryption: recipients });
    await dumping(killed);
    const pgDump = findProcesses((argv) => path.basename(argv[0]!) === 'pg_dump', process.pid);
    expect(pgDump).toHaveLength(1);
    process.kill(pgDump[0]!, 'SIGKILL');
    await expect(killed.result).rejects.toMatchObject({ code: expect.not.stringMatching(/^SSH_/) });
    expect(await readdir(killedOut)).toEqual([]);
    expect(listeningPortsOfThisProcess()).toEqual(listenersBefore);
    expect(findProcesses((argv) => ['pg_dump', 'pg_dumpall'].includes(path.basename(argv[0]!)), process.pid)).toEqual([]);
  }, 180_000);
});
