// What the add/edit form sends, end to end through the IPC dispatcher the app uses (the renderer is
// untrusted) and a real engine on a real PostgreSQL 18: "Test" of the fields as typed before saving
// (profiles:test-input) with the server's databases; the backup folder only from a folder dialog;
// canary queries checked by the engine and confirmed in main before they run at every backup.
import net from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseCanaries } from '../../main/engine/profiles/profile-validation.ts';
import type { InvokeChannel, ProfileInput } from '../../main/ipc/contract.ts';
import { createDispatcher, createHandlers } from '../../main/ipc/handlers.ts';
import { PathGrants } from '../../main/ipc/path-grants.ts';
import { lifeboat } from '../support/cli-runner.ts';
import { createTestEngine, type EngineFixture } from '../support/engine-fixture.ts';
import { clusterProfile, startCluster, stopAllClusters, type Cluster } from '../support/pg-cluster.ts';
import { sshLabSupported, startSshLab, type SshLab } from '../support/ssh-lab.ts';
import { testShell } from '../support/test-shell.ts';

let fixture: EngineFixture;
let cluster: Cluster;
let dir: string;
let grants: PathGrants;
let dispatch: ReturnType<typeof createDispatcher>;
/** The next dialog's answer, the user's answer to main's questions, and every question asked (test-shell.ts). */
const t = testShell();
t.answer(true);
const savedPassword = () => cluster.password;


beforeAll(async () => {
  // No ~/.pgpass of the machine's may answer for a password the test expects to be missing.
  process.env.PGPASSFILE = '/nonexistent/lifeboat-test-pgpass';
  dir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-profile-form-'));
  fixture = await createTestEngine();
  cluster = await startCluster(18);
  await cluster.createDatabase('shop');
  await cluster.createDatabase('crm');
  // A database the role "reader" may not connect to: not offered to it.
  await cluster.createDatabase('payroll');
  await cluster.createRole('reader', 'Reader-pw-1');
  await cluster.query('REVOKE CONNECT ON DATABASE payroll FROM PUBLIC');
  grants = new PathGrants();
  dispatch = createDispatcher(createHandlers(fixture.engine, t.shell, grants));
}, 120_000);
afterAll(async () => {
  delete process.env.PGPASSFILE;
  await fixture?.dispose();
  await stopAllClusters();
  await rm(dir, { recursive: true, force: true });
});

const call = (channel: InvokeChannel, ...args: unknown[]) => dispatch(channel, args);
async function chooseFolder(folder: string): Promise<void> {
  t.choose(folder);
  expect(await call('dialog:choose-folder', 'Choose')).toEqual({ ok: true, value: folder });
  t.choose(null);
}
const input = (name: string, more: Partial<ProfileInput> = {}): ProfileInput => clusterProfile(cluster, name, more);
const idOf = (result: unknown) => (result as { value: { id: string } }).value.id;

