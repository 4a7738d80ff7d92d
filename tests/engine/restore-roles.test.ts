// "Create missing roles" builds each role from globals.sql's parsed definition: only the roles the
// restore needs, never a password, no SUPERUSER/CREATEDB/REPLICATION… unless chosen per role, and
// a restore that fails or is cancelled drops the roles it created again (DROP ROLE, which the
// server refuses while a role owns something — that is reported, not forced).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import type { RestoreRequest } from '../../main/engine/restore/restore-service.ts';
import { TRUST_PHRASE } from '../../main/engine/restore/trust-phrase.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import { craftArchive, editJsonEntry } from '../support/archive-craft.ts';
import { createTestEngine, type EngineFixture } from '../support/engine-fixture.ts';
import { startCluster, type Cluster, clusterProfile } from '../support/pg-cluster.ts';
import { addCliProfile, databases, isolateTmp, lifeboat, waitFor } from '../support/restore-fixtures.ts';

const key = generateAgeKeyPair();
const keys = { identities: [key.identity] };

let fixture: EngineFixture;
let tmp: Awaited<ReturnType<typeof isolateTmp>>;
let cluster: Cluster;
let archive: string;
let wrongCounts: string;

const ROLES = ['app_owner', 'app_reader', 'grp', 'bystander'];

// The archive is made to a key outside this engine's keychain, so it is a stranger's file; these tests
// are about building roles, so it runs with the profile's rights (typed trust) and its owners come
// back. With least privilege its objects would belong to lifeboat_restored (least-privilege.test.ts).
function restore(request: Omit<RestoreRequest, 'profile' | 'file' | 'mode'> & { file?: string }) {
  return fixture.engine.restores.start({ profile: 'pg', keys, mode: 'new', file: archive, createMissingRoles: true, trust: TRUST_PHRASE, ...request });
}

async function roles(): Promise<Record<string, string>> {
  const rows = await cluster.query<{ rolname: string; attrs: string }>(
    `SELECT rolname, concat_ws(' ', CASE WHEN rolcanlogin THEN 'LOGIN' END, CASE WHEN rolsuper THEN 'SUPERUSER' END, CASE WHEN rolcreatedb THEN 'CREATEDB' END,
       CASE WHEN rolreplication THEN 'REPLICATION' END, CASE WHEN NOT rolinherit THEN 'NOINHERIT' END, 'LIMIT ' || rolconnlimit,
       CASE WHEN rolpassword IS NOT NULL THEN 'PASSWORD' END, CASE WHEN rolvaliduntil IS NOT NULL THEN 'VALID UNTIL' END) AS attrs
     FROM pg_authid WHERE rolname = ANY($1) ORDER BY 1`, [ROLES]);
  return Object.fromEntries(rows.map((r) => [r.rolname, r.attrs]));
}

async function dropRestored(database: string): Promise<void> {
  await cluster.query(`DROP DATABASE IF EXISTS ${database}`);
  for (const role of ROLES) await cluster.query(`DROP ROLE IF EXISTS ${role}`);
}

