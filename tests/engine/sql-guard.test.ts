import { describe, expect, it } from 'vitest';
import { SqlGuard } from '../../main/engine/restore/sql-guard.ts';

function scan(sql: string): SqlGuard {
  const guard = new SqlGuard();
  for (const line of sql.split('\n')) guard.line(line);
  guard.finish();
  return guard;
}

describe('plain SQL guard', () => {
  it('accepts what pg_dump writes: \\connect, \\restrict, \\unrestrict and COPY data with backslashes', () => {
    const guard = scan([
      '\\restrict abc123',
      '-- Dumped from database version 16.4',
      "SET client_encoding = 'UTF8';",
      'CREATE TABLE public.t (id int, note text);',
      'ALTER TABLE public.t OWNER TO "App Owner";',
      'COPY public.t (id, note) FROM stdin;',
      '1\tback\\\\slash \\! not a command in data',
      '2\t\\N',
      '\\.',
      'GRANT SELECT ON TABLE public.t TO reporting, "Mixed";',
      'CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;',
      '\\connect other',
      '\\unrestrict abc123',
    ].join('\n'));
    expect(guard.facts.dumpedFromVersion).toBe('16.4');
    expect([...guard.facts.owners]).toEqual(['App Owner']);
    expect([...guard.facts.grantees].sort()).toEqual(['Mixed', 'reporting']);
    expect([...guard.facts.extensions]).toEqual(['pgcrypto']);
    expect(guard.facts.connects).toEqual(['other']);
    expect(guard.facts.tables).toEqual(['public.t']);
  });

  it.each([
    ['\\! touch /tmp/pwned', 1, '!'],
    ["SELECT 1;\n\\o /tmp/out.txt", 2, 'o'],
    ['SELECT 1; \\! id', 1, '!'],
    ["\\copy t FROM PROGRAM 'curl evil'", 1, 'copy'],
    ['\\i /etc/passwd', 1, 'i'],
    ['\\w /tmp/x', 1, 'w'],
    ['\\set ON_ERROR_STOP off', 1, 'set'],
    ['SELECT 1 \\g /tmp/out', 1, 'g'],
    ['\\\\ \\! id', 1, '\\'],
    ["SELECT 'it''s'; \\! id", 1, '!'],
    ["SELECT $$ a ' b $$; \\! id", 1, '!'],
    ['/* comment */ \\! id', 1, '!'],
  ])('refuses %j with the line number', (sql, line, command) => {
    expect(() => scan(sql)).toThrow(new RegExp(`^Line ${line} of the SQL file runs the psql command "\\\\${command.replace(/[\\!]/g, (c) => `\\${c}`)}"`));
  });

  it('does not mistake backslashes inside strings, dollar quotes, identifiers and comments for commands', () => {
    const guard = scan([
      "SELECT 'C:\\temp\\! not a command';",
      'SELECT $fn$ \\! inside a function body $fn$;',
      'CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$',
      "  SELECT '\\o nope'",
      '$$;',
      'SELECT "weird\\!name" FROM x;',
      '-- \\! in a comment',
      '/* multi',
      '   \\! line comment */ SELECT 1;',
    ].join('\n'));
    expect(guard.facts.lines).toBe(9);
  });

  it('notices statements that cannot run in one transaction, and CREATE DATABASE', () => {
    const guard = scan('CREATE DATABASE shop;\n\\connect shop\nCREATE INDEX CONCURRENTLY i ON t (x);\nVACUUM ANALYZE;');
    expect(guard.facts.createsDatabase).toBe(true);
    expect(guard.facts.needsAutocommit).toHaveLength(3);
  });

  it('is not fooled into COPY-data mode by FROM STDIN inside a string or a COPY (query)', () => {
    expect(() => scan("COPY (SELECT 'FROM STDIN') TO STDOUT;\n\\! touch /tmp/x\n\\.")).toThrow(/Line 2 .*"\\!"/);
    expect(() => scan('COPY (SELECT 1) TO STDOUT;\n\\! id')).toThrow(/Line 2/);
    expect(scan('COPY "odd ( name" (a) FROM stdin;\n\\! data, not a command\n\\.').facts.tables).toEqual(['"odd']);
  });

  it('refuses scripts that turn standard_conforming_strings off (psql would then read backslashes differently)', () => {
    expect(() => scan("SET standard_conforming_strings = off;\nSELECT '\\'' \\! touch X #';")).toThrow(/Line 1 .*standard_conforming_strings/);
    expect(() => scan("SELECT set_config('standard_conforming_strings', 'off', false);")).toThrow(/standard_conforming_strings/);
    expect(scan("SET standard_conforming_strings = on;").facts.lines).toBe(1);
  });

  it('a file cut inside COPY data is damaged', () => {
    expect(() => scan('COPY t (a) FROM stdin;\n1\n2')).toThrow(/ends inside COPY data/);
  });
});

