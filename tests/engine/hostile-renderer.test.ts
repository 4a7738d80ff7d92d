// The renderer is untrusted: a page that runs script can call every IPC channel with any payload.
// Driven here through the real dispatcher and a real engine: no file is written or read unless a
// main-process dialog returned it to the user just now (exports are written once, to a new file, never
// through a symlink), and settings that change who can read new backups or what runs need the user's
// yes in a main-process question.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import type { InvokeChannel } from '../../main/ipc/contract.ts';
import { createDispatcher, createHandlers, type ShellPorts } from '../../main/ipc/handlers.ts';
import { createTestEngine, type EngineFixture } from '../support/engine-fixture.ts';
import { startS3Lab, type S3Lab } from '../support/s3-lab.ts';
import { testShell } from '../support/test-shell.ts';

let fixture: EngineFixture;
let dir: string;
/** What the next dialog returns, and the user's answer to main's questions. */
const t = testShell();
t.answer(false);
let dispatch: ReturnType<typeof createDispatcher>;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-hostile-renderer-'));
  fixture = await createTestEngine({ secrets: new SessionSecretStore('hostile renderer test') });
  dispatch = createDispatcher(createHandlers(fixture.engine, t.shell));
});
afterAll(async () => {
  await fixture?.dispose();
  await rm(dir, { recursive: true, force: true });
});

const call = (channel: InvokeChannel, ...args: unknown[]) => dispatch(channel, args);
async function choose(kind: 'file' | 'folder' | 'save-file', chosen: string): Promise<void> {
  t.choose(chosen);
  const args = kind === 'file' ? ['Choose', []] : kind === 'folder' ? ['Choose'] : ['Save', 'x'];
  expect(await dispatch(`dialog:choose-${kind}`, args)).toEqual({ ok: true, value: chosen });
  t.choose(null);
}

