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
  static async begin(server: TargetServer, database: string, connections: number): Promise<LeastPrivilegeRestore> {
    const role = `${RESTORE_ROLE_PREFIX}${randomBytes(6).toString('hex')}`;
    const password = randomBytes(24).toString('base64url');
    const until = new Date(Date.now() + 24 * 3600_000).toISOString();
    await server.client.query(`CREATE ROLE ${quoteIdent(role)} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT NOREPLICATION NOBYPASSRLS CONNECTION LIMIT ${connections} PASSWORD ${quoteLiteral(scramVerifier(password))} VALID UNTIL ${quoteLiteral(until)}`);
    const restore = new LeastPrivilegeRestore(role, password);
    try {
      await server.client.query(`COMMENT ON ROLE ${quoteIdent(role)} IS 'Lifeboat: runs one restore of a file Lifeboat did not make; dropped when it ends'`);
      await server.client.query(`ALTER DATABASE ${quoteIdent(database)} OWNER TO ${quoteIdent(role)}`);
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
      throw new LifeboatError('INVALID_INPUT', `The file sets the owners of more than ${MAX_HELD.toLocaleString('en')} objects (or ${MAX_HELD_BYTES / 1024 / 1024} MiB of such statements); Lifeboat does not hold that many.`, 'Restore with "no owner", or, if you trust where the file came from, type the trust phrase.');
    }
    this.#held.push(statement);
  }

  get held(): readonly RoleStatement[] {
    return this.#held;
  }

  /**
   * As the profile's role, in the restored database: the held statements (privileged owners
   * replaced by the stand-in), then the database back to the profile's role and everything still
   * the temporary role's to the stand-in; then the role is dropped.
   */
  async finish(server: TargetServer, admin: { profile: Profile; password: string | null }, database: string): Promise<{ standIn: string[] }> {
    const { client } = await connectProfile({ ...admin.profile, database }, admin.password);
    const mapped = new Set<string>();
    try {
      await client.query('BEGIN');
      const privileged = await privilegedRoles(client);
      const target = (role: string) => {
        if (!privileged.has(role)) return role;
        mapped.add(role);
        return STAND_IN_OWNER;
      };
      await ensureStandIn(client);
      for (const statement of this.#held) {
        const sql = withRoles(statement, target);
        await client.query(sql).catch((error: Error) => {
          throw new LifeboatError('RESTORE_FAILED', `Setting an owner from the file failed (${sql.slice(0, 160)}): ${error.message}.`, 'Nothing was changed: the new database was removed. A missing role can be created in the checklist, or choose "no owner".', { cause: error });
        });
      }
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
    await server.client.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()", [this.role]).catch(() => {});
    await server.client.query(`DROP ROLE IF EXISTS ${quoteIdent(this.role)}`);
  }
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
  await client.query(`CREATE ROLE ${quoteIdent(STAND_IN_OWNER)} WITH NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS`);
  await client.query(`COMMENT ON ROLE ${quoteIdent(STAND_IN_OWNER)} IS 'Lifeboat: owns objects restored from files Lifeboat did not make, in place of privileged roles; has no rights of its own'`);
}

/** Temporary roles of restores that ended without dropping them (the server went away): no session, over an hour old. */
export async function sweepRestoreRoles(server: TargetServer): Promise<void> {
  const { rows } = await server.client.query<{ rolname: string }>(
    `SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1) AND rolvaliduntil < now() + interval '23 hours'
        AND NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE usename = rolname)`, [RESTORE_ROLE_PREFIX]).catch(() => ({ rows: [] as { rolname: string }[] }));
  for (const { rolname } of rows) await server.client.query(`DROP ROLE IF EXISTS ${quoteIdent(rolname)}`).catch(() => {});
}
