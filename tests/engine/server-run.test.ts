// Whole-server backups against real servers: every database of the scope in one run, each into a
// normal archive, globals once, a database created since picked up, one database's failure kept to
// that database, cancel keeping nothing; and the CLI's profile flags and run record.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { createEngine } from '../../main/engine/index.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import type { RunDrillResult, ServerRunRecord } from '../../main/engine/model/server-run.ts';
import { normaliseScope, patternToRegExp, resolveScope } from '../../main/engine/profiles/database-scope.ts';
import { listRunRecords, writeRunRecord } from '../../main/engine/server-run/run-record.ts';
import { lifeboat } from '../support/cli-runner.ts';
import { createIsolatedKeychainEngine, createTestEngine, type EngineFixture } from '../support/engine-fixture.ts';
import { availableMajors, clusterProfile, startCluster, type Cluster } from '../support/pg-cluster.ts';
import { SAMPLE_SCHEMA_SQL } from '../support/sample-schema.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';
import { dataFingerprint, schemaText } from '../support/pg-tools.ts';

const MAJORS = [12, 18].filter((m) => availableMajors().includes(m));
const key = generateAgeKeyPair();
const encryption = { kind: 'recipients' as const, recipients: [key.recipient] };
let fixture: EngineFixture;
let work: string;

beforeAll(async () => {
  fixture = await createTestEngine();
  work = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-run-test-'));
});
afterAll(async () => {
  await fixture.dispose();
  await rm(work, { recursive: true, force: true });
});

describe('a profile\'s database scope', () => {
  it('checks names like hostile input and resolves "all" against the server at each run', () => {
    expect(() => normaliseScope({ kind: 'list', databases: [] })).toThrow(/empty/);
    expect(() => normaliseScope({ kind: 'list', databases: ['a\u0000b'] })).toThrow(/control character/);
    expect(() => normaliseScope({ kind: 'list', databases: ['x'.repeat(64)] })).toThrow(/63 bytes/);
    expect(() => normaliseScope({ kind: 'everything' })).toThrow(/neither/);
    expect(normaliseScope({ kind: 'list', databases: [' a ', 'a', 'b'] })).toEqual({ kind: 'list', databases: ['a', 'b'] });
    const server = [
      { name: 'postgres', isTemplate: false, bytes: 1 },
      { name: 'template1', isTemplate: true, bytes: 1 },
      { name: 'shop', isTemplate: false, bytes: 10 },
      { name: 'big', isTemplate: false, bytes: 100 },
      { name: 'tmp_1', isTemplate: false, bytes: 5 },
      { name: 'a.b', isTemplate: false, bytes: 2 },
    ];
    const all = resolveScope(normaliseScope({ kind: 'all', exclude: ['tmp_*', 'a?b'] }), server);
    expect(all.databases.map((d) => d.name)).toEqual(['big', 'shop']); // largest first
    expect(all.excluded).toEqual(['a.b', 'postgres', 'template1', 'tmp_1']); // 'a?b' matches "a.b"…
    expect(patternToRegExp('a.b').test('axb')).toBe(false); // …but a dot in a pattern is a dot
    const list = resolveScope({ kind: 'list', databases: ['shop', 'gone'] }, server);
    expect(list).toEqual({ databases: [server[2]], missing: ['gone'], excluded: [] });
  });
});

describe('run records', () => {
  it('two runs started in the same second keep both records (the second is not renamed over the first)', async () => {
    const folder = await mkdtemp(path.join(work, 'records-'));
    const libraryKey = Buffer.alloc(32, 7);
    const record = (id: string, outcome: ServerRunRecord['outcome']): ServerRunRecord => ({
      format: 'lifeboat-run', version: 1, id, profile: 'prod', profileId: 'p1', host: 'localhost', port: 5432, serverVersion: '18.0',
      startedAt: '2026-12-07T10:00:00.250Z', finishedAt: '2026-12-07T10:00:00.900Z', durationMs: 650, outcome, consistency: 'each database its own snapshot',
      concurrency: 1, scope: { kind: 'all', exclude: [], includeMaintenance: false, includeTemplates: false },
      globals: { kind: 'skipped', sha256: '', bytes: 0, note: null }, databases: [], excluded: [], dropped: [],
    });
    const first = await writeRunRecord(folder, record('run-1', 'partial'), libraryKey);
    const second = await writeRunRecord(folder, { ...record('run-2', 'ok'), startedAt: '2026-12-07T10:00:00.750Z' }, libraryKey);
    expect(path.basename(first.file)).toBe('prod_server_20261207T100000Z.lifeboat-run.json');
    expect(path.basename(second.file)).toBe('prod_server_20261207T100000Z-2.lifeboat-run.json');
    const listed = await listRunRecords([folder], libraryKey);
    expect(listed.map((r) => [r.record.id, r.file])).toEqual([['run-2', second.file], ['run-1', first.file]]);
    expect((await readdir(folder)).sort()).toEqual([path.basename(first.file), path.basename(second.file)].sort()); // no claim or temporary file left
  });
});

