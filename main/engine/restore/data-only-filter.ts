// "Rows only into chosen tables" runs rows and nothing else: from whatever SQL reaches psql (a plain
// file, or pg_restore's output of an archive whose TOC may be hostile) only COPY … FROM stdin blocks
// and literal-only INSERTs of the chosen tables pass, plus the session settings pg_dump writes at
// the top (without client_encoding the rows would be read in the wrong encoding). Every other
// statement is skipped and counted.

/** keep: runs; skip: left out and counted (rows-only); aside: left out by the restore's own choice (held ownership, no owner, no privileges). */
export type StatementDecision = 'keep' | 'skip' | 'aside';

/** Session settings pg_dump and pg_restore write before the data; none of them changes anything stored. */
const SESSION_SETTINGS = [
  /^SET (statement_timeout|lock_timeout|idle_in_transaction_session_timeout|transaction_timeout) = 0$/,
  /^SET client_encoding = '[A-Za-z0-9_]+'$/,
  /^SET standard_conforming_strings = on$/,
  /^SELECT pg_catalog\.set_config\('search_path', '', false\)$/,
  /^SET check_function_bodies = false$/,
  /^SET xmloption = content$/,
  /^SET client_min_messages = warning$/,
  /^SET row_security = off$/,
  /^SET default_tablespace = ''$/,
  /^SET default_table_access_method = [a-z_]+$/,
  /^SET default_with_oids = false$/,
];

const NAME = /"(?:[^"]|"")*"|[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/y;

/** Reads `schema.name` (quoted or not) at `at`; returns the raw "schema.name" and where it ends. */
export function readQualifiedName(text: string, at: number): { name: string; end: number } | null {
  const parts: string[] = [];
  let i = at;
  for (;;) {
    NAME.lastIndex = i;
    const match = NAME.exec(text);
    if (!match) return null;
    const part = match[0];
    parts.push(part.startsWith('"') ? part.slice(1, -1).replaceAll('""', '"') : part.toLowerCase());
    i += part.length;
    if (text[i] !== '.' || parts.length === 2) break;
    i++;
  }
  const name = parts.length === 2 ? `${parts[0]}.${parts[1]}` : `public.${parts[0]}`;
  return { name, end: i };
}

/** A column list "(a, "b c", d)" at `at`, if there is one; returns where it ends. */
function skipColumnList(text: string, at: number): number | null {
  if (text[at] !== '(') return at;
  let i = at + 1;
  for (;;) {
    while (text[i] === ' ') i++;
    NAME.lastIndex = i;
    const match = NAME.exec(text);
    if (!match) return null;
    i += match[0].length;
    while (text[i] === ' ') i++;
    if (text[i] === ')') return i + 1;
    if (text[i] !== ',') return null;
    i++;
  }
}

/** After `prefix`: a table name and an optional column list; returns the table and the text after them. */
function targetAndRest(statement: string, prefix: string): { table: string; rest: string } | null {
  if (!statement.startsWith(prefix)) return null;
  const target = readQualifiedName(statement, prefix.length);
  if (!target) return null;
  let i = target.end;
  if (statement[i] === ' ') i++;
  const afterColumns = skipColumnList(statement, i);
  return afterColumns === null ? null : { table: target.name, rest: statement.slice(afterColumns) };
}

/** "COPY name [(columns)] FROM stdin" exactly as pg_dump writes it; returns the table. */
export function copyTarget(statement: string): string | null {
  const found = targetAndRest(statement, 'COPY ');
  return found && /^ ?FROM stdin$/.test(found.rest) ? found.table : null;
}

/**
 * "INSERT INTO name [(columns)] [OVERRIDING SYSTEM VALUE] VALUES (…), …" whose values are only
 * literals (strings, numbers, NULL, booleans, DEFAULT) — as pg_dump --inserts writes them. A value
 * that is an expression could call any function, so such a statement is not "rows".
 */
export function insertTarget(statement: string): string | null {
  const found = targetAndRest(statement, 'INSERT INTO ');
  const values = found && /^ ?(?:OVERRIDING SYSTEM VALUE )?VALUES (.*)$/.exec(found.rest);
  if (!found || !values) return null;
  // Strings out (the guard refused quotes whose end depends on settings), then only literal tokens may remain.
  const rest = values[1]!.replace(/(?<![A-Za-z0-9_])[Ee]?'(?:[^']|'')*'/g, ' ').replace(/\b(?:NULL|true|false|DEFAULT)\b/gi, ' ');
  return /^[\s(),0-9.eE+-]*$/.test(rest) && rest.includes('(') ? found.table : null;
}

/** Decides, statement by statement, what a data-only restore of `tables` runs. */
export function dataOnlyDecider(tables: readonly string[]): (statement: string) => StatementDecision {
  const chosen = new Set(tables);
  return (statement) => {
    if (SESSION_SETTINGS.some((pattern) => pattern.test(statement))) return 'keep';
    const table = copyTarget(statement) ?? insertTarget(statement);
    return table !== null && chosen.has(table) ? 'keep' : 'skip';
  };
}
