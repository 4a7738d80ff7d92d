// Bad input, part 2: the wrong key, an archive from a newer Lifeboat, files and folders that are not
// backups, SQL scripts with psql meta-commands, and archives whose recorded row counts disagree with
// their data — including a replace whose verification fails, where the swap must not happen.
// Each through the CLI: a specific message, a non-zero exit, no stack trace, nothing created or changed.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARCHIVE_FORMAT_VERSION } from '../../main/engine/archive/archive-format.ts';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import { craftArchive, editJsonEntry } from '../support/archive-craft.ts';
import { createTestEngine, type EngineFixture } from '../support/engine-fixture.ts';
import { startCluster, type Cluster, clusterProfile } from '../support/pg-cluster.ts';
import { dataFingerprint, schemaText } from '../support/pg-tools.ts';
import { addCliProfile, databases, engineLeftovers, exists, isolateTmp, lifeboat, processesWithEnv, settleToolChildren } from '../support/restore-fixtures.ts';
import { SAMPLE_SCHEMA_SQL } from '../support/sample-schema.ts';
import { FULL_TIER } from './fault-tier.ts';
import { expectDrillRefusal, expectHumanRefusal, expectJsonRefusal, expectNoCrash } from './refusal.ts';

const key = generateAgeKeyPair();
const otherKey = generateAgeKeyPair();
const PASSPHRASE = 'the right passphrase, long enough';

let fixture: EngineFixture;
let tmp: Awaited<ReturnType<typeof isolateTmp>>;
let cluster: Cluster;
let home: string;
let files: string;
let keyFile: string;
let otherKeyFile: string;
let archive: string;
let passphraseArchive: string;
let before: string[];
let shopAtStart: Record<string, string>;
let shopSchema: string;

/** Nothing created, changed or left running; shopdb exactly as at the start. */
async function expectUntouched(what: string): Promise<void> {
  expect(await databases(cluster), what).toEqual(before);
  expect(await settleToolChildren(), `${what}: pg_restore/psql still running`).toEqual([]);
  expect(await engineLeftovers(tmp.dir), `${what}: temporary files left`).toEqual([]);
  expect(processesWithEnv('LIFEBOAT_HOME', home), `${what}: processes of the CLI left`).toEqual([]);
  expect(await dataFingerprint(cluster, 'shopdb'), what).toEqual(shopAtStart);
}

const restoreArgs = (file: string, database: string, ...extra: string[]) => ['restore', file, '--profile', 'pg', '--into', database, ...extra, '--json'];

beforeAll(async () => {
  tmp = await isolateTmp('lifeboat-faults-files-');
  home = path.join(tmp.dir, 'home');
  files = path.join(tmp.dir, 'files');
  await mkdir(home);
  await mkdir(files);
  keyFile = path.join(home, 'recovery-key.txt');
  otherKeyFile = path.join(home, 'someone-elses-key.txt');
  await writeFile(keyFile, `${key.identity}\n`, { mode: 0o600 });
  await writeFile(otherKeyFile, `${otherKey.identity}\n`, { mode: 0o600 });
  fixture = await createTestEngine({ secrets: new SessionSecretStore('bad input: files') });
  cluster = await startCluster(18);
  await cluster.createDatabase('shopdb');
  await cluster.query(SAMPLE_SCHEMA_SQL, [], 'shopdb');
  await fixture.engine.profiles.add(clusterProfile(cluster, 'pg', { database: 'shopdb', color: 'red' }));
  archive = (await fixture.engine.backups.start({ profile: 'pg', outDir: path.join(tmp.dir, 'enc'), encryption: { kind: 'recipients', recipients: [key.recipient] } }).result).archive;
  passphraseArchive = (await fixture.engine.backups.start({ profile: 'pg', outDir: path.join(tmp.dir, 'pass'), encryption: { kind: 'passphrase', passphrase: PASSPHRASE } }).result).archive;
  await addCliProfile(home, 'pg', cluster, 'shopdb');
  before = await databases(cluster);
  shopAtStart = await dataFingerprint(cluster, 'shopdb');
  shopSchema = await schemaText(cluster, 'shopdb');
});
afterAll(async () => {
  if (home) await lifeboat(home, ['profile', 'remove', 'pg']);
  await fixture?.dispose();
  await cluster?.stop();
  await tmp?.restore();
});

