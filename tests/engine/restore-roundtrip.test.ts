// Lifeboat archives of real servers 12–18, restored by Lifeboat into a new database on the same
// server: every row, large object and the whole schema come back; the verification names every table.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import { createTestEngine, type EngineFixture } from '../support/engine-fixture.ts';
import { availableMajors, startCluster, stopAllClusters, type Cluster, clusterProfile } from '../support/pg-cluster.ts';
import { dataFingerprint, schemaText, withStandInOwner } from '../support/pg-tools.ts';
import { databases, engineLeftovers, isolateTmp } from '../support/restore-fixtures.ts';
import { SAMPLE_SCHEMA_SQL } from '../support/sample-schema.ts';

let fixture: EngineFixture;
let tmp: Awaited<ReturnType<typeof isolateTmp>>;
const key = generateAgeKeyPair();

beforeAll(async () => {
  tmp = await isolateTmp('lifeboat-restore-roundtrip-');
  fixture = await createTestEngine({ secrets: new SessionSecretStore('restore round-trip test') });
});
afterAll(async () => {
  await fixture?.dispose();
  await stopAllClusters();
  await tmp?.restore();
});

describe.each(availableMajors())('PostgreSQL %i: Lifeboat archive → new database on the same server', (major) => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(major);
    await cluster.createDatabase('app');
    await cluster.query(SAMPLE_SCHEMA_SQL, [], 'app');
  });
  afterAll(() => cluster?.stop());

  it('restores every row, large object and the schema exactly, and verifies every table', async () => {
    const { engine } = fixture;
    const profile = await engine.profiles.add(clusterProfile(cluster, `rt${major}`, { database: 'app' }));
    const backup = await engine.backups.start({ profile: profile.id, outDir: path.join(tmp.dir, `out${major}`), encryption: { kind: 'recipients', recipients: [key.recipient] } }).result;
    const keys = { identities: [key.identity] };

    const inspection = await engine.restores.inspect(backup.archive, keys);
    expect(inspection).toMatchObject({ inner: 'lifeboat-tar', layers: ['age'], label: 'age-encrypted Lifeboat archive', encryption: 'age', sourceDatabase: 'app', dumpMajor: 18, problem: null });
    expect(inspection.sourceServerVersion).toMatch(new RegExp(`^${major}\\.`));
    expect(inspection.tables).toContainEqual({ schema: 'shop', name: 'customers', rows: 500 });

    const request = { file: backup.archive, profile: profile.id, mode: 'new' as const, database: 'restored', keys };
    const preflight = await engine.restores.preflight(request);
    expect(preflight.ok, JSON.stringify(preflight.items, null, 1)).toBe(true);
    const versions = preflight.items.find((i) => i.id === 'versions')!;
    // pg_dump 18 wrote the archive: older targets get a warning that names transaction_timeout.
    if (major < 18) expect(versions).toMatchObject({ status: 'warning', detail: expect.stringContaining('transaction_timeout') });
    else expect(versions.status).toBe('ok');
    expect(preflight.items.find((i) => i.id === 'identity')).toMatchObject({ status: 'ok', detail: expect.stringContaining("matches its sidecar") });

    const progress: string[] = [];
    const job = engine.restores.start(request);
    job.onProgress((p) => progress.push(p.phase));
    const result = await job.result;

    expect(result).toMatchObject({ mode: 'new', database: 'restored', keptDatabase: null, safetyBackup: null, createdRoles: [], endedSessions: 0, source: 'age-encrypted Lifeboat archive' });
    expect(await dataFingerprint(cluster, 'restored')).toEqual(await dataFingerprint(cluster, 'app'));
    // The archive is made to a key outside this engine's keychain, so it is a stranger's file: least privilege.
    expect(await schemaText(cluster, 'restored')).toBe(withStandInOwner(await schemaText(cluster, 'app')));

    // The verification compares every table's rows with the backup's exact counts.
    const tables = Object.keys(await dataFingerprint(cluster, 'app')).filter((t) => t !== '(large objects)');
    const checkedNames = result.verification.checked.map((c) => c.table);
    const unquoted = (t: string) => t.replace(/"((?:[^"]|"")*)"/g, (_, inner: string) => inner.replaceAll('""', '"'));
    for (const table of tables) expect(checkedNames, `${table} is verified`).toContain(unquoted(table));
    expect(result.verification.mismatches).toEqual([]);
    for (const check of result.verification.checked) expect(check.actual, check.table).toBe(check.expected);
    expect(result.verification.checked).toContainEqual({ table: 'shop.customers', expected: 500, actual: 500 });
    expect(result.verification.note).toMatch(/row counts equal the backup's snapshot/);

    if (major < 17) {
      expect(result.tolerated.join('\n')).toMatch(/transaction_timeout/);
    } else {
      expect(result.tolerated).toEqual([]);
    }
    expect(progress).toEqual(expect.arrayContaining(['Checking', 'Creating database', 'Restoring', 'Verifying', 'Done']));
    expect(await databases(cluster)).toEqual(['app', 'postgres', 'restored']);
    expect(await engineLeftovers(tmp.dir)).toEqual([]);
    await engine.profiles.remove(profile.id);
  });
});
