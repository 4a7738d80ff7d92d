// Every dropped file is hostile: a bad sidecar is that archive's problem only (the rest of the folder
// lists), names in it reach the terminal escaped, and a drill never runs SQL from the archive — canary
// queries come from the saved profile and run read-only.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, symlink, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveEntry } from '../../main/engine/archive/library-service.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import { craftArchive, editJsonEntry, type TarEntry } from '../support/archive-craft.ts';
import { createTestEngine, type EngineFixture } from '../support/engine-fixture.ts';
import { startCluster, type Cluster } from '../support/pg-cluster.ts';
import { isolateTmp, lifeboat } from '../support/restore-fixtures.ts';

const run = promisify(execFile);
/** ESC and RIGHT-TO-LEFT OVERRIDE characters found raw in the output. */
const rawUnsafe = (text: string) => [...text].filter((c) => c === '\u001b' || c === '\u202e');
const WRITER_SQL = "WITH w AS (INSERT INTO items VALUES (100000, 'written') RETURNING id) SELECT count(*) FROM w";

let fixture: EngineFixture;
let tmp: Awaited<ReturnType<typeof isolateTmp>>;
let cluster: Cluster;
let archive: string;

beforeAll(async () => {
  tmp = await isolateTmp('lifeboat-hostile-files-');
  fixture = await createTestEngine({ secrets: new SessionSecretStore('hostile files test') });
  cluster = await startCluster(18);
  await cluster.createDatabase('shop');
  await cluster.query("CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 300) i;", [], 'shop');
  await fixture.engine.profiles.add({
    name: 'src', host: cluster.host, port: cluster.port, database: 'shop', user: 'postgres', sslmode: 'disable', color: 'blue', password: cluster.password,
    canaryQueries: [{ name: 'items', sql: 'SELECT count(*) FROM items' }, { name: 'writer', sql: WRITER_SQL }, { name: 'sneaky', sql: 'SELECT 1' }],
  });
  archive = (await fixture.engine.backups.start({ profile: 'src', outDir: path.join(tmp.dir, 'made'), encryption: { kind: 'none' } }).result).archive;
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  await fixture?.dispose();
  await tmp?.restore();
});