describe('the wrong key', () => {
  it('someone else\'s identity: restore, inspect, verify --full refuse with WRONG_KEY; a drill cannot run (exit 2)', async () => {
    const message = /None of the keys given can open this archive/;
    expectJsonRefusal(await lifeboat(home, restoreArgs(archive, 'wrong_identity', '--identity', otherKeyFile)), ['WRONG_KEY'], message, 'restore');
    if (FULL_TIER) expectHumanRefusal(await lifeboat(home, ['restore', archive, '--profile', 'pg', '--into', 'wrong_identity', '--identity', otherKeyFile]), message, 'restore (human)');
    expectJsonRefusal(await lifeboat(home, ['inspect', archive, '--identity', otherKeyFile, '--json']), ['WRONG_KEY'], message, 'inspect');
    expectJsonRefusal(await lifeboat(home, ['verify', archive, '--full', '--identity', otherKeyFile, '--json']), ['WRONG_KEY'], message, 'verify --full');
    expectDrillRefusal(await lifeboat(home, ['drill', archive, '--identity', otherKeyFile, '--json']), 2, ['WRONG_KEY'], message, 'drill');
    await expectUntouched('wrong identity');
  });

  it('the wrong passphrase: WRONG_KEY naming the passphrase; no key at all: NO_KEY; a file that is not an identity: INVALID_INPUT', async () => {
    const env = { PASS: 'not the passphrase' };
    const message = /The passphrase does not open this archive/;
    expectJsonRefusal(await lifeboat(home, restoreArgs(passphraseArchive, 'wrong_pass', '--passphrase-env', 'PASS'), { env }), ['WRONG_KEY'], message, 'restore');
    if (FULL_TIER) {
      expectJsonRefusal(await lifeboat(home, ['inspect', passphraseArchive, '--passphrase-env', 'PASS', '--json'], { env }), ['WRONG_KEY'], message, 'inspect');
      expectJsonRefusal(await lifeboat(home, ['verify', passphraseArchive, '--full', '--passphrase-env', 'PASS', '--json'], { env }), ['WRONG_KEY'], message, 'verify --full');
      expectDrillRefusal(await lifeboat(home, ['drill', passphraseArchive, '--passphrase-env', 'PASS', '--json'], { env }), 2, ['WRONG_KEY'], message, 'drill');
    }
    // No key at all: the keychain (shared by the whole test run, where other tests' backups may
    // have created Lifeboat's key) is switched off, so nothing can open the archive.
    const noKeychain = { env: { LIFEBOAT_NO_KEYCHAIN: '1' } };
    expectJsonRefusal(await lifeboat(home, ['inspect', archive, '--json'], noKeychain), ['NO_KEY'], /encrypted .*no key/, 'inspect without a key');
    expectJsonRefusal(await lifeboat(home, ['verify', archive, '--full', '--json'], noKeychain), ['NO_KEY'], /encrypted .*no key/, 'verify --full without a key');
    expectJsonRefusal(await lifeboat(home, ['restore', archive, '--profile', 'pg', '--into', 'no_key', '--passphrase-env', 'UNSET_VARIABLE', '--json']), ['INVALID_INPUT'], /UNSET_VARIABLE is empty or not set/, 'an unset passphrase variable');
    const notAKey = path.join(home, 'not-a-key.txt');
    await writeFile(notAKey, 'hello\n');
    expectJsonRefusal(await lifeboat(home, restoreArgs(archive, 'bad_identity', '--identity', notAKey)), ['INVALID_INPUT'], /not an age identity|holds no age identity/, 'an identity file that is not one');
    await expectUntouched('wrong passphrase');
  });
});

describe('an archive from a newer Lifeboat', () => {
  it('manifest formatVersion above this version: ARCHIVE_UNSUPPORTED, with the way to recover without Lifeboat', async () => {
    const file = path.join(files, 'from-the-future.lifeboat');
    await craftArchive({
      from: archive, identityFile: keyFile, recipient: key.recipient, out: file, sidecar: true,
      edit: (entries) => editJsonEntry(entries, 'manifest.json', (m) => {
        m.formatVersion = ARCHIVE_FORMAT_VERSION + 1;
        m.somethingNew = { since: 'format 2' };
      }),
    });
    const message = new RegExp(`format version ${ARCHIVE_FORMAT_VERSION + 1}, newer than this Lifeboat understands`);
    const restore = expectJsonRefusal(await lifeboat(home, restoreArgs(file, 'future', '--identity', keyFile)), ['ARCHIVE_UNSUPPORTED', 'PREFLIGHT_BLOCKED'], message, 'restore');
    expect(restore.fix).toMatch(/Update Lifeboat/);
    expectJsonRefusal(await lifeboat(home, ['inspect', file, '--identity', keyFile, '--json']), ['ARCHIVE_UNSUPPORTED'], message, 'inspect');
    expectJsonRefusal(await lifeboat(home, ['verify', file, '--full', '--identity', keyFile, '--json']), ['ARCHIVE_UNSUPPORTED'], message, 'verify --full');
    // This Lifeboat cannot judge the backup: the drill could not run (exit 2), it did not find it bad.
    expectDrillRefusal(await lifeboat(home, ['drill', file, '--identity', keyFile, '--json']), 2, ['ARCHIVE_UNSUPPORTED'], message, 'drill');
    await expectUntouched('newer format version');
  });
});

