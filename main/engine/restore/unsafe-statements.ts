// Statements that reach beyond the database being restored: programs or files on the database
// server, its configuration, roles, other databases, tablespaces, code in untrusted languages,
// anonymous code blocks. pg_dump writes few of them (functions in untrusted languages, event
// triggers, SET SESSION AUTHORIZATION with --use-set-session-authorization), an attacker's file
// many. A file that holds any is restored only when the user types that they trust where it came
// from, or when it is an archive made by this Lifeboat's own key.
//
// This reads statements, not what functions do once called: a function body that reads a file
// runs only if something calls it, which only a restore with fewer rights can rule out.
import { identifierName, splitStatements, tokenize, type Token } from '../db/sql-tokens.ts';
import type { TocDat } from './toc-dat.ts';
export type { UnsafeStatement } from '../model/restore.ts';

export { TRUST_PHRASE } from './trust-phrase.ts';

/** Languages whose functions run code on the database server with its operating-system rights. */
const UNTRUSTED_LANGUAGES = new Set(['c', 'internal', 'plpythonu', 'plpython2u', 'plpython3u', 'plperlu', 'pltclu', 'plr', 'plsh', 'pljavau', 'plluau']);
/** Functions that reach files, programs, other sessions or servers, or the server's configuration. */
export const REACHING_FUNCTIONS = new Set([
  'pg_read_file', 'pg_read_binary_file', 'pg_ls_dir', 'pg_stat_file', 'pg_ls_logdir', 'pg_ls_waldir', 'pg_ls_tmpdir', 'pg_ls_archive_statusdir',
  'lo_import', 'lo_export', 'pg_file_write', 'pg_file_rename', 'pg_file_unlink', 'pg_file_sync', 'pg_logdir_ls',
  'dblink', 'dblink_exec', 'dblink_connect', 'dblink_connect_u', 'dblink_send_query',
  'pg_terminate_backend', 'pg_cancel_backend', 'pg_reload_conf', 'pg_rotate_logfile', 'pg_promote', 'pg_switch_wal',
  'pg_create_restore_point', 'pg_drop_replication_slot', 'pg_create_physical_replication_slot', 'pg_create_logical_replication_slot',
]);

interface Words {
  /** Upper-cased words and punctuation of the statement, comments left out; other tokens as <kind>. */
  upper: string[];
  /** The name each word or quoted name stands for (folded to lower case unless quoted). */
  names: (string | null)[];
  tokens: Token[];
  sql: string;
}

function words(sql: string): Words {
  const tokens = [...tokenize(sql)].filter((token) => token.kind !== 'comment');
  const text = (token: Token) => sql.slice(token.start, token.end);
  return {
    tokens,
    sql,
    upper: tokens.map((token) => (token.kind === 'word' || token.kind === 'punct' || token.kind === 'operator' ? text(token).toUpperCase() : `<${token.kind}>`)),
    names: tokens.map((token) => (token.kind === 'word' ? text(token).toLowerCase() : token.kind === 'quoted-ident' ? identifierName(sql, token) : null)),
  };
}

/** The first word after CREATE that is not one of `skip` (CREATE OR REPLACE FUNCTION → FUNCTION), or null. */
function kindAfterCreate(upper: string[], skip: string[]): string | null {
  if (upper[0] !== 'CREATE') return null;
  let i = 1;
  while (i < upper.length && skip.includes(upper[i]!)) i++;
  return upper[i] ?? null;
}

/** Why a statement reaches beyond the database being restored, or null. */
export function unsafeReason(sql: string): string | null {
  const w = words(sql);
  return commandReason(w) ?? copyReason(w) ?? functionReason(w) ?? callReason(w);
}

/** SET [SESSION | LOCAL] ROLE …, SET [SESSION | LOCAL] SESSION AUTHORIZATION …, RESET ROLE, RESET SESSION AUTHORIZATION. */
function switchesRole(rest: string[]): boolean {
  const words = rest[0] === 'LOCAL' || (rest[0] === 'SESSION' && rest[1] !== 'AUTHORIZATION') ? rest.slice(1) : rest;
  return words[0] === 'ROLE' || (words[0] === 'SESSION' && words[1] === 'AUTHORIZATION');
}

