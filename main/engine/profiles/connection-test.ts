// "Test" on a profile: connect (through its SSH tunnel when it has one), read the server's version
// and the database's size, and name the pg_dump/pg_restore Lifeboat would use. The add/edit form's
// test also lists the server's databases, to pick the profile's database from.
import type pg from 'pg';
import { connectProfile } from '../db/pg-connect.ts';
import { toErrorInfo } from '../errors.ts';
import type { ErrorInfo } from '../model/error.ts';
import type { ConnectionTestResult, Profile, SshSecretInput } from '../model/profile.ts';
import type { ToolResolver } from '../pgtools/tool-resolver.ts';
import { serverMajorOf } from '../pgtools/tool-version.ts';
import type { ConnectTarget } from '../tunnel/connect-target.ts';
import type { Tunnel } from '../tunnel/ssh-route.ts';
import type { TunnelService } from '../tunnel/tunnel-service.ts';

/** More names than anyone picks from: the list is for a picker, not an inventory. */
export const MAX_LISTED_DATABASES = 1000;

export interface ConnectionTestInput {
  profile: Profile;
  password: string | null;
  tools: ToolResolver;
  tunnels: TunnelService;
  acceptHostKeys: readonly string[];
  /** Per SSH hop, instead of the keychain (a route tested before it is saved): see RouteOptions.secrets. */
  sshSecrets?: readonly SshSecretInput[];
  /** Also list the server's databases (the report's `databases`). */
  listDatabases?: boolean;
}

export type DatabaseListResult = { ok: true; databases: string[] } | { ok: false; error: ErrorInfo };

export async function testConnection(input: ConnectionTestInput): Promise<ConnectionTestResult> {
  const { profile, tools } = input;
  return withConnection(input, async (client, { ssl, latencyMs, tunnel }) => {
    const { rows } = await client.query<{ version: string; num: string; size: string }>(
      "SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num, pg_database_size(current_database())::text AS size",
    );
    const row = rows[0]!;
    const serverVersionNum = Number(row.num);
    const serverMajor = serverMajorOf(serverVersionNum);
    const serverVersion = row.version.split(' ')[0]!;
    const [pgDump, pgRestore] = await Promise.all([tools.choose('pg_dump', serverMajor, serverVersion), tools.choose('pg_restore', serverMajor, serverVersion)]);
    return {
      ok: true,
      report: {
        profile: profile.name, host: profile.host, port: profile.port, database: profile.database, user: profile.user,
        serverVersion, serverVersionNum, serverMajor, databaseSizeBytes: Number(row.size), ssl, latencyMs,
        ...tunnelReport(tunnel),
        tools: { pg_dump: pgDump, pg_restore: pgRestore },
        ...(input.listDatabases ? { databases: await connectableDatabases(client) } : {}),
      },
    };
  });
}

/** The server's databases this user may connect to, through the profile's tunnel when it has one. */
export async function listDatabases(input: ConnectionTestInput): Promise<DatabaseListResult> {
  try {
    return { ok: true, databases: await withConnection(input, (client) => connectableDatabases(client)) };
  } catch (error) {
    return { ok: false, error: toErrorInfo(error) };
  }
}

/**
 * Names only, templates left out: what a profile's Database field may name. Not server-run's
 * listServerDatabases (sizes, templates, for resolving a scope): server-run builds on profiles/.
 */
async function connectableDatabases(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT datname AS name FROM pg_database
      WHERE datallowconn AND NOT datistemplate AND has_database_privilege(oid, 'CONNECT')
      ORDER BY datname LIMIT ${MAX_LISTED_DATABASES}`,
  );
  return rows.map((r) => r.name);
}

interface Connected {
  ssl: boolean;
  latencyMs: number;
  tunnel: Tunnel | null;
}

/** Opens the tunnel (when the profile has SSH) and a client, runs `work`, and closes both however it ends. */
async function withConnection<T>(input: ConnectionTestInput, work: (client: pg.Client, connected: Connected) => Promise<T>): Promise<T> {
  const { profile, password } = input;
  const routeOptions = { acceptHostKeys: input.acceptHostKeys, ...(input.sshSecrets ? { secrets: input.sshSecrets } : {}) };
  const tunnel = profile.ssh ? await input.tunnels.open(profile, routeOptions) : null;
  try {
    const target: ConnectTarget = tunnel ? { ...profile, tunnel: { port: tunnel.port, description: tunnel.description, problem: () => tunnel.problem() } } : profile;
    const started = performance.now();
    const { client, ssl } = await connectProfile(target, password);
    try {
      return await work(client, { ssl, latencyMs: Math.round(performance.now() - started), tunnel });
    } finally {
      await client.end().catch(() => {});
    }
  } finally {
    await tunnel?.close();
  }
}

function tunnelReport(tunnel: Tunnel | null): { tunnel?: Tunnel['report'] } {
  return tunnel ? { tunnel: tunnel.report } : {};
}