describe('files and folders that are not backups', () => {
  const cases: { name: string; make: (file: string) => Promise<void>; codes: string[]; message: RegExp }[] = [
    { name: 'random bytes named .lifeboat', make: (f) => writeFile(f, Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 2654435761 >>> 13) & 0xff))), codes: ['NOT_AN_ARCHIVE'], message: /not (something Lifeboat can restore|a Lifeboat archive)/ },
    { name: 'a text file named .lifeboat', make: (f) => writeFile(f, 'These are my holiday notes, not a backup.\n'.repeat(50)), codes: ['NOT_AN_ARCHIVE'], message: /not (something Lifeboat can restore|a Lifeboat archive)/ },
    { name: 'a pg_dump -Fc file renamed .lifeboat (no age layer)', make: async (f) => writeFile(f, Buffer.concat([Buffer.from('PGDMP'), Buffer.alloc(2000, 7)])), codes: ['NOT_AN_ARCHIVE', 'ARCHIVE_DAMAGED', 'PREFLIGHT_BLOCKED'], message: /not a Lifeboat archive|cannot read this archive|damaged/ },
    { name: 'an empty .lifeboat file', make: (f) => writeFile(f, ''), codes: ['NOT_AN_ARCHIVE'], message: /empty/ },
    {
      name: 'a folder that is not a pg_dump directory',
      make: async (dir) => {
        await mkdir(dir);
        await writeFile(path.join(dir, '3456.dat.gz'), gzipSync('1\tdata\n'));
        await writeFile(path.join(dir, 'notes.txt'), 'not a toc');
      },
      codes: ['NOT_AN_ARCHIVE'],
      message: /is a folder, but not a pg_dump directory-format archive \(it has no toc\.dat\)|is a folder/,
    },
  ];

  // The fast tier runs restore and verify --full for each; the full tier also inspect, quick verify, the human output and a drill.
  it.each(cases)('$name: restore, inspect, verify --full, verify and drill refuse it', async ({ name, make, codes, message }) => {
    const file = path.join(files, `${name.replace(/\W+/g, '-')}${name.includes('folder') ? '' : '.lifeboat'}`);
    await make(file);
    expectJsonRefusal(await lifeboat(home, restoreArgs(file, 'never_created', '--identity', keyFile)), codes, message, `restore: ${name}`);
    // verify needs a Lifeboat archive: anything else is NOT_AN_ARCHIVE, and no sidecar is made for it.
    expectJsonRefusal(await lifeboat(home, ['verify', file, '--full', '--identity', keyFile, '--json']), ['NOT_AN_ARCHIVE'], /not a Lifeboat archive|is empty|is a folder/, `verify --full: ${name}`);
    expect(exists(`${file}.json`), `verify wrote a sidecar for ${name}`).toBe(false);
    if (FULL_TIER) {
      expectHumanRefusal(await lifeboat(home, ['restore', file, '--profile', 'pg', '--into', 'never_created', '--identity', keyFile]), message, `restore (human): ${name}`);
      expectJsonRefusal(await lifeboat(home, ['inspect', file, '--identity', keyFile, '--json']), codes, message, `inspect: ${name}`);
      expectJsonRefusal(await lifeboat(home, ['verify', file, '--json']), ['NOT_AN_ARCHIVE'], /not a Lifeboat archive|is empty|is a folder/, `verify: ${name}`);
      expect(exists(`${file}.json`), `verify wrote a sidecar for ${name}`).toBe(false);
      const drill = await lifeboat(home, ['drill', file, '--identity', keyFile, '--json']);
      expectNoCrash(drill, `drill: ${name}`);
      // Not a backup at all: the drill fails (exit 1), naming what the file is.
      expectDrillRefusal(drill, 1, codes.filter((c) => c !== 'PREFLIGHT_BLOCKED'), message, `drill: ${name}`);
    }
    await expectUntouched(name);
  });
});

