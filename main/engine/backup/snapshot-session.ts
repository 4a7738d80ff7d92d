import { canaryValue, countObjects } from '../db/catalog-checks.ts';
import { quoteIdent, quoteLiteral } from '../db/sql-quote.ts';
import type pg from 'pg';
import { connectProfile } from '../db/pg-connect.ts';
import type { CanaryQuery, CanaryResult, ManifestTable, ObjectCounts, TableRowCount } from '../archive/archive-format.ts';
import type { Profile } from '../types.ts';

export interface LiveTable extends ManifestTable {
  oid: number;
}

/**
 * A REPEATABLE READ transaction whose snapshot is exported, so pg_dump (--snapshot) and the row
 * counter see exactly the same data. Held open until the backup ends. Falls back, with a note,
 * where snapshots cannot be exported (e.g. behind a transaction pooler).
 */
export class SnapshotSession {
  readonly client: pg.Client;
  readonly snapshotId: string | null;
  readonly note: string | null;

  private constructor(client: pg.Client, snapshotId: string | null, note: string | null) {
    this.client = client;
    this.snapshotId = snapshotId;
    this.note = note;
  }

  static async open(profile: Profile, password: string | null): Promise<SnapshotSession> {
    const { client } = await connectProfile(profile, password);
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      try {
        const { rows } = await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
        return new SnapshotSession(client, rows[0]!.id, null);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
        const reason = error instanceof Error ? error.message : String(error);
        return new SnapshotSession(client, null, `The server could not export a snapshot (${reason}); pg_dump took its own, so row counts were taken in a separate snapshot and may differ slightly from the dump.`);
      }
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
  }

  async serverVersion(): Promise<{ version: string; versionNum: number }> {
    const { rows } = await this.client.query<{ version: string; num: string }>("SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num");
    return { version: rows[0]!.version.split(' ')[0]!, versionNum: Number(rows[0]!.num) };
  }

  /** Every table pg_dump will dump data for (extension-owned tables excluded), in the snapshot. */
  async tables(): Promise<LiveTable[]> {
    const { rows } = await this.client.query<{ oid: number; schema: string; name: string; kind: 'r' | 'p' | 'm'; bytes: string; rows: string }>(`
      SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relkind AS kind,
             pg_table_size(c.oid)::text AS bytes, greatest(c.reltuples, 0)::bigint::text AS rows
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p', 'm') AND c.relpersistence <> 't'
         AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
         AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
       ORDER BY 2, 3`);
    return rows.map((row) => ({ oid: row.oid, schema: row.schema, name: row.name, kind: row.kind, estimatedBytes: Number(row.bytes), estimatedRows: Number(row.rows) }));
  }

  async objectCounts(): Promise<ObjectCounts> {
    return countObjects(this.client);
  }

  /** Runs each canary in the snapshot; a failing one is recorded, not fatal (savepoints keep the transaction). */
  async canaries(queries: CanaryQuery[]): Promise<CanaryResult[]> {
    const results: CanaryResult[] = [];
    for (const query of queries) {
      await this.client.query('SAVEPOINT lifeboat_canary');
      try {
        await this.client.query("SET LOCAL statement_timeout = '60s'");
        results.push({ ...query, value: await canaryValue(this.client, query.sql), error: null });
        await this.client.query('RELEASE SAVEPOINT lifeboat_canary');
      } catch (error) {
        await this.client.query('ROLLBACK TO SAVEPOINT lifeboat_canary');
        results.push({ ...query, value: null, error: (error as Error).message });
      }
    }
    return results;
  }

  /** Live COPY progress of the backend pg_dump uses (PostgreSQL 14+), or null. */
  async copyProgress(applicationName: string): Promise<{ relid: number; tuples: number; bytes: number } | null> {
    // Activity statistics are cached per transaction: clear them so each poll sees fresh numbers.
    await this.client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await this.client.query<{ relid: number; tuples: string; bytes: string }>(
      `SELECT p.relid::int AS relid, p.tuples_processed::text AS tuples, p.bytes_processed::text AS bytes
         FROM pg_stat_progress_copy p JOIN pg_stat_activity a ON a.pid = p.pid
        WHERE a.application_name = $1 LIMIT 1`,
      [applicationName],
    );
    const row = rows[0];
    return row ? { relid: row.relid, tuples: Number(row.tuples), bytes: Number(row.bytes) } : null;
  }

  async close(): Promise<void> {
    await this.client.query('COMMIT').catch(() => {});
    await this.client.end().catch(() => {});
  }
}

/** Exact row counts of every plain table, in the given snapshot, on a second connection. */
export async function countRows(profile: Profile, password: string | null, snapshotId: string | null, tables: ManifestTable[], signal: AbortSignal): Promise<TableRowCount[]> {
  const { client } = await connectProfile(profile, password);
  const abort = () => void client.end().catch(() => {});
  signal.addEventListener('abort', abort, { once: true });
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    if (snapshotId) await client.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(snapshotId)}`);
    const counts: TableRowCount[] = [];
    for (const table of tables.filter((t) => t.kind === 'r')) {
      signal.throwIfAborted();
      const { rows } = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ONLY ${quoteIdent(table.schema)}.${quoteIdent(table.name)}`);
      counts.push({ schema: table.schema, name: table.name, rows: Number(rows[0]!.n) });
    }
    await client.query('COMMIT');
    return counts;
  } finally {
    signal.removeEventListener('abort', abort);
    await client.end().catch(() => {});
  }
}
