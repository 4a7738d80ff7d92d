// The backup job's pure steps: pg_dump --verbose's lines turned into progress (against fixed lines
// captured from PostgreSQL 18's pg_dump, and against a live pg_dump 18), and the manifest and
// sidecar builders.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ArchiveChecksums, CanaryResult, ObjectCounts } from '../../main/engine/archive/archive-format.ts';
import { buildManifest, totalRowsOf, type BackupFacts, type SnapshotMetadata } from '../../main/engine/backup/backup-manifest.ts';
import { sidecarFor } from '../../main/engine/archive/sidecar-build.ts';
import { dumpLineTable, DumpProgress, isDumpVerboseLine, tableWeight } from '../../main/engine/backup/dump-progress.ts';
import { SnapshotSession, type LiveTable } from '../../main/engine/backup/snapshot-session.ts';
import type { JobContext, JobProgress } from '../../main/engine/jobs/job.ts';
import { libpqEnvironment } from '../../main/engine/pgtools/libpq-env.ts';
import { startTool } from '../../main/engine/pgtools/tool-process.ts';
import type { PgTool } from '../../main/engine/types.ts';
import { startCluster, type Cluster } from '../support/pg-cluster.ts';
import { bundledTool, clusterProfile } from '../support/pg-tools.ts';

/** stderr of `pg_dump --format=custom --verbose` (PostgreSQL 18.x), abridged. */
const VERBOSE_LINES = [
  "pg_dump: executing SELECT pg_catalog.set_config('search_path', '', false);",
  'pg_dump: last built-in OID is 16383',
  'pg_dump: reading extensions',
  'pg_dump: identifying extension members',
  'pg_dump: reading user-defined tables',
  'pg_dump: reading dependency data',
  'pg_dump: saving encoding = UTF8',
  'pg_dump: saving "standard_conforming_strings = on"',
  'pg_dump: saving "search_path = "',
  'pg_dump: saving database definition',
];
/** pg_dump prints `schema.name` unquoted inside the double quotes, whatever the names contain. */
const TABLE_LINES: [string, string][] = [
  ['pg_dump: dumping contents of table "public.orders"', 'public.orders'],
  ['pg_dump: dumping contents of table "public.tab with "quote"', 'public.tab with "quote'],
  ['pg_dump: dumping contents of table "odd "schema"." quoted" name"', 'odd "schema"." quoted" name'],
];
/** A failed pg_dump 18 (no privilege on a table): these must stay error lines. */
const ERROR_LINES = [
  'pg_dump: error: query failed: ERROR:  permission denied for table tab with "quote',
  'pg_dump: detail: Query was: LOCK TABLE public.orders, public."tab with ""quote", public.broken IN ACCESS SHARE MODE',
  'pg_dump: warning: could not find where to insert IF EXISTS in statement "-- x"',
  'pg_dump: hint: Try "pg_dump --help" for more information.',
];

function fakeJob(): { ctx: JobContext; reports: Partial<JobProgress>[] } {
  const reports: Partial<JobProgress>[] = [];
  return { ctx: { signal: new AbortController().signal, report: (update) => reports.push(update) }, reports };
}

function table(oid: number, schema: string, name: string, estimatedBytes: number, estimatedRows = 0): LiveTable {
  return { oid, schema, name, kind: 'r', estimatedBytes, estimatedRows };
}

describe('pg_dump verbose lines', () => {
  it('names the table a "dumping contents of table" line starts, quotes and dots included', () => {
    for (const [line, name] of TABLE_LINES) expect(dumpLineTable(line), line).toBe(name);
    for (const line of [...VERBOSE_LINES, ...ERROR_LINES, '', 'dumping contents of table ""']) expect(dumpLineTable(line), line).toBeNull();
  });

  it('consumes verbose chatter as progress, and keeps error, warning, detail and hint lines as errors', () => {
    for (const line of [...VERBOSE_LINES, ...TABLE_LINES.map(([l]) => l)]) expect(isDumpVerboseLine(line), line).toBe(true);
    for (const line of [...ERROR_LINES, 'could not connect to server', 'ERROR:  relation does not exist', '']) expect(isDumpVerboseLine(line), line).toBe(false);
    const progress = new DumpProgress(fakeJob().ctx);
    for (const line of [...VERBOSE_LINES, ...TABLE_LINES.map(([l]) => l)]) expect(progress.onDumpLine(line), line).toBe(true);
    for (const line of ERROR_LINES) expect(progress.onDumpLine(line), line).toBe(false);
  });
});