describe('files the page names', () => {
  it('an export to a path no dialog returned (~/.bashrc, say) is refused and the file stays as it was', async () => {
    const bashrc = path.join(dir, '.bashrc');
    await writeFile(bashrc, 'alias ls=ls\n');
    for (const [channel, args] of [['activity:export', [bashrc]], ['keys:export-recovery', [bashrc]], ['drills:export-report', ['20261122T010000Z-abc123', bashrc]]] as const) {
      const result = await call(channel, ...args);
      expect(result, channel).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('was not chosen in a save dialog') } });
    }
    expect(await readFile(bashrc, 'utf8')).toBe('alias ls=ls\n');
  });

  it('a chosen export is written once, as a new file: a symlink planted at that name is replaced, not followed', async () => {
    const victim = path.join(dir, 'victim');
    await writeFile(victim, 'untouched');
    const target = path.join(dir, 'activity.jsonl');
    await symlink(victim, target);
    await choose('save-file', target);
    expect(await call('activity:export', target)).toMatchObject({ ok: true });
    expect(await readFile(victim, 'utf8')).toBe('untouched');
    expect((await lstat(target)).isSymbolicLink()).toBe(false);
    // The grant is used up: the page cannot write there again on its own.
    expect(await call('activity:export', target)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    // A grant for one path is no grant for another.
    await choose('save-file', path.join(dir, 'a.jsonl'));
    expect(await call('activity:export', path.join(dir, 'b.jsonl'))).toMatchObject({ ok: false });
  });

  it('files are read only when chosen: a pgpass preview of another file, an identity file, an archive to import', async () => {
    const secret = path.join(dir, 'secret.txt');
    await writeFile(secret, 'db:5432:app:app:Not-for-the-page\n');
    expect(await call('profiles:import-preview', { kind: 'pgpass', file: secret })).toMatchObject({ ok: false, error: { message: expect.stringContaining('was not chosen in an open dialog') } });
    expect(await call('restore:inspect', path.join(dir, 'x.dump'), { identityFile: secret })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(await call('library:import', secret)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    await choose('file', secret);
    expect(await call('profiles:import-preview', { kind: 'pgpass', file: secret })).toMatchObject({ ok: true, value: [{ hasPassword: true }] });
  });
});

describe('files a profile or the file manager would touch', () => {
  const profile = { host: '127.0.0.1', port: 5432, database: 'postgres', user: 'postgres', sslmode: 'verify-full', color: 'blue' } as const;

  it('a profile\'s SSL files (read at every connection; a client certificate is sent) must come from an open dialog; ones it already has stay', async () => {
    const key = path.join(dir, 'id_ed25519');
    await writeFile(key, 'not for the page');
    const refused = { ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('was not chosen in an open dialog') } };
    expect(await call('profiles:add', { ...profile, name: 'ssl-page', sslRootCert: key })).toMatchObject(refused);
    expect(await call('profiles:add', { ...profile, name: 'ssl-page', sslRootCert: path.join(dir, 'ca.crt'), sslCert: key })).toMatchObject(refused);
    expect(await call('profiles:import-save', { kind: 'uri', uri: `postgres://app@db/app?sslmode=verify-full&sslkey=${encodeURIComponent(key)}` }, null)).toMatchObject(refused);
    const ca = path.join(dir, 'ca.crt');
    await writeFile(ca, 'a CA');
    await choose('file', ca);
    const added = await call('profiles:add', { ...profile, name: 'ssl-chosen', sslRootCert: ca });
    expect(added).toMatchObject({ ok: true });
    const id = (added as { value: { id: string } }).value.id;
    // Editing other fields keeps the chosen file without a new dialog; a new file needs one.
    expect(await call('profiles:update', id, { ...profile, name: 'ssl-renamed', sslRootCert: ca })).toMatchObject({ ok: true });
    expect(await call('profiles:update', id, { ...profile, name: 'ssl-renamed', sslRootCert: ca, sslKey: key })).toMatchObject(refused);
    expect((await fixture.engine.profiles.get(id)).sslKey).toBeUndefined();
  });

  it('"Show in folder" shows library files only (it tells whether a file exists)', async () => {
    const revealed: string[] = [];
    const shell: ShellPorts = { appVersion: '0', chooseFile: async () => null, chooseFolder: async () => null, chooseSaveFile: async () => null, confirm: async () => false, revealInFolder: (file) => revealed.push(file), openPath: () => {}, notify: () => {}, runDueCommand: () => ({ executable: '/bin/true', args: [] }), emit: () => {} };
    const reveal = (file: string) => createDispatcher(createHandlers(fixture.engine, shell))('library:reveal', [file]);
    expect(await reveal(path.join(os.homedir(), '.ssh', 'id_rsa'))).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    const [folder] = await fixture.engine.library.folders();
    const archive = path.join(folder!, 'shop-20261122T010000Z.lifeboat');
    expect(await reveal(archive)).toMatchObject({ ok: true });
    expect(revealed).toEqual([archive]);
  });
});

describe('backup files the page names', () => {
  it('a file no dialog, drop or library listed (a SQL history, say) is not read: inspect, preflight, drill', async () => {
    const history = path.join(dir, '.psql_history');
    await writeFile(history, "SELECT 'secret-query' FROM payroll;\n");
    const refused = { ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('was not chosen in an open dialog') } };
    expect(await call('restore:inspect', history, {})).toMatchObject(refused);
    expect(await call('restore:preflight', { file: history, profileId: 'p-1', mode: 'new', database: 'x' })).toMatchObject(refused);
    expect(await call('drills:start', { file: history, scratch: 'embedded' })).toMatchObject(refused);
    const disguised = path.join(dir, 'history.lifeboat');
    await writeFile(disguised, "SELECT 'secret-query' FROM payroll;\n");
    expect(await call('library:details', disguised)).toMatchObject(refused);
    // Chosen by the user, it is read (and is not a backup).
    await choose('file', history);
    expect(await call('restore:inspect', history, {})).toMatchObject({ ok: true, value: { inner: 'sql' } });
  });
});

