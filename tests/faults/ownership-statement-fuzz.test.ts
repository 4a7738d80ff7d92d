// The ownership-statement recogniser (restore/ownership-statements.ts) fuzzed against the server it
// imitates. A restore of a stranger's file runs the statements it recognises as the profile's role —
// usually a superuser — so a recognised statement must do nothing but set owners or default
// privileges. Random mutations of pg_dump's own ALTER … OWNER TO lines (extra subcommands, DEFAULT
// and USING expressions, function calls, strings, casts, semicolons, comments, quoted names) are
// fed to the recogniser; every one it accepts runs as the superuser of PostgreSQL 18, in a
// transaction that is rolled back, and must neither call a function nor create, drop or alter
// anything but an owner or a default privilege.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleStatement } from '../../main/engine/restore/ownership-statements.ts';
import { startCluster, type Cluster } from '../support/pg-cluster.ts';
import { forTier, seededRandom } from './fault-tier.ts';

let cluster: Cluster;
let client: pg.Client;

const SCHEMA = `
  CREATE ROLE app NOLOGIN;
  CREATE SEQUENCE public.calls;
  CREATE FUNCTION public.sentinel() RETURNS int LANGUAGE plpgsql AS $$BEGIN PERFORM nextval('public.calls'); RETURN 1; END$$;
  CREATE FUNCTION public.f(x int, y bigint) RETURNS int LANGUAGE sql AS 'SELECT 1';
  CREATE TABLE public.t (a int, b text); INSERT INTO public.t VALUES (1, 'x');
  CREATE SEQUENCE public.s; CREATE VIEW public.v AS SELECT a FROM public.t; CREATE SCHEMA sales; CREATE TYPE public.mood AS ENUM ('a');`;

/** Lines pg_dump writes, the starting points. */
const BASES = [
  'ALTER TABLE public.t OWNER TO app;',
  'ALTER FUNCTION public.f(x integer, y bigint) OWNER TO app;',
  'ALTER SEQUENCE public.s OWNER TO app;',
  'ALTER VIEW public.v OWNER TO app;',
  'ALTER SCHEMA sales OWNER TO app;',
  'ALTER TYPE public.mood OWNER TO app;',
  'ALTER DEFAULT PRIVILEGES FOR ROLE app IN SCHEMA sales GRANT SELECT ON TABLES TO app;',
];

/** Pieces an attacker would splice in: every one that executes code calls public.sentinel(). */
const PIECES = [
  ', ADD COLUMN c int DEFAULT public.sentinel()', 'ADD COLUMN c int DEFAULT public.sentinel(),', 'ALTER COLUMN a TYPE bigint USING public.sentinel(),', ' ALTER COLUMN a TYPE bigint USING public.sentinel()', ' DEFAULT public.sentinel()', '(public.sentinel())',
  ', ALTER COLUMN b SET DEFAULT public.sentinel()', '; SELECT public.sentinel()', ' /* x */ ', ' -- x\n', "'x'", '::int', ' ONLY ', ' IF EXISTS ', ',', '(', ')',
  ' RENAME TO z', ' SET SCHEMA sales', ' "app"', ' U&"app"', ' $$x$$', ' CASCADE', ' WITH GRANT OPTION', ' public.sentinel()', ' OWNER TO app', ' GRANT ALL ON TABLES TO app',
];

function mutate(base: string, random: () => number): string {
  let sql = base.replace(/;$/, '');
  const edits = 1 + Math.floor(random() * 3);
  for (let i = 0; i < edits; i++) {
    const piece = PIECES[Math.floor(random() * PIECES.length)]!;
    const words = sql.split(' ');
    // Half the time just before OWNER TO / GRANT, where another subcommand would have to go.
    const before = words.findIndex((w) => w === 'OWNER' || w === 'GRANT');
    const at = random() < 0.5 && before > 0 ? before : Math.floor(random() * (words.length + 1));
    sql = [...words.slice(0, at), piece, ...words.slice(at)].join(' ');
  }
  return random() < 0.5 ? `${sql};` : sql;
}

/** Everything a statement could change, but owners and default privileges. */
// A call is counted by a sequence, which no rollback undoes.
const STATE_SQL = `SELECT (SELECT last_value::text || is_called::text FROM public.calls) AS calls,
  (SELECT string_agg(relname || ':' || relkind::text || ':' || relnamespace::regnamespace::text, ',' ORDER BY oid) FROM pg_class WHERE relnamespace IN ('public'::regnamespace, 'sales'::regnamespace)) AS rels,
  (SELECT string_agg(attrelid::regclass::text || '.' || attname || ':' || atttypid::regtype::text || ':' || atthasdef, ',' ORDER BY attrelid, attnum) FROM pg_attribute WHERE attrelid = 'public.t'::regclass AND attnum > 0 AND NOT attisdropped) AS cols,
  (SELECT string_agg(proname || ':' || pronamespace::regnamespace::text, ',' ORDER BY oid) FROM pg_proc WHERE pronamespace IN ('public'::regnamespace, 'sales'::regnamespace)) AS procs`;

beforeAll(async () => {
  cluster = await startCluster(18);
  await cluster.createDatabase('fuzz');
  await cluster.query(SCHEMA, [], 'fuzz');
  client = new pg.Client({ host: cluster.host, port: cluster.port, user: 'postgres', password: cluster.password, database: 'fuzz' });
  await client.connect();
}, 60_000);
afterAll(async () => {
  await client?.end().catch(() => {});
  await cluster?.stop();
});

/** Runs the statement as the superuser in a transaction that is rolled back; returns the state read inside it. */
async function stateAfter(sql: string): Promise<unknown> {
  await client.query('BEGIN');
  try {
    await client.query('SAVEPOINT s');
    await client.query(sql).catch(() => client.query('ROLLBACK TO SAVEPOINT s'));
    return (await client.query(STATE_SQL)).rows;
  } finally {
    await client.query('ROLLBACK');
  }
}

describe('roleStatement against PostgreSQL 18', () => {
  it('accepts pg_dump\'s own lines, which run', async () => {
    for (const base of BASES) expect(roleStatement(base), base).not.toBeNull();
  });

  it('every mutated statement it accepts does nothing but set an owner or a default privilege, as a superuser', async () => {
    const random = seededRandom(20261205);
    const before = (await client.query(STATE_SQL)).rows;
    let accepted = 0;
    for (let i = 0; i < forTier(300, 3000); i++) {
      const sql = mutate(BASES[i % BASES.length]!, random);
      if (!roleStatement(sql)) continue;
      accepted++;
      expect(await stateAfter(sql), `case ${i}: ${sql}`).toEqual(before);
    }
    expect(accepted, 'some mutations are still recognised (the fuzz reaches the server)').toBeGreaterThan(10);
  }, 300_000);
});
