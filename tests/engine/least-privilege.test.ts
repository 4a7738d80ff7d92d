// A file Lifeboat did not make runs as a temporary role that is not a superuser and owns only the
// new database. A normal dump still restores on every server 12–18 with its owners, grants, default
// privileges, trusted extensions and grants on functions with user-defined argument types — except
// that what it gives to a superuser belongs to lifeboat_restored. A program hidden where no
// statement scan looks (a function body called by the file) cannot run; it does with typed trust.
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRUST_PHRASE } from '../../main/engine/restore/unsafe-statements.ts';
import { createIsolatedKeychainEngine, type EngineFixture } from '../support/engine-fixture.ts';
import { availableMajors, startCluster, stopAllClusters, type Cluster, clusterProfile } from '../support/pg-cluster.ts';
import { runTool } from '../support/pg-tools.ts';
import { isolateTmp } from '../support/restore-fixtures.ts';

let fixture: EngineFixture;
let tmp: Awaited<ReturnType<typeof isolateTmp>>;
let files: string;
/** Where a program run by a database server (as its OS user) would leave a file. */
let hostDir: string;

beforeAll(async () => {
  tmp = await isolateTmp('lifeboat-least-privilege-');
  files = path.join(tmp.dir, 'files');
  await mkdir(files);
  hostDir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-lp-host-'));
  await chmod(hostDir, 0o777);
  fixture = await createIsolatedKeychainEngine();
});

afterAll(async () => {
  await fixture?.dispose();
  await stopAllClusters();
  await tmp?.restore();
  await rm(hostDir, { recursive: true, force: true });
});

const SOURCE_SQL = (major: number) => `
  ${major >= 13 ? 'CREATE EXTENSION citext;' : ''}
  CREATE SCHEMA sales AUTHORIZATION app;
  CREATE TYPE public.mood AS ENUM ('calm', 'busy'); ALTER TYPE public.mood OWNER TO app;
  CREATE TABLE public.visits (id int PRIMARY KEY, mood public.mood${major >= 13 ? ', who citext' : ''}); ALTER TABLE public.visits OWNER TO app;
  CREATE TABLE sales.orders (id serial PRIMARY KEY, total bigint); ALTER TABLE sales.orders OWNER TO app;
  CREATE FUNCTION public.score(m public.mood, base bigint) RETURNS int LANGUAGE sql AS 'SELECT 1'; ALTER FUNCTION public.score(public.mood, bigint) OWNER TO app;
  REVOKE ALL ON FUNCTION public.score(public.mood, bigint) FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION public.score(public.mood, bigint) TO reader;
  GRANT SELECT ON public.visits TO reader;
  ALTER DEFAULT PRIVILEGES FOR ROLE app IN SCHEMA sales GRANT SELECT ON TABLES TO reader;
  INSERT INTO public.visits (id, mood) VALUES (1, 'calm'), (2, 'busy');
  INSERT INTO sales.orders (total) VALUES (5), (6), (7);
  CREATE VIEW public.summary AS SELECT count(*) AS n FROM public.visits;
  SELECT lo_from_bytea(0, 'hello');`;

/** Owners and ACLs of everything the dump made, by name; large objects by count per owner. */
const OWNERSHIP_SQL = `
  SELECT 'rel ' || n.nspname || '.' || c.relname AS object, pg_get_userbyid(c.relowner) AS owner, coalesce(c.relacl::text, '') AS acl
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'sales') AND c.relkind IN ('r', 'v', 'S')
  UNION ALL SELECT 'fn ' || p.oid::regprocedure::text, pg_get_userbyid(p.proowner), coalesce(p.proacl::text, '') FROM pg_proc p WHERE p.proname = 'score'
  UNION ALL SELECT 'type ' || t.typname, pg_get_userbyid(t.typowner), '' FROM pg_type t WHERE t.typname = 'mood'
  UNION ALL SELECT 'schema ' || nspname, pg_get_userbyid(nspowner), coalesce(nspacl::text, '') FROM pg_namespace WHERE nspname = 'sales'
  UNION ALL SELECT 'default acl ' || defaclrole::regrole::text, '', defaclacl::text FROM pg_default_acl
  UNION ALL SELECT 'large object', pg_get_userbyid(lomowner), '' FROM pg_largeobject_metadata
  ORDER BY 1`;

