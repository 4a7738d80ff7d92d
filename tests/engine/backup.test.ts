// Backups of real servers 12–18, opened with nothing but the standard tools: age, tar, pg_restore.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { createTestEngine, type EngineFixture } from '../support/engine-fixture.ts';
import { availableMajors, startCluster, stopAllClusters, type Cluster, clusterProfile } from '../support/pg-cluster.ts';
import { bundledTool, dataFingerprint, runTool, schemaText } from '../support/pg-tools.ts';
import { SAMPLE_SCHEMA_SQL } from '../support/sample-schema.ts';

const run = promisify(execFile);
let fixture: EngineFixture;
let work: string;

beforeAll(async () => {
  fixture = await createTestEngine();
  work = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-backup-test-'));
});
afterAll(async () => {
  await fixture.dispose();
  await rm(work, { recursive: true, force: true });
  await stopAllClusters();
});

describe.each(availableMajors())('PostgreSQL %i: back up, then recover with age + tar + pg_restore only', (major) => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(major);
    await cluster.createDatabase('app');
    await cluster.query(SAMPLE_SCHEMA_SQL, [], 'app');
  });
  afterAll(() => cluster.stop());

  it('restores every row, large object and the schema exactly', async () => {
    const { engine } = fixture;
    const profile = await engine.profiles.add(clusterProfile(cluster, `app${major}`, { database: 'app' }));
    const key = generateAgeKeyPair();
    const out = path.join(work, `pg${major}`);
    const result = await engine.backups.start({ profile: profile.id, outDir: out, encryption: { kind: 'recipients', recipients: [key.recipient] } }).result;

    expect(path.basename(result.archive)).toMatch(new RegExp(`^app${major}_app_\\d{8}T\\d{6}Z\\.lifeboat$`));
    expect((await readdir(out)).sort()).toEqual([path.basename(result.archive), `${path.basename(result.archive)}.json`]);
    const sidecar = JSON.parse(await readFile(`${result.archive}.json`, 'utf8'));
    expect(sidecar).toMatchObject({ database: 'app', serverVersion: expect.stringMatching(new RegExp(`^${major}\\.`)), sha256: result.sha256, encryption: { kind: 'x25519', recipients: [key.recipient] } });
    const encrypted = await readFile(result.archive);
    expect(encrypted.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    expect(encrypted.includes('PGDMP')).toBe(false); // no plaintext dump on disk
    expect(encrypted.includes('Customer 1')).toBe(false);

    // The README's "Recovering without Lifeboat", verbatim.
    const keyFile = path.join(out, 'key.txt');
    await writeFile(keyFile, `${key.identity}\n`, { mode: 0o600 });
    const extracted = path.join(out, 'extracted');
    await run('mkdir', ['-p', extracted]);
    await run('sh', ['-c', `age -d -i "${keyFile}" "${result.archive}" | tar -x -C "${extracted}"`]);
    const files = (await readdir(extracted)).sort();
    expect(files).toEqual(['checksums.json', 'database.dump.0001', 'globals.sql', 'manifest.json']);
    expect(await readFile(path.join(extracted, 'globals.sql'), 'utf8')).toMatch(/CREATE ROLE postgres/);
    expect(await readFile(path.join(extracted, 'globals.sql'), 'utf8')).not.toMatch(/PASSWORD '|SCRAM-SHA-256\$/);
    await cluster.createDatabase('restored');
    if (major >= 17) {
      await runTool(cluster, 'restored', 'pg_restore', [], { shell: `cat "${extracted}"/database.dump.* | "$TOOL" --exit-on-error --no-password -d restored` });
    } else {
      // pg_restore 18 sets transaction_timeout, which servers before 17 lack: the README's variant for them.
      const psql = path.join(path.dirname(bundledTool('pg_restore')), 'psql');
      await runTool(cluster, 'restored', 'pg_restore', [], { shell: `cat "${extracted}"/database.dump.* | "$TOOL" -f - | sed '/^SET transaction_timeout/d' | "${psql}" -X -q -v ON_ERROR_STOP=1 --no-password -d restored >/dev/null` });
    }

    expect(await dataFingerprint(cluster, 'restored')).toEqual(await dataFingerprint(cluster, 'app'));
    expect(await schemaText(cluster, 'restored')).toBe(await schemaText(cluster, 'app'));
    if (major >= 17) {
      // The README's streaming form: the parts straight from tar into pg_restore.
      await cluster.createDatabase('restored_stream');
      await runTool(cluster, 'restored_stream', 'pg_restore', [], {
        shell: `age -d -i "${keyFile}" "${result.archive}" | tar -xO --exclude manifest.json --exclude globals.sql --exclude checksums.json | "$TOOL" --exit-on-error --no-password -d restored_stream`,
      });
      expect(await dataFingerprint(cluster, 'restored_stream')).toEqual(await dataFingerprint(cluster, 'app'));
    }

    // The manifest's exact counts are the source's.
    const manifest = JSON.parse(await readFile(path.join(extracted, 'manifest.json'), 'utf8'));
    const checksums = JSON.parse(await readFile(path.join(extracted, 'checksums.json'), 'utf8'));
    expect(manifest).toMatchObject({ format: 'lifeboat-archive', formatVersion: 1, source: { database: 'app', port: cluster.port }, snapshot: { exact: true }, options: { compression: 'zstd:3', encryption: 'x25519', rowCounts: true } });
    expect(JSON.stringify(manifest)).not.toContain(cluster.password);
    const counts = Object.fromEntries(checksums.rowCounts.tables.map((t: { schema: string; name: string; rows: number }) => [`${t.schema}.${t.name}`, t.rows]));
    expect(counts).toMatchObject({ 'shop.customers': 500, 'shop.orders_2025': expect.any(Number), 'shop.documents': 20, 'public.empty_table': 0 });
    expect(counts['shop.orders_2025'] + counts['shop.orders_2026']).toBe(3000);
    expect(manifest.tables.find((t: { name: string }) => t.name === 'orders')).toMatchObject({ kind: 'p' });

    // Lifeboat's own full verification agrees.
    const verified = await engine.library.verify(result.archive, 'full', { identities: [key.identity] }).result;
    expect(verified.toc?.tableData).toContain('shop customers');
    await engine.profiles.remove(profile.id);
  });
});

