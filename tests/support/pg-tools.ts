// Runs the bundled PostgreSQL tools in tests, the password in a 0600 passfile (never argv).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { defaultBundledToolsDir } from '../../main/engine/index.ts';
import { libpqEnvironment } from '../../main/engine/pgtools/libpq-env.ts';
import type { Profile } from '../../main/engine/types.ts';
import type { Cluster } from './pg-cluster.ts';

const run = promisify(execFile);

export function bundledTool(name: 'pg_dump' | 'pg_restore' | 'psql' | 'pg_dumpall'): string {
  const dir = defaultBundledToolsDir();
  if (!dir) throw new Error('The bundled PostgreSQL 18 tools are missing: run npm run pg-tools');
  return `${dir}/${name}`;
}

export function clusterProfile(cluster: Cluster, database = 'postgres'): Profile {
  return { id: 'test', name: 'test', host: cluster.host, port: cluster.port, database, user: cluster.user, sslmode: 'disable', color: 'blue', createdAt: '', updatedAt: '' };
}

/** Runs a bundled tool against a cluster database; resolves stdout (as text unless `buffer`). */
export async function runTool(cluster: Cluster, database: string, tool: Parameters<typeof bundledTool>[0], args: string[], options: { shell?: string } = {}): Promise<string> {
  const libpq = await libpqEnvironment(clusterProfile(cluster, database), cluster.password);
  try {
    if (options.shell) {
      const { stdout } = await run('sh', ['-c', options.shell], { env: { ...libpq.env, TOOL: bundledTool(tool) }, maxBuffer: 256 << 20 });
      return stdout;
    }
    const { stdout } = await run(bundledTool(tool), args, { env: libpq.env, maxBuffer: 256 << 20 });
    return stdout;
  } finally {
    await libpq.dispose();
  }
}

/**
 * pg_dump --schema-only text, without what differs on every run: PostgreSQL 18's random \restrict
 * keys, and the pg_attver column option this machine's Debian PostgreSQL 15 stamps on each CREATE.
 */
export async function schemaText(cluster: Cluster, database: string): Promise<string> {
  const text = await runTool(cluster, database, 'pg_dump', ['--schema-only', '--no-password']);
  return text
    .split('\n')
    .filter((line) => !/^\\(un)?restrict /.test(line) && !/ SET \(pg_attver=\d+\);$/.test(line))
    .join('\n');
}

/** Row count and a digest of every table's sorted rows, plus the large objects. */
export async function dataFingerprint(cluster: Cluster, database: string): Promise<Record<string, string>> {
  const tables = await cluster.query<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast' ORDER BY 1`,
    [],
    database,
  );
  const result: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await cluster.query<{ n: string; digest: string | null }>(`SELECT count(*)::text AS n, md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM ${name} t`, [], database);
    result[name] = `${row!.n} rows ${row!.digest ?? '-'}`;
  }
  const [lo] = await cluster.query<{ n: number; digest: string }>(`SELECT count(*)::int AS n, coalesce(md5(string_agg(md5(lo_get(oid)), ',' ORDER BY oid)), '') AS digest FROM pg_largeobject_metadata`, [], database);
  result['(large objects)'] = `${lo!.n} ${lo!.digest}`;
  return result;
}

/**
 * The schema text a least-privilege restore of a stranger's file gives (least-privilege-restore.ts):
 * what the superuser `postgres` owned belongs to the stand-in lifeboat_restored; all else as it was.
 */
export function withStandInOwner(schema: string): string {
  return schema.replace(/ OWNER TO postgres;$/gm, ' OWNER TO lifeboat_restored;').replace(/; Owner: postgres$/gm, '; Owner: lifeboat_restored');
}
