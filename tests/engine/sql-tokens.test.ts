// The SQL tokenizer against the real thing. Statement boundaries: psql 18 itself runs each random
// script and logs every query it sends (-L: "/******** QUERY *********/" blocks), which is exactly
// the split that decides what the server receives. Literal values: the server decodes random
// string literals and quoted names, and the tokenizer's decoding must agree (or refuse when the
// server refuses). Plus examples for each tricky rule, and linear time on adversarial input.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identifierName, splitStatements, stringValue, tokenize, type Token } from '../../main/engine/db/sql-tokens.ts';
import { libpqEnvironment } from '../../main/engine/pgtools/libpq-env.ts';
import { forTier, seededRandom } from '../faults/fault-tier.ts';
import { startCluster, type Cluster } from '../support/pg-cluster.ts';
import { bundledTool, clusterProfile } from '../support/pg-tools.ts';

const run = promisify(execFile);

const texts = (sql: string) => [...splitStatements(sql)].map((s) => sql.slice(s.start, s.end));
const kinds = (sql: string) => [...tokenize(sql)].map((t) => `${t.kind}:${sql.slice(t.start, t.end)}`);

describe('tokenizer rules', () => {
  it.each([
    ["SELECT 'a;b'; SELECT 2;", ["SELECT 'a;b';", 'SELECT 2;']],
    ["SELECT E'it\\'s;'; SELECT 2", ["SELECT E'it\\'s;';", 'SELECT 2']],
    // E'' continued on the next line stays an E'' string for the server: the backslash still escapes the quote.
    ["SELECT E'a'\n'b\\';'; SELECT 2;", ["SELECT E'a'\n'b\\';';", 'SELECT 2;']],
    ["SELECT E'a'\r'b\\';'; SELECT 2;", ["SELECT E'a'\r'b\\';';", 'SELECT 2;']],
    // A plain string continued after a -- comment and a newline.
    ["SELECT 'a' -- c;\n'b;'; SELECT 2;", ["SELECT 'a' -- c;\n'b;';", 'SELECT 2;']],
    ['SELECT $a$ ; $b$ ; $a$; SELECT 2;', ['SELECT $a$ ; $b$ ; $a$;', 'SELECT 2;']],
    ['SELECT $a$ x $ba$a$; SELECT 2;', ['SELECT $a$ x $ba$a$;', 'SELECT 2;']],
    // "a$b$" is one identifier: no dollar quote starts inside a word.
    ['SELECT a$b$ ; SELECT $b$;', ['SELECT a$b$ ;', 'SELECT $b$;']],
    ['SELECT 1 /* a /* nested; */ still; */; SELECT 2;', ['SELECT 1 /* a /* nested; */ still; */;', 'SELECT 2;']],
    ['SELECT "a;""b"; SELECT 2;', ['SELECT "a;""b";', 'SELECT 2;']],
    ["SELECT U&'\\0041;' ; SELECT b'01;'", ["SELECT U&'\\0041;' ;", "SELECT b'01;'"]],
    ['SELECT (1; 2); SELECT 3;', ['SELECT (1; 2);', 'SELECT 3;']],
    ['CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 1 END; END; SELECT 2;',
      ['CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 1 END; END;', 'SELECT 2;']],
    ['BEGIN; SELECT 1; END;', ['BEGIN;', 'SELECT 1;', 'END;']],
    ["SELECT 'unterminated; SELECT 2;", ["SELECT 'unterminated; SELECT 2;"]],
  ])('%j', (sql, expected) => {
    expect(texts(sql)).toEqual(expected);
  });

  it('reads operators, comment starts inside them, numbers and parameters as the server does', () => {
    expect(kinds('a+/*c*/b')).toEqual(['word:a', 'punct:+', 'comment:/*c*/', 'word:b']);
    expect(kinds('a*--c\nb')).toEqual(['word:a', 'punct:*', 'comment:--c', 'word:b']);
    expect(kinds('1.e--;')).toEqual(['number:1.e-', 'punct:-', 'semicolon:;']);
    expect(kinds('1<>-2')).toEqual(['number:1', 'operator:<>', 'punct:-', 'number:2']);
    expect(kinds('@- 1.5e3 .5 1..2 $1 0x1F 1_000 0x$$ 1$a$')).toEqual(['operator:@-', 'number:1.5e3', 'number:.5', 'number:1', 'punct:..', 'number:2', 'param:$1', 'number:0x1F', 'number:1_000', 'number:0x$$', 'number:1', 'dollar-string:$a$']);
    expect(kinds("x::text e'a' ee'a' n'b' X'1F'")).toEqual(['word:x', 'punct:::', 'word:text', "string:e'a'", 'word:ee', "string:'a'", "string:n'b'", "string:X'1F'"]);
  });

  it('marks what the input ends inside', () => {
    for (const sql of ["'abc", '"abc', '$x$ abc', '/* abc /* */', "E'abc\\'"]) {
      const last = [...tokenize(sql)].at(-1)!;
      expect(last.unterminated, sql).toBe(true);
      expect(last.end).toBe(sql.length);
    }
  });

  it('psql option: a string does not continue across a \\n (psql lexes line by line)', () => {
    const sql = "SELECT E'a'\n'b\\';'; SELECT 2;";
    expect([...splitStatements(sql, { psql: true })].map((s) => sql.slice(s.start, s.end))).toEqual(["SELECT E'a'\n'b\\';", "'; SELECT 2;"]);
    const cr = "SELECT E'a'\r'b\\';'; SELECT 2;";
    expect([...splitStatements(cr, { psql: true })].map((s) => cr.slice(s.start, s.end))).toEqual(["SELECT E'a'\r'b\\';';", 'SELECT 2;']);
  });

  it('psql option: a backslash command runs to the end of its line; \\; does not end a statement', () => {
    const sql = '\\restrict abc; def\nSELECT 1 \\; SELECT 2;\n\\unrestrict abc';
    expect([...splitStatements(sql, { psql: true })].map((s) => [sql.slice(s.start, s.end), s.meta ?? false])).toEqual([
      ['\\restrict abc; def', true], ['SELECT 1 \\; SELECT 2;', false], ['\\unrestrict abc', true],
    ]);
  });

  it('decodes names and literals', () => {
    const value = (sql: string) => stringValue(sql, [...tokenize(sql)][0]!);
    expect(value("'it''s'")).toBe("it's");
    expect(value("E'a\\tb\\x41\\101\\u00e9\\U0001F600'")).toBe('a\tbAAé😀');
    expect(value("'a'\n  -- c\n'b'")).toBe('ab');
    expect(value("E'\\000'")).toBeNull();
    expect(value("E'\\xff'")).toBeNull();
    const name = (sql: string) => identifierName(sql, [...tokenize(sql)][0]!);
    expect(name('MixedCase')).toBe('mixedcase');
    expect(name('"Mixed ""Case"""')).toBe('Mixed "Case"');
    expect(name('""')).toBeNull();
    expect(name(`"${'é'.repeat(40)}"`)).toBe('é'.repeat(31));
  });

  it('is linear in its input, also on input built to make a naive scanner quadratic', () => {
    const cases: [string, (n: number) => string][] = [
      ['a dollar quote with many failed closing tags', (n) => `$abcdefgh$${'$abcdefg'.repeat(n / 8)}`],
      ['many block comment starts', (n) => `/*${'/*'.repeat(n / 2)}`],
      ['many line comments', (n) => '--x\n'.repeat(n / 4)],
      ['strings with continuations', (n) => "'a'\n".repeat(n / 4)],
      ['an unterminated E string of backslashes', (n) => `E'${'\\\\'.repeat(n / 2)}`],
      ['one long identifier', (n) => 'a'.repeat(n)],
      ['many statements', (n) => 'select 1;'.repeat(n / 9)],
    ];
    for (const [what, make] of cases) {
      const time = (n: number) => {
        const sql = make(n);
        const t0 = performance.now();
        let count = 0;
        for (const statement of splitStatements(sql)) count += statement.end > statement.start ? 1 : 0;
        expect(count).toBeGreaterThan(0);
        return performance.now() - t0;
      };
      time(1 << 16); // warm up
      const small = time(1 << 20);
      const large = time(1 << 22);
      expect(large, `${what}: 1 MiB in ${small.toFixed(0)} ms, 4 MiB in ${large.toFixed(0)} ms`).toBeLessThan(Math.max(small * 10, 200));
      expect(large, what).toBeLessThan(4000);
    }
  });
});

