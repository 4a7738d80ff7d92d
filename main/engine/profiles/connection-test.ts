// "Test" on a profile: connect (through its SSH tunnel when it has one), read the server's version
// and the database's size, and name the pg_dump/pg_restore Lifeboat would use.
import { connectProfile } from '../db/pg-connect.ts';
import type { ConnectionTestResult, Profile } from '../model/profile.ts';
import type { ToolResolver } from '../pgtools/tool-resolver.ts';
import { serverMajorOf } from '../pgtools/tool-version.ts';
import type { ConnectTarget } from '../tunnel/connect-target.ts';
import type { Tunnel } from '../tunnel/ssh-route.ts';
import type { TunnelService } from '../tunnel/tunnel-service.ts';

export interface ConnectionTestInput {
  profile: Profile;
  password: string | null;
  tools: ToolResolver;
  tunnels: TunnelService;
  acceptHostKeys: readonly string[];
}

export async function testConnection(input: ConnectionTestInput): Promise<ConnectionTestResult> {
  const { profile, password, tools } = input;
  const tunnel = profile.ssh ? await input.tunnels.open(profile, { acceptHostKeys: input.acceptHostKeys }) : null;
  try {
    const target: ConnectTarget = tunnel ? { ...profile, tunnel: { port: tunnel.port, description: tunnel.description, problem: () => tunnel.problem() } } : profile;
    const started = performance.now();
    const { client, ssl } = await connectProfile(target, password);
    try {
      const latencyMs = Math.round(performance.now() - started);
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
        },
      };
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
