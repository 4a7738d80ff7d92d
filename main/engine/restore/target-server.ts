import { statfs } from 'node:fs/promises';
import type pg from 'pg';
import { connectProfile } from '../db/pg-connect.ts';
import { quoteIdent, quoteLiteral } from '../db/sql-quote.ts';
import { LifeboatError } from '../errors.ts';
import { serverMajorOf } from '../pgtools/tool-version.ts';
import { PRIVILEGED_ROLE_ATTRIBUTES, type RoleCreation } from './role-definitions.ts';
import type { Profile } from '../types.ts';
import { PRIVILEGED_ROLES_SQL, SERVER_REACHING_ROLES } from './least-privilege-sql.ts';
import type { SessionInfo } from '../model/restore.ts';
export type { SessionInfo } from '../model/restore.ts';

export interface TargetFacts {
  serverVersion: string;
  serverMajor: number;
  superuser: boolean;
  canCreateDatabase: boolean;
  roles: Set<string>;
  availableExtensions: Set<string>;
  currentUser: string;
  /** Roles with rights beyond one database (least-privilege-restore.ts): never given a stranger's objects. */
  privilegedRoles: Set<string>;
  /** Roles that can log in: a stranger's objects go to them only never (their code would act as a user). */
  loginRoles: Set<string>;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1']);

/** A connection to the target server's maintenance database, for creating, renaming and dropping databases. */
export class TargetServer {
  readonly client: pg.Client;
  readonly database: string;
  readonly #profile: Profile;

  private constructor(client: pg.Client, database: string, profile: Profile) {
    this.client = client;
    this.database = database;
    this.#profile = profile;
  }

  /** Prefers the "postgres" database, so the profile's own database can be renamed or dropped. */
  static async connect(profile: Profile, password: string | null): Promise<TargetServer> {
    for (const database of [...new Set(['postgres', profile.database, 'template1'])]) {
      try {
        const { client } = await connectProfile({ ...profile, database }, password);
        return new TargetServer(client, database, profile);
      } catch (error) {
        if ((error as { code?: string }).code !== 'DATABASE_NOT_FOUND' && (error as { code?: string }).code !== 'ACCESS_DENIED') throw error;
      }
    }
    const { client } = await connectProfile(profile, password);
    return new TargetServer(client, profile.database, profile);
  }

  async facts(): Promise<TargetFacts> {
    const { rows } = await this.client.query<{ version: string; num: string; superuser: boolean; createdb: boolean; me: string }>(
      "SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num, rolsuper AS superuser, rolcreatedb AS createdb, current_user AS me FROM pg_roles WHERE rolname = current_user",
    );
    const row = rows[0]!;
    const roleRows = (await this.client.query<{ rolname: string; login: boolean }>('SELECT rolname, rolcanlogin AS login FROM pg_catalog.pg_roles')).rows;
    const roles = new Set(roleRows.map((r) => r.rolname));
    const loginRoles = new Set(roleRows.filter((r) => r.login).map((r) => r.rolname));
    const extensions = new Set((await this.client.query<{ name: string }>('SELECT name FROM pg_available_extensions')).rows.map((r) => r.name));
    const privilegedRoles = new Set((await this.client.query<{ rolname: string }>(PRIVILEGED_ROLES_SQL, [SERVER_REACHING_ROLES])).rows.map((r) => r.rolname));
    return {
      serverVersion: row.version.split(' ')[0]!,
      serverMajor: serverMajorOf(Number(row.num)),
      superuser: row.superuser,
      canCreateDatabase: row.superuser || row.createdb,
      roles,
      availableExtensions: extensions,
      currentUser: row.me,
      privilegedRoles,
      loginRoles,
    };
  }

  /** Which of the given column options this server rejects (tried in a transaction that is rolled back). */
  async unknownColumnOptions(options: readonly string[]): Promise<string[]> {
    const unknown: string[] = [];
    for (const option of options) {
      await this.client.query('BEGIN');
      try {
        await this.client.query('CREATE TEMP TABLE lifeboat_probe (a int)');
        await this.client.query(`ALTER TABLE lifeboat_probe ALTER COLUMN a SET (${option} = 1)`);
      } catch {
        unknown.push(option);
      } finally {
        await this.client.query('ROLLBACK');
      }
    }
    return unknown;
  }

  /** The databases a restore may replace or add rows to: those that accept connections, templates left out. */
  async databases(): Promise<string[]> {
    const { rows } = await this.client.query<{ name: string }>('SELECT datname AS name FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname');
    return rows.map((r) => r.name);
  }

  async exists(database: string): Promise<boolean> {
    const { rows } = await this.client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    return rows.length > 0;
  }