// --- random scripts, split by psql itself ------------------------------------------------------

/** Random SQL-ish text without what psql would act on outside quotes (backslashes, :variables). */
function randomScript(random: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const inner = (alphabet: readonly string[], max = 6) => Array.from({ length: Math.floor(random() * max) }, () => pick(alphabet)).join('');
  // No backslash here: only E'' literals carry them, so psql meta-commands stay rare (those cases are skipped).
  const tricky = [';', "'", '"', '$', '$a$', '$b', '*/', '/*', '--', '\n', ' ', 'x', 'é', '(', ')', 'E', '$$', 'begin', 'end'];
  const pieces: (() => string)[] = [
    () => pick(['xfuzz', 'select', 'create', 'function', 'procedure', 'or', 'replace', 'begin', 'atomic', 'case', 'end', 'CREATE', 'Begin', 'a$b', 'abc$', 'é', '_x1', 'e', 'b', 'x', 'n', 'u', 'ee']),
    () => pick(['1', '1.5e3', '0x1F', '1_000', '.5', '1..2', '12abc', '$1', '0x', '1e', '0b1', '1.e', '1e-', '2E+']),
    () => pick(['(', ')', ',', '.', '[', ']', '::', ';', ';', ';', '+', '-', '*', '/', '<>', '=>', '+-', '!=', '%', '~', '|', '&', '@', '#', '?', '$', '$a']),
    () => `'${inner(tricky.map((c) => (c === "'" ? "''" : c)))}'`,
    () => ` E'${inner([...tricky.filter((c) => c !== "'"), "\\'", '\\\\', "''", '\\n', '\\x41'])}'`,
    () => `${pick(['B', 'X', 'N', 'U&'])}'${inner(tricky.filter((c) => c !== "'"))}'`,
    () => {
      // A literal continued after a newline (one literal to the server, two to psql) or a \r (one to both).
      const separator = pick(['\n', ' \n ', ' -- c;\n', '\n-- c\n', '\r', ' \r ', ' --c\r']);
      return ` ${pick(["'a'", "E'a'"])}${separator}'${inner(tricky.filter((c) => c !== "'"))}${separator.includes('\n') ? '' : pick(['', "\\'"])}'`;
    },
    () => `${pick(['', 'U&'])}"${inner(tricky.map((c) => (c === '"' ? '""' : c)))}x"`,
    () => {
      const tag = pick(['$$', '$a$', '$ab$', '$_1$']);
      return `${tag}${inner([...tricky, '$a', 'a$', '$ab', '$b$'])}${tag}`;
    },
    () => `--${inner(tricky.filter((c) => c !== '\n'))}\n`,
    () => `/*${inner([...tricky.filter((c) => c !== '*/' && c !== '/*'), '*', '/'])}${random() < 0.2 ? `/*${inner(['x', ';', "'"])}*/` : ''}*/`,
    () => pick([' ', '\n', '\t', '  ', '\f', '\v']),
  ];
  let sql = '';
  const length = 3 + Math.floor(random() * 40);
  for (let i = 0; i < length; i++) sql += pick(pieces)() + (random() < 0.5 ? ' ' : '');
  // Sometimes end inside something: psql sends the unfinished buffer at the end of the file.
  if (random() < 0.15) sql += pick(["'open", 'E\'open\\', '"open', '$q$ open', '/* open', '(open']);
  return sql.replace(/\n+$/, '');
}