/** Rows of OWNERSHIP_SQL with `roles` replaced by the stand-in, as owner and inside ACLs. */
function ownedBy(rows: Record<string, string>[], roles: string[]): Record<string, string>[] {
  const swap = (text: string) => text.replace(new RegExp(`(^|[{,=/ ])(${roles.join('|')})(?=[=/,}]|$)`, 'g'), '$1lifeboat_restored');
  return rows.map((row) => ({ ...row, object: swap(row.object!), owner: swap(row.owner!), acl: swap(row.acl!) }));
}

const restoreRolesLeft = async (cluster: Cluster) => (await cluster.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE starts_with(rolname, 'lifeboat_restore_')")).map((r) => r.rolname);

describe.each(availableMajors())('PostgreSQL %i: a stranger\'s normal dump', (major) => {
  let cluster: Cluster;
  /** The source's owners and grants. */
  let source: Record<string, string>[];
  beforeAll(async () => {
    cluster = await startCluster(major);
    await cluster.query('CREATE ROLE app NOLOGIN; CREATE ROLE reader NOLOGIN;');
    await cluster.createDatabase('src');
    await cluster.query(SOURCE_SQL(major), [], 'src');
    await fixture.engine.profiles.add(clusterProfile(cluster, `lp${major}`, { database: 'src', color: 'teal' }));
    source = await cluster.query<Record<string, string>>(OWNERSHIP_SQL, [], 'src');
  });
  afterAll(() => cluster?.stop());

  it.each([
    ['plain SQL, the file\'s owners kept', 'plain.sql', ['-Fp'], 1, true],
    ['custom format, pg_restore -j 2, owned by the stand-in', 'custom.dump', ['-Fc'], 2, false],
  ])('%s: restores as a temporary role, with the dump\'s grants', async (_, name, format, jobs, keepOwners) => {
    const file = path.join(files, `${major}-${name}`);
    await runTool(cluster, 'src', 'pg_dump', [], { shell: `"$TOOL" --no-password ${format.join(' ')} -f "${file}"` });
    const database = `restored_${jobs}`;
    const request = { file, profile: `lp${major}`, keys: {}, mode: 'new' as const, database, jobs, keepOwners };

    const preflight = await fixture.engine.restores.preflight(request);
    expect(preflight.ok, JSON.stringify(preflight.items, null, 1)).toBe(true);
    // Roles come from tokens, not text patterns: argument types of the granted function are not roles.
    expect([...preflight.inspection.roles].sort()).toEqual(['app', 'postgres', 'reader']);
    expect(preflight.items).toContainEqual(expect.objectContaining({ id: 'privileges', status: 'info', detail: expect.stringMatching(keepOwners ? /temporary role that is not a superuser.*Objects it gives to app keep that owner.*What it gives to postgres .* belongs to lifeboat_restored/ : /temporary role that is not a superuser.*will belong to lifeboat_restored, a role without rights, not to the roles it names \((app, postgres|postgres, app)\)/) }));

    const result = await fixture.engine.restores.start(request).result;
    // What the superuser (and, unless kept, app) owned belongs to the stand-in; grants are the dump's.
    const standIn = keepOwners ? ['postgres'] : ['app', 'postgres'];
    expect([...result.leastPrivilege!.standInFor].sort()).toEqual(standIn);
    expect(await cluster.query(OWNERSHIP_SQL, [], database)).toEqual(ownedBy(source, standIn));
    expect(await cluster.query('SELECT count(*)::int AS n FROM sales.orders', [], database)).toEqual([{ n: 3 }]);
    expect(await cluster.query(`SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = '${database}'`)).toEqual([{ owner: 'postgres' }]);
    if (major >= 13) expect(await cluster.query("SELECT extname FROM pg_extension WHERE extname = 'citext'", [], database)).toHaveLength(1);
    expect(await restoreRolesLeft(cluster)).toEqual([]);
    await cluster.query(`DROP DATABASE ${database}`);
  });
});

describe('what the temporary role cannot do', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(18);
    await fixture.engine.profiles.add(clusterProfile(cluster, 'lp-hidden', { color: 'teal' }));
  });
  afterAll(() => cluster?.stop());

  /** A program hidden in a function body: no statement of the file names COPY … PROGRAM, so no scan sees it. */
  const hiddenProgram = (marker: string) => `CREATE TABLE t (a int);
CREATE FUNCTION sneaky() RETURNS void LANGUAGE plpgsql AS $$BEGIN EXECUTE 'COPY (SELECT 1) TO PROGRAM ''touch ${marker}'''; END$$;
SELECT sneaky();
`;

  it('a program hidden in a function body fails the restore and leaves nothing behind; typed trust runs it', async () => {
    const marker = path.join(hostDir, 'restore-marker');
    const file = path.join(files, 'hidden.sql');
    await writeFile(file, hiddenProgram(marker));
    const request = { file, profile: 'lp-hidden', keys: {}, mode: 'new' as const, database: 'hidden' };
    const preflight = await fixture.engine.restores.preflight(request);
    expect(preflight.ok, 'no statement of the file reaches beyond the database').toBe(true);

    await expect(fixture.engine.restores.start(request).result).rejects.toMatchObject({
      code: 'RESTORE_FAILED',
      message: expect.stringMatching(/permission denied|pg_execute_server_program/),
      fix: expect.stringContaining(TRUST_PHRASE),
    });
    expect(existsSync(marker)).toBe(false);
    expect((await cluster.query<{ datname: string }>('SELECT datname FROM pg_database')).map((r) => r.datname)).not.toContain('hidden');
    expect(await restoreRolesLeft(cluster)).toEqual([]);

    await fixture.engine.restores.start({ ...request, trust: TRUST_PHRASE }).result;
    expect(existsSync(marker), 'with the profile\'s rights the same file runs the program: the refusal above came from the role').toBe(true);
    await cluster.query('DROP DATABASE hidden');
  });

  it('a drill of the same file cannot start the program on this machine', async () => {
    const marker = path.join(hostDir, 'drill-marker');
    const file = path.join(files, 'hidden-drill.sql');
    await writeFile(file, hiddenProgram(marker));
    const record = await fixture.engine.drills.start({ file }).result.catch((error: unknown) => error);
    expect(JSON.stringify(record)).toMatch(/permission denied|pg_execute_server_program/);
    expect(existsSync(marker)).toBe(false);
  });

  it('a drill of an own archive also runs without superuser rights: a check constraint that would start a program fails it', async () => {
    const marker = path.join(hostDir, 'own-drill-marker');
    await cluster.createDatabase('own');
    // Harmless in its own database; anywhere else (the drill's scratch database) it starts a program.
    await cluster.query(`CREATE FUNCTION sneaky(a int) RETURNS boolean LANGUAGE plpgsql AS $$BEGIN
        IF current_database() <> 'own' THEN EXECUTE 'COPY (SELECT 1) TO PROGRAM ''touch ${marker}'''; END IF; RETURN true; END$$;
      CREATE TABLE guarded (a int CHECK (sneaky(a))); INSERT INTO guarded VALUES (1);`, [], 'own');
    const { archive } = await fixture.engine.backups.start({ profile: 'lp-hidden', database: 'own', outDir: path.join(tmp.dir, 'own-archives') }).result;
    expect((await fixture.engine.restores.inspect(archive)).lifeboat?.authenticity).toBe('own-key');

    const failed = await fixture.engine.drills.start({ file: archive }).result.catch((error: unknown) => error);
    expect(JSON.stringify(failed)).toMatch(/permission denied|pg_execute_server_program/);
    expect(existsSync(marker)).toBe(false);
    // As the scratch server's superuser (typed trust) the same drill starts the program: the refusal came from the role.
    await fixture.engine.drills.start({ file: archive, trust: TRUST_PHRASE }).result.catch(() => null);
    expect(existsSync(marker)).toBe(true);
  });

  it('what the file leaves in its database (a search_path, look-alike catalog functions) never runs when Lifeboat works in it afterwards', async () => {
    const marker = path.join(hostDir, 'search-path-marker');
    const file = path.join(files, 'search-path.sql');
    await writeFile(file, `CREATE SCHEMA evil;
CREATE FUNCTION evil.pg_has_role(oid, oid, text) RETURNS boolean LANGUAGE plpgsql AS $f$BEGIN EXECUTE 'COPY (SELECT 1) TO PROGRAM ''touch ${marker}'''; RETURN false; END$f$;
CREATE VIEW evil.pg_roles AS SELECT * FROM pg_catalog.pg_roles WHERE evil.pg_has_role(0, 0, '');
CREATE FUNCTION set_path() RETURNS void LANGUAGE plpgsql AS $f$BEGIN EXECUTE format('ALTER DATABASE %I SET search_path = evil, pg_catalog, public', current_database()); EXECUTE format('ALTER ROLE ALL IN DATABASE %I SET search_path = evil, pg_catalog', current_database()); END$f$;
SELECT set_path();
CREATE TABLE t (a int);
ALTER TABLE t OWNER TO postgres;
`);
    await fixture.engine.restores.start({ file, profile: 'lp-hidden', keys: {}, mode: 'new', database: 'pathy' }).result;
    expect(existsSync(marker)).toBe(false);
    expect(await cluster.query("SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = 'pathy'")).toEqual([]);
    expect(await cluster.query("SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relname = 't'", [], 'pathy')).toEqual([{ owner: 'lifeboat_restored' }]);
    await cluster.query('DROP DATABASE pathy');
  });

  it('an ownership statement that reaches an object the file did not make (a system function) is refused, and nothing is left', async () => {
    const file = path.join(files, 'system-owner.sql');
    await writeFile(file, 'CREATE TABLE t (a int);\nALTER FUNCTION pg_catalog.obj_description(oid, name) OWNER TO postgres;\n');
    await expect(fixture.engine.restores.start({ file, profile: 'lp-hidden', keys: {}, mode: 'new', database: 'sysowner' }).result).rejects.toMatchObject({ code: 'RESTORE_FAILED', message: expect.stringMatching(/changed the owner of an object it did not create/) });
    expect((await cluster.query<{ datname: string }>('SELECT datname FROM pg_database')).map((r) => r.datname)).not.toContain('sysowner');
    expect(await restoreRolesLeft(cluster)).toEqual([]);
  });

  it('code the file hides in an index runs, when the server analyses it later, with no one\'s rights: a login role it names is not taken over', async () => {
    await cluster.query("CREATE ROLE app_login LOGIN PASSWORD 'the-real-one'");
    const file = path.join(files, 'takeover.sql');
    await writeFile(file, `CREATE FUNCTION grab() RETURNS int LANGUAGE plpgsql AS $f$BEGIN IF current_user = 'app_login' THEN EXECUTE 'ALTER ROLE app_login PASSWORD ''attacker-knows'''; END IF; RETURN 1; END$f$;
CREATE FUNCTION idx(int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $f$BEGIN PERFORM public.grab(); RETURN $1; END$f$;
CREATE TABLE t (a int);
INSERT INTO t SELECT generate_series(1, 100);
CREATE INDEX t_idx ON t (public.idx(a));
ALTER TABLE t OWNER TO app_login;
ALTER FUNCTION grab() OWNER TO app_login;
`);
    // Even when the user keeps the file's owners: a role that can log in is never one of them.
    await fixture.engine.restores.start({ file, profile: 'lp-hidden', keys: {}, mode: 'new', database: 'takeover', keepOwners: true }).result;
    await cluster.query('ANALYZE t', [], 'takeover'); // what autovacuum does, as the table's owner
    const { Client } = (await import('pg')).default;
    const attacker = new Client({ host: cluster.host, port: cluster.port, user: 'app_login', password: 'attacker-knows', database: 'postgres' });
    await expect(attacker.connect()).rejects.toThrow(/password authentication failed/);
    await cluster.query('DROP DATABASE takeover');
    await cluster.query('DROP ROLE app_login');
  });

  it('"no owner" works for a plain SQL file whose owner role the target lacks', async () => {
    const file = path.join(files, 'ghost-owner.sql');
    await writeFile(file, 'CREATE TABLE t (a int);\nALTER TABLE public.t OWNER TO ghost;\nGRANT SELECT ON TABLE public.t TO ghost;\nINSERT INTO t VALUES (1);\n');
    const request = { file, profile: 'lp-hidden', keys: {}, mode: 'new' as const, database: 'ghostly' };
    const blocked = await fixture.engine.restores.preflight(request);
    expect(blocked.items).toContainEqual(expect.objectContaining({ id: 'roles', status: 'blocker', detail: expect.stringContaining('ghost') }));
    const choice = { ...request, noOwner: true, noPrivileges: true };
    expect((await fixture.engine.restores.preflight(choice)).ok).toBe(true);
    await fixture.engine.restores.start(choice).result;
    expect(await cluster.query("SELECT pg_get_userbyid(relowner) AS owner, relacl IS NULL AS no_acl FROM pg_class WHERE relname = 't'", [], 'ghostly')).toEqual([{ owner: 'lifeboat_restored', no_acl: true }]);
    await cluster.query('DROP DATABASE ghostly');
  });
});