describe('SQL scripts with psql meta-commands', () => {
  function script(evil: string): string {
    return ['-- PostgreSQL database dump (or so it says)', "SET client_encoding = 'UTF8';", 'CREATE TABLE t (id int);', 'INSERT INTO t VALUES (1);', evil, 'SELECT 1;', ''].join('\n');
  }
  const marker = (name: string) => path.join(tmp.dir, `touched-by-${name}`);
  const cases: { command: string; line: (m: string) => string; message: (m: string) => RegExp }[] = [
    { command: '\\!', line: (m) => `\\! touch ${m}`, message: () => /Line 5 of the SQL file runs the psql command "\\!"/ },
    { command: '\\o', line: (m) => `\\o ${m}`, message: () => /Line 5 of the SQL file runs the psql command "\\o"/ },
    { command: '\\copy', line: (m) => `\\copy (SELECT 1) TO PROGRAM 'touch ${m}'`, message: () => /Line 5 of the SQL file runs the psql command "\\copy"/ },
    { command: '\\i', line: () => '\\i /etc/hostname', message: () => /Line 5 of the SQL file runs the psql command "\\i"/ },
    { command: '\\w', line: (m) => `\\w ${m}`, message: () => /Line 5 of the SQL file runs the psql command "\\w"/ },
    { command: '\\setenv', line: () => '\\setenv PAGER touch', message: () => /Line 5 of the SQL file runs the psql command "\\setenv"/ },
    { command: '\\connect', line: () => '\\connect postgres', message: () => /creates or switches databases|switches to another database/ },
  ];

  // Each one through the engine; through the CLI in the full tier (the fast tier: \\! and \\connect).
  it.each(cases)('$command: restore and inspect refuse it, naming the line; nothing runs, nothing is created', async ({ command, line, message }) => {
    const name = command.slice(1);
    const file = path.join(files, `evil-${name}.sql`);
    await writeFile(file, script(line(marker(name))));
    await expect(fixture.engine.restores.start({ file, profile: 'pg', mode: 'new', database: `evil_${name}` }).result).rejects.toMatchObject({ code: 'PREFLIGHT_BLOCKED', message: expect.stringMatching(message(marker(name))) });
    if (FULL_TIER || command === '\\!' || command === '\\connect') {
      expectJsonRefusal(await lifeboat(home, restoreArgs(file, `evil_${name}`)), ['PREFLIGHT_BLOCKED'], message(marker(name)), `restore ${command}`);
      expectHumanRefusal(await lifeboat(home, ['restore', file, '--profile', 'pg', '--into', `evil_${name}`]), message(marker(name)), `restore (human) ${command}`);
    }
    if (FULL_TIER && command !== '\\connect') expectJsonRefusal(await lifeboat(home, ['inspect', file, '--json']), ['INVALID_INPUT'], message(marker(name)), `inspect ${command}`);
    expect(exists(marker(name)), `${command} was run`).toBe(false);
    await expectUntouched(command);
  });

  it('hidden inside gzip (and, full tier, in a drill): still refused, still not run', async () => {
    const file = path.join(files, 'evil.sql.gz');
    await writeFile(file, gzipSync(script(`\\! touch ${marker('gzip')}`)));
    expectJsonRefusal(await lifeboat(home, restoreArgs(file, 'evil_gzip')), ['PREFLIGHT_BLOCKED'], /Line 5 of the SQL file runs the psql command "\\!"/, 'restore of gzip SQL');
    if (FULL_TIER) {
      const drill = await lifeboat(home, ['drill', file, '--json']);
      expectDrillRefusal(drill, 1, ['PREFLIGHT_BLOCKED', 'INVALID_INPUT'], /Line 5 of the SQL file runs the psql command "\\!"/, 'drill of evil SQL');
    }
    expect(exists(marker('gzip'))).toBe(false);
    await expectUntouched('gzip SQL');
  });
});