describe('whole-server run records the page names', () => {
  // A record names the archives a drill reads: one planted in a library folder (no tag, a made-up
  // tag) or lying elsewhere is neither listed nor drilled.
  it('a run record without a valid library tag is not listed, and runs:drill refuses it and any unlisted record', async () => {
    const [folder] = await fixture.engine.library.folders();
    await mkdir(folder!, { recursive: true });
    const record = { format: 'lifeboat-run', version: 1, id: 'planted', profile: 'prod', profileId: 'p-1', host: '127.0.0.1', port: 5432, serverVersion: '18.0', startedAt: '2099-01-01T00:00:00.000Z', finishedAt: '2099-01-01T00:00:01.000Z', durationMs: 1000, outcome: 'ok', consistency: '', concurrency: 1, scope: { kind: 'list', databases: ['shop'] }, globals: { kind: 'skipped', sha256: '', bytes: 0, note: null }, databases: [{ name: 'shop', outcome: 'ok', archive: '../../home/me/.ssh/id_rsa' }], excluded: [], dropped: [] };
    const untagged = path.join(folder!, 'prod_server_20990101T000000Z.lifeboat-run.json');
    const forged = path.join(folder!, 'prod_server_20990102T000000Z.lifeboat-run.json');
    const elsewhere = path.join(dir, 'prod_server_20990103T000000Z.lifeboat-run.json');
    await writeFile(untagged, JSON.stringify(record));
    await writeFile(forged, JSON.stringify({ ...record, libraryTag: 'a'.repeat(64) }));
    await writeFile(elsewhere, JSON.stringify({ ...record, libraryTag: 'a'.repeat(64) }));
    expect(await call('runs:list')).toEqual({ ok: true, value: [] });
    for (const file of [untagged, forged, elsewhere]) {
      expect(await call('runs:drill', { file }), file).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('is not a whole-server run this Lifeboat lists') } });
    }
    // Chosen in an open dialog (which lets Lifeboat read a file) is still no run to drill.
    await choose('file', elsewhere);
    expect(await call('runs:drill', { file: elsewhere })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });

  // A run restore reads the archives the record names and creates databases on a server: the same rule.
  it('runs:restore-preflight and runs:restore refuse a record without a valid library tag, or lying elsewhere, even one chosen in a dialog', async () => {
    const [folder] = await fixture.engine.library.folders();
    await mkdir(folder!, { recursive: true });
    const record = { format: 'lifeboat-run', version: 1, id: 'planted', profile: 'prod', profileId: 'p-1', host: '127.0.0.1', port: 5432, serverVersion: '18.0', startedAt: '2099-01-01T00:00:00.000Z', finishedAt: '2099-01-01T00:00:01.000Z', durationMs: 1000, outcome: 'ok', consistency: '', concurrency: 1, scope: { kind: 'list', databases: ['shop'] }, globals: { kind: 'skipped', sha256: '', bytes: 0, note: null }, databases: [{ name: 'shop', outcome: 'ok', archive: '../../home/me/.ssh/id_rsa' }], excluded: [], dropped: [] };
    const untagged = path.join(folder!, 'prod_server_20990104T000000Z.lifeboat-run.json');
    const forged = path.join(folder!, 'prod_server_20990105T000000Z.lifeboat-run.json');
    const elsewhere = path.join(dir, 'prod_server_20990106T000000Z.lifeboat-run.json');
    await writeFile(untagged, JSON.stringify(record));
    await writeFile(forged, JSON.stringify({ ...record, libraryTag: 'b'.repeat(64) }));
    await writeFile(elsewhere, JSON.stringify({ ...record, libraryTag: 'b'.repeat(64) }));
    const target = await fixture.engine.profiles.add({ name: 'run-restore-target', host: '127.0.0.1', port: 9, database: 'postgres', user: 'postgres', sslmode: 'disable', color: 'blue' });
    await choose('file', elsewhere);
    for (const file of [untagged, forged, elsewhere]) {
      for (const channel of ['runs:restore-preflight', 'runs:restore'] as const) {
        expect(await call(channel, { file, profileId: target.id, createMissingRoles: true }), `${channel} ${file}`).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('is not a whole-server run this Lifeboat lists, so it is not restored') } });
      }
    }
  });
});

