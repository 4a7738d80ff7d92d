// The restore's verification: the restored tables' row counts against those the backup recorded, and
// the caller's own checks (drills), made as the role that restored the database.
import { quoteIdent } from '../db/sql-quote.ts';
import type { ArchiveWalk } from '../archive/archive-reader.ts';
import { LifeboatError } from '../errors.ts';
import type { JobContext } from '../jobs/job.ts';
import type { Profile } from '../types.ts';
import { connectToRestored, type LeastPrivilegeRestore } from './least-privilege-restore.ts';
import type { PreflightOptions } from './restore-inspect.ts';
import { runsAs } from './restore-into.ts';
import type { RestoreRequest, RestoreResult, TableCheck } from './restore-types.ts';

/** The verifying step: row counts, then the request's checkRestored; how long both took. */
export async function verifyRestored(ctx: JobContext, request: RestoreRequest, restored: { database: string; walk: ArchiveWalk | null; restricted: LeastPrivilegeRestore | null; profile: Profile; password: string | null }): Promise<{ verification: RestoreResult['verification']; verifyMs: number }> {
  ctx.report({ phase: 'Verifying', fraction: 0.92, message: 'Comparing row counts', etaSeconds: null });
  const tVerify = performance.now();
  // Whatever reads the restored data runs as the role that restored it: a stranger's view or
  // function called by a check then has that role's rights, never the profile's.
  const checker = runsAs(restored.restricted, restored.profile, restored.password);
  const verification = await verifyRestore(checker.profile, checker.password, restored.database, restored.walk, request.tables);
  await request.checkRestored?.({ ...checker, database: restored.database });
  return { verification, verifyMs: Math.round(performance.now() - tVerify) };
}

async function verifyRestore(profile: Profile, password: string | null, database: string, walk: ArchiveWalk | null, tables: string[] | undefined): Promise<RestoreResult['verification']> {
  const expected = walk?.checksums.rowCounts?.tables.filter((t) => !tables?.length || tables.includes(`${t.schema}.${t.name}`)) ?? [];
  if (!walk?.checksums.rowCounts) return { checked: [], mismatches: [], note: 'The restore finished without errors (this file records no row counts to compare).' };
  if (tables?.length && walk) return { checked: [], mismatches: [], note: 'Rows of the chosen tables were restored without errors.' };
  const client = await connectToRestored(profile, password, database);
  try {
    await client.query('SET default_transaction_read_only = on');
    const checked: TableCheck[] = [];
    for (const table of expected) {
      const name = `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
      // A table the backup recorded but the restore did not create is a mismatch, not a query error;
      // so is a name that is not a table (a view would run whatever it calls).
      const { rows: [found] } = await client.query<{ ok: boolean }>("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class WHERE oid = pg_catalog.to_regclass($1) AND relkind IN ('r', 'p')) AS ok", [name]);
      if (!found?.ok) {
        checked.push({ table: `${table.schema}.${table.name}`, expected: table.rows, actual: 0, missing: true });
        continue;
      }
      const { rows } = await client.query<{ n: string }>(`SELECT pg_catalog.count(*)::text AS n FROM ONLY ${name}`);
      checked.push({ table: `${table.schema}.${table.name}`, expected: table.rows, actual: Number(rows[0]!.n) });
    }
    const mismatches = checked.filter((c) => c.missing || c.expected !== c.actual);
    return { checked, mismatches, note: `${checked.length} tables: row counts equal the backup's${walk.checksums.rowCounts.exact ? ' snapshot' : ''}.` };
  } finally {
    await client.end().catch(() => {});
  }
}

/** The first row-count mismatch, and how many more. */
export function mismatchError(mismatches: TableCheck[], mode: PreflightOptions['mode']): LifeboatError {
  const first = mismatches[0]!;
  return new LifeboatError('VERIFY_FAILED', `The restored data does not match the backup: ${first.table} ${first.missing ? 'is missing' : `has ${first.actual} rows`}, the backup recorded ${first.expected}${first.missing ? ' rows' : ''}${mismatches.length > 1 ? ` (and ${mismatches.length - 1} more tables differ)` : ''}.`, mode === 'replace' ? 'Nothing was swapped: the database is unchanged. Use another backup.' : 'The new database was removed. Use another backup.');
}
