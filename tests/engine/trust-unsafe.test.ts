// Statements that reach beyond the database being restored — a program on the database server,
// roles, other databases, code blocks — are a checklist blocker for a file this Lifeboat did not
// make; they run only after the user types "I trust where this file came from" (logged), and an
// archive made by this Lifeboat's own key restores them without that step. What only the restore
// sees (a statement in an archive's data section) is stopped before psql gets it.
import { chmod, copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRUST_PHRASE, unsafeReason } from '../../main/engine/restore/unsafe-statements.ts';
import { withTocString } from '../support/archive-craft.ts';
import { createIsolatedKeychainEngine, type EngineFixture } from '../support/engine-fixture.ts';
import { startCluster, stopAllClusters, type Cluster, clusterProfile } from '../support/pg-cluster.ts';
import { runTool } from '../support/pg-tools.ts';
import { isolateTmp, lifeboat } from '../support/restore-fixtures.ts';

let fixture: EngineFixture;
let tmp: Awaited<ReturnType<typeof isolateTmp>>;
let cluster: Cluster;
let files: string;
/** Where a program run by the database server (as its OS user) would leave a file. */
let hostDir: string;

beforeAll(async () => {
  tmp = await isolateTmp('lifeboat-trust-');
  files = path.join(tmp.dir, 'files');
  await mkdir(files);
  hostDir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-host-'));
  await chmod(hostDir, 0o777);
  // The real (test) keychain: an archive is this Lifeboat's own only when made to the keychain's key.
  fixture = await createIsolatedKeychainEngine();
  cluster = await startCluster(18);
  await cluster.createDatabase('app');
  await cluster.query("CREATE TABLE t (a int); INSERT INTO t VALUES (1), (2); COMMENT ON TABLE t IS 'placeholder-comment';", [], 'app');
  await fixture.engine.profiles.add(clusterProfile(cluster, 'pg', { database: 'app', color: 'teal' }));
});

afterAll(async () => {
  await fixture?.dispose();
  await stopAllClusters();
  await tmp?.restore();
  await rm(hostDir, { recursive: true, force: true });
});

const databases = async () => (await cluster.query<{ datname: string }>('SELECT datname FROM pg_database ORDER BY 1')).map((r) => r.datname);

describe('which statements reach beyond the database', () => {
  it.each([
    ["COPY (SELECT 1) TO PROGRAM 'id'", /runs a program/],
    ["COPY t FROM '/etc/passwd'", /reads or writes a file/],
    ['ALTER SYSTEM SET work_mem = 1', /configuration/],
    ["CREATE ROLE x SUPERUSER LOGIN PASSWORD 'p'", /role/],
    ['ALTER USER postgres NOSUPERUSER', /role/],
    ['DROP DATABASE prod', /database other/],
    ['GRANT pg_execute_server_program TO app', /membership/],
    ["CREATE FUNCTION f() RETURNS int LANGUAGE plpython3u AS $$return 1$$", /untrusted language plpython3u/],
    ["CREATE OR REPLACE FUNCTION f() RETURNS int AS '/tmp/x.so', 'f' LANGUAGE c", /compiled code/],
    ['CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION f()', /event trigger/],
    ["LOAD '/tmp/evil.so'", /library/],
    ["DO $$BEGIN PERFORM 1; END$$", /anonymous code block/],
    ["SET SESSION AUTHORIZATION 'postgres'", /switches to another role/],
    ['SET LOCAL ROLE postgres', /switches to another role/],
    ["SELECT pg_catalog.pg_read_file('/etc/passwd')", /pg_read_file/],
    ['SELECT "pg_terminate_backend"(1)', /pg_terminate_backend/],
  ])('%s', (sql, reason) => {
    expect(unsafeReason(sql)).toMatch(reason);
  });

  it.each([
    'CREATE TABLE public.t (a integer)',
    "COPY public.t (a) FROM stdin",
    'GRANT SELECT ON TABLE public.t TO reporting',
    "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$SELECT pg_read_file('x')$$",
    "COMMENT ON TABLE t IS 'COPY t TO PROGRAM ''id'''",
    'SET row_security = off',
    "SELECT pg_catalog.set_config('search_path', '', false)",
    'CREATE USER MAPPING FOR app SERVER s',
    "CREATE FUNCTION g() RETURNS int LANGUAGE plpgsql AS $$BEGIN RETURN 1; END$$",
  ])('%s is not', (sql) => {
    expect(unsafeReason(sql)).toBeNull();
  });
});