/**
 * What psql sends for each statement: from its first token that is not a -- comment, through its
 * end, without the empty lines between tokens (psql skips an empty input line unless it is inside
 * a quote or comment).
 */
function expectedQueries(sql: string): string[] {
  const queries: string[] = [];
  for (const statement of splitStatements(sql, { psql: true })) {
    const text = sql.slice(statement.start, statement.end);
    const tokens = [...tokenize(text, { psql: true })];
    const first = tokens.findIndex((t: Token) => !(t.kind === 'comment' && text.startsWith('--', t.start)));
    if (first < 0) continue;
    let query = '';
    for (let i = first; i < tokens.length; i++) {
      if (i > first) query += text.slice(tokens[i - 1]!.end, tokens[i]!.start).replace(/\n{2,}/g, '\n');
      query += text.slice(tokens[i]!.start, tokens[i]!.end);
    }
    queries.push(query + text.slice(tokens.at(-1)!.end).replace(/\n{2,}/g, '\n'));
  }
  return queries;
}

const QUERY_START = '/******** QUERY *********/\n';
const QUERY_END = '\n/************************/\n\n';

function loggedQueries(log: string): string[] {
  return log.split(QUERY_START).slice(1).map((block) => block.slice(0, block.indexOf(QUERY_END)));
}