/** Scans raw bytes (latin1 in the test source: one char per byte), as the restore pipeline does. */
function scanBytes(text: string): SqlGuard {
  const guard = new SqlGuard({ allowConnect: false });
  for (const line of text.split('\n')) guard.line(Buffer.from(line, 'latin1'));
  guard.finish();
  return guard;
}

describe('where psql could read a line differently, the guard refuses instead of guessing', () => {
  it.each([
    // psql 18 reads each of these as SQL followed by a meta-command (found in psqlscan.l and checked by tests/faults/psql-guard-fuzz.test.ts).
    ['an identifier ending in E before a quote is no E-string', "SELECT xE'\\'; \\! id #';", /closing quote follows a backslash/],
    ['an E-string with an escaped quote', "SELECT E'a\\'b'; \\! id", /closing quote follows a backslash/],
    ['standard_conforming_strings turned off by a function call', "SELECT set_config('standard_' || 'conforming_strings', 'off', false);\nSELECT '\\'; \\! id #';", /Line 2 .*closing quote follows a backslash/],
    ['a lead byte of SJIS hiding the closing quote', "SET client_encoding = 'SJIS';\nSELECT '\x81'' \\! id #'", /Line 2 .*client encoding is SJIS/],
    ['a lead byte of GB18030 hiding a quote two bytes on', "SELECT '\x81\x30'x' \\! id #'", /client encoding is GB18030/],
    ['a NUL byte (psql stops reading the line there)', "SELECT 1;\x00'\n\\! id", /NUL byte/],
    ['text after COPY … FROM stdin; on the same line', 'COPY t (a) FROM stdin; \\! id\n1\n\\.', /more text after "COPY … FROM stdin;"/],
    ['FROM STDOUT, which the server reads as COPY FROM the client', "COPY t FROM STDOUT;\n\\! data\n\\.\r\n\\! id", /Line 4 .*"\\!"/],
    ['a semicolon inside parentheses does not end the statement', 'SELECT (1; COPY t FROM stdin;\n\\! id\n\\.', /Line 2 .*"\\!"/],
    ['semicolons inside BEGIN ATOMIC do not end the statement', 'CREATE U& FUNCTION f() BEGIN ATOMIC SELECT 1; COPY t FROM stdin;\n\\! id\n\\.', /Line 2 .*"\\!"/],
    ['a -- comment ends at a carriage return', 'SELECT 1; -- note\r\\! id', /"\\!"/],
    ['an identifier swallows a following $$', 'SELECT \xe9$$ \\! id $$;', /"\\!"/],
    ['COPY data ends at \\.\\r too', 'COPY t (a) FROM stdin;\n1\n\\.\r\n\\! id', /Line 4 .*"\\!"/],
    ['a comment between COPY words', 'COPY t/**/FROM stdin;\n\\! not a command: data\n\\.\n\\! id', /Line 4 .*"\\!"/],
    ['psql variables', 'SELECT :VERSION;', /psql variable :VERSION/],
    ["the file's own \\unrestrict in the middle of a statement", 'SELECT 1\n\\unrestrict abc', /"\\unrestrict"/],
  ])('%s', (_name, sql, message) => {
    expect(() => scanBytes(sql)).toThrow(message);
  });

  it('still accepts what pg_dump writes: non-ASCII text, BEGIN ATOMIC bodies, COPY data of any shape', () => {
    const guard = scanBytes([
      '\\restrict abc123',
      "SET client_encoding = 'UTF8';",
      "COMMENT ON TABLE public.t IS 'Caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac';",
      'CREATE FUNCTION public.f() RETURNS integer LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;',
      "CREATE TABLE public.t (a text DEFAULT '^\\d+$'::text, b integer[]);",
      'CREATE VIEW public.v AS SELECT t.b[1:2] AS b, (t.a)::text AS a FROM public.t;',
      'COPY public.t (a, b) FROM stdin;',
      "x\\\\y\t{1,2}\t\\! data ' \\N \xe6\x97",
      '\\.',
      '\\unrestrict abc123',
    ].join('\n'));
    expect(guard.facts.tables).toEqual(['public.t']);
  });

  it('tells the pipeline to blank the file\'s own \\restrict lines (Lifeboat\'s key comes first)', () => {
    const guard = new SqlGuard({ allowConnect: false });
    expect(guard.line('\\restrict Zm9v')).toBe('blank');
    expect(guard.line('SELECT 1;')).toBe('pass');
    expect(guard.line('\\unrestrict Zm9v')).toBe('blank');
  });
});