describe.each(MAJORS)('PostgreSQL %i: a whole-server run', (major) => {
  let cluster: Cluster;
  let profileId: string;
  const folder = () => path.join(work, `pg${major}`);
  const DATABASES = ['shop', 'crm', 'bulk', 'empty_db', 'Odd name ü', 'reports'];

  beforeAll(async () => {
    cluster = await startCluster(major);
    for (const name of [...DATABASES, 'archive_2019']) await cluster.query(`CREATE DATABASE "${name}"`);
    await cluster.query(SAMPLE_SCHEMA_SQL, [], 'shop');
    await cluster.query('CREATE TABLE contacts (id int PRIMARY KEY, name text); INSERT INTO contacts SELECT g, md5(g::text) FROM generate_series(1, 500) g', [], 'crm');
    await cluster.query('CREATE TABLE rows (id bigint, pad text); INSERT INTO rows SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, 40000) g', [], 'bulk');
    await cluster.query('CREATE SCHEMA s; CREATE TABLE s.t (v int); INSERT INTO s.t VALUES (1), (2)', [], 'Odd name ü');
    await cluster.query('CREATE VIEW v AS SELECT 1 AS one; CREATE TABLE r (x int); INSERT INTO r VALUES (7)', [], 'reports');
    await cluster.query("DO $$ BEGIN CREATE ROLE run_reader LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
    const profile = await fixture.engine.profiles.add(clusterProfile(cluster, `server${major}`, { backupFolder: folder(), scope: { kind: 'all', exclude: ['archive_*'], includeMaintenance: false, includeTemplates: false } }));
    profileId = profile.id;
  });
  afterAll(() => cluster.stop());

  it('backs up every database into its own verified archive, with the globals taken once and a tagged run record', async () => {
    const { engine } = fixture;
    const progress: string[] = [];
    const job = engine.runs.start({ profile: profileId, encryption });
    job.onProgress((p) => p.message && progress.push(p.message));
    const result = await job.result;
    const { record } = result;
    expect(record).toMatchObject({ format: 'lifeboat-run', outcome: 'ok', profileId, serverVersion: expect.stringMatching(new RegExp(`^${major}\\.`)), concurrency: 2, excluded: ['archive_2019', 'postgres', 'template1'], dropped: [] });
    expect(record.consistency).toMatch(/not consistent with each other/);
    expect(record.libraryTag).toMatch(/^[0-9a-f]{64}$/);
    expect(record.databases.map((d) => d.name).sort()).toEqual([...DATABASES].sort());
    expect(record.databases.every((d) => d.outcome === 'ok')).toBe(true);
    expect(progress.at(-1)).toBe('6 of 6 databases done');
    expect(result.archives).toHaveLength(6);
    expect(JSON.parse(await readFile(result.file, 'utf8'))).toEqual(record);

    // Each archive is a normal one: its sidecar names its database, and it verifies in full.
    for (const entry of record.databases) {
      const file = path.join(folder(), entry.archive!);
      const sidecar = JSON.parse(await readFile(`${file}.json`, 'utf8'));
      expect(sidecar).toMatchObject({ database: entry.name, sha256: entry.sha256, bytes: entry.bytes });
      const verified = await engine.library.verify(file, 'full', { identities: [key.identity] }).result;
      expect(verified.ok, entry.name).toBe(true);
    }
    expect(record.databases.find((d) => d.name === 'crm')).toMatchObject({ tables: 1, totalRows: 500 });
    expect(record.databases.find((d) => d.name === 'Odd name ü')).toMatchObject({ tables: 1, totalRows: 2 });
    expect(record.databases.find((d) => d.name === 'empty_db')).toMatchObject({ tables: 0, totalRows: 0 });

    // The same globals.sql in every archive, the one the record names, with the role in it.
    for (const name of ['shop', 'Odd name ü']) {
      const to = path.join(work, `x${major}-${name.length}`);
      await engine.library.extract(path.join(folder(), record.databases.find((d) => d.name === name)!.archive!), to, { identities: [key.identity] });
      const globals = await readFile(path.join(to, 'globals.sql'));
      expect(createHash('sha256').update(globals).digest('hex')).toBe(record.globals.sha256);
      expect(globals.toString()).toContain('run_reader');
    }
  });

  it('picks up a database created since, reports one dropped since, and leaves a pattern\'s databases out', async () => {
    await cluster.query('CREATE DATABASE created_later');
    await cluster.query('DROP DATABASE reports');
    const { record } = await fixture.engine.runs.start({ profile: profileId, encryption }).result;
    expect(record.outcome).toBe('ok');
    expect(record.databases.map((d) => d.name).sort()).toEqual([...DATABASES.filter((d) => d !== 'reports'), 'created_later'].sort());
    expect(record.dropped).toEqual(['reports']);
    expect(record.excluded).toContain('archive_2019');
  });

  it('a database whose dump loses its connection fails alone: the run is partial, the others are kept', async () => {
    // Hold a lock pg_dump must wait for, then end its connection while it waits.
    const locker = new pg.Client({ host: cluster.host, port: cluster.port, user: cluster.user, password: cluster.password, database: 'bulk' });
    await locker.connect();
    await locker.query('BEGIN; LOCK TABLE rows IN ACCESS EXCLUSIVE MODE');
    try {
      const job = fixture.engine.runs.start({ profile: profileId, encryption });
      let killed = 0;
      for (let i = 0; i < 600 && killed === 0; i++) {
        const rows = await cluster.query<{ n: number }>("SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = 'bulk' AND application_name LIKE 'Lifeboat pg_dump%' AND wait_event_type = 'Lock'");
        killed = rows[0]!.n;
        if (!killed) await new Promise((r) => setTimeout(r, 100));
      }
      expect(killed).toBe(1);
      await locker.query('ROLLBACK');
      const { record, archives } = await job.result;
      expect(record.outcome).toBe('partial');
      const bulk = record.databases.find((d) => d.name === 'bulk')!;
      expect(bulk).toMatchObject({ outcome: 'failed', error: { code: 'BACKUP_FAILED' } });
      expect(bulk.archive).toBeUndefined();
      expect(record.databases.filter((d) => d.outcome === 'ok')).toHaveLength(record.databases.length - 1);
      expect(archives).toHaveLength(record.databases.length - 1);
      const listed = await readdir(folder());
      expect(listed.filter((f) => f.includes('_bulk_')).every((f) => !f.endsWith('.partial'))).toBe(true);
    } finally {
      await locker.end().catch(() => {});
    }
  });

  it('cancel stops the run and keeps nothing of it: no archive, no record', async () => {
    const before = new Set(await readdir(folder()));
    const job = fixture.engine.runs.start({ profile: profileId, encryption });
    await new Promise<void>((resolve) => job.onProgress((p) => p.message?.startsWith('1 of') && resolve()));
    job.cancel();
    await expect(job.result).rejects.toMatchObject({ code: 'CANCELLED' });
    const after = (await readdir(folder())).filter((f) => !before.has(f));
    expect(after).toEqual([]);
  });
});

describe('the CLI', () => {
  let cluster: Cluster;
  let home: string;
  beforeAll(async () => {
    cluster = await startCluster(MAJORS.at(-1) ?? 18);
    for (const name of ['alpha', 'beta', 'tmp_scratch']) await cluster.createDatabase(name);
    home = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-run-cli-'));
  });
  afterAll(async () => {
    await cluster.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('profile add --all-databases --exclude, backup prints the run record; --databases naming a missing one is partial (exit 1)', async () => {
    const out = path.join(home, 'out');
    const added = await lifeboat(home, ['profile', 'add', 'whole', '--url', cluster.url('postgres'), '--password-stdin', '--all-databases', '--exclude', 'tmp_*', '--json'], { stdin: cluster.password });
    expect(added.code, added.stderr).toBe(0);
    expect(added.json.profile.scope).toEqual({ kind: 'all', exclude: ['tmp_*'], includeMaintenance: false, includeTemplates: false });
    const listed = await lifeboat(home, ['profile', 'list']);
    expect(listed.stdout).toContain('all databases except tmp_*');

    expect((await lifeboat(home, ['backup', '--profile', 'whole', '--out', out, '--jobs', '9'])).stderr).toMatch(/--jobs takes the number of databases dumped at a time, from 1 to 8/);
    const backup = await lifeboat(home, ['backup', '--profile', 'whole', '--out', out, '--recipient', key.recipient, '--jobs', '1', '--json']);
    expect(backup.code, backup.stderr).toBe(0);
    const record = backup.json as ServerRunRecord & { file: string };
    expect(record.outcome).toBe('ok');
    expect(record.concurrency).toBe(1);
    expect(record.databases.map((d) => d.name).sort()).toEqual(['alpha', 'beta']);
    expect(record.excluded).toEqual(['postgres', 'template1', 'tmp_scratch']);
    expect(path.dirname(record.file)).toBe(out);

    const scoped = await lifeboat(home, ['profile', 'scope', 'whole', '--databases', 'alpha,missing_db']);
    expect(scoped.code, scoped.stderr).toBe(0);
    expect(scoped.stdout).toContain('backs up alpha, missing_db');
    const partial = await lifeboat(home, ['backup', '--profile', 'whole', '--out', out, '--recipient', key.recipient]);
    expect(partial.code).toBe(1);
    expect(partial.stdout).toMatch(/PARTIAL: backed up 1 of 2 databases/);
    expect(partial.stdout).toMatch(/missing_db\s+MISSING\s+The database "missing_db" is not on the server/);
    expect(partial.stdout).toContain('not consistent with each other');

    expect((await lifeboat(home, ['profile', 'add', 'bad', '--url', cluster.url('postgres'), '--databases', 'a', '--exclude', 'x'])).stderr).toMatch(/--exclude.*go with --all-databases/);

    // The library's runs: newest first, each with its outcome; one in detail.
    const runs = await lifeboat(home, ['runs', out, '--profile', 'whole', '--json']);
    expect(runs.code, runs.stderr).toBe(0);
    const inOut = runs.json.runs as (ServerRunRecord & { file: string })[];
    expect(inOut.map((r) => r.outcome)).toEqual(['partial', 'ok']);
    // The run back onto the same server: its names are taken, so the checklist blocks; under a new name it restores.
    const keyFile = path.join(home, 'key.txt');
    await writeFile(keyFile, `${key.identity}\n`, { mode: 0o600 });
    const preflight = await lifeboat(home, ['preflight', record.file, '--profile', 'whole', '--all', '--identity', keyFile]);
    expect(preflight.code).toBe(1);
    expect(preflight.stdout).toMatch(/Disk space for all databases/);
    expect(preflight.stdout).toMatch(/Blocked: resolve the ✗ items first\. Nothing was changed\./);
    const restored = await lifeboat(home, ['restore', record.file, '--profile', 'whole', '--databases', 'alpha', '--rename', 'alpha=alpha_copy', '--identity', keyFile]);
    expect(restored.code, restored.stdout + restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/Restored all 1 databases of the run/);
    expect(restored.stdout).toMatch(/alpha → "alpha_copy"/);
    const detail = await lifeboat(home, ['runs', record.file]);
    expect(detail.stdout).toMatch(/Backed up all 2 databases of 127\.0\.0\.1/);
    expect(detail.stdout).toMatch(/alpha\s+ok/);
  });
});

describe('a drill of a run', () => {
  let cluster: Cluster;
  let home: string;
  beforeAll(async () => {
    cluster = await startCluster(MAJORS.at(-1) ?? 18);
    await cluster.createDatabase('sound');
    await cluster.query('CREATE TABLE items (id int PRIMARY KEY); INSERT INTO items SELECT generate_series(1, 300)', [], 'sound');
    // A classic backup that does not restore: a CHECK that reads another table, which is still empty
    // when pg_restore loads this one (its data comes first).
    await cluster.createDatabase('trap');
    await cluster.query(`CREATE TABLE z_ref (id int PRIMARY KEY); INSERT INTO z_ref VALUES (1);
      CREATE FUNCTION ref_exists(int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT EXISTS (SELECT 1 FROM public.z_ref WHERE id = $1)';
      CREATE TABLE a_checked (x int CHECK (public.ref_exists(x))); INSERT INTO a_checked VALUES (1)`, [], 'trap');
    home = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-run-drill-'));
  });
  afterAll(async () => {
    await cluster.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('drills every database of the run and names the one that does not restore; a planted record is refused', async () => {
    const out = path.join(home, 'out');
    expect((await lifeboat(home, ['profile', 'add', 'pair', '--url', cluster.url('postgres'), '--password-stdin', '--databases', 'sound,trap'], { stdin: cluster.password })).code).toBe(0);
    const backup = await lifeboat(home, ['backup', '--profile', 'pair', '--out', out, '--recipient', key.recipient, '--json']);
    expect(backup.code, backup.stderr).toBe(0);
    const keyFile = path.join(home, 'key.txt');
    await writeFile(keyFile, `${key.identity}\n`, { mode: 0o600 });
    const drilled = await lifeboat(home, ['drill', backup.json.file, '--identity', keyFile, '--json']);
    expect(drilled.code, drilled.stderr).toBe(1);
    const result = drilled.json as RunDrillResult;
    expect(result.passed).toBe(false);
    expect(result.databases.map((d) => [d.database, d.record?.passed])).toEqual(expect.arrayContaining([['sound', true], ['trap', false]]));
    const text = await lifeboat(home, ['drill', backup.json.file, '--identity', keyFile]);
    expect(text.stdout).toMatch(/^FAILED: the run of pair/);
    expect(text.stdout).toMatch(/ {2}sound: passed/);
    expect(text.stdout).toMatch(/ {2}trap: FAILED[\s\S]*a_checked/);

    // A record someone else wrote (or edited) is not followed.
    const planted = path.join(out, 'planted_server_20260101T000000Z.lifeboat-run.json');
    const forged = { ...backup.json, databases: [{ name: 'x', outcome: 'ok', archive: '../../etc/passwd' }] };
    delete forged.file;
    delete forged.copies;
    await writeFile(planted, JSON.stringify(forged));
    const refused = await lifeboat(home, ['drill', planted, '--identity', keyFile]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/not a run record this Lifeboat wrote/);
  });
});

const objectsOf = (schema: string) => schema.split('\n').filter((line) => line.startsWith('-- Name: ')).sort();

describe('restoring a whole run onto another server (the migration case)', () => {
  let source: Cluster;
  let target: Cluster;
  const SOURCE_MAJOR = availableMajors().includes(12) ? 12 : MAJORS[0]!;
  beforeAll(async () => {
    [source, target] = await Promise.all([startCluster(SOURCE_MAJOR), startCluster(MAJORS.at(-1) ?? 18)]);
    await source.query('CREATE ROLE shop_owner NOLOGIN');
    for (const name of ['shop', 'crm', 'notes']) await source.createDatabase(name);
    await source.query(SAMPLE_SCHEMA_SQL, [], 'shop');
    await source.query('CREATE TABLE ledger (id int PRIMARY KEY, amount numeric); INSERT INTO ledger SELECT g, g * 1.5 FROM generate_series(1, 250) g; ALTER TABLE ledger OWNER TO shop_owner', [], 'shop');
    await source.query('CREATE TABLE contacts (id int PRIMARY KEY, name text); INSERT INTO contacts SELECT g, md5(g::text) FROM generate_series(1, 400) g', [], 'crm');
    await source.query("CREATE TABLE note (body text); INSERT INTO note VALUES ('ü'), ('x')", [], 'notes');
    await target.createDatabase('crm'); // a name already taken on the target
  });
  afterAll(async () => {
    await Promise.all([source.stop(), target.stop()]);
  });

  it('one checklist blocks on a name taken on the target and changes nothing; with a new name every database, its rows, schema and roles arrive', async () => {
    // This Lifeboat's own key: its own archives are trusted to set owners (a stranger's file runs as a
    // role without rights, and could not give the PostgreSQL 12 public schema its owner on 18).
    const own = await createIsolatedKeychainEngine();
    onTestFinished(() => own.dispose());
    const { engine } = own;
    const from = await engine.profiles.add(clusterProfile(source, `migrate-from${SOURCE_MAJOR}`, { backupFolder: path.join(work, 'migrate'), scope: { kind: 'all', exclude: [], includeMaintenance: false, includeTemplates: false } }));
    const to = await engine.profiles.add(clusterProfile(target, 'migrate-to'));
    const { file, record } = await engine.runs.start({ profile: from.id }).result;
    expect(record.outcome).toBe('ok');
    const keys = {};
    const before = (await target.query<{ datname: string }>('SELECT datname FROM pg_database ORDER BY 1')).map((r) => r.datname);

    const blocked = await engine.runRestores.preflight({ file, profile: to.id, createMissingRoles: true, keys });
    expect(blocked.ok).toBe(false);
    const crm = blocked.parts.find((p) => p.source === 'crm')!;
    expect(crm.preflight.items.some((i) => i.status === 'blocker')).toBe(true);
    expect(blocked.items.find((i) => i.id === 'space')?.title).toBe('Disk space for all databases');
    await expect(engine.runRestores.start({ file, profile: to.id, createMissingRoles: true, keys }).result).rejects.toMatchObject({ code: 'PREFLIGHT_BLOCKED', message: expect.stringMatching(/crm → crm.*Nothing was changed/) });
    expect((await target.query<{ datname: string }>('SELECT datname FROM pg_database ORDER BY 1')).map((r) => r.datname)).toEqual(before);

    const restored = await engine.runRestores.start({ file, profile: to.id, createMissingRoles: true, keys, rename: { crm: 'crm_from_old' } }).result;
    expect(restored.outcome, JSON.stringify(restored.databases.map((d) => d.error))).toBe('ok');
    expect(restored.databases.map((d) => [d.source, d.target]).sort()).toEqual([['crm', 'crm_from_old'], ['notes', 'notes'], ['shop', 'shop']]);
    for (const [from, into] of [['shop', 'shop'], ['crm', 'crm_from_old'], ['notes', 'notes']] as const) {
      expect(await dataFingerprint(target, into), from).toEqual(await dataFingerprint(source, from));
      // Every object with its type, schema and owner (a newer server prints view bodies its own way).
      expect(objectsOf(await schemaText(target, into)), from).toEqual(objectsOf(await schemaText(source, from)));
    }
    expect(await target.query("SELECT rolname FROM pg_roles WHERE rolname = 'shop_owner'")).toHaveLength(1);
  });
});

describe('on a schedule', () => {
  let cluster: Cluster;
  let home: string;
  let hook: Receiver;
  beforeAll(async () => {
    cluster = await startCluster(MAJORS.at(-1) ?? 18);
    for (const name of ['north', 'south']) await cluster.createDatabase(name);
    home = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-run-sched-'));
    hook = await startReceiver();
  });
  afterAll(async () => {
    await hook.close();
    await cluster.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('a scheduled backup of a profile with a scope runs the whole scope; a partial run notifies, naming the database', async () => {
    let now = new Date('2026-11-18T12:00:00Z');
    const engine = await createEngine({ dataDir: home, secrets: new SessionSecretStore('test'), clock: { now: () => now } });
    engine.settings.update({ extraRecipients: [key.recipient], encryptionMode: 'recipients', timeZone: 'UTC', backupFolder: path.join(home, 'backups') });
    await engine.profiles.add(clusterProfile(cluster, 'fleet', { scope: { kind: 'list', databases: ['north', 'south', 'west'] } }));
    await engine.schedules.set('fleet', { backup: { preset: 'daily', time: '01:00', enabled: true }, notify: { webhookUrl: `${hook.origin}/`, onSuccess: false, desktop: false, staleHours: null } });
    now = new Date('2026-11-19T01:05:00Z');
    const due = await engine.schedules.runDue();
    expect(due).toEqual([expect.objectContaining({ kind: 'backup', result: 'failed', detail: expect.stringMatching(/^2 of 3 databases backed up; FAILED: west \(The database "west" is not on the server\.\)/), archive: expect.stringMatching(/\.lifeboat-run\.json$/) })]);
    const archives = (await readdir(path.join(home, 'backups'))).filter((n) => n.endsWith('.lifeboat'));
    expect(archives.map((n) => n.split('_')[1]).sort()).toEqual(['north', 'south']);
    for (let i = 0; i < 50 && hook.received.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(JSON.parse(hook.received[0]!.body).text).toMatch(/the scheduled backup of "fleet" was PARTIAL: 2 of 3 databases backed up; FAILED: west/);
  });
});
