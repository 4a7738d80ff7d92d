// Files made by other tools — pg_dump in every format, gzip, zstd, age, gpg --symmetric — are
// recognised by content, labelled, and restore into a new database with the source's data.
// Files that are not backups are refused with a sentence naming what they are.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import type { AgeKeys } from '../../main/engine/crypto/age-decrypt.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import { createTestEngine, type EngineFixture } from '../support/engine-fixture.ts';
import { startCluster, stopAllClusters, type Cluster, clusterProfile } from '../support/pg-cluster.ts';
import { dataFingerprint, runTool, schemaText, withStandInOwner } from '../support/pg-tools.ts';
import { addCliProfile, databases, engineLeftovers, gpgSymmetric, isolateTmp, lifeboat, noGpgAgentsLeft, sh } from '../support/restore-fixtures.ts';
import { SAMPLE_SCHEMA_SQL } from '../support/sample-schema.ts';

const DEBIAN_PG_DUMP_15 = '/usr/lib/postgresql/15/bin/pg_dump';
const GPG_PASSPHRASE = 'correct horse battery staple';
const ageKey = generateAgeKeyPair();

let fixture: EngineFixture;
let tmp: Awaited<ReturnType<typeof isolateTmp>>;
let files: string;
let home: string;
let pg18: Cluster;
let pg14: Cluster;
let source18: Record<string, string>;
let schema18: string;
let source14: Record<string, string>;

/** pg_dump (bundled 18 unless `tool` is given) of "app", through an optional shell tail (`| gzip > …`). */
async function dump(cluster: Cluster, args: string, tail: string, tool = '"$TOOL"'): Promise<void> {
  await runTool(cluster, 'app', 'pg_dump', [], { shell: `set -e; ${tool} --no-password ${args} ${tail}` });
}

beforeAll(async () => {
  tmp = await isolateTmp('lifeboat-restore-formats-');
  files = path.join(tmp.dir, 'files');
  home = path.join(tmp.dir, 'home');
  await mkdir(files);
  await mkdir(home);
  fixture = await createTestEngine({ secrets: new SessionSecretStore('restore formats test') });
  [pg18, pg14] = await Promise.all([startCluster(18), startCluster(14)]);
  for (const cluster of [pg18, pg14]) {
    await cluster.createDatabase('app');
    await cluster.query(SAMPLE_SCHEMA_SQL, [], 'app');
    await fixture.engine.profiles.add(clusterProfile(cluster, `pg${cluster.major}`, { color: 'teal' }));
  }
  await addCliProfile(home, 'pg18', pg18);
  source18 = await dataFingerprint(pg18, 'app');
  schema18 = await schemaText(pg18, 'app');
  source14 = await dataFingerprint(pg14, 'app');
});
afterAll(async () => {
  if (home) await lifeboat(home, ['profile', 'remove', 'pg18']);
  await fixture?.dispose();
  await stopAllClusters();
  await tmp?.restore();
});

interface Made {
  name: string;
  file: string;
  label: string;
  keys: AgeKeys;
  layers: string[];
  inner: string;
}