describe('Test inside the form (profiles:test-input)', () => {
  it('tests the fields as typed, saves nothing, and lists the databases this user may connect to', async () => {
    const result = await call('profiles:test-input', input('typed'), null, []);
    expect(result).toMatchObject({ ok: true, value: { ok: true, report: { serverMajor: 18, database: 'postgres', tools: { pg_dump: { major: 18 } } } } });
    const report = (result as { value: { report: { databases: string[] } } }).value.report;
    expect(report.databases).toEqual(['crm', 'payroll', 'postgres', 'shop']);
    expect(JSON.stringify(result)).not.toContain(cluster.password);
    expect(await fixture.engine.profiles.list()).toEqual([]);

    const reader = await call('profiles:test-input', input('reader', { user: 'reader', password: 'Reader-pw-1' }), null, []);
    expect((reader as { value: { report: { databases: string[] } } }).value.report.databases).toEqual(['crm', 'postgres', 'shop']);
    // A wrong password typed is what is tested, not any saved one.
    expect(await call('profiles:test-input', input('typed', { password: 'not-the-password' }), null, [])).toMatchObject({ ok: true, value: { ok: false, error: { code: 'AUTH_FAILED' } } });
  });

  it('when editing, an empty password field uses the saved password in main, and never returns it', async () => {
    const saved = await fixture.engine.profiles.add(input('edited'));
    const typed = { ...input('edited', { database: 'shop' }), password: undefined };
    const result = await call('profiles:test-input', typed, saved.id, []);
    expect(result).toMatchObject({ ok: true, value: { ok: true, report: { database: 'shop' } } });
    expect(JSON.stringify(result)).not.toContain(cluster.password);
    // The backup folder and the canaries play no part in connecting: a save checks them, the test does not.
    const unsaved = { ...typed, backupFolder: path.join(dir, 'not-chosen'), canaryQueries: [{ name: 'x', sql: 'SELECT 1; SELECT 2' }] };
    expect(await call('profiles:test-input', unsaved, saved.id, [])).toMatchObject({ ok: true, value: { ok: true } });
    // Without the profile, the same fields have no password.
    expect(await call('profiles:test-input', typed, null, [])).toMatchObject({ ok: true, value: { ok: false, error: { code: 'PASSWORD_MISSING' } } });
    // "Forget the saved password" is tested as such.
    expect(await call('profiles:test-input', { ...typed, password: null }, saved.id, [])).toMatchObject({ value: { ok: false, error: { code: 'PASSWORD_MISSING' } } });
    expect((await fixture.engine.profiles.get(saved.id)).database).toBe('postgres');
    await fixture.engine.profiles.remove(saved.id);
  });

  it('the saved password goes only where saving would keep it: not to another server the page types in', async () => {
    const catcher = await passwordCatcher();
    try {
      const saved = await fixture.engine.profiles.add(input('bound'));
      const elsewhere = { ...input('bound', { port: catcher.port }), password: undefined };
      expect(await call('profiles:test-input', elsewhere, saved.id, [])).toMatchObject({ value: { ok: false } });
      expect(catcher.received).not.toContain(savedPassword());
      // "Keep the saved password for the new server" is only a flag from the page: main asks the user first.
      // Declined (or a compromised page setting it on its own): nothing reaches the other server.
      t.answer(false);
      t.asked.length = 0;
      expect(await call('profiles:test-input', { ...elsewhere, keepPasswordForNewServer: true }, saved.id, [])).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
      expect(t.asked.join('\n')).toContain(`Send the password saved for postgres@127.0.0.1:${cluster.port} to postgres@127.0.0.1:${catcher.port}?`);
      expect(catcher.received).not.toContain(savedPassword());
      // A save that moves the profile and keeps the password is asked the same way.
      expect(await call('profiles:update', saved.id, { ...elsewhere, keepPasswordForNewServer: true })).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
      expect((await fixture.engine.profiles.get(saved.id)).port).toBe(cluster.port);
      // Said yes: then it is the user's choice.
      t.answer(true);
      await call('profiles:test-input', { ...elsewhere, keepPasswordForNewServer: true }, saved.id, []);
      expect(catcher.received.at(-1)).toBe(savedPassword());
      await fixture.engine.profiles.remove(saved.id);
    } finally {
      await catcher.close();
    }
  });

  it('new SSL files must come from an open dialog, as on a save; nothing is read before', async () => {
    const ca = path.join(dir, 'ca.crt');
    await writeFile(ca, 'not a CA');
    const refused = await call('profiles:test-input', input('ssl', { sslmode: 'verify-full', sslRootCert: ca }), null, []);
    expect(refused).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('was not chosen in an open dialog') } });
  });

  it('lists the databases of a saved profile through the engine and the CLI (lifeboat profile databases)', async () => {
    const saved = await fixture.engine.profiles.add(input('listed'));
    expect(await fixture.engine.profiles.databases('listed')).toEqual({ ok: true, databases: ['crm', 'payroll', 'postgres', 'shop'] });
    const cli = await lifeboat(fixture.dataDir, ['profile', 'databases', 'listed', '--json']);
    expect(cli.json, cli.stderr).toEqual({ ok: true, databases: ['crm', 'payroll', 'postgres', 'shop'] });
    const text = await lifeboat(fixture.dataDir, ['profile', 'databases', 'listed']);
    expect(text.stdout.trim().split('\n')).toEqual(['crm', 'payroll', 'postgres', 'shop']);
    const missing = await lifeboat(fixture.dataDir, ['profile', 'databases', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('There is no profile named "nope"');
    await fixture.engine.profiles.remove(saved.id);
  });
});

