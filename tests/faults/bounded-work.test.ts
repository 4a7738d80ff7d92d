// Inspection does bounded work on hostile files: small compressed files that expand to one
// enormous line or statement, and Lifeboat archives whose globals.sql or manifest.json is huge,
// each finish quickly with a clear refusal (never a crash) and without large memory. Measured on
// the real CLI in a child process (`lifeboat inspect FILE --json` under GNU time for its peak RSS).
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { gzipSync, createGzip, zstdCompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_GLOBALS_BYTES, MAX_JSON_MEMBER_BYTES } from '../../main/engine/archive/archive-reader.ts';
import { MAX_SQL_LINE_BYTES as MAX_LINE_BYTES, SqlGuard } from '../../main/engine/restore/sql-guard.ts';
import { SqlLineSplitter } from '../../main/engine/restore/sql-pipeline.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import { craftArchive } from '../support/archive-craft.ts';
import { createTestEngine, NODE_BIN_DIR, type EngineFixture } from '../support/engine-fixture.ts';
import { startCluster, type Cluster, clusterProfile } from '../support/pg-cluster.ts';
import { CLI, isolateTmp } from '../support/restore-fixtures.ts';

const MAX_SECONDS = 5;
const MAX_RSS_MB = 300;

let tmp: Awaited<ReturnType<typeof isolateTmp>>;
let home: string;
let files: string;
let fixture: EngineFixture;
let cluster: Cluster;
let archive: string;

interface Measured {
  code: number;
  seconds: number;
  rssMb: number;
  json: { error?: { code: string; message: string; fix?: string } } | null;
  stderr: string;
}

/** `lifeboat inspect FILE --json` under GNU time: exit code, wall time, peak RSS (the CLI and anything it waited for). */
async function inspect(file: string): Promise<Measured> {
  const rssFile = path.join(files, 'rss.txt');
  const started = performance.now();
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%M', '-o', rssFile, path.join(NODE_BIN_DIR, 'node'), CLI, 'inspect', file, '--json'], {
      env: { ...process.env, PATH: `${NODE_BIN_DIR}:${process.env.PATH}`, LIFEBOAT_HOME: home },
      detached: true, // its own process group, so a stop reaches the CLI under GNU time too
    });
    let out = '';
    let err = '';
    // Far over the bound already: stop it, so a regression fails in seconds rather than hanging the suite.
    const stop = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 6 * MAX_SECONDS * 1000);
    child.on('close', () => clearTimeout(stop));
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (exit) => resolve({ code: exit ?? -1, stdout: out, stderr: err }));
    child.stdin.end();
  });
  const seconds = (performance.now() - started) / 1000;
  const rssKb = Number((await readFile(rssFile, 'utf8')).trim().split('\n').at(-1));
  let json = null;
  try {
    json = JSON.parse(stdout);
  } catch {
    // not JSON: the assertions below say so
  }
  return { code, seconds, rssMb: rssKb / 1024, json, stderr };
}

function expectBounded(result: Measured): string {
  const what = `${JSON.stringify(result.json)?.slice(0, 1000)} ${result.stderr.slice(0, 500)}`;
  expect(result.seconds, `${what}: seconds`).toBeLessThan(MAX_SECONDS);
  expect(result.rssMb, `${what}: peak RSS in MB`).toBeLessThan(MAX_RSS_MB);
  return what;
}

/** Bounded, and a refusal a person can act on: a LifeboatError code (not INTERNAL) with a message matching `message`. */
function expectBoundedRefusal(result: Measured, message: RegExp): void {
  const what = expectBounded(result);
  expect(result.code, what).toBe(1);
  expect(result.json?.error?.code, what).toBeDefined();
  expect(result.json!.error!.code, what).not.toBe('INTERNAL');
  expect(result.json!.error!.message, what).toMatch(message);
  expect(result.json!.error!.fix, what).toBeTruthy();
}

beforeAll(async () => {
  tmp = await isolateTmp('lifeboat-bounded-');
  home = path.join(tmp.dir, 'home');
  files = path.join(tmp.dir, 'files');
  await mkdir(home);
  await mkdir(files);
  fixture = await createTestEngine({ secrets: new SessionSecretStore('bounded work') });
  cluster = await startCluster(18);
  await cluster.createDatabase('small');
  await cluster.query('CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 10);', [], 'small');
  await fixture.engine.profiles.add(clusterProfile(cluster, 'pg', { color: 'red' }));
  archive = (await fixture.engine.backups.start({ profile: 'pg', database: 'small', outDir: path.join(tmp.dir, 'archives'), encryption: { kind: 'none' } }).result).archive;
});

afterAll(async () => {
  await fixture?.dispose();
  await cluster?.stop();
  await tmp?.restore();
});