describe('files made by pg_dump, gzip, zstd, age and gpg (PostgreSQL 18)', () => {
  const made: Made[] = [];
  const f = (name: string) => path.join(files, name);

  beforeAll(async () => {
    const plain = f('app.sql');
    const custom = f('app.dump');
    await dump(pg18, '-Fp', `-f "${plain}"`);
    await dump(pg18, '-Fp', `| gzip > "${f('app.sql.gz')}"`);
    await dump(pg18, '-Fp', `| zstd -q > "${f('app.sql.zst')}"`);
    await dump(pg18, '-Fc', `-f "${custom}"`);
    await dump(pg18, '-Ft', `-f "${f('app.tar')}"`);
    await dump(pg18, '-Fd', `-f "${f('app.dir')}"`);
    await sh(`age -r "${ageKey.recipient}" -o "${f('app.dump.age')}" "${custom}"`);
    await gpgSymmetric(custom, f('app.dump.gpg'), GPG_PASSPHRASE);
    await gpgSymmetric(plain, f('app.sql.gpg'), GPG_PASSPHRASE);
    const none: AgeKeys = {};
    const age: AgeKeys = { identities: [ageKey.identity] };
    const gpg: AgeKeys = { passphrases: [GPG_PASSPHRASE] };
    made.push(
      { name: 'pg_dump -Fp (plain SQL)', file: plain, label: 'plain SQL script', keys: none, layers: [], inner: 'sql' },
      { name: 'pg_dump -Fp | gzip', file: f('app.sql.gz'), label: 'gzip-compressed plain SQL script', keys: none, layers: ['gzip'], inner: 'sql' },
      { name: 'pg_dump -Fp | zstd', file: f('app.sql.zst'), label: 'zstd-compressed plain SQL script', keys: none, layers: ['zstd'], inner: 'sql' },
      { name: 'pg_dump -Fc', file: custom, label: 'pg_dump custom-format archive', keys: none, layers: [], inner: 'pg-custom' },
      { name: 'pg_dump -Ft', file: f('app.tar'), label: 'pg_dump tar-format archive', keys: none, layers: [], inner: 'pg-tar' },
      { name: 'pg_dump -Fd (a folder)', file: f('app.dir'), label: 'pg_dump directory-format archive', keys: none, layers: [], inner: 'pg-directory' },
      { name: 'age -r of a -Fc file', file: f('app.dump.age'), label: 'age-encrypted pg_dump custom-format archive', keys: age, layers: ['age'], inner: 'pg-custom' },
      { name: 'gpg --symmetric of a -Fc file', file: f('app.dump.gpg'), label: 'gpg-encrypted pg_dump custom-format archive', keys: gpg, layers: ['gpg'], inner: 'pg-custom' },
      { name: 'gpg --symmetric of a plain SQL file', file: f('app.sql.gpg'), label: 'gpg-encrypted plain SQL script', keys: gpg, layers: ['gpg'], inner: 'sql' },
    );
  });

  it('inspect labels each file by its content (not its name)', async () => {
    for (const m of made) {
      const inspection = await fixture.engine.restores.inspect(m.file, m.keys);
      expect(inspection, m.name).toMatchObject({ label: m.label, layers: m.layers, inner: m.inner, problem: null });
      expect(inspection.sourceServerVersion, m.name).toMatch(/^18\./);
      const names = inspection.tables.map((t) => `${t.schema}.${t.name}`);
      expect(names, m.name).toEqual(expect.arrayContaining(['shop.customers', 'shop.orders_2025', 'shop.documents']));
      expect(inspection.encryption, m.name).toBe(m.layers.includes('age') ? 'age' : m.layers.includes('gpg') ? 'gpg' : null);
    }
    // The name says nothing: a custom-format dump called .sql is still a custom-format dump.
    const misnamed = f('really-custom.sql');
    await writeFile(misnamed, await readFile(f('app.dump')));
    expect((await fixture.engine.restores.inspect(misnamed)).label).toBe('pg_dump custom-format archive');
    await noGpgAgentsLeft(tmp.dir);
  });

  it('each one restores into a new database with data and schema equal to the source', async () => {
    let n = 0;
    for (const m of made) {
      const database = `fmt_${++n}`;
      const result = await fixture.engine.restores.start({ file: m.file, profile: 'pg18', mode: 'new', database, keys: m.keys }).result;
      expect(result, m.name).toMatchObject({ database, source: m.label, tolerated: [] });
      expect(await dataFingerprint(pg18, database), m.name).toEqual(source18);
      // None of these files was made by this Lifeboat's key: they restore with least privilege.
      expect(await schemaText(pg18, database), m.name).toBe(withStandInOwner(schema18));
    }
    expect(await engineLeftovers(tmp.dir)).toEqual([]);
    await noGpgAgentsLeft(tmp.dir);
  });

  it('the CLI restores the age and gpg files with --identity and --passphrase-env', async () => {
    const keyFile = path.join(home, 'age-key.txt');
    await writeFile(keyFile, `${ageKey.identity}\n`, { mode: 0o600 });
    const viaAge = await lifeboat(home, ['restore', f('app.dump.age'), '--profile', 'pg18', '--into', 'cli_age', '--identity', keyFile, '--json']);
    expect(viaAge.code, viaAge.stderr + viaAge.stdout).toBe(0);
    expect(viaAge.json).toMatchObject({ database: 'cli_age', source: 'age-encrypted pg_dump custom-format archive' });
    const env = { GPG_PASS: GPG_PASSPHRASE };
    const viaGpg = await lifeboat(home, ['restore', f('app.sql.gpg'), '--profile', 'pg18', '--into', 'cli_gpg', '--passphrase-env', 'GPG_PASS', '--json'], { env });
    expect(viaGpg.code, viaGpg.stderr + viaGpg.stdout).toBe(0);
    expect(viaGpg.json).toMatchObject({ database: 'cli_gpg', source: 'gpg-encrypted plain SQL script' });
    expect(await dataFingerprint(pg18, 'cli_age')).toEqual(source18);
    expect(await dataFingerprint(pg18, 'cli_gpg')).toEqual(source18);

    const inspected = await lifeboat(home, ['inspect', f('app.sql.zst')]);
    expect(inspected.code, inspected.stderr).toBe(0);
    expect(inspected.stdout).toMatch(/Kind:\s+zstd-compressed plain SQL script/);
    expect(inspected.stdout).toMatch(/shop\.customers/);

    // The wrong gpg passphrase is named as such, and nothing is created.
    const wrong = await lifeboat(home, ['restore', f('app.dump.gpg'), '--profile', 'pg18', '--into', 'cli_gpg_wrong', '--passphrase-env', 'GPG_PASS', '--json'], { env: { GPG_PASS: 'not it' } });
    expect(wrong.code).toBe(1);
    expect(wrong.json.error).toMatchObject({ code: 'WRONG_KEY', message: 'The passphrase does not open this gpg file.' });
    expect(await databases(pg18)).not.toContain('cli_gpg_wrong');
    await noGpgAgentsLeft(tmp.dir);
  });
});

