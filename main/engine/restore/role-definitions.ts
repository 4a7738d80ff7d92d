// Role definitions read from an archive's globals.sql (what pg_dumpall --globals-only writes:
// `CREATE ROLE x;` then `ALTER ROLE x WITH …;`, and `GRANT a TO b …;` for memberships). The file
// is never replayed: it is only read, with the SQL tokenizer, into plain data, and Lifeboat builds
// its own CREATE ROLE from that with the attributes that cannot widen anyone's power (LOGIN,
// INHERIT, CONNECTION LIMIT). Privileged attributes need the caller's explicit choice per role;
// passwords, VALID UNTIL, settings and memberships are never applied.
import { LifeboatError } from '../errors.ts';
import { identifierName, splitStatements, stringValue, tokenize, type Token } from '../db/sql-tokens.ts';
import { PRIVILEGED_ROLE_ATTRIBUTES, type PrivilegedRoleAttribute } from '../model/restore.ts';
export { PRIVILEGED_ROLE_ATTRIBUTES } from '../model/restore.ts';
export type { PrivilegedRoleAttribute } from '../model/restore.ts';

export interface RoleAttributes {
  login: boolean;
  superuser: boolean;
  createdb: boolean;
  createrole: boolean;
  replication: boolean;
  bypassrls: boolean;
  inherit: boolean;
  /** -1: no limit. */
  connectionLimit: number;
  validUntil: string | null;
}

export interface RoleMembership {
  /** The role granted. */
  role: string;
  member: string;
  admin: boolean;
  /** PostgreSQL 16+ per-grant options; null when the file does not say. */
  inherit: boolean | null;
  set: boolean | null;
}

export interface RoleDefinition {
  name: string;
  attributes: RoleAttributes;
  /** The file gives it a password (never applied). */
  hasPassword: boolean;
  /** Roles it is a member of. */
  memberships: RoleMembership[];
}

export interface GlobalsRoles {
  /** Roles the file defines: CREATE ROLE, or ALTER ROLE … WITH (pg_dumpall writes no CREATE for the user who ran it). */
  roles: Map<string, RoleDefinition>;
  /** Every GRANT role TO role, in file order (also kept with each defined member). */
  memberships: RoleMembership[];
  /** What was read but not understood (an unknown option, a name that cannot be decoded). */
  notes: string[];
}

const BOOLEAN_OPTIONS: Record<string, [keyof RoleAttributes, boolean]> = {
  superuser: ['superuser', true], nosuperuser: ['superuser', false],
  createdb: ['createdb', true], nocreatedb: ['createdb', false],
  createrole: ['createrole', true], nocreaterole: ['createrole', false],
  // CREATEUSER was the old spelling of SUPERUSER.
  createuser: ['superuser', true], nocreateuser: ['superuser', false],
  login: ['login', true], nologin: ['login', false],
  replication: ['replication', true], noreplication: ['replication', false],
  bypassrls: ['bypassrls', true], nobypassrls: ['bypassrls', false],
  inherit: ['inherit', true], noinherit: ['inherit', false],
};

const MAX_NOTES = 20;
/** Bounded by the size of globals.sql already; this only keeps a hostile file's cross product of grants in check. */
const MAX_MEMBERSHIPS = 100_000;

/** Reads every role definition and membership grant; other statements are skipped. Linear in the file's size. */
export function parseGlobalsRoles(sql: string): GlobalsRoles {
  const result: GlobalsRoles = { roles: new Map(), memberships: [], notes: [] };
  for (const statement of splitStatements(sql, { psql: true })) {
    if (statement.meta || statement.codeStart < 0) continue;
    const text = sql.slice(statement.codeStart, statement.end);
    const tokens = [...tokenize(text, { psql: true })].filter((t) => t.kind !== 'comment');
    new StatementReader(text, tokens, result).read();
  }
  // A grant may come before or after its member's definition, or name a role defined elsewhere.
  for (const membership of result.memberships) result.roles.get(membership.member)?.memberships.push(membership);
  return result;
}

function defaults(login: boolean): RoleAttributes {
  return { login, superuser: false, createdb: false, createrole: false, replication: false, bypassrls: false, inherit: true, connectionLimit: -1, validUntil: null };
}

class StatementReader {
  #at = 0;
  readonly #sql: string;
  readonly #tokens: Token[];
  readonly #out: GlobalsRoles;

  constructor(sql: string, tokens: Token[], out: GlobalsRoles) {
    this.#sql = sql;
    this.#tokens = tokens;
    this.#out = out;
  }

  read(): void {
    const verb = this.#word();
    if (verb === 'create' || verb === 'alter') {
      const kind = this.#word();
      if (kind === 'role' || kind === 'user' || kind === 'group') this.#role(verb, kind);
    } else if (verb === 'grant') this.#grant();
  }