describe('the backup folder from the page', () => {
  it('a folder no dialog returned is refused on add and on edit; a chosen one is saved; unchanged or absent keeps it', async () => {
    const chosen = path.join(dir, 'shop-backups');
    const notChosen = path.join(os.homedir(), '.ssh');
    const refused = { ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('was not chosen in a folder dialog') } };
    expect(await call('profiles:add', input('folders', { backupFolder: notChosen }))).toMatchObject(refused);
    expect(await fixture.engine.profiles.list()).toEqual([]);

    await chooseFolder(chosen);
    const added = await call('profiles:add', input('folders', { backupFolder: chosen }));
    expect(added).toMatchObject({ ok: true, value: { backupFolder: chosen } });
    const id = idOf(added);
    expect(await call('profiles:update', id, input('folders', { backupFolder: notChosen }))).toMatchObject(refused);
    expect((await fixture.engine.profiles.get(id)).backupFolder).toBe(chosen);

    // Long after the dialog (a new window's grants): the profile's own folder needs none, and an edit that leaves it out keeps it.
    const later = createDispatcher(createHandlers(fixture.engine, t.shell, new PathGrants()));
    expect(await later('profiles:update', [id, input('folders', { backupFolder: chosen, color: 'teal' })])).toMatchObject({ ok: true, value: { backupFolder: chosen, color: 'teal' } });
    expect(await later('profiles:update', [id, input('folders', { color: 'green' })])).toMatchObject({ ok: true, value: { backupFolder: chosen } });
    // Back to the default needs no dialog.
    const reset = await later('profiles:update', [id, input('folders', { backupFolder: null })]);
    expect((reset as { value: { backupFolder?: string } }).value.backupFolder).toBeUndefined();
    await fixture.engine.profiles.remove(id);
  });
});

describe('canary queries from the page', () => {
  const orders = { name: 'orders', sql: 'SELECT count(*) FROM pg_database' };

  it('new canaries run at every backup only after the user said yes in main; unchanged or removed ones are not asked about', async () => {
    t.answer(false);
    const declined = await call('profiles:add', input('canaries', { canaryQueries: [orders] }));
    expect(declined).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    expect(t.asked.at(-1)).toContain('Run this canary query on canaries at every backup?');
    expect(t.asked.at(-1)).toContain('orders: SELECT count(*) FROM pg_database');
    expect(await fixture.engine.profiles.list()).toEqual([]);

    t.answer(true);
    const added = await call('profiles:add', input('canaries', { canaryQueries: [orders] }));
    expect(added).toMatchObject({ ok: true, value: { canaryQueries: [orders] } });
    const id = idOf(added);
    const questions = t.asked.length;
    expect(await call('profiles:update', id, input('canaries', { canaryQueries: [orders], color: 'teal' }))).toMatchObject({ ok: true });
    expect(await call('profiles:update', id, input('canaries', { color: 'green' }))).toMatchObject({ ok: true, value: { canaryQueries: [orders] } });
    expect(t.asked).toHaveLength(questions);

    // A changed query is a new one.
    t.answer(false);
    const changed = await call('profiles:update', id, input('canaries', { canaryQueries: [{ ...orders, sql: 'SELECT pg_terminate_backend(1)' }] }));
    expect(changed).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    expect((await fixture.engine.profiles.get(id)).canaryQueries).toEqual([orders]);
    const removed = await call('profiles:update', id, input('canaries', { canaryQueries: null }));
    expect((removed as { value: { canaryQueries?: unknown } }).value.canaryQueries).toBeUndefined();
    expect(t.asked).toHaveLength(questions + 1);
    t.answer(true);
    await fixture.engine.profiles.remove(id);
  });

  it('the engine refuses a canary of several statements (a backup would leave its read-only snapshot), before anything is asked', async () => {
    const questions = t.asked.length;
    const sneaky = await call('profiles:add', input('sneaky', { canaryQueries: [{ name: 'x', sql: 'SELECT 1; COMMIT; DROP DATABASE shop' }] }));
    expect(sneaky).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: 'Canary "x" holds 3 statements; a canary is one query.', fix: expect.stringContaining('Keep one query') } });
    expect(t.asked).toHaveLength(questions);
  });
});

