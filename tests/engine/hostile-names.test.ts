// Names are names: a database name reaches every PostgreSQL tool as exactly that name (never as a
// connection string), names are cut on whole characters, and names from files are shown with their
// control and bidi characters escaped (CLI text, --json, the drill report).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonVisible, truncateUtf8, visibleLines, visibleText } from '../../main/engine/name-text.ts';
import { dbnameConninfo } from '../../main/engine/pgtools/libpq-env.ts';
import { derivedName } from '../../main/engine/restore/restore-service.ts';
import { renderDrillReport } from '../../main/engine/drill/drill-report.ts';
import type { DrillRecord } from '../../main/engine/drill/drill-service.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import { createTestEngine, REPO_ROOT, type EngineFixture } from '../support/engine-fixture.ts';
import { startCluster, type Cluster, clusterProfile } from '../support/pg-cluster.ts';
import { isolateTmp } from '../support/restore-fixtures.ts';

const utf8 = (text: string) => Buffer.byteLength(text);
const isWellFormed = (text: string) => !/\p{Cs}/u.test(text);

describe('visibleText: one rule for terminal and UI', () => {
  it('escapes terminal controls, bidi overrides and invisible characters, and nothing else', () => {
    expect(visibleText('shop\x1b[2J\x1b]8;;http://evil\x07link\x1b]8;;\x07')).toBe('shop\\x1b[2J\\x1b]8;;http://evil\\x07link\\x1b]8;;\\x07');
    expect(visibleText('a\rb\bc\td\ne\x7f\u009b')).toBe('a\\rb\\x08c\\td\\ne\\x7f\\x9b');
    expect(visibleText('invoice\u202efdp.exe')).toBe('invoice\\u202efdp.exe');
    expect(visibleText('\u2066x\u2069\u200b\ufeff\u3164\u{e0041}')).toBe('\\u2066x\\u2069\\u200b\\ufeff\\u3164\\u{e0041}');
    expect(visibleText('lone \ud800 surrogate')).toBe('lone \\ud800 surrogate');
    // Letters of any script, emoji sequences (ZWJ, variation selectors), quotes and backslashes stay.
    for (const name of ['Kundendaten', 'データベース', 'עברית', '👨‍👩‍👧 ❤️ 🇩🇪', 'it\'s "quoted" \\ back', 'x dbname=postgres']) expect(visibleText(name)).toBe(name);
  });

  it('is idempotent, and visibleLines keeps only the line breaks', () => {
    const once = visibleText('a\x1b\u202eb\n');
    expect(visibleText(once)).toBe(once);
    expect(visibleLines('one\x1b[31m\ntwo\u202e')).toBe('one\\x1b[31m\ntwo\\u202e');
  });

  it('jsonVisible is exact JSON with no raw bidi, DEL or C1 character', () => {
    const value = { name: 'a\u202eb\x7f\u009b\u2028😀\u{e0041}\x1b', ok: 'plain ✓' };
    const text = jsonVisible(JSON.stringify(value));
    expect(JSON.parse(text)).toEqual(value);
    // Indented JSON keeps its layout: only string contents change.
    expect(jsonVisible(JSON.stringify({ a: ['x'] }, null, 2))).toBe(JSON.stringify({ a: ['x'] }, null, 2));
    expect(JSON.parse(jsonVisible(JSON.stringify(value, null, 2)))).toEqual(value);
    expect([...text].filter((c) => ['\u202e', '\u007f', '\u009b', '\u2028', '\u001b', '\u{e0041}'].includes(c))).toEqual([]);
    expect(text).toContain('\\u202e');
  });

  it('lives in a file without imports, so the renderer may import it (lint allows it by name)', async () => {
    const source = await readFile(path.join(REPO_ROOT, 'main/engine/name-text.ts'), 'utf8');
    expect(source).not.toMatch(/^\s*import\s/m);
  });

  it('the drill report shows names escaped, HTML-escaped as before', () => {
    const record = { passed: false, couldNotRun: false, archive: { path: '/x/a\u202eb.lifeboat', name: 'a\u202eb.lifeboat', sha256: null }, source: { profile: 'p\x1b', database: 'd<b>', host: null, serverVersion: null, createdAt: null }, scratch: { kind: 'embedded', server: 's', database: 'lifeboat_drill', kept: false }, startedAt: '', finishedAt: '', who: 'me', tools: { pg_restore: null, psql: null, scratchServer: null, lifeboat: '0' }, checks: [{ kind: 'table', name: 'public.t\u202e', expected: '1', actual: '2', passed: false }], tolerated: [], timings: { startMs: 0, restoreMs: 0, verifyMs: 0, teardownMs: 0, totalMs: 0 }, error: null, reportFile: null, id: 'x' } as DrillRecord;
    const html = renderDrillReport(record);
    expect([...html].filter((c) => c === '\u202e' || c === '\u001b')).toEqual([]);
    expect(html).toContain('a\\u202eb.lifeboat');
    expect(html).toContain('public.t\\u202e');
    expect(html).toContain('d&lt;b&gt;');
  });
});

