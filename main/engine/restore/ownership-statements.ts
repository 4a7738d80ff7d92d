// The statements of a dump that hand objects to roles: `ALTER <object> … OWNER TO role` and
// `ALTER DEFAULT PRIVILEGES FOR ROLE role …`. A restore of a file Lifeboat did not make runs as a
// temporary role that may not take on other roles (least-privilege-restore.ts), so these are held
// back and run afterwards by the profile's role, inside the restored database only. That role is
// usually a superuser, so a statement is recognised only when its shape leaves nothing else to do:
// names, type lists and the role — no expressions, strings or further subcommands (ALTER TABLE t
// ADD COLUMN c int DEFAULT f(), OWNER TO x would run f() as a superuser; it is not recognised and
// runs as the temporary role, which then fails).
import { identifierName, tokenize, type Token } from '../db/sql-tokens.ts';
import { quoteIdent } from '../db/sql-quote.ts';

export interface RoleStatement {
  kind: 'owner' | 'default-privileges';
  sql: string;
  /** Where each role name stands in `sql`, and the name it stands for. */
  roles: { name: string; start: number; end: number }[];
}

/** Objects that live inside one database (never databases, roles, tablespaces), whose owner pg_dump sets. */
const OWNED_KINDS = [
  'TABLE', 'VIEW', 'MATERIALIZED VIEW', 'FOREIGN TABLE', 'SEQUENCE', 'TYPE', 'DOMAIN', 'SCHEMA', 'FUNCTION', 'PROCEDURE', 'AGGREGATE',
  'ROUTINE', 'COLLATION', 'CONVERSION', 'OPERATOR', 'OPERATOR CLASS', 'OPERATOR FAMILY', 'TEXT SEARCH DICTIONARY', 'TEXT SEARCH CONFIGURATION',
  'FOREIGN DATA WRAPPER', 'SERVER', 'PUBLICATION', 'LARGE OBJECT', 'STATISTICS',
].map((kind) => kind.split(' '));
/** Kinds whose name is followed by a list of argument types. */
const WITH_ARGUMENTS = new Set(['FUNCTION', 'PROCEDURE', 'AGGREGATE', 'ROUTINE', 'OPERATOR']);
/** Words that stand for a role chosen when the statement runs, not a name. */
const ROLE_SPECIALS = new Set(['current_user', 'session_user', 'current_role', 'public', 'none']);
/** Longest statement recognised; pg_dump's are one short line. */
const MAX_LENGTH = 64 * 1024;

const isName = (t: Token) => t.kind === 'word' || t.kind === 'quoted-ident';

/** The statement (without comments) as a RoleStatement when it only sets an owner or default privileges, else null. */
export function roleStatement(sql: string): RoleStatement | null {
  if (sql.length > MAX_LENGTH || !/^\s*ALTER\s/i.test(sql)) return null;
  const tokens: Token[] = [];
  for (const token of tokenize(sql)) {
    if (token.kind === 'comment') continue;
    if (token.kind === 'string' || token.kind === 'dollar-string' || token.kind === 'param' || token.kind === 'meta-command' || token.unterminated) return null;
    tokens.push(token);
  }
  if (tokens.at(-1)?.kind === 'semicolon') tokens.pop();
  if (tokens.some((t) => t.kind === 'semicolon')) return null;
  const upper = tokens.map((t) => (t.kind === 'word' ? sql.slice(t.start, t.end).toUpperCase() : sql.slice(t.start, t.end)));
  if (upper[1] === 'DEFAULT' && upper[2] === 'PRIVILEGES') return defaultPrivileges(sql, tokens, upper);
  return ownerChange(sql, tokens, upper);
}

/** ALTER <kind> <name> [(<types>)] OWNER TO <role> */
function ownerChange(sql: string, tokens: Token[], upper: string[]): RoleStatement | null {
  const n = tokens.length;
  if (n < 5 || upper[n - 3] !== 'OWNER' || upper[n - 2] !== 'TO') return null;
  const role = roleAt(sql, tokens[n - 1]!);
  if (!role) return null;
  const kind = OWNED_KINDS.filter((words) => words.every((w, i) => upper[1 + i] === w)).sort((a, b) => b.length - a.length)[0];
  if (!kind) return null;
  const name = tokens.slice(1 + kind.length, n - 3);
  if (!plainTarget(sql, name, kind.join(' '))) return null;
  return { kind: 'owner', sql, roles: [role] };
}

/**
 * A qualified name; for routines and operators followed by one list of argument types (names,
 * dots, commas, array brackets, typmod numbers); for operator classes and families, USING method;
 * for large objects, a number.
 */