describe('snapshot-exact row counts while the database keeps changing', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(18);
    await cluster.query(`CREATE TABLE busy (id bigserial PRIMARY KEY, payload text);
      INSERT INTO busy (payload) SELECT repeat(md5(i::text), 4) FROM generate_series(1, 400000) i;
      CREATE TABLE quiet (id int); INSERT INTO quiet SELECT generate_series(1, 1000);`);
  });
  afterAll(() => cluster.stop());

  it('counts what the dump contains, not what the table holds later', async () => {
    const { engine } = fixture;
    const profile = await engine.profiles.add(clusterProfile(cluster, 'busy', { color: 'red' }));
    const key = generateAgeKeyPair();
    let writing = true;
    let inserted = 0;
    const writer = (async () => {
      while (writing) {
        await cluster.query('INSERT INTO busy (payload) SELECT md5(random()::text) FROM generate_series(1, 50)');
        inserted += 50;
      }
    })();
    const job = engine.backups.start({ profile: profile.id, outDir: path.join(work, 'busy'), encryption: { kind: 'recipients', recipients: [key.recipient] } });
    let sawTable = false;
    job.onProgress((p) => {
      if (p.currentItem === 'public.busy') sawTable = true;
    });
    const result = await job.result;
    writing = false;
    await writer;
    expect(inserted).toBeGreaterThan(0);
    expect(sawTable).toBe(true);

    const details = await engine.library.details(result.archive, { identities: [key.identity] });
    const counted = details.checksums.rowCounts!.tables.find((t) => t.name === 'busy')!.rows;
    const [{ n: live }] = (await cluster.query<{ n: string }>('SELECT count(*)::text AS n FROM busy')) as [{ n: string }];
    expect(Number(live)).toBeGreaterThan(counted); // rows arrived after the snapshot…

    const dir = path.join(work, 'busy', 'x');
    await engine.library.extract(result.archive, dir, { identities: [key.identity] });
    await cluster.createDatabase('busy_restored');
    await runTool(cluster, 'busy_restored', 'pg_restore', [], { shell: `cat "${dir}"/database.dump.* | "$TOOL" --exit-on-error --no-password -d busy_restored` });
    const [{ n: restored }] = (await cluster.query<{ n: string }>('SELECT count(*)::text AS n FROM busy', [], 'busy_restored')) as [{ n: string }];
    expect(Number(restored)).toBe(counted); // …and the dump holds exactly the counted rows
    await engine.profiles.remove(profile.id);
  });
});