describe.skipIf(!sshLabSupported().ok)('Test inside the form through SSH (ssh-lab: the database is reachable only through sshd)', () => {
  let lab: SshLab;
  let ssh: EngineFixture;
  beforeAll(async () => {
    lab = await startSshLab({ major: 18 });
    // Not this machine's ~/.ssh/known_hosts: what the test trusts is only what it accepted.
    ssh = await createTestEngine({ userKnownHosts: path.join(dir, 'no-user-known-hosts') });
  }, 120_000);
  afterAll(async () => {
    await ssh?.dispose();
    await lab?.stop();
  });

  const tunnelled = (more: Partial<ProfileInput> = {}): ProfileInput => ({
    name: 'via bastion', host: lab.cluster.host, port: lab.cluster.port, database: 'postgres', user: 'postgres', sslmode: 'disable', color: 'blue', password: lab.cluster.password,
    ssh: { host: '127.0.0.1', port: lab.sshd[0]!.outside!.port, user: lab.user, auth: 'password', jumps: [], keepAliveSeconds: 15 },
    ...more,
  });

  it('uses the SSH password as typed, asks about the host key first, and saves neither', async () => {
    const { profiles } = ssh.engine;
    const typed = tunnelled({ sshSecrets: [lab.password] });
    expect(await profiles.testInput(typed, null)).toMatchObject({ ok: false, error: { code: 'SSH_HOST_KEY_UNKNOWN', hostKey: { fingerprint: lab.sshd[0]!.hostKeyFingerprint } } });
    const result = await profiles.testInput(typed, null, { acceptHostKeys: [lab.sshd[0]!.hostKeyFingerprint] });
    expect(result).toMatchObject({ ok: true, report: { serverMajor: 18, tunnel: { hops: [{ user: lab.user }] }, databases: ['postgres'] } });
    expect(JSON.stringify(result)).not.toContain(lab.password);
    expect(await profiles.list()).toEqual([]);
    // A new connection has no saved SSH password to fall back on.
    expect(await profiles.testInput(tunnelled(), null)).toMatchObject({ ok: false, error: { code: 'SSH_AUTH_FAILED' } });
  });

  it('when editing, an SSH password left unchanged is the saved one; forgotten or wrong, it is not', async () => {
    const { profiles } = ssh.engine;
    const saved = await profiles.add(tunnelled({ sshSecrets: [lab.password] }));
    const edited = tunnelled({ database: 'postgres', password: undefined });
    expect(await profiles.testInput(edited, saved.id)).toMatchObject({ ok: true, report: { tunnel: { hops: [{ user: lab.user }] } } });
    expect(await profiles.testInput({ ...edited, sshSecrets: [null] }, saved.id)).toMatchObject({ ok: false, error: { code: 'SSH_AUTH_FAILED' } });
    expect(await profiles.testInput({ ...edited, sshSecrets: ['not-the-ssh-password'] }, saved.id)).toMatchObject({ ok: false, error: { code: 'SSH_AUTH_FAILED' } });
    // The saved secret stays as it was: a test changes nothing.
    expect((await profiles.get(saved.id)).sshSecretsSaved).toEqual([true]);
    expect(await profiles.test(saved.id)).toMatchObject({ ok: true });
  });
});

describe('canary checks (profiles/profile-validation.ts)', () => {
  it('one statement each, its closing semicolon and what follows it dropped; names unique; limits stated', () => {
    expect(normaliseCanaries([{ name: ' a ', sql: ' SELECT 1; ' }, { name: '', sql: "SELECT ';' AS semi -- the end\n;  -- after" }])).toEqual([
      { name: 'a', sql: 'SELECT 1' },
      { name: 'canary 2', sql: "SELECT ';' AS semi -- the end" },
    ]);
    // Semicolons inside strings, dollar quotes and comments are no statement ends.
    expect(normaliseCanaries([{ name: 'q', sql: "SELECT $x$a;b$x$ /* ; */ || ';'" }])).toEqual([{ name: 'q', sql: "SELECT $x$a;b$x$ /* ; */ || ';'" }]);
    expect(() => normaliseCanaries([{ name: 'c', sql: '-- only a comment' }])).toThrow('Canary "c" has no SQL.');
    expect(() => normaliseCanaries([{ name: 'c', sql: 'SELECT 1; SELECT 2' }])).toThrow('holds 2 statements');
    expect(() => normaliseCanaries([{ name: 'Same', sql: 'SELECT 1' }, { name: 'same', sql: 'SELECT 2' }])).toThrow('Two canaries are named "same".');
    expect(() => normaliseCanaries(Array.from({ length: 21 }, (_, i) => ({ name: `c${i}`, sql: 'SELECT 1' })))).toThrow('at most 20 are kept');
    expect(() => normaliseCanaries([{ name: 'n'.repeat(101), sql: 'SELECT 1' }])).toThrow('longer than 100 characters');
  });
});

/** A TCP server speaking PostgreSQL far enough to ask for a clear-text password, recording each one sent. */
async function passwordCatcher(): Promise<{ port: number; received: string[]; close(): Promise<void> }> {
  const received: string[] = [];
  const server = net.createServer((socket) => {
    let buffered = Buffer.alloc(0);
    let asking = false;
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!asking) {
        if (buffered.length < 8 || buffered.length < buffered.readUInt32BE(0)) return;
        buffered = buffered.subarray(buffered.readUInt32BE(0));
        asking = true;
        // Authentication request 3: the password in clear text, as a hostile server may ask.
        socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]));
      } else if (buffered.length >= 5 && buffered[0] === 0x70 && buffered.length >= 1 + buffered.readUInt32BE(1)) {
        received.push(buffered.subarray(5, buffered.readUInt32BE(1)).toString('utf8'));
        socket.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
