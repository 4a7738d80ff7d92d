// Least privilege for files Lifeboat did not make: their SQL runs as a temporary login role that is
// not a superuser, may not create roles or databases, is a member of no role, and owns only the new
// database (so it may create schemas, objects and trusted extensions in it, and nothing else). It
// cannot run programs or read files on the database server (COPY … PROGRAM, untrusted languages,
// pg_read_file…), touch other databases or change roles, whatever the file holds or hides in
// function bodies.
//
// The dump's ownership statements (ownership-statements.ts) are held back and run afterwards by the
// profile's role in the new database, so objects end up with the owners the dump names — except
// privileged roles (superusers, roles that can create roles, replicate, bypass row security or
// run programs and read files on the server): a stranger's function owned by one would run with
// those rights whenever called (by autovacuum, for an index expression, or as SECURITY DEFINER).
// Those objects, and the ones "no owner" leaves unassigned, go to the stand-in role
// lifeboat_restored, which has no rights at all.
import { formatBytes } from '../format-bytes.ts';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import type pg from 'pg';
import { connectProfile } from '../db/pg-connect.ts';
import { LifeboatError } from '../errors.ts';
import type { Profile } from '../types.ts';
import { withRoles, type RoleStatement } from './ownership-statements.ts';
import { quoteIdent, quoteLiteral, type TargetServer } from './target-server.ts';
import { PRIVILEGED_ROLES_SQL, SERVER_REACHING_ROLES, STAND_IN_OWNER } from './least-privilege-sql.ts';

export { STAND_IN_OWNER };

export const RESTORE_ROLE_PREFIX = 'lifeboat_restore_';
/** Most held-back ownership statements (and their bytes): pg_dump writes one per object. */
const MAX_HELD = 2_000_000;
const MAX_HELD_BYTES = 256 * 1024 * 1024;

/**
 * A SCRAM-SHA-256 verifier (RFC 7677, as PostgreSQL stores it): the server takes a pre-hashed
 * password as is, so the password itself never reaches the server or its log.
 */
