// Restoring into a database, the part the streamed restore (restore-stream.ts: psql, fed through the
// SQL guard) and the parallel one (restore-parallel.ts: pg_restore -j from a decrypted file) share:
// what they are given, which statements run, which TOC entries, and as whom.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ArchiveWalk } from '../archive/archive-reader.ts';
import type { AgeKeys } from '../crypto/age-decrypt.ts';
import { LifeboatError } from '../errors.ts';
import type { JobContext } from '../jobs/job.ts';
import type { PgTool, Profile } from '../types.ts';
import { dataOnlyDecider, type StatementDecision } from './data-only-filter.ts';
import type { Inspection } from './inspection.ts';
import type { LeastPrivilegeRestore } from './least-privilege-restore.ts';
import { isPrivilegeStatement, roleStatement } from './ownership-statements.ts';
import type { RestoreRequest } from './restore-types.ts';
import type { TocListing } from './toc-listing.ts';
import { TRUST_PHRASE } from './unsafe-statements.ts';

export interface RestoreIntoResult {
  tolerated: string[];
  runner: 'psql' | 'pg_restore';
  walk: ArchiveWalk | null;
  fileSha256: string | null;
}

export interface RestoreIntoOptions {
  request: RestoreRequest;
  profile: Profile;
  password: string | null;
  keys: AgeKeys;
  pgRestore: PgTool;
  psql: PgTool;
  targetMajor: number;
  database: string;
  inspection: Inspection;
  ctx: JobContext;
  fractionStart: number;
  fractionEnd: number;
  createRoles: (globals: string, wanted: string[]) => Promise<void>;
  missingRoles: string[];
  unknownColumnOptions: string[];
  /** Set for files Lifeboat did not make: their SQL runs as this temporary role, ownership statements are held back. */
  restricted: LeastPrivilegeRestore | null;
}

/**
 * What runs of a statement: rows of the chosen tables only (data-only); with "no owner" / "no
 * privileges" not the statements that set them (pg_restore leaves them out of archives itself; this
 * does it for plain SQL files too); in a restricted restore, ownership statements are held for later.
 */
export function statementDecider(request: RestoreRequest, restricted: LeastPrivilegeRestore | null): ((statement: string) => StatementDecision) | undefined {
  if (request.mode === 'data-only') return request.tables?.length ? dataOnlyDecider(request.tables) : undefined;
  if (!restricted && !request.noOwner && !request.noPrivileges) return undefined;
  return (sql) => {
    if (request.noPrivileges && isPrivilegeStatement(sql)) return 'aside';
    const statement = /^ALTER\s/i.test(sql) ? roleStatement(sql) : null;
    if (!statement) return 'keep';
    if (statement.kind === 'owner' && request.noOwner) return 'aside';
    if (restricted) restricted.hold(statement);
    return restricted ? 'aside' : 'keep';
  };
}

/** For a Lifeboat archive's globals: the roles the restore is to create, created once, before the first dump byte. */
export function missingRolesCreator(o: RestoreIntoOptions): (globals: Buffer) => Promise<void> {
  let created = false;
  return async (globals) => {
    if (o.missingRoles.length && !created) {
      created = true;
      await o.createRoles(globals.toString('utf8'), o.missingRoles);
    }
  };
}

/** Parallel pg_restore jobs asked for, within 1–16. */
export function parallelJobs(request: RestoreRequest): number {
  return Math.min(Math.max(Math.round(request.jobs ?? 1), 1), 16);
}

/** Who connects to run or check the file: the temporary role of a restricted restore, else the profile. */
export function runsAs(restricted: LeastPrivilegeRestore | null, profile: Profile, password: string | null): { profile: Profile; password: string | null } {
  return restricted?.connection(profile) ?? { profile, password };
}

/** A restricted restore that failed for want of rights says why it ran restricted and how to choose otherwise. */
export function restrictedHint(error: LifeboatError, restricted: LeastPrivilegeRestore | null): LifeboatError {
  if (!restricted || !/permission denied|must be (superuser|owner|member)|must have|only superuser/i.test(error.message)) return error;
  return new LifeboatError(error.code, error.message, `This file was not made by this Lifeboat, so its SQL ran as a temporary role without superuser rights, and this statement needs more. Nothing was changed: the new database was removed. Restore it with the profile's rights only if you trust where it came from: type "${TRUST_PHRASE}" (CLI: --trust "${TRUST_PHRASE}").`, { cause: error });
}

/** A pg_restore --use-list file: only the chosen tables' entries (data-only) or everything but other tables' data. */
export async function writeTocList(dir: string, toc: TocListing | null, tables: string[] | undefined, dataOnly: boolean, leftOut: string[] = []): Promise<string | null> {
  if ((!tables?.length && !leftOut.length) || !toc) return null;
  const chosen = tables?.length ? new Set(tables) : null;
  const keep = toc.entries.filter((entry) => {
    if (leftOut.includes(entry.type)) return false;
    if (!chosen) return true;
    const isChosen = chosen.has(`${entry.schema}.${entry.name}`);
    if (entry.type === 'TABLE DATA') return isChosen;
    if (dataOnly) return false;
    // Foreign keys may point at tables left empty here; they are left out (and reported).
    return entry.type !== 'FK CONSTRAINT';
  });
  const file = path.join(dir, 'restore.list');
  await writeFile(file, `${keep.map((e) => e.line).join('\n')}\n`, { mode: 0o600 });
  return file;
}