  async owner(database: string): Promise<string | null> {
    const { rows } = await this.client.query<{ owner: string }>('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [database]);
    return rows[0]?.owner ?? null;
  }

  async databaseSize(database: string): Promise<number | null> {
    const { rows } = await this.client.query<{ size: string }>('SELECT pg_database_size(datname)::text AS size FROM pg_database WHERE datname = $1', [database]).catch(() => ({ rows: [] as { size: string }[] }));
    return rows[0] ? Number(rows[0].size) : null;
  }

  async sessions(database: string): Promise<SessionInfo[]> {
    const { rows } = await this.client.query<{ pid: number; usename: string | null; client: string | null; application_name: string; state: string | null; since: Date | null }>(
      `SELECT pid, usename, coalesce(client_hostname, host(client_addr), 'local socket') AS client, application_name, state, backend_start AS since
         FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend' ORDER BY backend_start`,
      [database],
    );
    return rows.map((r) => ({ pid: r.pid, user: r.usename ?? '?', client: r.client ?? '?', application: r.application_name || '—', state: r.state ?? '?', since: r.since ? r.since.toISOString() : null }));
  }

  async terminateSessions(database: string): Promise<number> {
    const { rows } = await this.client.query<{ ok: boolean }>("SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'", [database]);
    for (let i = 0; i < 50 && (await this.sessions(database)).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    return rows.filter((r) => r.ok).length;
  }

  async createDatabase(name: string): Promise<void> {
    await this.client.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`);
  }

  async databaseOid(name: string): Promise<number | null> {
    const { rows } = await this.client.query<{ oid: number }>('SELECT oid::int AS oid FROM pg_database WHERE datname = $1', [name]);
    return rows[0]?.oid ?? null;
  }

  async dropDatabase(name: string): Promise<void> {
    await this.terminateSessions(name);
    await this.client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
  }

  async renameDatabase(from: string, to: string): Promise<void> {
    await this.client.query(`ALTER DATABASE ${quoteIdent(from)} RENAME TO ${quoteIdent(to)}`);
  }

  async allowConnections(database: string, allow: boolean): Promise<void> {
    await this.client.query(`ALTER DATABASE ${quoteIdent(database)} WITH ALLOW_CONNECTIONS ${allow ? 'true' : 'false'}`);
  }

  /** Free bytes where the server keeps its data, when the server runs on this computer and says where. */
  async freeSpace(): Promise<{ bytes: number; where: string } | null> {
    // Through SSH, "localhost" is the bastion's, not this computer's.
    if (this.#profile.ssh || (!LOCAL_HOSTS.has(this.#profile.host) && !this.#profile.host.startsWith('/'))) return null;
    try {
      const { rows } = await this.client.query<{ dir: string }>("SELECT current_setting('data_directory') AS dir");
      const info = await statfs(rows[0]!.dir);
      return { bytes: info.bavail * info.bsize, where: rows[0]!.dir };
    } catch {
      return null; // not a superuser / pg_read_all_settings, or the folder is not readable from here
    }
  }

  /**
   * Creates the roles in one transaction, each with only what `RoleCreation` allows (never a
   * password). A role that exists by now is left alone and not reported as created, so a failed
   * restore never drops a role it did not make.
   */
  async createRoles(creations: readonly RoleCreation[]): Promise<string[]> {
    const created: string[] = [];
    await this.client.query('BEGIN');
    try {
      for (const role of creations) {
        const { rows } = await this.client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role.name]);
        if (rows.length) continue;
        await this.client.query(createRoleSql(role)).catch((error: Error) => {
          throw new LifeboatError('RESTORE_FAILED', `Could not create the role "${role.name}": ${error.message}.`, 'Create the role on the target yourself (or let a superuser do it), or restore with "no owner" and "no privileges".', { cause: error });
        });
        created.push(role.name);
      }
      await this.client.query('COMMIT');
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => {});
      throw error;
    }
    return created;
  }

  /** DROP ROLE for each: the server refuses while a role owns anything or holds privileges anywhere, and that refusal is kept. */
  async dropRoles(names: readonly string[]): Promise<{ name: string; reason: string }[]> {
    const left: { name: string; reason: string }[] = [];
    for (const name of names) {
      await this.client.query(`DROP ROLE IF EXISTS ${quoteIdent(name)}`).catch((error: Error) => left.push({ name, reason: error.message }));
    }
    return left;
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }
}

/** CREATE ROLE from Lifeboat's own words: the name is quoted, every attribute is one of a fixed set. */
export function createRoleSql(role: RoleCreation): string {
  const limit = Number.isInteger(role.connectionLimit) && role.connectionLimit >= -1 ? role.connectionLimit : -1;
  const privileged = PRIVILEGED_ROLE_ATTRIBUTES.filter((attribute) => role.privileged.includes(attribute)).map((a) => a.toUpperCase());
  return `CREATE ROLE ${quoteIdent(role.name)} WITH ${role.login ? 'LOGIN' : 'NOLOGIN'} ${role.inherit ? 'INHERIT' : 'NOINHERIT'} CONNECTION LIMIT ${limit}${privileged.map((a) => ` ${a}`).join('')}`;
}

export { quoteIdent, quoteLiteral };