export function scramVerifier(password: string, iterations = 4096): string {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();
  const storedKey = createHash('sha256').update(hmac(salted, 'Client Key')).digest();
  const serverKey = hmac(salted, 'Server Key');
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

export class LeastPrivilegeRestore {
  readonly role: string;
  readonly #password: string;
  readonly #held: RoleStatement[] = [];
  #heldBytes = 0;

  private constructor(role: string, password: string) {
    this.role = role;
    this.#password = password;
  }

  /**
   * Creates the temporary role (valid for a day, in case Lifeboat cannot drop it) and gives it the
   * new database. Needs a superuser profile.
   */
  static async begin(server: TargetServer, admin: { profile: Profile; password: string | null }, database: string, connections: number): Promise<LeastPrivilegeRestore> {
    const role = `${RESTORE_ROLE_PREFIX}${randomBytes(6).toString('hex')}`;
    const password = randomBytes(24).toString('base64url');
    const until = new Date(Date.now() + 24 * 3600_000).toISOString();
    await server.client.query(`CREATE ROLE ${quoteIdent(role)} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT NOREPLICATION NOBYPASSRLS CONNECTION LIMIT ${connections} PASSWORD ${quoteLiteral(scramVerifier(password))} VALID UNTIL ${quoteLiteral(until)}`);
    const restore = new LeastPrivilegeRestore(role, password);
    try {
      await server.client.query(`COMMENT ON ROLE ${quoteIdent(role)} IS 'Lifeboat: runs one restore of a file Lifeboat did not make; dropped when it ends'`);
      await server.client.query(`ALTER DATABASE ${quoteIdent(database)} OWNER TO ${quoteIdent(role)}`);
      await giveOldPublicSchema(admin, database, role);
    } catch (error) {
      await restore.discard(server);
      throw error;
    }
    return restore;
  }

  /** How psql and pg_restore connect: the profile's server, as the temporary role. */
  connection(profile: Profile): { profile: Profile; password: string } {
    return { profile: { ...profile, user: this.role }, password: this.#password };
  }

  /** Keeps an ownership statement for later (they arrive in dump order, which is the order they must run in). */
  hold(statement: RoleStatement): void {
    this.#heldBytes += statement.sql.length;
    if (this.#held.length >= MAX_HELD || this.#heldBytes > MAX_HELD_BYTES) {
      throw new LifeboatError('INVALID_INPUT', `The file sets the owners of more than ${MAX_HELD.toLocaleString('en')} objects (or ${formatBytes(MAX_HELD_BYTES, { binary: true })} of such statements); Lifeboat does not hold that many.`, 'Restore with "no owner", or, if you trust where the file came from, type the trust phrase.');
    }
    this.#held.push(statement);
  }

  get held(): readonly RoleStatement[] {
    return this.#held;
  }

  /**
   * Once the file's SQL has run (and been checked as this role): the role can no longer log in and
   * its sessions end, and whatever the file set on its database (search_path, preload libraries,
   * per-role settings there) is reset — the profile's role is about to work inside that database.
   */
  async lockDown(server: TargetServer, database: string): Promise<void> {
    await server.client.query(`ALTER ROLE ${quoteIdent(this.role)} WITH NOLOGIN PASSWORD NULL`);
    await server.client.query('SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE usename = $1 AND pid <> pg_catalog.pg_backend_pid()', [this.role]);
    await server.client.query(`ALTER DATABASE ${quoteIdent(database)} RESET ALL`);
    const { rows } = await server.client.query<{ role: string | null }>(
      'SELECT CASE WHEN s.setrole = 0 THEN NULL ELSE r.rolname END AS role FROM pg_catalog.pg_db_role_setting s JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.setrole WHERE d.datname = $1',
      [database],
    );
    for (const { role } of rows) await server.client.query(`ALTER ROLE ${role === null ? 'ALL' : quoteIdent(role)} IN DATABASE ${quoteIdent(database)} RESET ALL`);
  }

  /**
   * As the profile's role, in the restored database: the held statements — each allowed to change
   * the owner of objects this role owns and nothing else (checked against the catalogs before the
   * transaction commits) — then the database back to the profile's role, everything else this role
   * owns to the stand-in, and the role is dropped. Owners the file names are kept only when the user
   * chose to keep them, and never privileged roles, predefined pg_* roles or roles that can log in.
   */
  async finish(server: TargetServer, admin: { profile: Profile; password: string | null }, database: string, options: { keepOwners: boolean }): Promise<{ standIn: string[] }> {
    const kept = options.keepOwners ? await keepableOwners(server.client) : new Set<string>();
    const mapped = new Set<string>();
    const target = (role: string) => {
      if (kept.has(role)) return role;
      mapped.add(role);
      return STAND_IN_OWNER;
    };
    const client = await connectToRestored(admin.profile, admin.password, database);
    try {
      await client.query('BEGIN');
      await ensureStandIn(client);
      await snapshotOwners(client, this.role);
      // The file's unqualified names are in public; pg_catalog first, so no look-alike there is chosen.
      await client.query('SET LOCAL search_path = pg_catalog, public');
      for (const statement of this.#held) await runHeld(client, withRoles(statement, target));
      await client.query('SET LOCAL search_path = pg_catalog, pg_temp');
      await assertOnlyOwnObjectsChanged(client);
      await client.query(`ALTER DATABASE ${quoteIdent(database)} OWNER TO CURRENT_USER`);
      await client.query(`REASSIGN OWNED BY ${quoteIdent(this.role)} TO ${quoteIdent(STAND_IN_OWNER)}`);
      await client.query(`DROP OWNED BY ${quoteIdent(this.role)}`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      await client.end().catch(() => {});
    }
    await this.discard(server);
    return { standIn: [...mapped] };
  }

  /** Ends the role's sessions and drops it (after its database is gone, or everything was reassigned). */
  async discard(server: TargetServer): Promise<void> {
    await server.client.query(`ALTER ROLE ${quoteIdent(this.role)} WITH NOLOGIN PASSWORD NULL`).catch(() => {});
    await server.client.query('SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity WHERE usename = $1 AND pid <> pg_catalog.pg_backend_pid()', [this.role]).catch(() => {});
    await server.client.query(`DROP ROLE IF EXISTS ${quoteIdent(this.role)}`);
  }
}

/**
 * Before PostgreSQL 15 the new database's public schema belongs to the bootstrap superuser, not to
 * the database's owner (pg_database_owner): it goes to the temporary role like everything else in
 * the new database, so the file's `ALTER SCHEMA public OWNER TO …` is a change of its own object.
 */
async function giveOldPublicSchema(admin: { profile: Profile; password: string | null }, database: string, role: string): Promise<void> {
  const client = await connectToRestored(admin.profile, admin.password, database);
  try {
    const { rows } = await client.query<{ owner: string }>("SELECT pg_catalog.pg_get_userbyid(nspowner) AS owner FROM pg_catalog.pg_namespace WHERE nspname = 'public'");
    if (rows[0] && rows[0].owner !== 'pg_database_owner') await client.query(`ALTER SCHEMA public OWNER TO ${quoteIdent(role)}`);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * A connection to a database whose contents a stranger's file made: names resolve in pg_catalog
 * first and nowhere the file could have put a look-alike (its own schemas, "$user", public).
 */
export async function connectToRestored(profile: Profile, password: string | null, database: string): Promise<pg.Client> {
  const client = await connectWhenFree(profile, password, database);
  try {
    await client.query('SET search_path = pg_catalog, pg_temp');
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
  return client;
}

/**
 * The temporary role may hold exactly as many connections as its restore needs: one that has just
 * ended can still count for a moment (too_many_connections) — wait for it rather than allow more.
 */
export async function connectWhenFree(profile: Profile, password: string | null, database: string): Promise<pg.Client> {
  for (let attempt = 0; ; attempt++) {
    try {
      return (await connectProfile({ ...profile, database }, password)).client;
    } catch (error) {
      const code = (error as { cause?: { code?: string }; code?: string }).cause?.code ?? (error as { code?: string }).code;
      if (attempt >= 50 || (code !== '53300' && !/too many connections/i.test((error as Error).message))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function runHeld(client: pg.Client, sql: string): Promise<void> {
  await client.query(sql).catch((error: Error) => {
    throw new LifeboatError('RESTORE_FAILED', `Setting an owner from the file failed (${sql.slice(0, 160)}): ${error.message}.`, 'Nothing was changed: the new database was removed. A missing role can be created in the checklist, or choose "no owner".', { cause: error });
  });
}

/** Catalogs with an owner column: every object whose owner a held statement could change. */
const OWNED_CATALOGS: [catalog: string, owner: string][] = [
  ['pg_class', 'relowner'], ['pg_proc', 'proowner'], ['pg_type', 'typowner'], ['pg_namespace', 'nspowner'], ['pg_operator', 'oprowner'],
  ['pg_opclass', 'opcowner'], ['pg_opfamily', 'opfowner'], ['pg_collation', 'collowner'], ['pg_conversion', 'conowner'], ['pg_ts_dict', 'dictowner'],
  ['pg_ts_config', 'cfgowner'], ['pg_foreign_data_wrapper', 'fdwowner'], ['pg_foreign_server', 'srvowner'], ['pg_largeobject_metadata', 'lomowner'],
  ['pg_statistic_ext', 'stxowner'], ['pg_publication', 'pubowner'], ['pg_language', 'lanowner'], ['pg_extension', 'extowner'], ['pg_event_trigger', 'evtowner'],
];

const ownersQuery = (role: string | null) => OWNED_CATALOGS.map(([catalog, owner]) =>
  `SELECT '${catalog}'::text AS cat, oid, ${owner}::oid AS owner FROM pg_catalog.${catalog}${role === null ? '' : ` WHERE ${owner} <> (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = ${quoteLiteral(role)})`}`).join(' UNION ALL ');

/** Who owns every object the temporary role does not: none of them may change owner below. */
async function snapshotOwners(client: pg.Client, role: string): Promise<void> {
  await client.query(`CREATE TEMP TABLE lifeboat_owners ON COMMIT DROP AS ${ownersQuery(role)}`);
}

/** A held statement that reached an object the file did not make (a system function, an extension's type) undoes everything. */
async function assertOnlyOwnObjectsChanged(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ cat: string; oid: number }>(`SELECT b.cat, b.oid::int AS oid FROM pg_temp.lifeboat_owners b JOIN (${ownersQuery(null)}) a ON a.cat = b.cat AND a.oid = b.oid WHERE a.owner <> b.owner LIMIT 1`);
  if (!rows[0]) return;
  throw new LifeboatError('RESTORE_FAILED', `An ownership statement of the file changed the owner of an object it did not create (${rows[0].cat} ${rows[0].oid}); Lifeboat refuses it.`, 'Nothing was changed: the new database was removed. Restore with "no owner", or, if you trust where the file came from, type the trust phrase.');
}

/** Roles a stranger's objects may keep as owners when the user chose so: no login, no special rights, not predefined. */
async function keepableOwners(client: pg.Client): Promise<Set<string>> {
  const privileged = await privilegedRoles(client);
  const { rows } = await client.query<{ rolname: string }>("SELECT rolname FROM pg_catalog.pg_roles WHERE NOT rolcanlogin AND rolname NOT LIKE 'pg\\_%'");
  return new Set(rows.map((r) => r.rolname).filter((name) => !privileged.has(name)));
}

export async function privilegedRoles(client: pg.Client): Promise<Set<string>> {
  const { rows } = await client.query<{ rolname: string }>(PRIVILEGED_ROLES_SQL, [SERVER_REACHING_ROLES]);
  return new Set(rows.map((r) => r.rolname));
}

/** Creates the stand-in owner once per server; refuses one of that name that has any rights. */
async function ensureStandIn(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ ok: boolean }>(`SELECT NOT (rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls OR rolcanlogin OR EXISTS (SELECT 1 FROM pg_auth_members WHERE member = r.oid)) AS ok FROM pg_roles r WHERE rolname = $1`, [STAND_IN_OWNER]);
  if (rows[0] && !rows[0].ok) {
    throw new LifeboatError('RESTORE_FAILED', `The role "${STAND_IN_OWNER}" exists on this server with rights (login, attributes or memberships); Lifeboat gives it the objects of files it did not make, so it must have none.`, `Remove its rights (ALTER ROLE ${STAND_IN_OWNER} NOLOGIN NOSUPERUSER …, REVOKE its memberships), or restore with "no owner" as a trusted file.`);
  }
  if (rows[0]) return;
  // Two first restores at once: the other may create it first; then it exists, which is all that matters.
  await client.query('SAVEPOINT lifeboat_stand_in');
  try {
    await client.query(`CREATE ROLE ${quoteIdent(STAND_IN_OWNER)} WITH NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS`);
    await client.query(`COMMENT ON ROLE ${quoteIdent(STAND_IN_OWNER)} IS 'Lifeboat: owns objects restored from files Lifeboat did not make; has no rights of its own'`);
  } catch (error) {
    // 23505: created meanwhile by a transaction still in flight; 42710: created and committed since the check above.
    if (!['23505', '42710'].includes((error as { code?: string }).code ?? '')) throw error;
    await client.query('ROLLBACK TO SAVEPOINT lifeboat_stand_in');
  }
}

/** Temporary roles of restores that ended without dropping them (the server went away): no session, over an hour old. */
export async function sweepRestoreRoles(server: TargetServer): Promise<void> {
  const { rows } = await server.client.query<{ rolname: string }>(
    `SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1) AND rolvaliduntil < now() + interval '23 hours'
        AND NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE usename = rolname)`, [RESTORE_ROLE_PREFIX]).catch(() => ({ rows: [] as { rolname: string }[] }));
  for (const { rolname } of rows) await server.client.query(`DROP ROLE IF EXISTS ${quoteIdent(rolname)}`).catch(() => {});
}
