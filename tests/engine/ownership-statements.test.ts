// Ownership statements held back from a least-privilege restore run later as the profile's role
// (often a superuser): only shapes that can do nothing but set an owner or default privileges are
// recognised; anything else stays in the file and runs as the temporary role. Grantees are read from
// tokens, so argument types of a granted function are never taken for roles.
import { describe, expect, it } from 'vitest';
import { granteesOf, isPrivilegeStatement, roleStatement, withRoles } from '../../main/engine/restore/ownership-statements.ts';

const standIn = (sql: string) => {
  const statement = roleStatement(sql);
  return statement ? withRoles(statement, () => 'lifeboat_restored') : null;
};

describe('statements that set an owner', () => {
  it.each([
    ['ALTER TABLE public.t OWNER TO app;', 'ALTER TABLE public.t OWNER TO "lifeboat_restored";'],
    ['ALTER FUNCTION public.f(x public.mood, y bigint) OWNER TO app;', 'ALTER FUNCTION public.f(x public.mood, y bigint) OWNER TO "lifeboat_restored";'],
    ['ALTER FUNCTION public.g(numeric(10,2), text[]) OWNER TO "App Owner"', 'ALTER FUNCTION public.g(numeric(10,2), text[]) OWNER TO "lifeboat_restored"'],
    ['ALTER AGGREGATE public.a(*) OWNER TO app', 'ALTER AGGREGATE public.a(*) OWNER TO "lifeboat_restored"'],
    ['ALTER LARGE OBJECT 16412 OWNER TO postgres;', 'ALTER LARGE OBJECT 16412 OWNER TO "lifeboat_restored";'],
    ['ALTER OPERATOR public.=== (integer, integer) OWNER TO app', 'ALTER OPERATOR public.=== (integer, integer) OWNER TO "lifeboat_restored"'],
    ['ALTER OPERATOR FAMILY public.fam USING btree OWNER TO app', 'ALTER OPERATOR FAMILY public.fam USING btree OWNER TO "lifeboat_restored"'],
    ['ALTER MATERIALIZED VIEW "Sales"."by day" OWNER TO app', 'ALTER MATERIALIZED VIEW "Sales"."by day" OWNER TO "lifeboat_restored"'],
    ['ALTER DEFAULT PRIVILEGES FOR ROLE app IN SCHEMA sales GRANT SELECT ON TABLES TO reader;', 'ALTER DEFAULT PRIVILEGES FOR ROLE "lifeboat_restored" IN SCHEMA sales GRANT SELECT ON TABLES TO reader;'],
  ])('%s', (sql, expected) => {
    expect(standIn(sql)).toBe(expected);
  });

  it.each([
    // Further subcommands would run as the profile's role: DEFAULT f() is evaluated for every row.
    'ALTER TABLE t ADD COLUMN c int DEFAULT f(), OWNER TO app',
    'ALTER TABLE t OWNER TO app, ALTER COLUMN a TYPE text USING f(a)',
    'ALTER TABLE t(a) OWNER TO app',
    // Objects beyond the database, and roles chosen at run time.
    'ALTER DATABASE prod OWNER TO app',
    'ALTER TABLESPACE t OWNER TO app',
    'ALTER SUBSCRIPTION s OWNER TO app',
    'ALTER TABLE t OWNER TO CURRENT_USER',
    'ALTER TABLE t OWNER TO SESSION_USER',
    // Strings, parameters, several statements, comments hiding nothing.
    "ALTER FUNCTION f('x') OWNER TO app",
    'ALTER TABLE t OWNER TO app; DROP TABLE x',
    'ALTER LARGE OBJECT f() OWNER TO app',
    'ALTER DEFAULT PRIVILEGES FOR ROLE app GRANT SELECT (a) ON TABLES TO reader',
    "ALTER DEFAULT PRIVILEGES FOR ROLE app IN SCHEMA 's' GRANT SELECT ON TABLES TO reader",
    'ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO reader',
    'ALTER SCHEMA s RENAME TO x',
  ])('is not recognised: %s', (sql) => {
    expect(roleStatement(sql)).toBeNull();
  });
});

describe('grantees', () => {
  it.each([
    ['GRANT ALL ON FUNCTION public.f(x public.mytype, y bigint) TO app', ['app']],
    ['GRANT EXECUTE ON FUNCTION public.f(public.mytype, bigint) TO app, GROUP "Rep" WITH GRANT OPTION;', ['app', 'Rep']],
    ['GRANT USAGE ON LANGUAGE sql TO x', ['x']],
    ['REVOKE ALL ON TABLE t FROM PUBLIC', []],
    ['REVOKE ALL ON FUNCTION f(integer) FROM app CASCADE', ['app']],
    ['ALTER DEFAULT PRIVILEGES FOR ROLE app IN SCHEMA sales GRANT SELECT ON TABLES TO reader', ['reader']],
    ['GRANT SELECT ON TABLE t TO "Mixed Case" GRANTED BY postgres', ['Mixed Case']],
  ])('%s', (sql, roles) => {
    expect(granteesOf(sql)).toEqual(roles);
  });

  it('privileges on objects are privilege statements; role memberships are not', () => {
    expect(isPrivilegeStatement('GRANT SELECT ON TABLE t TO app')).toBe(true);
    expect(isPrivilegeStatement('ALTER DEFAULT PRIVILEGES FOR ROLE a GRANT SELECT ON TABLES TO b')).toBe(true);
    expect(isPrivilegeStatement('GRANT app TO bob')).toBe(false);
    expect(isPrivilegeStatement('COMMENT ON TABLE t IS $$GRANT ON$$')).toBe(false);
  });
});
