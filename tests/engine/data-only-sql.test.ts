// "Rows only into chosen tables" from a plain SQL file runs those tables' rows and nothing else:
// the rest of a hostile script (DDL, other tables, roles, functions called from INSERT values) is
// skipped and counted, in COPY and in --inserts dumps; what the file holds for other tables stays out.
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyTarget, dataOnlyDecider, insertTarget } from '../../main/engine/restore/data-only-filter.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import { createTestEngine, type EngineFixture } from '../support/engine-fixture.ts';
import { startCluster, stopAllClusters, type Cluster, clusterProfile } from '../support/pg-cluster.ts';
import { runTool } from '../support/pg-tools.ts';
import { isolateTmp } from '../support/restore-fixtures.ts';

let fixture: EngineFixture;
let tmp: Awaited<ReturnType<typeof isolateTmp>>;
let cluster: Cluster;
let files: string;

const HOSTILE_TAIL = [
  'CREATE TABLE public.pwned (x int);',
  'DROP TABLE public.keep;',
  "CREATE ROLE intruder SUPERUSER LOGIN PASSWORD 'x';",
  "INSERT INTO public.items VALUES (99, (SELECT string_agg(rolname, ',') FROM pg_roles));",
  "INSERT INTO public.items VALUES (98, 'fine'), (97, E'also fine');",
  'COPY public.keep (id) FROM stdin;',
  '1000',
  '\\.',
].join('\n');

beforeAll(async () => {
  tmp = await isolateTmp('lifeboat-data-only-');
  files = path.join(tmp.dir, 'files');
  await mkdir(files);
  fixture = await createTestEngine({ secrets: new SessionSecretStore('data-only SQL test') });
  cluster = await startCluster(18);
  await cluster.createDatabase('app');
  await cluster.query("CREATE TABLE items (id int PRIMARY KEY, note text); CREATE TABLE keep (id int); INSERT INTO items SELECT g, 'row ' || g FROM generate_series(1, 50) g; INSERT INTO keep VALUES (1), (2);", [], 'app');
  await fixture.engine.profiles.add(clusterProfile(cluster, 'pg', { color: 'teal' }));
});

afterAll(async () => {
  await fixture?.dispose();
  await stopAllClusters();
  await tmp?.restore();
});

async function restoreRows(file: string): Promise<string[]> {
  await cluster.query('TRUNCATE items', [], 'app');
  const result = await fixture.engine.restores.start({ file, profile: 'pg', keys: {}, mode: 'data-only', database: 'app', tables: ['public.items'] }).result;
  return result.tolerated;
}

async function expectOnlyItemsRestored(extra: number[]): Promise<void> {
  const items = await cluster.query<{ id: number }>('SELECT id FROM items ORDER BY id', [], 'app');
  expect(items.map((r) => r.id)).toEqual([...Array.from({ length: 50 }, (_, i) => i + 1), ...extra].sort((a, b) => a - b));
  expect(await cluster.query("SELECT 1 FROM pg_class WHERE relname = 'pwned'", [], 'app')).toEqual([]);
  expect(await cluster.query("SELECT 1 FROM pg_roles WHERE rolname = 'intruder'")).toEqual([]);
  expect((await cluster.query<{ id: number }>('SELECT id FROM keep ORDER BY id', [], 'app')).map((r) => r.id)).toEqual([1, 2]);
}

describe('a rows-only restore from a plain SQL file', () => {
  it.each([
    ['COPY format', ''],
    ['--inserts format', '--inserts'],
  ])('%s: only the chosen table\'s rows run; the rest is skipped and counted', async (_name, flag) => {
    const file = path.join(files, `app${flag}.sql`);
    await cluster.query('DELETE FROM items WHERE id > 50', [], 'app');
    await runTool(cluster, 'app', 'pg_dump', [], { shell: `"$TOOL" --no-password -Fp ${flag} -f "${file}"` });
    await appendFile(file, `${HOSTILE_TAIL}\n`);
    const notes = await restoreRows(file);
    await expectOnlyItemsRestored([97, 98]);
    expect(notes.join(' ')).toMatch(/\d+ statements other than rows of the chosen tables were skipped/);
  });
});

describe('what counts as rows', () => {
  it('COPY and INSERT targets are read as names, quoted or not', () => {
    expect(copyTarget('COPY public.items (id, note) FROM stdin')).toBe('public.items');
    expect(copyTarget('COPY "Odd ""Schema"".x"."T 1" (a) FROM stdin')).toBe('Odd "Schema".x.T 1');
    expect(copyTarget('COPY public.items (id) FROM PROGRAM \'id\'')).toBeNull();
    expect(copyTarget('COPY public.items (id) FROM stdin WITH (FORMAT binary)')).toBeNull();
    expect(insertTarget("INSERT INTO public.items (id, note) VALUES (1, 'a'), (-2.5e3, NULL), (3, E'x''y')")).toBe('public.items');
    expect(insertTarget('INSERT INTO public.items VALUES (1, now())')).toBeNull();
    expect(insertTarget("INSERT INTO public.items VALUES (1, 'a') RETURNING *")).toBeNull();
    expect(insertTarget("INSERT INTO public.items SELECT 1, 'a'")).toBeNull();
  });

  it('keeps pg_dump\'s session settings and the chosen tables only', () => {
    const decide = dataOnlyDecider(['public.items']);
    expect(decide("SET client_encoding = 'LATIN1'")).toBe('keep');
    expect(decide("SELECT pg_catalog.set_config('search_path', '', false)")).toBe('keep');
    expect(decide("SET session_authorization = 'postgres'")).toBe('skip');
    expect(decide('COPY public.other (id) FROM stdin')).toBe('skip');
    expect(decide('COPY public.items (id) FROM stdin')).toBe('keep');
  });
});