describe('settings that decide who can read new backups, or what runs', () => {
  it('encrypting to the page\'s own key, or "recipients only", needs the user\'s yes in a main-process question', async () => {
    const before = fixture.engine.settings.get();
    const attacker = generateAgeKeyPair().recipient;
    t.answer(false);
    const declined = await call('settings:update', { encryptionMode: 'recipients', extraRecipients: [attacker] });
    expect(declined).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    expect(fixture.engine.settings.get()).toEqual(before);
    expect(t.asked.at(-1)).toContain('to the extra recipients only');
    expect(t.asked.at(-1)).toContain(attacker.slice(0, 16));
    t.answer(true);
    expect(await call('settings:update', { extraRecipients: [attacker] })).toMatchObject({ ok: true });
    expect(fixture.engine.settings.get().extraRecipients).toEqual([attacker]);
    // Settings that change nothing of that kind are not asked about.
    const questions = t.asked.length;
    expect(await call('settings:update', { compressionLevel: 5 })).toMatchObject({ ok: true });
    expect(t.asked).toHaveLength(questions);
  });

  it('a tools or backup folder must come from a folder dialog, and is confirmed too', async () => {
    t.answer(true);
    const evil = path.join(dir, 'evil-bin');
    expect(await call('settings:update', { pgToolsDir: evil })).toMatchObject({ ok: false, error: { message: expect.stringContaining('was not chosen in a folder dialog') } });
    expect(await call('settings:update', { backupFolder: evil })).toMatchObject({ ok: false });
    expect(fixture.engine.settings.get().pgToolsDir).toBeNull();
    await choose('folder', evil);
    t.answer(false);
    expect(await call('settings:update', { pgToolsDir: evil })).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    expect(t.asked.at(-1)).toContain(`Run PostgreSQL tools from ${evil}`);
    expect(fixture.engine.settings.get().pgToolsDir).toBeNull();
  });
});

describe('offsite copies the page asks for', () => {
  const s3 = { endpoint: 'http://127.0.0.1:9', region: 'us-east-1', bucket: 'attacker-bucket', prefix: 'loot/', pathStyle: true, accessKeyId: 'AKIAATTACKER', partChecksums: true };
  const secretKey = 'attacker-secret-0123456789';

  it('only archives in a library folder are uploaded: ~/.ssh/id_rsa, a look-alike outside the library, or a file the user opened are refused', async () => {
    const profile = await fixture.engine.profiles.add({ name: 'offsite-src', host: '127.0.0.1', port: 5432, database: 'postgres', user: 'postgres', sslmode: 'disable', color: 'blue' });
    t.answer(true);
    const added = await call('destinations:add', { name: 'page-made', profileId: profile.id, s3, secretKey });
    expect(added).toMatchObject({ ok: true });
    const destinationId = (added as { value: { id: string } }).value.id;
    const notInLibrary = { ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('is not in a library folder') } };

    // Not an archive at all: refused by the schema before anything runs.
    expect(await call('copies:start', { file: path.join(os.homedir(), '.ssh', 'id_rsa'), destinationId })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('must be a .lifeboat archive') } });
    // A private file renamed like an archive, with a sidecar that matches it, outside the library.
    const disguised = path.join(dir, 'id_rsa.lifeboat');
    await writeFile(disguised, '-----BEGIN OPENSSH PRIVATE KEY-----\n');
    await writeFile(`${disguised}.json`, JSON.stringify({ archive: 'id_rsa.lifeboat', bytes: 36 }));
    expect(await call('copies:start', { file: disguised, destinationId })).toMatchObject(notInLibrary);
    // Chosen in an open dialog (which lets Lifeboat read it) is still no leave to upload it.
    await choose('file', disguised);
    expect(await call('copies:start', { file: disguised, destinationId })).toMatchObject(notInLibrary);
    expect(await fixture.engine.copies.states()).toEqual([]);
  });

  it('a destination (every new backup leaves for that bucket) needs the user\'s yes in a main-process question; its secret key never comes back', async () => {
    const profile = await fixture.engine.profiles.get('offsite-src');
    t.answer(false);
    const declined = await call('destinations:add', { name: 'declined', profileId: profile.id, s3, secretKey });
    expect(declined).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    expect(t.asked.at(-1)).toContain('Copy every new backup of offsite-src to "declined"?');
    expect(t.asked.at(-1)).toContain('s3://attacker-bucket/loot/ at http://127.0.0.1:9');
    expect((await fixture.engine.destinations.list()).map((d) => d.name)).toEqual(['page-made']);
    // Checked before the question: an invalid destination is refused without asking.
    const questions = t.asked.length;
    expect(await call('destinations:add', { name: 'bad-endpoint', profileId: profile.id, s3: { ...s3, endpoint: 'http://attacker.example.com' }, secretKey })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(t.asked).toHaveLength(questions);

    for (const result of [await call('destinations:list', {}), await call('destinations:test', (await fixture.engine.destinations.get('page-made')).id, [])]) {
      expect(JSON.stringify(result)).not.toContain(secretKey);
    }
    expect(await call('destinations:list', {})).toMatchObject({ ok: true, value: [{ name: 'page-made', secretSaved: true }] });
  });
});