function plainTarget(sql: string, tokens: Token[], kind: string): boolean {
  if (tokens.length === 0) return false;
  if (kind === 'LARGE OBJECT') return tokens.length === 1 && tokens[0]!.kind === 'number';
  let depth = 0;
  let i = 0;
  for (; i < tokens.length; i++) {
    const token = tokens[i]!;
    const text = sql.slice(token.start, token.end);
    if (token.kind === 'punct' && text === '(') {
      if (!WITH_ARGUMENTS.has(kind)) return false;
      depth++;
    } else if (token.kind === 'punct' && text === ')') {
      if (--depth < 0) return false;
      if (depth === 0 && i !== tokens.length - 1) return false;
    } else if (token.kind === 'punct' && (text === ',' || text === '[' || text === ']' || text === '*')) {
      if (depth === 0) return false;
    } else if (token.kind === 'punct' && text === '.') {
      continue;
    } else if (token.kind === 'number') {
      if (depth === 0) return false;
    } else if (token.kind === 'operator' || token.kind === 'punct') {
      // An operator's own name (public.===); never inside the argument list.
      if (kind !== 'OPERATOR' || depth !== 0) return false;
    } else if (!isName(token)) return false;
    else if (depth === 0 && text.toUpperCase() === 'USING' && (kind === 'OPERATOR CLASS' || kind === 'OPERATOR FAMILY')) {
      return i === tokens.length - 2 && isName(tokens[i + 1]!);
    }
  }
  return depth === 0;
}

/** ALTER DEFAULT PRIVILEGES FOR ROLE r [, …] [IN SCHEMA s [, …]] GRANT|REVOKE … — names and keywords only. */
function defaultPrivileges(sql: string, tokens: Token[], upper: string[]): RoleStatement | null {
  if (upper[3] !== 'FOR' || (upper[4] !== 'ROLE' && upper[4] !== 'USER')) return null;
  const roles: RoleStatement['roles'] = [];
  let i = 5;
  for (;;) {
    const role = tokens[i] ? roleAt(sql, tokens[i]!) : null;
    if (!role) return null;
    roles.push(role);
    if (upper[i + 1] !== ',') break;
    i += 2;
  }
  const rest = upper.slice(i + 1);
  if (!['IN', 'GRANT', 'REVOKE'].includes(rest[0] ?? '')) return null;
  const allowed = (t: Token, text: string) => isName(t) || (t.kind === 'punct' && (text === ',' || text === '.'));
  if (!tokens.slice(i + 1).every((t, k) => allowed(t, rest[k]!))) return null;
  return { kind: 'default-privileges', sql, roles };
}

function roleAt(sql: string, token: Token): { name: string; start: number; end: number } | null {
  if (!isName(token)) return null;
  const name = identifierName(sql, token);
  if (!name || (token.kind === 'word' && ROLE_SPECIALS.has(name))) return null;
  return { name, start: token.start, end: token.end };
}

/** The statement with each role replaced as `map` says (quoted). */
export function withRoles(statement: RoleStatement, map: (role: string) => string): string {
  let out = '';
  let at = 0;
  for (const role of statement.roles) {
    out += statement.sql.slice(at, role.start) + quoteIdent(map(role.name));
    at = role.end;
  }
  return out + statement.sql.slice(at);
}

/**
 * GRANT/REVOKE of privileges on objects and ALTER DEFAULT PRIVILEGES: what "no privileges" leaves
 * out of a plain SQL file, as pg_restore --no-privileges does for archives.
 */
export function isPrivilegeStatement(sql: string): boolean {
  if (/^\s*ALTER\s+DEFAULT\s+PRIVILEGES\b/i.test(sql)) return true;
  if (!/^\s*(GRANT|REVOKE)\s/i.test(sql)) return false;
  // GRANT role TO role (membership) has no ON; privileges on objects always do.
  for (const token of tokenize(sql)) {
    if (token.kind === 'word' && sql.slice(token.start, token.end).toUpperCase() === 'ON') return true;
  }
  return false;
}

/**
 * The roles a GRANT gives to or a REVOKE takes from (GRANT … TO a, GROUP b WITH GRANT OPTION;
 * REVOKE … FROM c), PUBLIC left out: the first TO or FROM outside parentheses after ON, so argument
 * types of a function (public.mytype, bigint) are never taken for roles.
 */
export function granteesOf(sql: string): string[] {
  if (sql.length > MAX_LENGTH) return [];
  const tokens = [...tokenize(sql)].filter((t) => t.kind !== 'comment');
  const word = (t: Token | undefined) => (t?.kind === 'word' ? sql.slice(t.start, t.end).toUpperCase() : '');
  let depth = 0;
  let seenOn = false;
  let i = 0;
  for (; i < tokens.length; i++) {
    const text = sql.slice(tokens[i]!.start, tokens[i]!.end);
    if (text === '(') depth++;
    else if (text === ')') depth--;
    else if (depth === 0 && word(tokens[i]) === 'ON') seenOn = true;
    else if (depth === 0 && (word(tokens[i]) === 'TO' || word(tokens[i]) === 'FROM') && (seenOn || !/^\s*ALTER/i.test(sql))) break;
  }
  const roles: string[] = [];
  for (i++; i < tokens.length; i++) {
    const token = tokens[i]!;
    const upper = word(token);
    if (upper === 'GROUP') continue;
    if (upper === 'WITH' || upper === 'GRANTED' || upper === 'CASCADE' || upper === 'RESTRICT' || token.kind === 'semicolon') break;
    if (token.kind === 'punct') continue;
    const role = roleAt(sql, token);
    if (role) roles.push(role.name);
  }
  return roles;
}