/** performance.now() under the tests' control: DumpProgress throttles and estimates by it. */
let now = 1_000;
function controlPerformanceNow(): void {
  beforeAll(() => {
    vi.spyOn(performance, 'now').mockImplementation(() => now);
  });
  afterAll(() => {
    vi.restoreAllMocks();
  });
  afterEach(() => {
    now += 10_000;
  });
}

const orders = table(101, 'public', 'orders', 60_000, 1000);
const quoted = table(102, 'odd "schema"', '" quoted" name', 30_000, 0);
const empty = table(103, 'public', 'empty', 0, 0); // weighs one page: 8192

describe('DumpProgress', () => {
  controlPerformanceNow();

  it('weighs each table by its size, at least one page', () => {
    expect(tableWeight(orders)).toBe(60_000);
    expect(tableWeight(empty)).toBe(8192);
  });

  it('reports nothing until the table list is known, then credits the tables already finished', () => {
    const { ctx, reports } = fakeJob();
    const progress = new DumpProgress(ctx);
    for (const line of VERBOSE_LINES) progress.onDumpLine(line);
    progress.onDumpLine(TABLE_LINES[0]![0]); // public.orders
    progress.onDumpLine(TABLE_LINES[2]![0]); // the quoted one
    expect(reports).toEqual([]);
    progress.setTables([orders, quoted, empty]);
    const total = 60_000 + 30_000 + 8192;
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ phase: 'Dumping', currentItem: 'odd "schema"." quoted" name', message: '3 tables', bytes: 0 });
    expect(reports[0]!.fraction).toBeCloseTo(60_000 / total, 10);
  });

  it('says "1 table", and reports written bytes at most every 250 ms', () => {
    const { ctx, reports } = fakeJob();
    const progress = new DumpProgress(ctx);
    progress.setTables([orders]);
    expect(reports.at(-1)).toMatchObject({ message: '1 table' });
    const count = reports.length;
    now += 100;
    progress.onBytes(4096);
    expect(reports).toHaveLength(count);
    now += 200;
    progress.onBytes(8192);
    expect(reports).toHaveLength(count + 1);
    expect(reports.at(-1)).toMatchObject({ bytes: 8192, phase: 'Dumping' });
  });

  it('estimates the time left from the elapsed time once past 2 %', () => {
    const { ctx, reports } = fakeJob();
    const progress = new DumpProgress(ctx);
    progress.setTables([orders, quoted]);
    progress.onDumpLine(TABLE_LINES[0]![0]);
    now += 4_000;
    progress.onDumpLine(TABLE_LINES[2]![0]); // orders done: 60 000 of 90 000 after 4 s, so 2 s to go
    expect(reports.at(-1)!.etaSeconds).toBe(2);
  });
});

describe('DumpProgress moving the bar', () => {
  controlPerformanceNow();

  it('moves by finished tables and the live COPY of the current one, never backwards, never to 100 %', () => {
    const { ctx, reports } = fakeJob();
    const progress = new DumpProgress(ctx);
    progress.setTables([orders, quoted, empty]);
    const total = 60_000 + 30_000 + 8192;
    expect(reports.at(-1)).toMatchObject({ fraction: 0, currentItem: null });

    progress.onDumpLine('pg_dump: dumping contents of table "public.orders"');
    expect(reports.at(-1)).toMatchObject({ fraction: 0, currentItem: 'public.orders' });
    // Half of orders' estimated rows copied.
    progress.onCopyProgress({ relid: orders.oid, tuples: 500, bytes: 1 });
    expect(reports.at(-1)!.fraction).toBeCloseTo(30_000 / total, 10);
    // Another table's COPY, or none, changes nothing.
    const count = reports.length;
    progress.onCopyProgress({ relid: quoted.oid, tuples: 1, bytes: 1 });
    progress.onCopyProgress(null);
    expect(reports).toHaveLength(count);
    // More rows than estimated stay below the next table.
    progress.onCopyProgress({ relid: orders.oid, tuples: 5000, bytes: 1 });
    expect(reports.at(-1)!.fraction).toBeCloseTo((0.98 * 60_000) / total, 10);

    progress.onDumpLine('pg_dump: dumping contents of table "odd "schema"." quoted" name"');
    expect(reports.at(-1)!.fraction).toBeCloseTo(60_000 / total, 10);
    // No row estimate: bytes against the table's size.
    progress.onCopyProgress({ relid: quoted.oid, tuples: 0, bytes: 15_000 });
    expect(reports.at(-1)!.fraction).toBeCloseTo(75_000 / total, 10);
    // An error line neither counts as a table nor moves the bar.
    const before = reports.length;
    expect(progress.onDumpLine(ERROR_LINES[0]!)).toBe(false);
    expect(reports).toHaveLength(before);

    progress.onDumpLine('pg_dump: dumping contents of table "public.empty"');
    expect(reports.at(-1)).toMatchObject({ currentItem: 'public.empty' });
    expect(reports.at(-1)!.fraction).toBeCloseTo(90_000 / total, 10);
    // A table missing from the list (created after the snapshot's list) weighs nothing and caps at 98 %.
    progress.onDumpLine('pg_dump: dumping contents of table "public.unlisted"');
    expect(reports.at(-1)).toMatchObject({ currentItem: 'public.unlisted', fraction: 0.98 });
    const fractions = reports.map((r) => r.fraction!);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
  });

});