beforeAll(async () => {
  tmp = await isolateTmp('lifeboat-restore-roles-');
  await mkdir(path.join(tmp.dir, 'archives'));
  const keyFile = path.join(tmp.dir, 'key.txt');
  await writeFile(keyFile, `${key.identity}\n`, { mode: 0o600 });
  fixture = await createTestEngine({ secrets: new SessionSecretStore('restore roles test') });
  cluster = await startCluster(18);
  await cluster.query(`CREATE ROLE app_owner LOGIN SUPERUSER CREATEDB PASSWORD 'Owner-pw-1' CONNECTION LIMIT 4 VALID UNTIL '2040-01-01';
    CREATE ROLE app_reader NOLOGIN REPLICATION NOINHERIT; CREATE ROLE grp; GRANT grp TO app_reader; CREATE ROLE bystander LOGIN`);
  await cluster.createDatabase('rolesdb');
  // Big enough that a restore runs for a few seconds: time to cancel it once the roles exist.
  await cluster.query(`CREATE TABLE owned (id bigint PRIMARY KEY, payload text);
    INSERT INTO owned SELECT i, md5(i::text) || md5((i * 7)::text) FROM generate_series(1, 400000) i;
    ALTER TABLE owned OWNER TO app_owner; GRANT SELECT ON owned TO app_reader;`, [], 'rolesdb');
  await fixture.engine.profiles.add(clusterProfile(cluster, 'pg', { color: 'red' }));
  archive = (await fixture.engine.backups.start({ profile: 'pg', database: 'rolesdb', outDir: path.join(tmp.dir, 'archives'), encryption: { kind: 'recipients', recipients: [key.recipient] } }).result).archive;
  // The same archive, but checksums.json records one row more than the dump holds: the restore runs, then its verification fails.
  wrongCounts = path.join(tmp.dir, 'wrong-counts.lifeboat');
  await craftArchive({
    from: archive, identityFile: keyFile, recipient: key.recipient, out: wrongCounts,
    edit: (entries) => editJsonEntry(entries, 'checksums.json', (c) => {
      c.rowCounts.tables.find((t: { name: string }) => t.name === 'owned').rows += 1;
    }),
  });
  await cluster.query('DROP DATABASE rolesdb');
  for (const role of ROLES) await cluster.query(`DROP ROLE ${role}`);
});

afterAll(async () => {
  await fixture?.dispose();
  await cluster?.stop();
  await tmp?.restore();
});

describe('creating roles from globals.sql', () => {
  it('the checklist says what each role gets and what is left out', async () => {
    const preflight = await fixture.engine.restores.preflight({ file: archive, profile: 'pg', mode: 'new', database: 'roles_check', keys, createMissingRoles: true });
    const item = preflight.items.find((i) => i.id === 'roles')!;
    expect(item.status).toBe('ok');
    expect(item.detail).toContain('Will create app_owner, app_reader from the archive\'s globals.sql, without passwords');
    expect(item.detail).toContain('app_owner: SUPERUSER, CREATEDB, VALID UNTIL');
    expect(item.detail).toContain('app_reader: REPLICATION, membership in grp');
    expect(item.fix).toMatch(/only if you trust this archive/);
    const chosen = await fixture.engine.restores.preflight({ file: archive, profile: 'pg', mode: 'new', database: 'roles_check', keys, createMissingRoles: true, privilegedRoleAttributes: { app_owner: ['superuser'], bystander: ['createdb'] } });
    const kept = chosen.items.find((i) => i.id === 'roles')!;
    expect(kept).toMatchObject({ status: 'warning', detail: expect.stringContaining('Kept because you chose it: app_owner: SUPERUSER.') });
    expect(kept.detail).toContain('Not created by this restore, so your choice for them is not used: bystander.');
    // What the app and the CLI offer to tick, per role: off unless chosen.
    expect(preflight.roleChoices).toEqual([{ name: 'app_owner', offered: ['superuser', 'createdb'], kept: [] }, { name: 'app_reader', offered: ['replication'], kept: [] }]);
    expect(chosen.roleChoices[0]).toEqual({ name: 'app_owner', offered: ['superuser', 'createdb'], kept: ['superuser'] });
  });

  it('the CLI keeps an attribute per role with --keep-role-attributes ROLE=ATTRIBUTE,…', async () => {
    const home = path.join(tmp.dir, 'cli-home');
    await mkdir(home, { recursive: true });
    await addCliProfile(home, 'pg', cluster);
    const args = ['preflight', archive, '--profile', 'pg', '--into', 'roles_cli', '--create-roles', '--identity', path.join(tmp.dir, 'key.txt'), '--json'];
    const cli = await lifeboat(home, [...args, '--keep-role-attributes', 'app_owner=SUPERUSER,createdb', '--keep-role-attributes', 'app_reader=replication']);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.json?.roleChoices).toEqual([{ name: 'app_owner', offered: ['superuser', 'createdb'], kept: ['superuser', 'createdb'] }, { name: 'app_reader', offered: ['replication'], kept: ['replication'] }]);
    const bad = await lifeboat(home, [...args, '--keep-role-attributes', 'app_owner=password']);
    expect(bad.code).toBe(1);
    expect(bad.json?.error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('"password" is not a role attribute') });
  });

  it('creates only the roles the restore needs, with LOGIN, INHERIT and CONNECTION LIMIT only', async () => {
    const result = await restore({ database: 'roles_plain' }).result;
    expect(result.createdRoles.sort()).toEqual(['app_owner', 'app_reader']);
    expect(await roles()).toEqual({ app_owner: 'LOGIN LIMIT 4', app_reader: 'NOINHERIT LIMIT -1' });
    const [table] = await cluster.query<{ owner: string; reader: boolean }>("SELECT pg_get_userbyid(relowner) AS owner, has_table_privilege('app_reader', 'owned', 'SELECT') AS reader FROM pg_class WHERE relname = 'owned'", [], 'roles_plain');
    expect(table).toEqual({ owner: 'app_owner', reader: true });
    await dropRestored('roles_plain');
  });

  it('a privileged attribute the archive gives is kept only for the role it was chosen for', async () => {
    const result = await restore({ database: 'roles_chosen', privilegedRoleAttributes: { app_owner: ['superuser'] } }).result;
    expect(result.createdRoles.sort()).toEqual(['app_owner', 'app_reader']);
    expect(await roles()).toEqual({ app_owner: 'LOGIN SUPERUSER LIMIT 4', app_reader: 'NOINHERIT LIMIT -1' });
    await dropRestored('roles_chosen');
  });

  it('an unknown attribute in the choice is refused before anything is created', async () => {
    const before = await databases(cluster);
    await expect(restore({ database: 'roles_bad', privilegedRoleAttributes: { app_owner: ['password' as 'superuser'] } }).result).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await roles()).toEqual({});
    expect(await databases(cluster)).toEqual(before);
  });
});

