// globals.sql is read, never replayed: the parser must find exactly the roles, attributes and
// memberships the real server has, in what the real pg_dumpall writes (18 against servers 12–18,
// and Debian's 15), and in a hand-made file full of decoys that the real psql replays.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { libpqEnvironment } from '../../main/engine/pgtools/libpq-env.ts';
import { parseGlobalsRoles, planRoleCreation, type GlobalsRoles } from '../../main/engine/restore/role-definitions.ts';
import { createRoleSql } from '../../main/engine/restore/target-server.ts';
import { forTier } from '../faults/fault-tier.ts';
import { availableMajors, startCluster, type Cluster } from '../support/pg-cluster.ts';
import { bundledTool, clusterProfile } from '../support/pg-tools.ts';

const run = promisify(execFile);
const clusters: Cluster[] = [];

afterAll(async () => {
  await Promise.all(clusters.map((c) => c.stop()));
});

async function cluster(major: number): Promise<Cluster> {
  const started = await startCluster(major);
  clusters.push(started);
  return started;
}

async function tool(c: Cluster, file: string, args: string[]): Promise<string> {
  const libpq = await libpqEnvironment(clusterProfile(c), c.password);
  try {
    return (await run(file, args, { env: libpq.env, maxBuffer: 64 << 20 })).stdout;
  } finally {
    await libpq.dispose();
  }
}

interface ServerRole {
  rolname: string;
  rolsuper: boolean;
  rolinherit: boolean;
  rolcreaterole: boolean;
  rolcreatedb: boolean;
  rolcanlogin: boolean;
  rolreplication: boolean;
  rolbypassrls: boolean;
  rolconnlimit: number;
  rolvaliduntil: Date | null;
}

/** What the server says, in the parser's shape. */
async function serverRoles(c: Cluster): Promise<{ roles: Record<string, unknown>; memberships: string[] }> {
  const rows = await c.query<ServerRole>("SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls, rolconnlimit, rolvaliduntil FROM pg_roles WHERE rolname !~ '^pg_'");
  const roles = Object.fromEntries(rows.map((r) => [r.rolname, {
    login: r.rolcanlogin, superuser: r.rolsuper, createdb: r.rolcreatedb, createrole: r.rolcreaterole, replication: r.rolreplication,
    bypassrls: r.rolbypassrls, inherit: r.rolinherit, connectionLimit: r.rolconnlimit, validUntil: r.rolvaliduntil?.toISOString() ?? null,
  }]));
  const members = await c.query<{ role: string; member: string; admin: boolean }>(
    "SELECT r.rolname AS role, m.rolname AS member, a.admin_option AS admin FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member WHERE r.rolname !~ '^pg_'");
  return { roles, memberships: members.map((m) => `${m.role} → ${m.member}${m.admin ? ' (admin)' : ''}`).sort() };
}

function parsedRoles(globals: GlobalsRoles): { roles: Record<string, unknown>; memberships: string[] } {
  const roles = Object.fromEntries([...globals.roles.values()].map((r) => [r.name, { ...r.attributes, validUntil: r.attributes.validUntil ? new Date(r.attributes.validUntil).toISOString() : null }]));
  return { roles, memberships: globals.memberships.map((m) => `${m.role} → ${m.member}${m.admin ? ' (admin)' : ''}`).sort() };
}

const ROLES_SQL = (major: number) => `
  CREATE ROLE app_login LOGIN PASSWORD 'pw;''x' CONNECTION LIMIT 7 VALID UNTIL '2031-02-03 04:05:06+00';
  CREATE ROLE "Weird;""Name ' $$ --" SUPERUSER CREATEDB CREATEROLE REPLICATION BYPASSRLS NOINHERIT NOLOGIN;
  CREATE ROLE grp NOLOGIN;
  CREATE ROLE "é-名前" LOGIN CONNECTION LIMIT 0;
  CREATE ROLE "select" NOLOGIN;
  CREATE ROLE "${'long'.repeat(15)}" NOLOGIN;
  GRANT grp TO app_login WITH ADMIN OPTION;
  GRANT grp TO "é-名前";
  ${major >= 16 ? 'GRANT "select" TO grp WITH INHERIT FALSE, SET FALSE;' : 'GRANT "select" TO grp;'}
  COMMENT ON ROLE app_login IS 'CREATE ROLE fake_from_comment; ALTER ROLE app_login WITH SUPERUSER;';
  ALTER ROLE app_login SET search_path = 'x;y', public;
  ALTER ROLE grp SET application_name = $$CREATE ROLE fake_from_dollar;$$;
`;