describe('a file that reaches beyond its database', () => {
  it('is a blocker until the user types the words; then it runs, and the activity log says so', async () => {
    const marker = path.join(hostDir, 'from-sql');
    const file = path.join(files, 'program.sql');
    await writeFile(file, `CREATE TABLE x (a int);\nCOPY (SELECT 1) TO PROGRAM 'touch ${marker}';\n`);
    const request = { file, profile: 'pg', keys: {}, mode: 'new' as const, database: 'trust_program' };
    const blocked = await fixture.engine.restores.preflight(request);
    expect(blocked.items).toContainEqual(expect.objectContaining({ id: 'trust', status: 'blocker', detail: expect.stringMatching(/line 2 runs a program on the database server/) }));
    await expect(fixture.engine.restores.start(request).result).rejects.toMatchObject({ code: 'PREFLIGHT_BLOCKED' });
    expect(existsSync(marker)).toBe(false);
    expect(await databases()).not.toContain('trust_program');

    const wrongWords = await fixture.engine.restores.preflight({ ...request, trust: 'yes' });
    expect(wrongWords.ok).toBe(false);
    const trusted = await fixture.engine.restores.preflight({ ...request, trust: TRUST_PHRASE });
    expect(trusted.items).toContainEqual(expect.objectContaining({ id: 'trust', status: 'warning' }));
    await fixture.engine.restores.start({ ...request, trust: TRUST_PHRASE }).result;
    expect(existsSync(marker), 'the trusted file ran as written').toBe(true);
    // The activity line is written as the job settles: give it a moment.
    const trustedEntry = async () => (await readFile(path.join(fixture.dataDir, 'activity.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { title: string; result: string }).find((e) => e.result === 'succeeded' || e.title.includes('typed by the user'));
    for (let i = 0; i < 50 && !(await trustedEntry()); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await trustedEntry())?.title).toBe(`Restore into "trust_program" (new), "${TRUST_PHRASE}" typed by the user`);
    await cluster.query('DROP DATABASE trust_program');
  });

  it('a statement only the restore sees (an archive\'s data section) is stopped before psql gets it', async () => {
    const marker = path.join(hostDir, 'from-toc');
    const dump = path.join(files, 'app.dump');
    await runTool(cluster, 'app', 'pg_dump', [], { shell: `"$TOOL" --no-password -Fc -f "${dump}"` });
    // The TABLE DATA entry's COPY statement is what pg_restore prints before the rows.
    const crafted = withTocString(await readFile(dump), 'COPY public.t (a) FROM stdin;\n', `COPY (SELECT 1) TO PROGRAM 'touch ${marker}';\n`);
    const file = path.join(files, 'hostile-copy.dump');
    await writeFile(file, crafted);
    const request = { file, profile: 'pg', keys: {}, mode: 'new' as const, database: 'trust_toc' };
    // Named by the archive's entry, not by a line of pg_restore's output.
    await expect(fixture.engine.restores.start(request).result).rejects.toMatchObject({ code: 'PREFLIGHT_BLOCKED', message: expect.stringMatching(/^The archive's entry TABLE DATA public\.t runs a program on the database server/) });
    // pg_restore -j runs the TOC itself, without psql: the same statement is found in the TOC first.
    await expect(fixture.engine.restores.start({ ...request, jobs: 2 }).result).rejects.toMatchObject({ code: 'PREFLIGHT_BLOCKED', message: expect.stringMatching(/TABLE DATA t runs a program on the database server/) });
    expect(existsSync(marker)).toBe(false);
    expect(await databases()).not.toContain('trust_toc');
    // The untouched dump still restores in parallel.
    await fixture.engine.restores.start({ ...request, file: dump, database: 'trust_parallel', jobs: 2 }).result;
    await cluster.query('DROP DATABASE trust_parallel');
  });

  it('an archive made by this Lifeboat\'s own key restores its event trigger without the typed step', async () => {
    await cluster.query("CREATE FUNCTION note_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$BEGIN END$$; CREATE EVENT TRIGGER note ON ddl_command_end EXECUTE FUNCTION note_ddl();", [], 'app');
    try {
      const { archive } = await fixture.engine.backups.start({ profile: 'pg', outDir: path.join(tmp.dir, 'own') }).result;
      const request = { file: archive, profile: 'pg', keys: {}, mode: 'new' as const, database: 'trust_own' };
      const preflight = await fixture.engine.restores.preflight(request);
      expect(preflight.items).toContainEqual(expect.objectContaining({ id: 'trust', status: 'info', title: 'Made by this Lifeboat' }));
      await fixture.engine.restores.start(request).result;
      expect(await cluster.query("SELECT evtname FROM pg_event_trigger WHERE evtname = 'note'", [], 'trust_own')).toHaveLength(1);
      await cluster.query('DROP DATABASE trust_own');
    } finally {
      await cluster.query('DROP EVENT TRIGGER note; DROP FUNCTION note_ddl();', [], 'app');
    }
  });

  it('an own archive must be the very file that was checked: replaced or rewritten since, it is refused', async () => {
    const { archive } = await fixture.engine.backups.start({ profile: 'pg', outDir: path.join(tmp.dir, 'own-swap') }).result;
    const request = { file: archive, profile: 'pg', keys: {}, mode: 'new' as const, database: 'trust_swapped' };
    const checked = await fixture.engine.restores.inspect(archive);
    expect(checked.lifeboat?.authenticity).toBe('own-key');
    // Replaced by another file (a copy: a new inode) after the check …
    await copyFile(archive, `${archive}.new`);
    await rename(`${archive}.new`, archive);
    await expect(fixture.engine.restores.start({ ...request, inspection: checked }).result).rejects.toMatchObject({ code: 'PREFLIGHT_BLOCKED', message: expect.stringMatching(/changed after Lifeboat checked that this Lifeboat made it/) });
    // … or written to in place, even with the same bytes.
    const again = await fixture.engine.restores.inspect(archive);
    await writeFile(archive, await readFile(archive));
    await expect(fixture.engine.restores.start({ ...request, inspection: again }).result).rejects.toMatchObject({ code: 'PREFLIGHT_BLOCKED' });
    expect(await databases()).not.toContain('trust_swapped');
    // Checked as it is now, it restores.
    await fixture.engine.restores.start({ ...request, inspection: await fixture.engine.restores.inspect(archive) }).result;
    await cluster.query('DROP DATABASE trust_swapped');
  });

  it('the CLI drill asks for the same words (--trust) and then runs the file in the scratch server', async () => {
    const file = path.join(files, 'vendor-fix.sql');
    await writeFile(file, 'CREATE TABLE t (a int);\nDO $$BEGIN PERFORM 1; END$$;\n');
    const home = await mkdtemp(path.join(tmp.dir, 'cli-'));
    const refused = await lifeboat(home, ['drill', file, '--json']);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.json?.error).toMatchObject({ code: 'PREFLIGHT_BLOCKED', message: expect.stringMatching(/line 2 runs an anonymous code block/), fix: expect.stringContaining(`--trust "${TRUST_PHRASE}"`) });
    const trusted = await lifeboat(home, ['drill', file, '--trust', TRUST_PHRASE, '--json']);
    expect(trusted.code, trusted.stderr).toBe(0);
    expect(trusted.json).toMatchObject({ passed: true });
  });
});