describe('names are cut on whole characters', () => {
  const suffix = '_before_restore_20261205T101010Z';
  it('derivedName keeps a long emoji name valid UTF-8 within 63 bytes', () => {
    for (const name of ['😀'.repeat(20), `a${'😀'.repeat(20)}`, `ab${'😀'.repeat(20)}`, '👨‍👩‍👧'.repeat(8), 'é'.repeat(40), `e${'\u0301'.repeat(3)}`.repeat(20), `x${'\ud800'.repeat(30)}`]) {
      const derived = derivedName(name, suffix);
      expect(utf8(derived), name).toBeLessThanOrEqual(63);
      expect(isWellFormed(derived), name).toBe(true);
      expect(derived.endsWith(suffix)).toBe(true);
      expect(Buffer.from(derived, 'utf8').toString('utf8')).toBe(derived);
    }
    // A family emoji (25 bytes) is kept or dropped whole, never split into its parts.
    expect(derivedName('👨‍👩‍👧'.repeat(8), suffix)).toBe(`${'👨‍👩‍👧'}${suffix}`);
    expect(derivedName('short', suffix)).toBe(`short${suffix}`);
  });

  it('truncateUtf8 cuts between grapheme clusters and never exceeds the limit', () => {
    expect(truncateUtf8('😀😀', 7)).toBe('😀');
    expect(truncateUtf8('aé', 2)).toBe('a');
    expect(truncateUtf8('e\u0301e\u0301', 4)).toBe('e\u0301');
    for (let max = 0; max < 30; max++) {
      const cut = truncateUtf8('a😀b👨‍👩‍👧c', max);
      expect(utf8(cut)).toBeLessThanOrEqual(max);
      expect(isWellFormed(cut)).toBe(true);
    }
  });
});

describe('dbnameConninfo', () => {
  it('quotes as libpq does: backslash and single quote escaped, inside single quotes', () => {
    expect(dbnameConninfo("it's a \\ name")).toBe("dbname='it\\'s a \\\\ name'");
    expect(dbnameConninfo('x dbname=postgres')).toBe("dbname='x dbname=postgres'");
    expect(() => dbnameConninfo('a\0b')).toThrow(/NUL/);
  });
});

// Each name would be taken by libpq as a connection string (or needs quoting) if passed raw.
const HOSTILE = (port: number) => [
  'x dbname=postgres',
  `postgresql://127.0.0.1:${port}/lb_other`,
  "it's \\ \"q\" Ünïcödé 😀",
];

describe('a database name reaches pg_restore -j, pg_dump and pg_dumpall as a name', () => {
  let fixture: EngineFixture;
  let tmp: Awaited<ReturnType<typeof isolateTmp>>;
  let cluster: Cluster;
  let archive: string;
  const count = async (database: string) => (await cluster.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_class WHERE relname = \'items\'', [], database))[0]!.n;

  beforeAll(async () => {
    tmp = await isolateTmp('lifeboat-hostile-names-');
    fixture = await createTestEngine({ secrets: new SessionSecretStore('hostile names test') });
    cluster = await startCluster(18);
    await cluster.createDatabase('ops');
    await cluster.query('CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT i, \'item \' || i FROM generate_series(1, 300) i;', [], 'ops');
    await cluster.createDatabase('lb_other');
    await fixture.engine.profiles.add(clusterProfile(cluster, 'pg', { color: 'red' }));
    archive = (await fixture.engine.backups.start({ profile: 'pg', database: 'ops', outDir: path.join(tmp.dir, 'ops'), encryption: { kind: 'none' } }).result).archive;
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    await fixture?.dispose();
    await tmp?.restore();
  });

  it('restores with --jobs 2 into exactly the typed new database, and nowhere else', async () => {
    for (const name of HOSTILE(cluster.port)) {
      const result = await fixture.engine.restores.start({ profile: 'pg', file: archive, mode: 'new', database: name, jobs: 2 }).result;
      expect(result.database).toBe(name);
      const [row] = await cluster.query<{ n: number }>('SELECT count(*)::int AS n FROM items', [], name);
      expect(row!.n, name).toBe(300);
    }
    // The databases the names spell as connection strings are untouched.
    expect(await count('postgres')).toBe(0);
    expect(await count('lb_other')).toBe(0);
  }, 120_000);

  it('backs up a database with such a name: pg_dump and pg_dumpall (globals) reach it and this server', async () => {
    // Spelled as a connection string, this name points pg_dumpall at port 1 (and the passfile's password with it).
    const name = 'postgresql://127.0.0.1:1/x';
    await cluster.createDatabase(name);
    await cluster.query('CREATE TABLE marker (v text); INSERT INTO marker VALUES (\'here\');', [], name);
    const result = await fixture.engine.backups.start({ profile: 'pg', database: name, outDir: path.join(tmp.dir, 'named'), encryption: { kind: 'none' } }).result;
    expect(result.notes.filter((n) => /globals|Roles and tablespaces/.test(n))).toEqual([]);
    expect(result.sidecar.database).toBe(name);
    expect(result.tables).toBe(1);
    // And it restores (in parallel) into another hostile name.
    const into = 'y dbname=lb_other';
    await fixture.engine.restores.start({ profile: 'pg', file: result.archive, mode: 'new', database: into, jobs: 2 }).result;
    expect(await cluster.query('SELECT v FROM marker', [], into)).toEqual([{ v: 'here' }]);
    expect(await cluster.query("SELECT count(*)::int AS n FROM pg_class WHERE relname = 'marker'", [], 'lb_other')).toEqual([{ n: 0 }]);
  }, 120_000);
});
