// The replace's last step: the verified copy takes the target's name by renames, and the previous
// database is kept as "<name>_before_restore_<stamp>".
import { LifeboatError } from '../errors.ts';
import type { JobContext } from '../jobs/job.ts';
import type { RestoreChanges } from './restore-cleanup.ts';
import { derivedName } from './restore-names.ts';
import type { TargetServer } from './target-server.ts';

/** Swaps the restored copy `into` in for `database` (recorded in `changes`); returns the kept name and how many sessions were ended. */
export async function swapRestoredIn(server: TargetServer, ctx: JobContext, database: string, into: string, stamp: string, changes: RestoreChanges): Promise<{ keptDatabase: string; endedSessions: number }> {
  ctx.report({ phase: 'Swapping', fraction: 0.96, message: `Switching "${database}" to the restored copy`, etaSeconds: null });
  const keptDatabase = derivedName(database, `_before_restore_${stamp}`);
  ctx.signal.throwIfAborted();
  const endedSessions = await swapIn(server, into, database, keptDatabase);
  changes.swapped = true;
  await server.allowConnections(database, true);
  await server.allowConnections(keptDatabase, true).catch(() => {});
  return { keptDatabase, endedSessions };
}

/**
 * The verified copy takes the target's name, the target is kept under `kept`. New sessions are
 * blocked on both first, so nobody slips in between ending sessions and the renames; a failed
 * rename leaves (or puts back) the original under its name. Returns how many sessions were ended.
 */
async function swapIn(server: TargetServer, into: string, database: string, kept: string): Promise<number> {
  await server.allowConnections(into, false);
  await server.terminateSessions(into);
  await server.allowConnections(database, false);
  let ended: number;
  try {
    ended = await server.terminateSessions(database);
    await server.renameDatabase(database, kept);
  } catch (error) {
    await server.allowConnections(database, true).catch(() => {});
    throw new LifeboatError('RESTORE_FAILED', `The swap could not rename "${database}": ${(error as Error).message}`, 'Nothing was swapped; the database is unchanged. Retry when its sessions have ended.', { cause: error });
  }
  try {
    await server.renameDatabase(into, database);
  } catch (error) {
    await server.renameDatabase(kept, database).catch(() => {});
    await server.allowConnections(database, true).catch(() => {});
    throw new LifeboatError('RESTORE_FAILED', `The restored copy could not take the name "${database}": ${(error as Error).message}`, 'Nothing was swapped; the original database is back under its name.', { cause: error });
  }
  return ended;
}