describe('against psql and the server', () => {
  let cluster: Cluster;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let dispose: () => Promise<void>;
  let client: pg.Client;

  beforeAll(async () => {
    cluster = await startCluster(18);
    dir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-sql-tokens-'));
    const libpq = await libpqEnvironment(clusterProfile(cluster), cluster.password);
    env = { ...libpq.env, PGCLIENTENCODING: 'UTF8' };
    dispose = libpq.dispose;
    client = new pg.Client({ host: cluster.host, port: cluster.port, user: cluster.user, password: cluster.password, database: 'postgres' });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end().catch(() => {});
    await dispose?.();
    if (dir) await rm(dir, { recursive: true, force: true });
    await cluster?.stop();
  });

  async function psqlQueries(sql: string): Promise<string[]> {
    const script = path.join(dir, 'script.sql');
    const log = path.join(dir, 'psql.log');
    await writeFile(script, sql);
    await rm(log, { force: true });
    await run(bundledTool('psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=0', '-o', '/dev/null', '-L', log, '-f', script], { env }).catch((error: { code?: number }) => {
      if (typeof error.code !== 'number') throw error; // psql exits 0 here (errors do not stop it) or 1; anything else is a failure to run
    });
    return loggedQueries(await readFile(log, 'utf8').catch(() => ''));
  }

  it('the oracle works: psql logs each statement it sends, and no more', async () => {
    expect(await psqlQueries("-- c\nSELECT 'a;b' ; /* x */ SELECT 2;\nxfuzz 'open")).toEqual(["SELECT 'a;b' ;", '/* x */ SELECT 2;', "xfuzz 'open"]);
  });

  it('finds the same statements as psql in random scripts', async () => {
    const cases = forTier(150, 1500);
    let skipped = 0;
    for (let seed = 1; seed <= cases; seed++) {
      const sql = randomScript(seededRandom(seed));
      // A backslash outside quotes is a psql command: what psql then sends is the guard's business, not the splitter's.
      if ([...tokenize(sql, { psql: true })].some((t) => t.kind === 'meta-command')) {
        skipped++;
        continue;
      }
      expect(expectedQueries(sql), `seed ${seed}: ${JSON.stringify(sql)}`).toEqual(await psqlQueries(sql));
    }
    expect(skipped, 'cases skipped for a psql command').toBeLessThan(cases * 0.1);
  }, forTier(60_000, 900_000));

  it('decodes string literals and quoted names as the server does', async () => {
    const random = seededRandom(7);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const chars = ['a', 'Z', ' ', "''", '"', ';', '$', 'é', '😀', '\n', '\\'];
    const escapes = ['\\n', '\\t', '\\b', "\\'", '\\\\', '\\x4', '\\x41', '\\101', '\\0', '\\377', '\\303\\251', '\\u00e9', '\\U0001F600', '\\uD83D\\uDE00', '\\uD83D', '\\u12', '\\q', "''", 'a', 'é'];
    for (let i = 0; i < forTier(300, 3000); i++) {
      const escape = random() < 0.5;
      const body = Array.from({ length: Math.floor(random() * 8) }, () => pick(escape ? escapes : chars)).join('');
      const literal = `${escape ? 'E' : ''}'${escape ? body : body.replaceAll('\\', '\\\\').replace(/(?<!')'(?!')/g, "''")}'${random() < 0.2 ? "\n'tail'" : ''}`;
      const nameBody = Array.from({ length: Math.floor(random() * 50) + 1 }, () => pick(['a', 'B', '""', ' ', 'é', ';', '😀'])).join('');
      const quoted = random() < 0.5;
      const name = quoted ? `"${nameBody}"` : `n${nameBody.replace(/[^A-Za-z]/g, '')}`;
      const sql = `SELECT ${literal} AS ${name}`;
      const tokens = [...tokenize(sql)];
      const server = await client.query({ text: sql, rowMode: 'array' }).then((r) => ({ value: (r.rows[0] as unknown[])[0] as string, name: r.fields[0]!.name }), (e: Error) => ({ error: e.message }));
      const mine = { value: stringValue(sql, tokens[1]!), name: identifierName(sql, tokens.at(-1)!) };
      if ('error' in server) expect(mine.value, `${sql} → server: ${server.error}`).toBeNull();
      else expect(mine, sql).toEqual(server);
    }
  });
});