describe('the streaming pipeline passes COPY data on whole lines at a time', () => {
  const run = async (sql: string, chunkSize: number) => {
    const { guardedSqlStream } = await import('../../main/engine/restore/sql-pipeline.ts');
    const guarded = guardedSqlStream(18, { allowConnect: true });
    const input = Buffer.from(sql, 'latin1');
    const out: Buffer[] = [];
    guarded.transform.on('data', (chunk: Buffer) => out.push(chunk));
    const ended = new Promise<void>((resolve, reject) => guarded.transform.once('end', resolve).once('error', reject));
    for (let at = 0; at < input.length; at += chunkSize) guarded.transform.write(input.subarray(at, at + chunkSize));
    guarded.transform.end();
    await ended;
    return { output: Buffer.concat(out).toString('latin1'), lines: guarded.guard.facts.lines };
  };
  // Short data lines (which could be the end marker), "\.x" and " \." (which are not), CRLF ends, a
  // second COPY block after SQL: the bytes psql gets are the file's, in any chunking.
  const dump = [
    'CREATE TABLE public.t (v text);',
    'COPY public.t (v) FROM stdin;',
    '1', '', '\\N', '\\.x', ' \\.', 'a longer line of data\twith a tab', '\\\\.', 'ab\r',
    '\\.',
    'CREATE TABLE public.u (v text);',
    'COPY public.u (v) FROM stdin;',
    'x'.repeat(300), '42',
    '\\.\r',
    'SELECT 1;',
    '',
  ].join('\n');

  it('gives psql exactly the file\'s bytes and counts every line, whatever the chunk size', async () => {
    for (const size of [1, 2, 3, 4, 5, 7, 16, 64, 1000]) {
      const { output, lines } = await run(dump, size);
      expect(output, `chunks of ${size}`).toBe(dump);
      expect(lines, `chunks of ${size}`).toBe(dump.split('\n').length - 1);
    }
  });

  it('a NUL byte in COPY data is refused with its line number, whatever the chunk size', async () => {
    const withNul = dump.replace('a longer line of data', 'a longer\x00line of data');
    const line = withNul.split('\n').findIndex((l) => l.includes('\x00')) + 1;
    for (const size of [1, 5, 64, 1000]) {
      await expect(run(withNul, size), `chunks of ${size}`).rejects.toThrow(new RegExp(`[Ll]ine ${line}\\b.*NUL|NUL.*line ${line}\\b`));
    }
  });
});