describe('DumpProgress against a live pg_dump 18', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(18);
    await cluster.query(`CREATE SCHEMA "odd ""schema""";
      CREATE TABLE public.orders (id int); INSERT INTO public.orders SELECT generate_series(1, 1000);
      CREATE TABLE "odd ""schema""".""" quoted"" name" (x text); INSERT INTO "odd ""schema""".""" quoted"" name" VALUES ('a');
      CREATE TABLE public."tab with ""quote" (a int);`);
    await cluster.createRole('weak', 'Weak-pw-1');
    await cluster.query('GRANT USAGE ON SCHEMA public TO weak; GRANT SELECT ON public.orders TO weak');
  });
  afterAll(async () => {
    await cluster.stop();
  });

  async function dumpWithProgress(user: string, password: string): Promise<{ code: number | null; errors: string[]; reports: Partial<JobProgress>[]; tables: LiveTable[] }> {
    const profile = { ...clusterProfile(cluster), user };
    const session = await SnapshotSession.open(clusterProfile(cluster), cluster.password);
    const libpq = await libpqEnvironment(profile, password);
    try {
      const tables = await session.tables();
      const { ctx, reports } = fakeJob();
      const progress = new DumpProgress(ctx);
      progress.setTables(tables);
      const dump = startTool({ path: bundledTool('pg_dump'), args: ['--format=custom', '--verbose', '--no-password'], env: libpq.env, signal: ctx.signal, onLine: (line) => progress.onDumpLine(line) });
      dump.stdout.resume();
      const exit = await dump.exited;
      return { code: exit.code, errors: exit.errors, reports, tables };
    } finally {
      await session.close();
      await libpq.dispose();
    }
  }

  it('follows every table pg_dump dumps, and leaves no verbose line among the errors', async () => {
    const { code, errors, reports, tables } = await dumpWithProgress('postgres', cluster.password);
    expect(code).toBe(0);
    expect(errors).toEqual([]);
    const current = [...new Set(reports.map((r) => r.currentItem).filter((item) => item != null))];
    expect([...current].sort()).toEqual(tables.map((t) => `${t.schema}.${t.name}`).sort());
    expect(current).toContain('odd "schema"." quoted" name');
    expect(current).toContain('public.tab with "quote');
    expect(reports.at(-1)!.fraction).toBeGreaterThan(0);
    expect(reports.at(-1)!.fraction).toBeLessThanOrEqual(0.98);
  });

  it("keeps pg_dump's error and detail lines as errors", async () => {
    const { code, errors } = await dumpWithProgress('weak', 'Weak-pw-1');
    expect(code).not.toBe(0);
    expect(errors.some((line) => line.startsWith('pg_dump: error: ') && line.includes('permission denied'))).toBe(true);
    expect(errors.some((line) => line.startsWith('pg_dump: detail: '))).toBe(true);
    expect(errors.filter((line) => !/^pg_dump: (error|detail|hint|warning)/.test(line))).toEqual([]);
  });
});

const pgDump: PgTool = { name: 'pg_dump', path: '/opt/pg/18/bin/pg_dump', version: '18.1', major: 18, source: 'bundled' };
const facts: BackupFacts = {
  appVersion: '9.9.9',
  profile: { id: 'p1', name: 'Shop', host: 'db.example', port: 5433, database: 'shop', user: 'alice', sslmode: 'disable', color: 'blue', createdAt: '', updatedAt: '' },
  server: { version: '18.1', versionNum: 180001 },
  pgDump,
  snapshotId: '00000003-00000002-1',
  snapshotNote: null,
  started: new Date('2025-01-02T03:04:05.678Z'),
  compressionLabel: 'zstd:3',
  rowCounts: true,
  encryption: { kind: 'x25519', recipients: ['age1abc'] },
};
const objectCounts: ObjectCounts = { tables: 2, views: 0, materializedViews: 0, sequences: 1, indexes: 1, functions: 0 };
const canaries: CanaryResult[] = [{ name: 'orders', sql: 'SELECT count(*) FROM orders', value: '3', error: null }];
const meta: SnapshotMetadata = { tables: [table(7, 'public', 'orders', 8192, 3), table(8, 'public', 'empty', 0, 0)], objectCounts, canaries };

