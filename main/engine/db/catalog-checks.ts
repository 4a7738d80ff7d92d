// Catalog queries shared by the backup (what the manifest promises) and the drill (what a restore
// brought back): schema object counts and a canary query's value.
import type pg from 'pg';
import type { ObjectCounts } from '../model/archive.ts';

const USER_SCHEMA = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast' AND n.nspname !~ '^pg_temp'";
const NOT_EXTENSION = (catalog: string, oid: string) => `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '${catalog}'::regclass AND d.objid = ${oid} AND d.deptype = 'e')`;

/** Schema objects a restore must bring back (extension members excluded: the extension recreates them). */
export async function countObjects(client: pg.Client): Promise<ObjectCounts> {
  const { rows } = await client.query<Record<keyof ObjectCounts, string>>(`
    SELECT count(*) FILTER (WHERE c.relkind IN ('r', 'p'))::text AS tables,
           count(*) FILTER (WHERE c.relkind = 'v')::text AS views,
           count(*) FILTER (WHERE c.relkind = 'm')::text AS "materializedViews",
           count(*) FILTER (WHERE c.relkind = 'S')::text AS sequences,
           count(*) FILTER (WHERE c.relkind IN ('i', 'I'))::text AS indexes,
           (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ${USER_SCHEMA} AND ${NOT_EXTENSION('pg_proc', 'p.oid')})::text AS functions
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE ${USER_SCHEMA} AND ${NOT_EXTENSION('pg_class', 'c.oid')}`);
  const row = rows[0]!;
  return { tables: Number(row.tables), views: Number(row.views), materializedViews: Number(row.materializedViews), sequences: Number(row.sequences), indexes: Number(row.indexes), functions: Number(row.functions) };
}

/**
 * The first column of the first row, as text (null for no rows or NULL). `singleStatement`: through
 * the extended protocol, which refuses a string of several statements ("SELECT 1; COMMIT; …").
 */
export async function canaryValue(client: pg.Client, sql: string, options: { singleStatement?: boolean } = {}): Promise<string | null> {
  const config: pg.QueryArrayConfig = { text: sql, rowMode: 'array', ...(options.singleStatement ? { queryMode: 'extended' } : {}) };
  const result = await client.query(config);
  const value = (result.rows[0] as unknown[] | undefined)?.[0];
  if (value === undefined || value === null) return null;
  return value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value);
}