function commandReason({ upper }: Words): string | null {
  const [first, second, third] = upper;
  const create = first === 'CREATE' || first === 'ALTER' || first === 'DROP';
  if (first === 'ALTER' && second === 'SYSTEM') return 'changes the database server\'s configuration';
  if (create && (second === 'ROLE' || second === 'GROUP' || (second === 'USER' && third !== 'MAPPING'))) return 'creates, changes or drops a role (roles belong to the whole server)';
  if (create && second === 'DATABASE') return 'acts on a database other than the one being restored';
  if (create && second === 'TABLESPACE') return 'creates, changes or drops a tablespace (a folder on the database server)';
  if (kindAfterCreate(upper, ['OR', 'REPLACE']) === 'EVENT') return 'installs an event trigger, which runs on every schema change in the database';
  if (kindAfterCreate(upper, ['OR', 'REPLACE', 'TRUSTED', 'PROCEDURAL']) === 'LANGUAGE') return 'creates a procedural language';
  if (first === 'LOAD') return 'loads a library into the database server';
  if (first === 'DO') return 'runs an anonymous code block, which can do anything the restoring role can';
  if ((first === 'SET' || first === 'RESET') && switchesRole(upper.slice(1))) return 'switches to another role';
  if ((first === 'GRANT' || first === 'REVOKE') && !upper.includes('ON')) return 'grants or revokes membership in a role';
  return null;
}

/** COPY … TO/FROM PROGRAM, or a file name: runs a program or reads and writes files on the database server. */
function copyReason({ upper }: Words): string | null {
  if (upper[0] !== 'COPY') return null;
  let depth = 0;
  for (let i = 1; i < upper.length - 1; i++) {
    if (upper[i] === '(') depth++;
    else if (upper[i] === ')') depth--;
    else if (depth === 0 && (upper[i] === 'TO' || upper[i] === 'FROM')) {
      if (upper[i + 1] === 'PROGRAM') return 'runs a program on the database server (COPY … PROGRAM)';
      if (upper[i + 1] === '<string>') return 'reads or writes a file on the database server (COPY with a file name)';
    }
  }
  return null;
}

function functionReason({ upper, tokens, sql }: Words): string | null {
  const kind = kindAfterCreate(upper, ['OR', 'REPLACE']);
  if (kind !== 'FUNCTION' && kind !== 'PROCEDURE') return null;
  for (let i = 0; i < upper.length - 1; i++) {
    if (upper[i] !== 'LANGUAGE') continue;
    const token = tokens[i + 1]!;
    const language = sql.slice(token.start, token.end).replace(/^['"]|['"]$/g, '').toLowerCase();
    if (!UNTRUSTED_LANGUAGES.has(language)) continue;
    return `defines a function in ${language === 'c' || language === 'internal' ? `${language.toUpperCase()} (compiled code)` : `the untrusted language ${language}`} that runs on the database server`;
  }
  return null;
}

/** A call of a function that reaches outside the database, anywhere in the statement (not inside strings or bodies). */
function callReason({ upper, names }: Words): string | null {
  for (let i = 0; i < upper.length - 1; i++) {
    const name = names[i];
    if (upper[i + 1] === '(' && name && REACHING_FUNCTIONS.has(name)) return `calls ${name}(), which reaches outside the database being restored`;
  }
  return null;
}

/**
 * The first statement in a table of contents that reaches beyond the database: every entry's
 * definition and the COPY that starts its rows — what pg_restore -j runs without psql or Lifeboat's
 * stream check in between.
 */
export function unsafeTocStatement(toc: TocDat): { entry: string; statement: string; reason: string } | null {
  for (const entry of toc.entries) {
    // pg_restore runs these only with --create, which Lifeboat never passes (_tocEntryRequired).
    if (entry.desc === 'DATABASE' || entry.desc === 'DATABASE PROPERTIES') continue;
    for (const sql of [entry.definition, entry.copyStatement]) {
      if (!sql) continue;
      for (const statement of splitStatements(sql)) {
        if (statement.codeStart < 0) continue;
        const text = sql.slice(statement.codeStart, statement.terminated ? statement.end - 1 : statement.end).trim();
        const reason = unsafeReason(text);
        if (reason) return { entry: `${entry.desc} ${entry.tag}`, statement: [...text].slice(0, 160).join(''), reason };
      }
    }
  }
  return null;
}