  /** The lowered word at the cursor (and moves past it), or null for anything else. */
  #word(): string | null {
    const token = this.#tokens[this.#at];
    if (token?.kind !== 'word') return null;
    this.#at++;
    return this.#text(token).toLowerCase();
  }

  #peekWord(): string | null {
    const token = this.#tokens[this.#at];
    return token?.kind === 'word' ? this.#text(token).toLowerCase() : null;
  }

  #text(token: Token): string {
    return this.#sql.slice(token.start, token.end);
  }

  #note(text: string): void {
    if (this.#out.notes.length < MAX_NOTES) this.#out.notes.push(text);
  }

  /** A role name (ident or quoted ident); CURRENT_USER and the like are not names. */
  #name(): string | null {
    const token = this.#tokens[this.#at];
    if (!token || (token.kind !== 'word' && token.kind !== 'quoted-ident')) return null;
    const name = identifierName(this.#sql, token);
    if (token.kind === 'word' && ['current_user', 'session_user', 'current_role', 'public', 'all', 'with'].includes(name ?? '')) return null;
    this.#at++;
    return name;
  }

  #role(verb: string, kind: string): void {
    const name = this.#name();
    if (name === null) {
      if (this.#tokens[this.#at]?.kind === 'quoted-ident') this.#note(`a role name that cannot be read: ${this.#text(this.#tokens[this.#at]!).slice(0, 80)}`);
      return;
    }
    const next = this.#peekWord();
    // ALTER ROLE x SET / RESET / RENAME / IN DATABASE: settings and renames are not role attributes.
    if (verb === 'alter' && next !== null && ['set', 'reset', 'rename', 'in'].includes(next)) return;
    let role = this.#out.roles.get(name);
    if (!role) {
      role = { name, attributes: defaults(verb === 'create' && kind === 'user'), hasPassword: false, memberships: [] };
      this.#out.roles.set(name, role);
    }
    if (next === 'with') this.#at++;
    this.#options(role, verb === 'create');
  }

  #options(role: RoleDefinition, creating: boolean): void {
    while (this.#at < this.#tokens.length && this.#tokens[this.#at]!.kind !== 'semicolon') {
      const start = this.#at;
      const option = this.#word();
      if (option === null || !this.#option(role, option, creating)) {
        this.#note(`an option of role "${role.name}" that Lifeboat does not know: ${this.#text(this.#tokens[start]!).slice(0, 40)}`);
        return;
      }
    }
  }

  /** Applies one option at the cursor (its word already read); false when it is not understood. */
  #option(role: RoleDefinition, option: string, creating: boolean): boolean {
    const flag = BOOLEAN_OPTIONS[option];
    if (flag) {
      (role.attributes[flag[0]] as boolean) = flag[1];
      return true;
    }
    if (option === 'encrypted' || option === 'unencrypted') return this.#word() === 'password' && this.#option(role, 'password', creating);
    if (option === 'password') {
      const value = this.#tokens[this.#at++];
      role.hasPassword = value?.kind === 'string';
      return value?.kind === 'string' || (value?.kind === 'word' && this.#text(value).toLowerCase() === 'null');
    }
    if (option === 'connection') return this.#word() === 'limit' && this.#connectionLimit(role);
    if (option === 'valid') {
      if (this.#word() !== 'until') return false;
      const value = this.#tokens[this.#at++];
      role.attributes.validUntil = value ? stringValue(this.#sql, value) : null;
      return role.attributes.validUntil !== null;
    }
    if (option === 'sysid' && creating) return this.#tokens[this.#at++]?.kind === 'number';
    // Membership clauses of CREATE ROLE (IN ROLE, ROLE, ADMIN, USER): read, as pg_dumpall never writes them.
    if (option === 'in') {
      const what = this.#word();
      return (what === 'role' || what === 'group') && this.#memberList(role.name, 'member-of');
    }
    if (option === 'role' || option === 'user' || option === 'admin') return this.#memberList(role.name, option === 'admin' ? 'admin-members' : 'members');
    return false;
  }

  #connectionLimit(role: RoleDefinition): boolean {
    let negative = false;
    if (this.#tokens[this.#at] && this.#text(this.#tokens[this.#at]!) === '-') {
      negative = true;
      this.#at++;
    }
    const value = this.#tokens[this.#at++];
    if (value?.kind !== 'number' || !/^\d{1,10}$/.test(this.#text(value))) return false;
    const limit = Number(this.#text(value)) * (negative ? -1 : 1);
    if (limit < -1 || limit > 2 ** 31 - 1) return false;
    role.attributes.connectionLimit = limit;
    return true;
  }

  /** A comma-separated list of role names. */
  #names(): string[] | null {
    const names: string[] = [];
    for (;;) {
      const name = this.#name();
      if (name === null) return null;
      names.push(name);
      if (this.#tokens[this.#at]?.kind !== 'punct' || this.#text(this.#tokens[this.#at]!) !== ',') return names;
      this.#at++;
    }
  }

  #memberList(name: string, how: 'member-of' | 'members' | 'admin-members'): boolean {
    const names = this.#names();
    if (!names) return false;
    for (const other of names) {
      if (how === 'member-of') this.#addMembership({ role: other, member: name, admin: false, inherit: null, set: null });
      else this.#addMembership({ role: name, member: other, admin: how === 'admin-members', inherit: null, set: null });
    }
    return true;
  }

  #addMembership(membership: RoleMembership): void {
    if (this.#out.memberships.length < MAX_MEMBERSHIPS) this.#out.memberships.push(membership);
  }

  /** GRANT a, b TO c, d [WITH ADMIN OPTION | WITH ADMIN x, INHERIT y, SET z] [GRANTED BY e]: role memberships only (no ON). */
  #grant(): void {
    const roles = this.#names();
    if (!roles || this.#word() !== 'to') return;
    const members = this.#names();
    if (!members) return;
    const options = { admin: false, inherit: null as boolean | null, set: null as boolean | null };
    if (this.#word() === 'with') {
      for (;;) {
        const option = this.#word();
        const value = this.#word();
        if (option === 'admin') options.admin = value === 'option' || value === 'true';
        else if (option === 'inherit') options.inherit = value === 'true';
        else if (option === 'set') options.set = value === 'true';
        if (this.#tokens[this.#at]?.kind !== 'punct' || this.#text(this.#tokens[this.#at]!) !== ',') break;
        this.#at++;
      }
    }
    for (const role of roles) for (const member of members) this.#addMembership({ role, member, ...options });
  }
}

export interface RoleCreation {
  name: string;
  /** What the new role gets: LOGIN/NOLOGIN, INHERIT/NOINHERIT, CONNECTION LIMIT, and the privileged attributes the caller chose. */
  login: boolean;
  inherit: boolean;
  connectionLimit: number;
  privileged: PrivilegedRoleAttribute[];
  /** What the archive gives it that is left out, in words (SUPERUSER, a password, VALID UNTIL, memberships). */
  leftOut: string[];
}

/**
 * The roles to create: only those in `wanted` (missing on the target and needed by the restore)
 * that globals.sql defines. `privileged` keeps, per role, attributes the archive gives it.
 */
export function planRoleCreation(globals: GlobalsRoles, wanted: readonly string[], privileged: Record<string, readonly string[]> = {}): { creations: RoleCreation[]; undefinedRoles: string[] } {
  checkPrivilegedChoice(privileged);
  const defined = globals.roles;
  const creations: RoleCreation[] = [];
  const undefinedRoles: string[] = [];
  for (const name of new Set(wanted)) {
    const role = defined.get(name);
    if (!role) {
      undefinedRoles.push(name);
      continue;
    }
    const chosen = new Set(privileged[name] ?? []);
    const given = PRIVILEGED_ROLE_ATTRIBUTES.filter((attribute) => role.attributes[attribute]);
    const kept = given.filter((attribute) => chosen.has(attribute));
    const leftOut = [
      ...given.filter((attribute) => !chosen.has(attribute)).map((attribute) => attribute.toUpperCase()),
      ...(role.hasPassword ? ['its password'] : []),
      ...(role.attributes.validUntil ? ['VALID UNTIL'] : []),
      ...role.memberships.map((m) => `membership in ${m.role}`),
    ];
    creations.push({ name, login: role.attributes.login, inherit: role.attributes.inherit, connectionLimit: role.attributes.connectionLimit, privileged: kept, leftOut });
  }
  return { creations, undefinedRoles };
}

const MAX_CHOICE_ROLES = 1000;

/** The per-role opt-in is input from the UI or CLI: names must be role names, attributes known ones. */
export function checkPrivilegedChoice(privileged: Record<string, readonly string[]>): void {
  const entries = Object.entries(privileged);
  if (entries.length > MAX_CHOICE_ROLES) throw new LifeboatError('INVALID_INPUT', `Privileged attributes were chosen for ${entries.length} roles; at most ${MAX_CHOICE_ROLES} are accepted.`, 'Choose attributes only for the roles the restore creates.');
  for (const [name, attributes] of entries) {
    if (!name || Buffer.byteLength(name) > 63 || name.includes('\0')) throw new LifeboatError('INVALID_INPUT', `"${name.slice(0, 80)}" is not a role name (1–63 bytes).`, 'Choose attributes only for the roles the restore creates.');
    const unknown = (Array.isArray(attributes) ? attributes : [String(attributes)]).filter((a) => !(PRIVILEGED_ROLE_ATTRIBUTES as readonly string[]).includes(a));
    if (unknown.length) throw new LifeboatError('INVALID_INPUT', `"${unknown[0]!.slice(0, 40)}" is not a role attribute Lifeboat can keep for "${name}".`, `Choose from ${PRIVILEGED_ROLE_ATTRIBUTES.join(', ')}.`);
  }
}