describe('the line splitter', () => {
  it('splits on bytes: a character cut between chunks stays whole; \\r, empty and last lines are kept as they are', () => {
    const guard = new SqlGuard();
    const lines: string[] = [];
    const splitter = new SqlLineSplitter(guard, (line) => {
      lines.push(line.toString('utf8'));
      guard.line(line);
    });
    const bytes = Buffer.from('-- é1\r\n-- ab€\n\n-- last é');
    for (let i = 0; i < bytes.length; i += 3) splitter.push(bytes.subarray(i, i + 3), []);
    splitter.end([]);
    expect(lines).toEqual(['-- é1\r', '-- ab€', '', '-- last é']);
  });

  it('streams COPY data instead of collecting its lines, and spots "\\." across chunks', () => {
    const guard = new SqlGuard();
    const sql: string[] = [];
    const splitter = new SqlLineSplitter(guard, (line) => {
      sql.push(line.toString('utf8'));
      guard.line(line);
    });
    const out: Buffer[] = [];
    const text = `COPY t (a) FROM stdin;\n${'x'.repeat(1000)}\n\\.\nSELECT 1;\n`;
    for (let i = 0; i < text.length; i += 2) splitter.push(Buffer.from(text.slice(i, i + 2)), out);
    splitter.end(out);
    expect(sql).toEqual(['COPY t (a) FROM stdin;', 'SELECT 1;']);
    expect(Buffer.concat(out).toString()).toBe(`${'x'.repeat(1000)}\n\\.\n`);
    expect(Math.max(...out.map((part) => part.length))).toBeLessThanOrEqual(4);
  });
});

describe('compressed SQL that expands to enormous lines or statements', () => {
  it('16 KB of gzip that expands to one 16 MiB line', async () => {
    const file = path.join(files, 'one-long-line.sql.gz');
    await writeFile(file, gzipSync(Buffer.concat([Buffer.from("SELECT '"), Buffer.alloc(16 << 20, 'x')]), { level: 9 }));
    expect((await stat(file)).size).toBeLessThan(17 * 1024);
    // The line is under MAX_LINE_BYTES: whether a statement that long is refused is the SQL guard's limit to decide.
    const result = await inspect(file);
    if (result.code === 0) expectBounded(result);
    else expectBoundedRefusal(result, /long|statement|line|limit/i);
  });

  it('a few KB of zstd that expands to a line longer than MAX_LINE_BYTES', async () => {
    const file = path.join(files, 'longer-than-the-line-limit.sql.zst');
    await writeFile(file, zstdCompressSync(Buffer.concat([Buffer.from('SELECT 1;\n-- '), Buffer.alloc(MAX_LINE_BYTES + (8 << 20), 'y')])));
    expect((await stat(file)).size).toBeLessThan(64 * 1024);
    expectBoundedRefusal(await inspect(file), new RegExp(`Line 2 of the SQL file is longer than ${MAX_LINE_BYTES / 1024 / 1024} MiB`));
  });

  it('375 KB of gzip that expands to one statement of short lines without a semicolon', async () => {
    const file = path.join(files, 'no-semicolon.sql.gz');
    const lines = Buffer.alloc(1 << 20, 'a,\n');
    await pipeline(async function* () {
      yield Buffer.from('SELECT\n');
      for (let i = 0; i < 384; i++) yield lines;
    }, createGzip({ level: 9 }), createWriteStream(file));
    expect((await stat(file)).size).toBeLessThan(420 * 1024);
    expectBoundedRefusal(await inspect(file), /long|statement|limit/i);
  });
});

describe('Lifeboat archives with huge members', () => {
  it(`a globals.sql over MAX_GLOBALS_BYTES (${MAX_GLOBALS_BYTES / 1024 / 1024} MiB)`, async () => {
    const file = path.join(files, 'huge-globals.lifeboat');
    const role = (i: number) => `CREATE ROLE "role_${i}";\nALTER ROLE "role_${i}" WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS;\n`;
    const globals = Buffer.from(Array.from({ length: Math.ceil((MAX_GLOBALS_BYTES + (4 << 20)) / role(0).length) }, (_, i) => role(i)).join(''));
    await craftArchive({ from: archive, out: file, edit: (entries) => entries.map((e) => (e.name === 'globals.sql' ? { name: e.name, data: globals } : e)) });
    expectBoundedRefusal(await inspect(file), /The archive's globals\.sql is 2\d MiB: more than the 16 MiB Lifeboat reads/);
  });

  it(`a manifest.json over MAX_JSON_MEMBER_BYTES (${MAX_JSON_MEMBER_BYTES / 1024 / 1024} MiB)`, async () => {
    const file = path.join(files, 'huge-manifest.lifeboat');
    await craftArchive({
      from: archive, out: file,
      edit: (entries) => entries.map((e) => {
        if (e.name !== 'manifest.json') return e;
        const manifest = JSON.parse(e.data.toString('utf8'));
        manifest.padding = 'p'.repeat(MAX_JSON_MEMBER_BYTES + (1 << 20));
        return { name: e.name, data: Buffer.from(JSON.stringify(manifest)) };
      }),
    });
    expectBoundedRefusal(await inspect(file), /The archive's manifest\.json is \d+ MiB: more than the 32 MiB Lifeboat reads/);
  });

  it('the unchanged archive still inspects (the limits do not refuse ordinary files)', async () => {
    const result = await inspect(archive);
    expect(result.code, result.stderr + JSON.stringify(result.json)).toBe(0);
    expect(result.rssMb).toBeLessThan(MAX_RSS_MB);
  });
});
