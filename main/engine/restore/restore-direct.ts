// The direct restore: a Lifeboat archive whose statements run as its own (this Lifeboat's archive, or
// the user typed their trust) and unrestricted streams its dump into `pg_restore --dbname` — which
// sends the archive's definitions and COPY data to the server itself — instead of printing it as SQL
// for the guard and psql to parse again (on two cores, that parsing took as much CPU as the server).
// The guard's job here is done before: the preflight checked every definition in the table of
// contents (a custom-format dump holds no other SQL; its data section is COPY rows). What psql's
// single transaction gave, --single-transaction gives: one error ends it, and the last chunk of the
// dump reaches pg_restore only once the archive's walk has checked every checksum, so a damaged
// archive is never committed. The new database is dropped on failure, as with every restore.
import { createHash, type Hash } from 'node:crypto';
import { walkPlaintext, type ArchiveWalk } from '../archive/archive-reader.ts';
import { LifeboatError } from '../errors.ts';
import { dbnameConninfo, libpqEnvironment } from '../pgtools/libpq-env.ts';
import { startTool, toolErrorSummary, type ToolProcess } from '../pgtools/tool-process.ts';
import { runsTrusted } from './restore-inspect.ts';
import { missingRolesCreator, parallelJobs, type RestoreIntoOptions, type RestoreIntoResult } from './restore-into.ts';
import type { OpenedSource } from './restore-source.ts';
import { openCheckedSource, pgRestoreProgressLine, sameBytesAsChecked, StreamProgress, writeTo } from './restore-stream.ts';

/** Whether this restore can go straight into pg_restore: see above; everything else takes the guarded stream into psql. */
export function restoresDirectly(o: RestoreIntoOptions): boolean {
  const { request, inspection } = o;
  return inspection.inner === 'lifeboat-tar' && (request.mode === 'new' || request.mode === 'replace') && !o.restricted && runsTrusted(inspection, request)
    && !request.tables?.length && parallelJobs(request) === 1
    // Statements the stream skips would end pg_restore's transaction: settings an older server rejects
    // (a newer pg_dump writes them, pg_restore 17+ sends transaction_timeout itself), and column
    // options of another build that this server rejects.
    && o.targetMajor >= Math.max(inspection.dumpMajor ?? Number.POSITIVE_INFINITY, o.pgRestore.major)
    && !o.unknownColumnOptions.some((option) => inspection.columnOptions?.includes(option) ?? true);
}

export async function restoreDirect(o: RestoreIntoOptions): Promise<RestoreIntoResult> {
  const { ctx } = o;
  const progress = new StreamProgress(o);
  const fileHash = createHash('sha256');
  const source = await openCheckedSource(o, fileHash, progress);
  try {
    const libpq = await libpqEnvironment(o.profile, o.password, o.database);
    try {
      const proc = startPgRestore(o, libpq.env, progress);
      const [walked, exited] = await Promise.allSettled([walkInto(o, source, proc, fileHash), proc.exited]);
      ctx.signal.throwIfAborted();
      // Damage found while reading says most; pg_restore's own error otherwise.
      if (walked.status === 'rejected' && walked.reason !== PG_RESTORE_ENDED) throw walked.reason;
      if (exited.status === 'rejected') throw exited.reason;
      if (exited.value.code !== 0) {
        throw new LifeboatError('RESTORE_FAILED', `pg_restore failed: ${toolErrorSummary(exited.value.errors)}`, 'Nothing was changed: the new database was removed. Check the message (a missing role or extension can be handled in the checklist).');
      }
      if (walked.status === 'rejected') throw new LifeboatError('RESTORE_FAILED', 'pg_restore ended before the archive was read to its end, so it was not checked whole.', 'Nothing was changed: the new database was removed. Restore it again; if this repeats, the archive may be damaged.');
      return { tolerated: [], runner: 'pg_restore', walk: walked.value, fileSha256: fileHash.digest('hex') };
    } finally {
      await libpq.dispose();
    }
  } finally {
    await source.close();
  }
}

function startPgRestore(o: RestoreIntoOptions, env: NodeJS.ProcessEnv, progress: StreamProgress): ToolProcess {
  const { request } = o;
  const proc = startTool({
    path: o.pgRestore.path,
    // --dbname is expanded as a connection string when it looks like one: pass the name quoted.
    args: ['--verbose', '--no-password', '--single-transaction', `--dbname=${dbnameConninfo(o.database)}`, ...(request.noOwner ? ['--no-owner'] : []), ...(request.noPrivileges ? ['--no-privileges'] : [])],
    env,
    stdin: 'pipe',
    signal: o.ctx.signal,
    onLine: pgRestoreProgressLine(progress),
  });
  proc.child.stdin!.on('error', () => {}); // EPIPE when pg_restore stops early; its exit status tells why
  return proc;
}

/** The walk stopped because pg_restore had ended: its exit says why. */
const PG_RESTORE_ENDED = new Error('pg_restore ended');

/**
 * The archive walked (and checked) into pg_restore's input. One chunk is always held back, and the
 * last one goes only after the walk verified everything: pg_restore cannot finish its transaction
 * before the archive is known to be whole. On damage or cancel, pg_restore is killed (the server
 * rolls back).
 */
async function walkInto(o: RestoreIntoOptions, source: OpenedSource, proc: ToolProcess, fileHash: Hash): Promise<ArchiveWalk> {
  let held: Buffer | null = null;
  try {
    const walk = await walkPlaintext(source.stream!, {
      signal: o.ctx.signal,
      onGlobals: missingRolesCreator(o),
      onDump: async (chunk) => {
        // pg_restore gone (an error, say): reading on would only delay its message.
        if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw PG_RESTORE_ENDED;
        if (held) await writeTo(proc, held);
        // Safe to hold past the next read: the decipher hands out a new buffer each time.
        held = chunk;
      },
    });
    // The bytes read are the ones the check before vouched for (the walk reads the file to its end).
    sameBytesAsChecked(o, fileHash);
    if (held) await writeTo(proc, held);
    proc.child.stdin!.end();
    return walk;
  } catch (error) {
    if (error !== PG_RESTORE_ENDED) proc.kill();
    throw error;
  }
}