describe('a bad sidecar is reported for that archive only', () => {
  let folder: string;
  const sidecarOf = async () => JSON.parse(await readFile(`${archive}.json`, 'utf8'));
  /** A copy of the real archive under `name`, with `sidecar` written (or made) next to it. */
  async function put(name: string, sidecar: (file: string) => Promise<void>): Promise<void> {
    await copyFile(archive, path.join(folder, name));
    await sidecar(path.join(folder, `${name}.json`));
  }

  beforeAll(async () => {
    folder = path.join(tmp.dir, 'library');
    await mkdir(folder);
    await put('src_shop_20260101T000000Z.lifeboat', async (file) => writeFile(file, JSON.stringify(await sidecarOf())));
    await put('src_shop_20260102T000000Z.lifeboat', async (file) => writeFile(file, JSON.stringify({ ...(await sidecarOf()), database: 'shop\x1b[31m\u202etxt.exe' })));
    await put('src_shop_20260103T000000Z.lifeboat', (file) => writeFile(file, '{"sidecarVersion": 1, "sha256": '));
    await put('src_shop_20260104T000000Z.lifeboat', async (file) => writeFile(file, JSON.stringify({ ...(await sidecarOf()), port: '5432', profile: 42 })));
    await put('src_shop_20260105T000000Z.lifeboat', async (file) => {
      await writeFile(file, '{}');
      await truncate(file, 4 * 1024 ** 3); // sparse: listing must not read 4 GiB
    });
    await put('src_shop_20260106T000000Z.lifeboat', (file) => symlink('/dev/zero', file));
    await put('src_shop_20260107T000000Z.lifeboat', async (file) => void (await run('mkfifo', [file])));
    await put('src_shop_20260108T000000Z.lifeboat', async (file) => writeFile(file, JSON.stringify({ ...(await sidecarOf()), sidecarVersion: 1, encryption: { kind: 'rot13', recipients: [] } })));
    await run('mkfifo', [path.join(folder, 'src_shop_20260109T000000Z.lifeboat')]);
  });

  it('lists every archive; the bad ones flagged with the reason, the others as usual', async () => {
    const started = performance.now();
    const entries = await fixture.engine.library.list({ folders: [folder] });
    expect(performance.now() - started).toBeLessThan(20_000);
    const byDay = (day: string): ArchiveEntry => entries.find((e) => path.basename(e.path) === `src_shop_202601${day}T000000Z.lifeboat`)!;
    expect(entries).toHaveLength(9);
    const good = await sidecarOf();
    expect(byDay('01')).toMatchObject({ sidecar: { sha256: good.sha256, database: 'shop', profile: 'src' } });
    expect(byDay('01').problem).toBeUndefined();
    expect(byDay('02').problem).toBeUndefined();
    expect(byDay('02').sidecar.database).toBe('shop\x1b[31m\u202etxt.exe'); // the engine keeps the name exact
    const problems: [string, RegExp][] = [
      ['03', /is not valid JSON/],
      ['04', /"profile" is not text|"port" is not/],
      ['05', /is 4294967296 bytes, more than a sidecar can be/],
      ['06', /is a symbolic link/],
      ['07', /is not a regular file/],
      ['08', /"encryption.kind" is not/],
      ['09', /is not a regular file/],
    ];
    for (const [day, reason] of problems) {
      const entry = byDay(day);
      expect(entry.problem?.message, day).toMatch(reason);
      expect(entry.problem?.fix, day).toBeTruthy();
      expect(entry.sidecar.partial, day).toBe(true);
      expect(entry.sidecar.createdAt, day).toBe(`2026-01-${day}T00:00:00.000Z`);
    }
    // Nothing was rewritten over a bad sidecar, and a link is still the link.
    expect(await readFile(path.join(folder, 'src_shop_20260103T000000Z.lifeboat.json'), 'utf8')).toBe('{"sidecarVersion": 1, "sha256": ');
  });

  it('the CLI lists the problems and prints no raw escape or bidi character, in text and in --json', async () => {
    const home = path.join(tmp.dir, 'cli-home');
    const text = await lifeboat(home, ['list', folder]);
    expect(text.code, text.stderr).toBe(0);
    expect(rawUnsafe(text.stdout)).toEqual([]);
    expect(text.stdout).toContain('shop\\x1b[31m\\u202etxt.exe');
    expect(text.stdout).toMatch(/PROBLEM/);
    expect(text.stdout).toMatch(/src_shop_20260106T000000Z\.lifeboat: The sidecar src_shop_20260106T000000Z\.lifeboat\.json is a symbolic link\. Fix: /);
    const json = await lifeboat(home, ['list', folder, '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(rawUnsafe(json.stdout)).toEqual([]);
    const listed = (json.json as { archives: ArchiveEntry[] }).archives;
    expect(listed.find((a) => a.path.endsWith('20260102T000000Z.lifeboat'))!.sidecar.database).toBe('shop\x1b[31m\u202etxt.exe');
    expect(listed.filter((a) => a.problem)).toHaveLength(7);
  });
});

/** The author of a hostile archive recomputes its checksums: checksums.json covers the edited manifest. */
function withManifestSum(entries: TarEntry[]): TarEntry[] {
  const manifest = entries.find((e) => e.name === 'manifest.json')!.data;
  return editJsonEntry(entries, 'checksums.json', (sums) => {
    if (sums.manifest) sums.manifest = { sha256: createHash('sha256').update(manifest).digest('hex'), bytes: manifest.length };
  });
}

describe('drill canaries come from the profile and run read-only', () => {
  it('never runs the archive\'s SQL; a writing profile canary fails as read-only', async () => {
    const crafted = path.join(tmp.dir, 'crafted', 'src_shop_20260201T000000Z.lifeboat');
    await mkdir(path.dirname(crafted));
    await craftArchive({
      from: archive, out: crafted, sidecar: true,
      edit: (entries) => withManifestSum(editJsonEntry(entries, 'manifest.json', (manifest) => {
        manifest.source.profile = 'src';
        manifest.canaries = [
          { name: 'items', sql: 'SELECT count(*) FROM items', value: '300', error: null },
          { name: 'pwned', sql: 'CREATE TABLE pwned ()', value: null, error: null },
          { name: 'sleepy', sql: 'SELECT pg_sleep(100)', value: '', error: null },
          { name: 'sneaky', sql: 'CREATE TABLE pwned_too ()', value: '1', error: null },
          { name: 'writer', sql: WRITER_SQL, value: '1', error: null },
        ];
      })),
    });
    const started = performance.now();
    const record = await fixture.engine.drills.start({ file: crafted, scratch: { kind: 'profile', profile: 'src' }, keep: true }).result;
    expect(performance.now() - started).toBeLessThan(60_000); // pg_sleep(100) did not run
    expect(record.error, JSON.stringify(record.checks)).toBeNull();
    const canary = (name: string) => record.checks.find((c) => c.kind === 'canary' && c.name === name)!;
    expect(canary('items')).toMatchObject({ expected: '300', actual: '300', passed: true });
    expect(canary('pwned')).toMatchObject({ actual: 'not checked', passed: true, note: expect.stringMatching(/no canary named "pwned".*never from the archive/) });
    expect(canary('sleepy')).toMatchObject({ actual: 'not checked', passed: true });
    expect(canary('sneaky')).toMatchObject({ actual: 'not checked', passed: true, note: expect.stringMatching(/changed since the backup/) });
    expect(canary('writer')).toMatchObject({ expected: '1', passed: false, actual: expect.stringMatching(/read-only transaction/) });
    expect(record.passed).toBe(false);

    const scratch = record.scratch.database;
    expect(record.scratch.kept).toBe(true);
    try {
      const made = await cluster.query<{ relname: string }>("SELECT relname FROM pg_class WHERE relname IN ('pwned', 'pwned_too')", [], scratch);
      expect(made).toEqual([]);
      expect(await cluster.query('SELECT count(*)::int AS n FROM items', [], scratch)).toEqual([{ n: 300 }]);
    } finally {
      await cluster.query(`DROP DATABASE "${scratch}"`);
    }
  }, 120_000);
});
