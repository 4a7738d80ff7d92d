// What a restore changed on the server, and how a failed or cancelled one takes it back: the
// databases it created are dropped (or remembered, to be dropped at the next restore on this server),
// its temporary role discarded, the roles it created dropped — never anything else.
import { quoteIdent } from '../db/sql-quote.ts';
import { LifeboatError, toErrorInfo } from '../errors.ts';
import type { LeastPrivilegeRestore } from './least-privilege-restore.ts';
import type { TargetServer } from './target-server.ts';

/** What this restore has changed so far; the steps record each change as they make it. */
export interface RestoreChanges {
  /** Databases this restore created. */
  created: string[];
  /** Their oids (null when unknown): a database that cannot be dropped now is remembered by it. */
  createdOids: Map<string, number | null>;
  /** Roles this restore made: dropped again when it fails or is cancelled (never any other role). */
  createdRoles: string[];
  /** The temporary role of a least-privilege restore, until the restored database is handed over. */
  restricted: LeastPrivilegeRestore | null;
  /** The restored copy took the target's name: from then on nothing is undone. */
  swapped: boolean;
}

export function noChanges(): RestoreChanges {
  return { created: [], createdOids: new Map(), createdRoles: [], restricted: null, swapped: false };
}

/**
 * Undoes what a failed or cancelled restore changed (nothing once it swapped) and returns the error to
 * throw: `error` itself, or one that says it was cancelled, or what could not be undone and how to.
 * `remember` records a created database that could not be dropped (its oid known).
 */
export async function undoChanges(error: unknown, changes: RestoreChanges, server: TargetServer, signal: AbortSignal, remember: (database: string, oid: number) => void): Promise<unknown> {
  const { created, createdOids, createdRoles, restricted, swapped } = changes;
  const notDropped: string[] = [];
  if (!swapped) {
    for (const name of created) {
      await server.dropDatabase(name).catch(() => {
        notDropped.push(name);
        const oid = createdOids.get(name);
        if (oid) remember(name, oid);
      });
    }
  }
  // After the databases: a role that owned objects in them owns nothing once they are gone.
  if (restricted && !swapped) await restricted.discard(server).catch(() => {});
  const rolesLeft = swapped ? [] : await server.dropRoles(createdRoles).catch((e: Error) => createdRoles.map((name) => ({ name, reason: e.message })));
  const droppedRoles = swapped ? [] : createdRoles.filter((name) => !rolesLeft.some((r) => r.name === name));
  let failure: unknown = error;
  if (notDropped.length) failure = leftoverError(error, notDropped, signal.aborted);
  else if (signal.aborted) failure = new LifeboatError('CANCELLED', `The restore was cancelled; ${created.length ? `the database it created was removed and ` : ''}${droppedRoles.length ? `the roles it created (${droppedRoles.join(', ')}) were dropped and ` : ''}nothing else was changed.`, undefined, { cause: error });
  return rolesLeft.length ? rolesLeftError(failure, rolesLeft) : failure;
}

/** The restore failed and roles it created could not be dropped (they own something, or the server went away). */
function rolesLeftError(error: unknown, left: { name: string; reason: string }[]): LifeboatError {
  const info = toErrorInfo(error);
  const list = left.map((r) => `"${r.name}" (${r.reason.replace(/\.$/, '')})`).join(', ');
  return new LifeboatError(error instanceof LifeboatError ? error.code : 'RESTORE_FAILED',
    `${info.message.replace(/\.$/, '')}. The roles this restore created could not be dropped again: ${list}.`,
    `${info.fix ? `${info.fix} ` : ''}Move or drop what they own (REASSIGN OWNED / DROP OWNED), then run: ${left.map((r) => `DROP ROLE ${quoteIdent(r.name)};`).join(' ')}`,
    { cause: error });
}

/** The restore failed and the database it created could not be dropped (the server went away). */
function leftoverError(error: unknown, names: string[], cancelled: boolean): LifeboatError {
  const info = toErrorInfo(error);
  const list = names.map((n) => `"${n}"`).join(', ');
  return new LifeboatError(cancelled ? 'CANCELLED' : error instanceof LifeboatError ? error.code : 'RESTORE_FAILED',
    `${cancelled ? 'The restore was cancelled' : info.message.replace(/\.$/, '')}. The database ${list} that this restore created could not be removed: the server cannot be reached. Nothing else was changed.`,
    `Lifeboat removes it at the next restore on this server; or, once the server is back, run: ${names.map((n) => `DROP DATABASE ${quoteIdent(n)};`).join(' ')}`,
    { cause: error });
}