describe('remote archives the page asks for', () => {
  let lab: S3Lab;
  let destinationId: string;
  const emitted: { channel: string; args: unknown[] }[] = [];
  let remote: ReturnType<typeof createDispatcher>;
  const bytes = Buffer.from('not really an archive, but the bytes its sidecar names\n'.repeat(100));

  beforeAll(async () => {
    lab = await startS3Lab();
    const profile = await fixture.engine.profiles.add({ name: 'remote-src', host: '127.0.0.1', port: 9, database: 'postgres', user: 'postgres', sslmode: 'disable', color: 'blue' });
    const s3 = { endpoint: lab.endpoint, region: lab.region, bucket: lab.bucket, prefix: 'r/', pathStyle: true, accessKeyId: lab.accessKeyId, partChecksums: true };
    destinationId = (await fixture.engine.destinations.add({ name: 'lab', profile: profile.id, s3, secretKey: lab.secretAccessKey })).id;
    const sidecar = { sidecarVersion: 1, archive: 'x.lifeboat', formatVersion: 1, profile: 'remote-src', host: '127.0.0.1', port: 9, database: 'postgres', serverVersion: '18.0', pgDumpVersion: '18.0', createdAt: '2026-11-22T01:00:00.000Z', finishedAt: '2026-11-22T01:00:01.000Z', durationMs: 1000, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), encryption: { kind: 'none', recipients: [] }, compression: 'zstd', tables: 0, totalRows: 0, rowCountsExact: true, dumpBytes: 1 };
    await lab.client().send(new PutObjectCommand({ Bucket: lab.bucket, Key: 'r/x.lifeboat', Body: bytes }));
    await lab.client().send(new PutObjectCommand({ Bucket: lab.bucket, Key: 'r/x.lifeboat.json', Body: JSON.stringify(sidecar) }));
    const shell: ShellPorts = { ...t.shell, chooseSaveFile: async () => null, confirm: async () => false, emit: (channel, ...args) => void emitted.push({ channel, args }) };
    remote = createDispatcher(createHandlers(fixture.engine, shell));
  }, 60_000);
  afterAll(async () => {
    await lab?.stop();
  });

  const send = (channel: InvokeChannel, ...args: unknown[]) => remote(channel, args);
  async function finished(started: Awaited<ReturnType<typeof send>>): Promise<{ ok: boolean; value?: { file: string }; error?: { code: string; message: string } }> {
    expect(started, JSON.stringify(started)).toMatchObject({ ok: true });
    const { jobId } = (started as { value: { jobId: string } }).value;
    for (let waited = 0; waited < 30_000; waited += 50) {
      const done = emitted.find((e) => e.channel === 'jobs:finished' && (e.args[0] as { jobId: string }).jobId === jobId);
      if (done) return done.args[0] as never;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`job ${jobId} did not finish`);
  }
  const gone = async (file: string) => {
    for (let waited = 0; waited < 5000 && (await stat(path.dirname(file)).then(() => true, () => false)); waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    return !(await stat(path.dirname(file)).then(() => true, () => false));
  };
  const refused = { ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('was not chosen in an open dialog') } };

  it('a download goes only into a folder a dialog just returned, and never over a file', async () => {
    const elsewhere = path.join(dir, 'not-chosen');
    expect(await send('copies:download', destinationId, 'x.lifeboat', elsewhere)).toMatchObject({ ok: false, error: { message: expect.stringContaining('was not chosen in a folder dialog') } });
    t.choose(dir);
    expect(await send('dialog:choose-folder', 'Download into')).toMatchObject({ ok: true, value: dir });
    t.choose(null);
    await writeFile(path.join(dir, 'x.lifeboat'), 'already here');
    expect(await finished(await send('copies:download', destinationId, 'x.lifeboat', dir))).toMatchObject({ ok: false, error: { message: expect.stringContaining('never overwrites') } });
    expect(await readFile(path.join(dir, 'x.lifeboat'), 'utf8')).toBe('already here');
  });

  it('a copy fetched for a restore is readable by its path alone, and only until the restore using it ends', async () => {
    const fetched = await finished(await send('copies:fetch', destinationId, 'x.lifeboat'));
    expect(fetched).toMatchObject({ ok: true, value: { file: expect.stringMatching(new RegExp(`^${os.tmpdir()}/lifeboat-restore-${process.pid}-[^/]+/x\\.lifeboat$`)) } });
    const file = fetched.value!.file;
    expect(await readFile(file)).toEqual(bytes);
    // Read (and found to be no backup: these bytes only pretend), not refused.
    expect(await send('restore:inspect', file, {})).toMatchObject({ ok: false, error: { code: 'NOT_AN_ARCHIVE' } });
    // Its sidecar, or anything else in that folder, is no file the page was given.
    expect(await send('restore:inspect', `${file}.json`, {})).toMatchObject(refused);
    await writeFile(path.join(path.dirname(file), 'planted.lifeboat'), 'x');
    expect(await send('library:details', path.join(path.dirname(file), 'planted.lifeboat'))).toMatchObject(refused);
    // "Discarding" a file main did not fetch deletes nothing.
    const mine = path.join(dir, 'mine.lifeboat');
    await writeFile(mine, 'keep me');
    expect(await send('copies:discardFetched', mine)).toMatchObject({ ok: true });
    expect(await readFile(mine, 'utf8')).toBe('keep me');

    // The restore started on it owns it: when that restore ends (here it fails: not a backup), the copy goes.
    const profileId = (await fixture.engine.profiles.get('remote-src')).id;
    const restore = await finished(await send('restore:start', { file, profileId, mode: 'new', database: 'from_remote' }));
    expect(restore.ok).toBe(false);
    expect(await gone(file)).toBe(true);
    expect(await send('restore:inspect', file, {})).toMatchObject(refused);
  });

  it('a fetched copy the page lets go of is removed; one no job uses is never read again', async () => {
    const fetched = await finished(await send('copies:fetch', destinationId, 'x.lifeboat'));
    const file = fetched.value!.file;
    expect(await send('copies:discardFetched', file)).toMatchObject({ ok: true });
    expect(await gone(file)).toBe(true);
    expect(await send('restore:inspect', file, {})).toMatchObject(refused);
  });
});