describe('what pg_dumpall writes', () => {
  const pairs: [number, string][] = [];
  for (const major of availableMajors()) {
    if (forTier([12, 16, 18], [12, 13, 14, 15, 16, 17, 18]).includes(major)) pairs.push([major, bundledTool('pg_dumpall')]);
    if (major === 15) pairs.push([15, '/usr/lib/postgresql/15/bin/pg_dumpall']);
  }

  it.each(pairs)('server %i, %s: every role, attribute and membership, with and without passwords', async (major, pgDumpall) => {
    const c = await cluster(major);
    await c.query(ROLES_SQL(major));
    const expected = await serverRoles(c);
    for (const args of [['--globals-only', '--no-role-passwords'], ['--globals-only']]) {
      const globals = await tool(c, pgDumpall, args);
      const parsed = parseGlobalsRoles(globals);
      expect(parsed.notes, globals).toEqual([]);
      expect(parsedRoles(parsed), globals).toEqual(expected);
      expect(parsed.roles.get('app_login')!.hasPassword).toBe(!args.includes('--no-role-passwords'));
      expect([...parsed.roles.keys()]).not.toContain('fake_from_comment');
    }
    await c.stop();
  });
});

describe('a hand-made globals.sql full of decoys, replayed by psql', () => {
  const decoys = `
\\restrict k3y
-- CREATE ROLE in_a_comment;
/* CREATE ROLE in_a_block_comment; /* nested */ CREATE ROLE still_comment; */
SELECT 'CREATE ROLE in_a_string;' AS x;
SELECT $q$ CREATE ROLE in_dollar; $q$;
SELECT E'it\\'s; CREATE ROLE in_e_string;' AS y;
CREATE ROLE "a""b;c" WITH LOGIN CONNECTION LIMIT 3; ALTER ROLE "a""b;c" WITH NOLOGIN CREATEDB;
create role MixedCase superuser; alter role mixedcase nosuperuser replication;
CREATE USER as_user;
CREATE ROLE listed IN ROLE mixedcase;
CREATE FUNCTION pg_temp.f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;
CREATE ROLE after_function /* c */ NOINHERIT;
\\unrestrict k3y
`;

  it('finds exactly the roles the server ends up with', async () => {
    const c = await cluster(18);
    const before = new Set(Object.keys((await serverRoles(c)).roles));
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-globals-'));
    try {
      await writeFile(path.join(dir, 'globals.sql'), decoys);
      await tool(c, bundledTool('psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', path.join(dir, 'globals.sql')]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const server = await serverRoles(c);
    const parsed = parsedRoles(parseGlobalsRoles(decoys));
    expect(parsed.roles).toEqual(Object.fromEntries(Object.entries(server.roles).filter(([name]) => !before.has(name))));
    expect(parsed.memberships).toEqual(server.memberships);
    await c.stop();
  });
});

describe('what Lifeboat creates', () => {
  it('keeps only LOGIN, INHERIT and CONNECTION LIMIT unless a privileged attribute is chosen per role', () => {
    const globals = parseGlobalsRoles(`CREATE ROLE boss; ALTER ROLE boss WITH SUPERUSER LOGIN NOINHERIT CONNECTION LIMIT 2 PASSWORD 'SCRAM-SHA-256$x' VALID UNTIL 'infinity';
      CREATE ROLE helper; ALTER ROLE helper WITH CREATEDB NOLOGIN; GRANT boss TO helper;`);
    const plain = planRoleCreation(globals, ['boss', 'helper', 'ghost']);
    expect(plain.undefinedRoles).toEqual(['ghost']);
    expect(plain.creations.map(createRoleSql)).toEqual(['CREATE ROLE "boss" WITH LOGIN NOINHERIT CONNECTION LIMIT 2', 'CREATE ROLE "helper" WITH NOLOGIN INHERIT CONNECTION LIMIT -1']);
    expect(plain.creations.map((c) => c.leftOut)).toEqual([['SUPERUSER', 'its password', 'VALID UNTIL'], ['CREATEDB', 'membership in boss']]);
    const chosen = planRoleCreation(globals, ['boss', 'helper'], { boss: ['superuser'], helper: ['replication'] });
    expect(chosen.creations.map(createRoleSql)).toEqual(['CREATE ROLE "boss" WITH LOGIN NOINHERIT CONNECTION LIMIT 2 SUPERUSER', 'CREATE ROLE "helper" WITH NOLOGIN INHERIT CONNECTION LIMIT -1']);
    expect(() => planRoleCreation(globals, ['boss'], { boss: ['password'] })).toThrow(/"password" is not a role attribute/);
    expect(() => planRoleCreation(globals, ['boss'], { ['x'.repeat(64)]: ['superuser'] })).toThrow(/is not a role name/);
  });

  it('reads a large globals.sql in linear time', () => {
    const one = (i: number) => `CREATE ROLE "r${i};x";\nALTER ROLE "r${i};x" WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS;\n-- ${'c'.repeat(40)}\n`;
    const time = (n: number) => {
      const sql = Array.from({ length: n }, (_, i) => one(i)).join('');
      const t0 = performance.now();
      expect(parseGlobalsRoles(sql).roles.size).toBe(n);
      return performance.now() - t0;
    };
    time(2000);
    const small = time(20_000);
    const large = time(80_000);
    expect(large).toBeLessThan(Math.max(small * 10, 500));
  });
});
