// lifeboat backup / list / inspect / verify / extract / key, as a user runs them.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { createEngine } from '../../main/engine/index.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import { lifeboat as runLifeboat, type CliOptions, type CliResult } from '../support/cli-runner.ts';
import { startCluster, type Cluster } from '../support/pg-cluster.ts';
import { SAMPLE_SCHEMA_SQL } from '../support/sample-schema.ts';

const run = promisify(execFile);
let home: string;
let out: string;
let cluster: Cluster;

/** The CLI in this file's LIFEBOAT_HOME (tests/support/cli-runner.ts). */
function lifeboat(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return runLifeboat(home, args, options);
}

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-bcli-'));
  out = path.join(home, 'out');
  cluster = await startCluster(17);
  await cluster.createDatabase('shopdb');
  await cluster.query(SAMPLE_SCHEMA_SQL, [], 'shopdb');
  const added = await lifeboat(['profile', 'add', 'shop', '--url', cluster.url('shopdb'), '--password-stdin'], { stdin: cluster.password });
  if (added.code !== 0) throw new Error(added.stderr);
});
afterAll(async () => {
  await lifeboat(['profile', 'remove', 'shop']);
  await cluster.stop();
  await rm(home, { recursive: true, force: true });
});

describe('lifeboat backup and the library commands', () => {
  it("backs up with Lifeboat's own key (created on first use) and exports a recovery key age can use", async () => {
    if (process.env.LIFEBOAT_EXPECT_KEYCHAIN !== '1') throw new Error('needs the keychain session: run with npm test');
    const backup = await lifeboat(['backup', '--profile', 'shop', '--out', out, '--json']);
    expect(backup.code, backup.stderr + backup.stdout).toBe(0);
    const result = JSON.parse(backup.stdout);
    expect(result).toMatchObject({ archive: expect.stringMatching(/^\/.*shop_shopdb_\d{8}T\d{6}Z\.lifeboat$/), sha256: expect.stringMatching(/^[0-9a-f]{64}$/), bytes: expect.any(Number), tables: 9, rows: 500 + 3000 + 3000 + 20 + 1 }); // audit_log gets a row per order (trigger)
    expect(backup.stderr).toMatch(/created its backup key[\s\S]*lifeboat key export/);
    expect(backup.stderr).toMatch(/"progress":\{.*"phase":"Dumping"/);

    const keyFile = path.join(home, 'recovery.txt');
    const exported = await lifeboat(['key', 'export', '--out', keyFile]);
    expect(exported.code, exported.stderr).toBe(0);
    const keyText = await readFile(keyFile, 'utf8');
    expect(keyText).toMatch(/^# created: .*\n# public key: age1[a-z0-9]+\n/);
    expect((await lifeboat(['key', 'export', '--out', keyFile])).stderr).toMatch(/already exists/);
    const { stdout } = await run('sh', ['-c', `age -d -i "${keyFile}" "${result.archive}" | tar -t`]);
    expect(stdout.split('\n').filter(Boolean)).toEqual(['manifest.json', 'globals.sql', 'database.dump.0001', 'checksums.json']);

    // A second backup reuses the key silently.
    const second = await lifeboat(['backup', '--profile', 'shop', '--out', out, '--json', '--no-row-counts']);
    expect(second.code, second.stderr + second.stdout).toBe(0);
    expect(second.stderr).not.toMatch(/created its backup key/);
    const show = JSON.parse((await lifeboat(['key', 'show', '--json'])).stdout);
    expect(keyText).toContain(show.recipient);
  });

  it('lists, inspects, verifies and extracts', async () => {
    const list = JSON.parse((await lifeboat(['list', out, '--json'])).stdout);
    expect(list.archives.length).toBe(2);
    expect(list.archives[0].sidecar.createdAt >= list.archives[1].sidecar.createdAt).toBe(true);
    const newest = list.archives[0].path;
    expect(JSON.parse((await lifeboat(['list', out, '--profile', 'nope', '--json'])).stdout).archives).toEqual([]);

    const inspect = await lifeboat(['inspect', list.archives[1].path, '--json']);
    expect(inspect.code, inspect.stderr).toBe(0);
    const details = JSON.parse(inspect.stdout);
    expect(details.lifeboat.manifest.server.version).toMatch(/^17\./);
    expect(details.lifeboat.checksums.rowCounts.tables).toContainEqual({ schema: 'shop', name: 'customers', rows: 500 });
    expect((await lifeboat(['inspect', list.archives[1].path])).stdout).toMatch(/shop\.customers\s+500/);

    const verify = await lifeboat(['verify', newest, '--full', '--json']);
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout).checks.join('\n')).toMatch(/pg_restore 18\.\d+ reads the table of contents/);

    const to = path.join(home, 'extracted');
    const extract = await lifeboat(['extract', newest, '--to', to]);
    expect(extract.code, extract.stderr).toBe(0);
    expect((await readdir(to)).sort()).toEqual(['checksums.json', 'database.dump.0001', 'globals.sql', 'manifest.json']);
    expect((await lifeboat(['extract', newest, '--to', to])).stderr).toMatch(/not empty/);
  });

  it('passphrase archives open with the passphrase only; the wrong one is named as such', async () => {
    const env = { BACKUP_PASSPHRASE: 'a long and secret passphrase' };
    const backup = await lifeboat(['backup', '--profile', 'shop', '--out', path.join(home, 'pass'), '--passphrase-env', 'BACKUP_PASSPHRASE', '--json'], { env });
    expect(backup.code, backup.stderr + backup.stdout).toBe(0);
    const { archive } = JSON.parse(backup.stdout);
    expect(await readFile(archive, 'latin1')).toMatch(/^age-encryption\.org\/v1\n-> scrypt /);
    expect((await lifeboat(['verify', archive, '--full', '--passphrase-env', 'BACKUP_PASSPHRASE'], { env })).code).toBe(0);
    const wrong = await lifeboat(['verify', archive, '--full', '--passphrase-env', 'BACKUP_PASSPHRASE'], { env: { BACKUP_PASSPHRASE: 'not it' } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/The passphrase does not open this archive/);
    const otherKey = generateAgeKeyPair();
    const keyFile = path.join(home, 'other.txt');
    await (await import('node:fs/promises')).writeFile(keyFile, otherKey.identity);
    const wrongKey = await lifeboat(['inspect', archive, '--identity', keyFile]);
    expect(wrongKey.stderr).toMatch(/None of the keys given can open this archive/);
  });

  it('--no-encrypt is an explicit, labelled opt-in: a plain tar', async () => {
    const backup = await lifeboat(['backup', '--profile', 'shop', '--out', path.join(home, 'plain'), '--no-encrypt', '--json']);
    expect(backup.code, backup.stderr + backup.stdout).toBe(0);
    expect(backup.stderr).toMatch(/will NOT be encrypted/);
    const { archive, encryption } = JSON.parse(backup.stdout);
    expect(encryption).toBe('none');
    const { stdout } = await run('tar', ['-tf', archive]);
    expect(stdout).toContain('database.dump.0001');
    expect((await lifeboat(['list', path.join(home, 'plain')])).stdout).toMatch(/none/);
  });

  it('refuses conflicting or broken options with one line', async () => {
    const both = await lifeboat(['backup', '--profile', 'shop', '--no-encrypt', '--recipient', 'age1x']);
    expect(both.code).toBe(2);
    const badRecipient = await lifeboat(['backup', '--profile', 'shop', '--out', out, '--recipient', 'age1notakey']);
    expect(badRecipient.code).toBe(1);
    expect(badRecipient.stderr).toMatch(/is not an age X25519 recipient/);
    const missing = await lifeboat(['verify', path.join(home, 'nope.lifeboat')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    const notArchive = path.join(home, 'fake.lifeboat');
    await (await import('node:fs/promises')).writeFile(notArchive, 'hello, I am not an archive\n'.repeat(40));
    const fake = await lifeboat(['inspect', notArchive]);
    expect(fake.stderr).toMatch(/fake\.lifeboat is not something Lifeboat can restore: it looks like a text file, but not SQL\. Fix: Lifeboat restores Lifeboat archives/);
  });
});

describe('"drill after every backup" holds on the command line too', () => {
  it('a CLI backup with the setting on waits for the drill the engine starts, reports it, and leaves a drill record', async () => {
    const settingsEngine = await createEngine({ dataDir: home, secrets: new SessionSecretStore('settings only') });
    settingsEngine.settings.update({ drillAfterBackup: true });
    try {
      const backup = await lifeboat(['backup', '--profile', 'shop', '--out', path.join(home, 'drilled'), '--no-encrypt', '--json']);
      expect(backup.code, backup.stderr).toBe(0);
      const result = JSON.parse(backup.stdout) as { archive: string; drill?: { passed: boolean; archive: { path: string } } };
      expect(backup.stderr).toContain('lifeboat: drilling the new backup (Settings: drill after every backup)…');
      expect(result.drill).toMatchObject({ passed: true, archive: { path: result.archive } });
      const history = await lifeboat(['drill', 'history', '--profile', 'shop', '--json']);
      expect((JSON.parse(history.stdout) as { drills: { archive: { path: string } }[] }).drills.map((d) => d.archive.path)).toContain(result.archive);
    } finally {
      settingsEngine.settings.update({ drillAfterBackup: false });
    }
    // Off again: a backup is only a backup.
    const plain = await lifeboat(['backup', '--profile', 'shop', '--out', path.join(home, 'drilled'), '--no-encrypt', '--json']);
    expect(JSON.parse(plain.stdout)).not.toHaveProperty('drill');
  }, 120_000);
});