describe('parallel restore (jobs: 2), through a private temporary file', () => {
  const f = (name: string) => path.join(files, name);
  let lifeboatArchive: string;
  beforeAll(async () => {
    await fixture.engine.profiles.add(clusterProfile(pg18, 'app18', { database: 'app', color: 'teal' }));
    lifeboatArchive = (await fixture.engine.backups.start({ profile: 'app18', outDir: path.join(tmp.dir, 'lifeboat-out'), encryption: { kind: 'recipients', recipients: [ageKey.recipient] } }).result).archive;
  });

  it('a Lifeboat archive, an age-encrypted -Fc file and a -Fd folder restore with the source\'s data; the decrypted copy is removed', async () => {
    const cases: [string, AgeKeys][] = [[lifeboatArchive, { identities: [ageKey.identity] }], [f('app.dump.age'), { identities: [ageKey.identity] }], [f('app.dir'), {}]];
    let n = 0;
    for (const [file, keys] of cases) {
      const database = `par_${++n}`;
      const phases = new Set<string>();
      const job = fixture.engine.restores.start({ file, profile: 'pg18', mode: 'new', database, keys, jobs: 2 });
      job.onProgress((p) => phases.add(p.phase));
      const result = await job.result;
      expect(result.verification.mismatches, file).toEqual([]);
      expect(phases, file).toContain('Restoring (2 jobs)');
      expect(await dataFingerprint(pg18, database), file).toEqual(source18);
      expect(await schemaText(pg18, database), file).toBe(withStandInOwner(schema18));
      expect(await engineLeftovers(tmp.dir), file).toEqual([]);
    }
    const verified = await fixture.engine.restores.start({ file: lifeboatArchive, profile: 'pg18', mode: 'new', database: 'par_verified', keys: { identities: [ageKey.identity] }, jobs: 2 }).result;
    expect(verified.verification.checked).toContainEqual({ table: 'shop.customers', expected: 500, actual: 500 });
  });

  it('plain SQL and tar-format dumps are refused with a reason; nothing is left', async () => {
    const before = await databases(pg18);
    await expect(fixture.engine.restores.start({ file: f('app.sql.gz'), profile: 'pg18', mode: 'new', database: 'par_sql', jobs: 2 }).result).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('parallel jobs do not apply') });
    await expect(fixture.engine.restores.start({ file: f('app.tar'), profile: 'pg18', mode: 'new', database: 'par_tar', jobs: 2 }).result).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('tar-format') });
    expect(await databases(pg18)).toEqual(before);
    expect(await engineLeftovers(tmp.dir)).toEqual([]);
    const cli = await lifeboat(home, ['restore', f('app.dump'), '--profile', 'pg18', '--into', 'par_cli', '--jobs', '17']);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/--jobs takes a number from 1 to 16/);
  });

  it('into PostgreSQL 14: the transaction_timeout error is tolerated and reported', async () => {
    const file = path.join(files, 'app14-par.dump');
    await dump(pg14, '-Fc', `-f "${file}"`);
    const result = await fixture.engine.restores.start({ file, profile: 'pg14', mode: 'new', database: 'par14', jobs: 2 }).result;
    expect(result.tolerated.join('\n')).toMatch(/transaction_timeout/);
    expect(await dataFingerprint(pg14, 'par14')).toEqual(source14);
  });
});