const checksums: ArchiveChecksums = {
  dump: { sha256: 'd'.repeat(64), bytes: 12345, parts: 1 },
  globals: { sha256: 'g'.repeat(64), bytes: 10 },
  rowCounts: { exact: true, tables: [{ schema: 'public', name: 'orders', rows: 3 }, { schema: 'public', name: 'empty', rows: 0 }, { schema: 'public', name: 'more', rows: 40 }] },
  finishedAt: '2025-01-02T03:05:00.000Z',
  timings: { totalMs: 54321, globalsMs: 10, dumpMs: 50000, rowCountsMs: 300 },
};


describe('manifest.json', () => {
  it('builds manifest.json from the backup facts, without table oids', () => {
    const notes = ['first'];
    const manifest = buildManifest(facts, meta, { tool: { ...pgDump, name: 'pg_dumpall', path: '/opt/pg/18/bin/pg_dumpall' }, kind: 'roles-without-passwords' }, notes);
    expect(manifest).toEqual({
      format: 'lifeboat-archive',
      formatVersion: 1,
      createdBy: 'Lifeboat 9.9.9',
      source: { profile: 'Shop', host: 'db.example', port: 5433, database: 'shop', user: 'alice' },
      server: { version: '18.1', versionNum: 180001 },
      tools: { pg_dump: { version: '18.1', path: '/opt/pg/18/bin/pg_dump' }, pg_dumpall: { version: '18.1', path: '/opt/pg/18/bin/pg_dumpall' } },
      snapshot: { id: '00000003-00000002-1', exact: true, note: null },
      startedAt: '2025-01-02T03:04:05.678Z',
      options: { compression: 'zstd:3', partSize: 8 * 1024 * 1024, globals: 'roles-without-passwords', rowCounts: true, encryption: 'x25519' },
      tables: [
        { schema: 'public', name: 'orders', kind: 'r', estimatedBytes: 8192, estimatedRows: 3 },
        { schema: 'public', name: 'empty', kind: 'r', estimatedBytes: 0, estimatedRows: 0 },
      ],
      objectCounts,
      canaries,
      notes: ['first'],
    });
    // Notes added later in the backup still reach the archive.
    notes.push('later');
    expect(manifest.notes).toEqual(['first', 'later']);
  });

  it('says so when there is no exported snapshot and no pg_dumpall', () => {
    const note = 'The server could not export a snapshot';
    const manifest = buildManifest({ ...facts, snapshotId: null, snapshotNote: note, rowCounts: false }, meta, { tool: null, kind: 'skipped' }, []);
    expect(manifest.snapshot).toEqual({ id: null, exact: false, note });
    expect(manifest.tools.pg_dumpall).toBeNull();
    expect(manifest.options).toMatchObject({ globals: 'skipped', rowCounts: false });
  });
});

describe('the sidecar', () => {
  it('sums the exact row counts, or has none', () => {
    expect(totalRowsOf(checksums)).toBe(43);
    expect(totalRowsOf({ rowCounts: { exact: false, tables: [] } })).toBe(0);
    expect(totalRowsOf({ rowCounts: null })).toBeNull();
  });

  it('builds the sidecar from the manifest, checksums.json and the file written', () => {
    const manifest = buildManifest(facts, meta, { tool: null, kind: 'skipped' }, []);
    const file = { name: 'Shop_shop_2025-01-02.lifeboat', bytes: 20000, sha256: 'a'.repeat(64) };
    expect(sidecarFor(manifest, checksums, file, { kind: 'x25519', recipients: ['age1abc'] })).toEqual({
      sidecarVersion: 1,
      archive: 'Shop_shop_2025-01-02.lifeboat',
      formatVersion: 1,
      profile: 'Shop',
      host: 'db.example',
      port: 5433,
      database: 'shop',
      serverVersion: '18.1',
      pgDumpVersion: '18.1',
      createdAt: '2025-01-02T03:04:05.678Z',
      finishedAt: '2025-01-02T03:05:00.000Z',
      durationMs: 54321,
      bytes: 20000,
      sha256: 'a'.repeat(64),
      encryption: { kind: 'x25519', recipients: ['age1abc'] },
      compression: 'zstd:3',
      tables: 2,
      totalRows: 43,
      rowCountsExact: true,
      dumpBytes: 12345,
    });
    const uncounted = sidecarFor({ ...manifest, tables: [] }, { ...checksums, rowCounts: null }, file, { kind: 'none', recipients: [] });
    expect(uncounted).toMatchObject({ totalRows: null, rowCountsExact: false, tables: 0, encryption: { kind: 'none', recipients: [] } });
  });
});