describe('SFTP destinations the page adds', () => {
  const passphrase = 'sftp-key-passphrase-not-for-the-page';
  const invalid = (message: string) => ({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining(message) } });

  it('the SSH key file must come from an open dialog, the folder is a clean absolute path, secrets are bounded: all refused before anything is asked', async () => {
    const profile = await fixture.engine.profiles.add({ name: 'sftp-src', host: '127.0.0.1', port: 5432, database: 'postgres', user: 'postgres', sslmode: 'disable', color: 'blue' });
    const key = path.join(dir, 'id_ed25519_sftp');
    await writeFile(key, 'not for the page');
    const sftp = { host: '127.0.0.1', port: 9, user: 'backup', auth: 'key', keyFile: key, jumps: [], keepAliveSeconds: 30, folder: '/srv/backups' };
    const request = { name: 'sftp-page', profileId: profile.id, sftp, sshSecrets: [passphrase] };
    const questions = t.asked.length;
    t.answer(true);

    // ~/.ssh/id_rsa, or any key the page names, is never read nor sent to a server it chose.
    expect(await call('destinations:add', request)).toMatchObject(invalid('was not chosen in an open dialog'));
    expect(await call('destinations:add', { ...request, sftp: { ...sftp, auth: 'agent', keyFile: undefined, jumps: [{ host: '127.0.0.1', port: 10, user: 'j', auth: 'key', keyFile: path.join(os.homedir(), '.ssh', 'id_rsa') }] }, sshSecrets: [null, null] })).toMatchObject(invalid('was not chosen in an open dialog'));
    await choose('file', key);
    expect(await call('destinations:add', { ...request, sftp: { ...sftp, folder: '/srv/backups/../../root/.ssh' } })).toMatchObject(invalid('must be an absolute folder without "." or ".." parts'));
    expect(await call('destinations:add', { ...request, sftp: { ...sftp, folder: 'relative/folder' } })).toMatchObject(invalid('must be an absolute folder'));
    expect(await call('destinations:add', { ...request, sshSecrets: ['x'.repeat(100_000)] })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(await call('destinations:add', { ...request, sshSecrets: [passphrase, passphrase, passphrase] })).toMatchObject(invalid('at most one SSH secret per hop'));
    expect(await call('destinations:add', { ...request, secretKey: 'an S3 key' })).toMatchObject(invalid('secretKey is for an S3 destination'));
    expect(await call('destinations:test', 'sftp-page', ['not-a-fingerprint'])).toMatchObject(invalid('SHA256'));
    expect(t.asked).toHaveLength(questions);
    expect((await fixture.engine.destinations.list()).map((d) => d.name)).not.toContain('sftp-page');
  });

  it('a chosen key file: the user is asked in main (the server and folder named), the passphrase goes to the keychain and never comes back', async () => {
    const profile = await fixture.engine.profiles.get('sftp-src');
    const key = path.join(dir, 'id_ed25519_sftp');
    const request = { name: 'sftp-page', profileId: profile.id, sftp: { host: '127.0.0.1', port: 9, user: 'backup', auth: 'key', keyFile: key, jumps: [], keepAliveSeconds: 30, folder: '/srv//backups/' }, sshSecrets: [passphrase] };
    t.answer(false);
    expect(await call('destinations:add', request)).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    expect(t.asked.at(-1)).toContain('Copy every new backup of sftp-src to "sftp-page"?');
    expect(t.asked.at(-1)).toContain('sftp://backup@127.0.0.1:9/srv/backups');
    expect(t.asked.at(-1)).toContain('Whoever can read that folder on the SSH server');

    t.answer(true);
    const added = await call('destinations:add', request);
    expect(added).toMatchObject({ ok: true, value: { kind: 'sftp', sftp: { folder: '/srv/backups', keyFile: key }, sshSecretsSaved: [true] } });
    const id = (added as { value: { id: string } }).value.id;
    // Nothing listens on port 9: the test fails, and says so without the passphrase.
    const tested = await call('destinations:test', id, []);
    expect(tested).toMatchObject({ ok: true, value: { ok: false } });
    for (const result of [added, tested, await call('destinations:list', {})]) expect(JSON.stringify(result)).not.toContain(passphrase);
    expect(await call('destinations:remove', id)).toMatchObject({ ok: true });
  });
});