describe('plain SQL and custom dumps into an older server (PostgreSQL 14)', () => {
  it('pg_dump 18 plain SQL: the transaction_timeout line is skipped and reported', async () => {
    const file = path.join(files, 'app14.sql');
    await dump(pg14, '-Fp', `-f "${file}"`);
    expect(await readFile(file, 'utf8')).toMatch(/^SET transaction_timeout = 0;$/m);
    const preflight = await fixture.engine.restores.preflight({ file, profile: 'pg14', mode: 'new', database: 'plain18' });
    expect(preflight.ok).toBe(true);
    expect(preflight.items.find((i) => i.id === 'identity')).toMatchObject({ status: 'ok', title: 'SQL script scanned' });
    const result = await fixture.engine.restores.start({ file, profile: 'pg14', mode: 'new', database: 'plain18' }).result;
    expect(result.tolerated.join('\n')).toMatch(/transaction_timeout/);
    expect(await dataFingerprint(pg14, 'plain18')).toEqual(source14);
    expect(await schemaText(pg14, 'plain18')).toBe(withStandInOwner(await schemaText(pg14, 'app')));
  });

  it("Debian's pg_dump 15, plain SQL through gzip, restores with nothing to tolerate", async () => {
    const file = path.join(files, 'app14-by15.sql.gz');
    await dump(pg14, '-Fp', `| gzip > "${file}"`, DEBIAN_PG_DUMP_15);
    const result = await fixture.engine.restores.start({ file, profile: 'pg14', mode: 'new', database: 'plain15' }).result;
    expect(result).toMatchObject({ source: 'gzip-compressed plain SQL script', tolerated: [] });
    expect(await dataFingerprint(pg14, 'plain15')).toEqual(source14);
  });

  it('pg_dump 18 -Fc through pg_restore: transaction_timeout skipped and reported', async () => {
    const file = path.join(files, 'app14.dump');
    await dump(pg14, '-Fc', `-f "${file}"`);
    const preflight = await fixture.engine.restores.preflight({ file, profile: 'pg14', mode: 'new', database: 'custom18' });
    expect(preflight.items.find((i) => i.id === 'versions')).toMatchObject({ status: 'warning', detail: expect.stringContaining('transaction_timeout') });
    const result = await fixture.engine.restores.start({ file, profile: 'pg14', mode: 'new', database: 'custom18' }).result;
    expect(result.tolerated.join('\n')).toMatch(/transaction_timeout/);
    expect(await dataFingerprint(pg14, 'custom18')).toEqual(source14);
    expect(await engineLeftovers(tmp.dir)).toEqual([]);
  });
});