describe('recorded row counts that disagree with the data', () => {
  let wrongCounts: string;
  let ghostTable: string;
  beforeAll(async () => {
    wrongCounts = path.join(files, 'wrong-counts.lifeboat');
    await craftArchive({
      from: archive, identityFile: keyFile, recipient: key.recipient, out: wrongCounts, sidecar: true,
      edit: (entries) => editJsonEntry(entries, 'checksums.json', (c) => {
        c.rowCounts.tables.find((t: { schema: string; name: string }) => t.schema === 'shop' && t.name === 'customers').rows = 499;
      }),
    });
    ghostTable = path.join(files, 'ghost-table.lifeboat');
    await craftArchive({
      from: archive, identityFile: keyFile, recipient: key.recipient, out: ghostTable, sidecar: true,
      edit: (entries) => editJsonEntry(entries, 'checksums.json', (c) => {
        c.rowCounts.tables.push({ schema: 'public', name: 'ghost', rows: 3 });
      }),
    });
  });

  it('into a new database: VERIFY_FAILED naming the table and both counts, exit 1, the new database removed', async () => {
    const error = expectJsonRefusal(await lifeboat(home, restoreArgs(wrongCounts, 'counts_new', '--identity', keyFile)), ['VERIFY_FAILED'], /shop\.customers has 500 rows, the backup recorded 499/, 'restore --into');
    expect(error.fix).toMatch(/new database was removed/);
    expectHumanRefusal(await lifeboat(home, ['restore', wrongCounts, '--profile', 'pg', '--into', 'counts_new', '--identity', keyFile]), /shop\.customers has 500 rows, the backup recorded 499/, 'restore --into (human)');
    await expectUntouched('counts disagree, new database');
  });

  it('a table the checksums name but the dump lacks: VERIFY_FAILED naming it as missing (not an unexpected error)', async () => {
    expectJsonRefusal(await lifeboat(home, restoreArgs(ghostTable, 'ghost_new', '--identity', keyFile)), ['VERIFY_FAILED'], /public\.ghost is missing, the backup recorded 3 rows/, 'restore of a ghost table');
    await expectUntouched('ghost table');
  });

  it('verify --full cannot see it (it needs a restore); a drill does: FAILED (exit 1) with expected and actual', async () => {
    const verified = await lifeboat(home, ['verify', wrongCounts, '--full', '--identity', keyFile, '--json']);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    const drill = await lifeboat(home, ['drill', wrongCounts, '--identity', keyFile, '--json']);
    expectNoCrash(drill, 'drill');
    expect(drill.code, drill.stdout).toBe(1);
    expect(drill.json).toMatchObject({ passed: false, couldNotRun: false });
    expect(drill.json.checks).toContainEqual(expect.objectContaining({ kind: 'table', name: 'shop.customers', expected: '499', actual: '500', passed: false }));
    if (FULL_TIER) {
      const ghost = await lifeboat(home, ['drill', ghostTable, '--identity', keyFile, '--json']);
      expect(ghost.code, ghost.stdout).toBe(1);
      expect(ghost.json.checks).toContainEqual(expect.objectContaining({ kind: 'table', name: 'public.ghost', expected: '3', actual: 'table missing', passed: false }));
    }
    await expectUntouched('drills of wrong counts');
  });

  it('a replace whose verification fails: no swap, the original exactly as before, the half-restored copy dropped', async () => {
    const kept = async () => (await databases(cluster)).filter((d) => /^shopdb_(restoring|before_restore)_/.test(d));
    const cli = await lifeboat(home, ['restore', wrongCounts, '--profile', 'pg', '--replace', 'shopdb', '--yes', '--identity', keyFile, '--recipient', key.recipient, '--json']);
    const error = expectJsonRefusal(cli, ['VERIFY_FAILED'], /shop\.customers has 500 rows, the backup recorded 499/, 'restore --replace');
    expect(error.fix).toMatch(/Nothing was swapped: the database is unchanged/);
    expect(await kept()).toEqual([]);
    expect(await schemaText(cluster, 'shopdb')).toBe(shopSchema);
    const [flags] = await cluster.query<{ allow: boolean }>("SELECT datallowconn AS allow FROM pg_database WHERE datname = 'shopdb'");
    expect(flags).toEqual({ allow: true });
    await expectUntouched('replace with failing verification');
    // Without the safety backup too (the path that goes straight to restoring).
    const bare = await lifeboat(home, ['restore', wrongCounts, '--profile', 'pg', '--replace', 'shopdb', '--yes', '--no-safety-backup', '--identity', keyFile, '--json']);
    expectJsonRefusal(bare, ['VERIFY_FAILED'], /shop\.customers has 500 rows, the backup recorded 499/, 'restore --replace --no-safety-backup');
    expect(await kept()).toEqual([]);
    expect(await schemaText(cluster, 'shopdb')).toBe(shopSchema);
    await expectUntouched('replace without safety backup');
  });
});