describe('a restore that does not finish drops the roles it created', () => {
  it('verification fails: the new database and both roles are gone', async () => {
    const before = await databases(cluster);
    const error = await restore({ file: wrongCounts, database: 'roles_failed' }).result.then(() => null, (e: { code: string; message: string }) => e);
    expect(error).toMatchObject({ code: 'VERIFY_FAILED' });
    expect(await roles()).toEqual({});
    expect(await databases(cluster)).toEqual(before);
  });

  it('cancelled: the roles are dropped and the message says so', async () => {
    const job = restore({ database: 'roles_cancelled' });
    await waitFor(async () => Object.keys(await roles()).length === 2, 60_000, 'roles created');
    job.cancel();
    await expect(job.result).rejects.toMatchObject({ code: 'CANCELLED', message: expect.stringMatching(/the roles it created \((app_owner, app_reader|app_reader, app_owner)\) were dropped/) });
    expect(await roles()).toEqual({});
  });

  it('a created role that came to own something elsewhere is not forced: the error names it and how to finish', async () => {
    const job = restore({ database: 'roles_owning' });
    await waitFor(async () => Object.keys(await roles()).length === 2, 60_000, 'roles created');
    await cluster.query('CREATE TABLE kept_by_owner (id int); ALTER TABLE kept_by_owner OWNER TO app_owner');
    job.cancel();
    const error = await job.result.then(() => null, (e: { code: string; message: string; fix?: string }) => e);
    expect(error).toMatchObject({ code: 'CANCELLED', message: expect.stringContaining('The roles this restore created could not be dropped again: "app_owner"') });
    expect(error!.fix).toContain('DROP ROLE "app_owner";');
    expect(Object.keys(await roles())).toEqual(['app_owner']);
    expect(await databases(cluster)).not.toContain('roles_owning');
    await cluster.query('DROP TABLE kept_by_owner; DROP ROLE app_owner');
  });
});