describe('files that are not backups', () => {
  const cases: { name: string; make: (file: string) => Promise<void>; message: RegExp }[] = [
    {
      name: 'garbage bytes',
      make: (file) => writeFile(file, Buffer.from(Array.from({ length: 9000 }, (_, i) => (i === 0 ? 0x13 : (i * 7919 + (i >> 3) * 31) & 0xff)))),
      message: /is not something Lifeboat can restore: it looks like binary data of an unknown kind\./,
    },
    { name: 'an empty file', make: (file) => writeFile(file, ''), message: /is not something Lifeboat can restore: it looks like an empty file\./ },
    { name: 'a PDF', make: (file) => writeFile(file, '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n'), message: /it looks like a PDF document\./ },
    {
      name: 'a zip of a dump',
      make: async (file) => {
        await sh(`cd "${files}" && zip -q "${file}" app.sql`);
      },
      message: /it looks like a ZIP archive \(unzip it first\)\./,
    },
    { name: 'a text file that is not SQL', make: (file) => writeFile(file, 'Dear diary,\nthis is not a database.\n'.repeat(20)), message: /it looks like a text file, but not SQL\./ },
    {
      name: 'a folder without toc.dat',
      make: async (dir) => {
        await mkdir(dir);
        await writeFile(path.join(dir, '1234.dat.gz'), 'x');
      },
      message: /is a folder, but not a pg_dump directory-format archive \(it has no toc\.dat\)\./,
    },
  ];

  it.each(cases)('$name: a specific message, exit 1, and no database created', async ({ name, make, message }) => {
    if (!(await readFile(path.join(files, 'app.sql')).catch(() => null))) await dump(pg18, '-Fp', `-f "${path.join(files, 'app.sql')}"`);
    const file = path.join(files, `not-a-backup-${name.replace(/\W+/g, '-')}.bin`);
    await make(file);
    const before = await databases(pg18);

    await expect(fixture.engine.restores.inspect(file)).rejects.toMatchObject({ code: 'NOT_AN_ARCHIVE', message: expect.stringMatching(message), fix: expect.stringMatching(/Lifeboat restores|Drop the folder/) });

    const inspect = await lifeboat(home, ['inspect', file]);
    expect(inspect.code).toBe(1);
    expect(inspect.stderr).toMatch(message);
    expect(inspect.stderr.trim().split('\n')).toHaveLength(1);

    const restore = await lifeboat(home, ['restore', file, '--profile', 'pg18', '--into', 'never_created', '--json']);
    expect(restore.code).toBe(1);
    expect(restore.json?.error, restore.stdout + restore.stderr).toMatchObject({ code: 'NOT_AN_ARCHIVE', message: expect.stringMatching(message) });
    expect(await databases(pg18)).toEqual(before);
    expect(before).not.toContain('never_created');
    expect(await engineLeftovers(tmp.dir)).toEqual([]);
  });

  it('a missing file is named, exit 1', async () => {
    const restore = await lifeboat(home, ['restore', path.join(files, 'nope.dump'), '--profile', 'pg18', '--into', 'never_created', '--json']);
    expect(restore.code).toBe(1);
    expect(restore.json.error).toMatchObject({ code: 'FILE_NOT_FOUND', message: expect.stringContaining('no such file') });
  });
});
