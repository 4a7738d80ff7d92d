// The streamed restore: the file is read once, start to end — through pg_restore for archives (fed the
// dump, or reading a dump folder) — and its SQL goes through the guard into psql, whose input is
// closed (COMMIT) only when every producer finished cleanly.
import { createHash, type Hash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { walkPlaintext, type ArchiveWalk } from '../archive/archive-reader.ts';
import { LifeboatError } from '../errors.ts';
import { RateMeter } from '../jobs/job.ts';
import { makePrivateTemp } from '../jobs/private-temp.ts';
import { libpqEnvironment } from '../pgtools/libpq-env.ts';
import { drainOrExit, startTool, toolErrorSummary, type ToolProcess } from '../pgtools/tool-process.ts';
import { assertSameFile, runsTrusted } from './restore-inspect.ts';
import { missingRolesCreator, restrictedHint, runsAs, statementDecider, writeTocList, type RestoreIntoOptions, type RestoreIntoResult } from './restore-into.ts';
import { PhaseEta } from './restore-eta.ts';
import { openSource, type OpenedSource } from './restore-source.ts';
import type { RestoreRequest } from './restore-types.ts';
import { feed, guardedSqlStream, psqlFailure, startPsql, type GuardedSql } from './sql-pipeline.ts';

/** Streams the source through pg_restore (for archives) and the SQL guard into psql. */
export async function restoreStreamed(o: RestoreIntoOptions): Promise<RestoreIntoResult> {
  const { request, ctx, inspection } = o;
  const progress = new StreamProgress(o);
  const fileHash = createHash('sha256');
  const source = await openCheckedSource(o, fileHash, progress);
  const runAs = runsAs(o.restricted, o.profile, o.password);
  const libpq = await libpqEnvironment(runAs.profile, runAs.password, o.database);
  const workDir = await makePrivateTemp('restore');
  try {
    const listFile = await writeTocList(workDir, inspection.toc, request.tables, request.mode === 'data-only');
    const guarded = guardSql(o, progress);
    const psql = startPsql(o.psql, libpq.env, { singleTransaction: !(inspection.sql?.needsAutocommit.length), signal: ctx.signal });
    const producer = startProducer(o, source, pgRestoreArgs(request, listFile), progress);
    const walk = await pumpIntoPsql(o, producer, guarded, psql, () => sameBytesAsChecked(o, fileHash));
    return { tolerated: guarded.tolerated, runner: 'psql', walk, fileSha256: inspection.inner === 'pg-directory' ? null : fileHash.digest('hex') };
  } finally {
    await source.close();
    await libpq.dispose();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** The file opened for the restore (hashed and reported as read), refused unless it is the one the check read. */
export async function openCheckedSource(o: RestoreIntoOptions, fileHash: Hash, progress: StreamProgress): Promise<OpenedSource> {
  const source = await openSource(o.request.file, o.keys, { signal: o.ctx.signal, onRawChunk: (chunk) => fileHash.update(chunk), onRawBytes: (bytes) => progress.rawBytes(bytes) });
  try {
    assertSameFile(o.inspection, o.request, source.identity);
    return source;
  } catch (error) {
    await source.close();
    throw error;
  }
}

/**
 * Throws unless the bytes read (hashed to the end) are the ones the check before vouched for, when it
 * took their sha256: an own archive known by its file tag is trusted for exactly those bytes.
 */
export function sameBytesAsChecked(o: RestoreIntoOptions, fileHash: Hash): void {
  // A Lifeboat archive's walk reads the file to its end; pg_restore may leave a dump's last bytes unread.
  const checked = o.inspection.inner === 'lifeboat-tar' ? o.inspection.fileSha256 : undefined;
  if (checked && fileHash.copy().digest('hex') !== checked) {
    throw new LifeboatError('PREFLIGHT_BLOCKED', 'The archive changed while it was restored: its bytes are not the ones Lifeboat checked before.', 'Nothing was changed: what the restore created was removed. Check the file again (drop it again, or run the command again), then restore.');
  }
}

/** pg_restore's --verbose lines name the item being restored; its other chatter is not an error. */
export function pgRestoreProgressLine(progress: StreamProgress): (line: string) => boolean {
  return (line) => {
    const match = /^pg_restore: (?:processing data for table|creating [A-Z ]+) "(.+)"$/.exec(line);
    if (match) {
      progress.item(match[1]!);
      return true;
    }
    return /^pg_restore: (?!error|warning)/.test(line);
  };
}

/** A streamed restore's progress: the raw bytes read of the file, the item being restored, and the time left. */
export class StreamProgress {
  /** The table or object being restored, as pg_restore or the SQL's statements name it. */
  current: string | null = null;
  #rawBytes = 0;
  readonly #rate = new RateMeter();
  readonly #eta = new PhaseEta();
  readonly #o: RestoreIntoOptions;

  constructor(o: RestoreIntoOptions) {
    this.#o = o;
  }

  rawBytes(bytes: number): void {
    this.#rawBytes = bytes;
    this.report();
  }

  item(name: string): void {
    this.current = name;
    this.report();
  }

  report(): void {
    const { ctx, inspection, fractionStart, fractionEnd } = this.#o;
    const rawBytes = this.#rawBytes;
    const span = fractionEnd - fractionStart;
    // The file is read at the pace psql takes its SQL (backpressure), so its bytes measure the restore.
    // Once all are read, what is left (indexes, constraints) has no measure: no time left is said.
    const read = inspection.size > 0 ? rawBytes / inspection.size : 0;
    ctx.report({ phase: 'Restoring', fraction: fractionStart + span * Math.min(read, 0.99), bytes: rawBytes, bytesPerSecond: this.#rate.sample(rawBytes), etaSeconds: this.#eta.secondsLeft(read), currentItem: this.current });
  }
}

function pgRestoreArgs(request: RestoreRequest, listFile: string | null): string[] {
  const dataOnly = request.mode === 'data-only';
  return ['--file=-', '--verbose', ...(request.noOwner ? ['--no-owner'] : []), ...(request.noPrivileges ? ['--no-privileges'] : []), ...(dataOnly ? ['--data-only'] : []), ...(listFile ? [`--use-list=${listFile}`] : [])];
}

/** The SQL guard every statement passes on its way to psql. */
function guardSql(o: RestoreIntoOptions, progress: StreamProgress): GuardedSql {
  const { request, inspection } = o;
  const dataOnly = request.mode === 'data-only';
  return guardedSqlStream(o.targetMajor, {
    allowConnect: false,
    archive: inspection.inner !== 'sql',
    unknownColumnOptions: o.unknownColumnOptions,
    // Rows only: whatever else the file (or an archive's TOC) holds does not run in the existing database.
    decide: statementDecider(request, o.restricted),
    // The preflight listed what it could see; what only the restore sees (an archive's data section) is stopped here.
    refuseUnsafe: !dataOnly && !runsTrusted(inspection, request),
    onStatementLine: inspection.inner === 'sql' ? (line) => {
      const match = /^(?:CREATE TABLE|COPY|CREATE INDEX|ALTER TABLE ONLY)\s+(\S+)/.exec(line);
      if (match) progress.current = match[1]!;
    } : undefined,
  });
}

/** Where psql's SQL comes from: the file itself (plain SQL), or pg_restore printing the archive. */
interface SqlProducer {
  sqlText: AsyncIterable<Buffer>;
  restoreProc: ToolProcess | null;
  /** A Lifeboat archive's walk, which feeds pg_restore its dump. */
  walking: Promise<ArchiveWalk> | null;
}

function startProducer(o: RestoreIntoOptions, source: OpenedSource, args: string[], progress: StreamProgress): SqlProducer {
  const { ctx, inspection } = o;
  if (inspection.inner === 'sql') return { sqlText: source.stream!, restoreProc: null, walking: null };
  const restoreProc = startTool({
    path: o.pgRestore.path,
    args: [...args, ...(inspection.inner === 'pg-directory' ? [source.path] : [])],
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdin: inspection.inner === 'pg-directory' ? 'ignore' : 'pipe',
    signal: ctx.signal,
    onLine: pgRestoreProgressLine(progress),
  });
  restoreProc.child.stdin?.on('error', () => {}); // EPIPE when pg_restore stops early; its exit status tells why
  let walking: Promise<ArchiveWalk> | null = null;
  if (inspection.inner === 'lifeboat-tar') walking = walkIntoPgRestore(o, source, restoreProc);
  else if (inspection.inner !== 'pg-directory') void feed(source.stream!, restoreProc).catch(() => restoreProc.kill());
  return { sqlText: restoreProc.stdout as AsyncIterable<Buffer>, restoreProc, walking };
}

/** A Lifeboat archive is walked (and checked) on its way: its dump goes to pg_restore, its globals create the missing roles. */
function walkIntoPgRestore(o: RestoreIntoOptions, source: OpenedSource, dump: ToolProcess): Promise<ArchiveWalk> {
  const walking = walkPlaintext(source.stream!, {
    signal: o.ctx.signal,
    onGlobals: missingRolesCreator(o),
    onDump: (chunk) => writeTo(dump, chunk),
  }).finally(() => dump.child.stdin?.end());
  walking.catch(() => dump.kill());
  return walking;
}

/** A chunk into a tool's input, waiting for it to drain; nothing once the tool has ended (its exit tells why). */
export async function writeTo(proc: ToolProcess, chunk: Buffer): Promise<void> {
  const stdin = proc.child.stdin!;
  if (stdin.destroyed || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  if (!stdin.write(chunk)) await drainOrExit(stdin, proc.child);
}

type ToolExit = Awaited<ToolProcess['exited']>;

/** How the producers and the pipe into psql ended. */
interface Settled {
  piped: PromiseSettledResult<void>;
  restoreSettled: PromiseSettledResult<ToolExit | null>;
  walkSettled: PromiseSettledResult<ArchiveWalk | null>;
  psqlFailedEarly: boolean;
}

/**
 * Everything flows into psql, but its input is closed — which COMMITs the single transaction —
 * only once every producer finished cleanly; otherwise psql is killed and the server rolls back.
 * Returns the archive's walk (null for other files).
 */
async function pumpIntoPsql(o: RestoreIntoOptions, producer: SqlProducer, guarded: GuardedSql, psql: ToolProcess, sameBytes: () => void): Promise<ArchiveWalk | null> {
  const psqlIn = psql.child.stdin!;
  psqlIn.on('error', () => {});
  const psqlGone = () => psql.child.exitCode !== null || psql.child.signalCode !== null;
  const [piped, restoreSettled, walkSettled] = await Promise.allSettled([
    pipeline(Readable.from(producer.sqlText), guarded.transform, async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) {
        if (psqlGone()) return;
        if (!psqlIn.write(chunk)) await drainOrExit(psqlIn, psql.child);
      }
    }),
    producer.restoreProc?.exited ?? Promise.resolve(null),
    producer.walking ?? Promise.resolve(null),
  ]);
  const restoreExit = restoreSettled.status === 'fulfilled' ? restoreSettled.value : null;
  const psqlFailedEarly = psqlGone() && psql.child.exitCode !== 0;
  const producersOk = piped.status === 'fulfilled' && walkSettled.status === 'fulfilled' && restoreSettled.status === 'fulfilled' && (!restoreExit || restoreExit.code === 0);
  if (!producersOk || psqlFailedEarly || o.ctx.signal.aborted) return abandon(o, psql, producer.restoreProc, { piped, restoreSettled, walkSettled, psqlFailedEarly });
  try {
    sameBytes();
  } catch (error) {
    psql.child.kill('SIGKILL'); // the server rolls back
    await psql.exited.catch(() => null);
    throw error;
  }
  psqlIn.end();
  const psqlExit = await psql.exited;
  if (psqlExit.code !== 0) throw restrictedHint(psqlFailure(psqlExit.errors), o.restricted);
  return walkSettled.status === 'fulfilled' ? walkSettled.value : null;
}

/** psql is killed (the server rolls the transaction back) and the restore fails with the most telling error. */
async function abandon(o: RestoreIntoOptions, psql: ToolProcess, restoreProc: ToolProcess | null, settled: Settled): Promise<never> {
  const { piped, restoreSettled, walkSettled, psqlFailedEarly } = settled;
  const restoreExit = restoreSettled.status === 'fulfilled' ? restoreSettled.value : null;
  psql.child.kill('SIGKILL');
  restoreProc?.kill();
  const psqlExit = await psql.exited.catch(() => null);
  o.ctx.signal.throwIfAborted();
  // The most telling error first: damage found while reading, psql's own message, pg_restore's, the guard's.
  if (walkSettled.status === 'rejected') throw walkSettled.reason;
  if (psqlFailedEarly && psqlExit) throw restrictedHint(psqlFailure(psqlExit.errors), o.restricted);
  if (restoreExit && restoreExit.code !== 0) {
    const how = restoreExit.signal ? `was stopped by ${restoreExit.signal}` : `failed (exit code ${restoreExit.code})`;
    throw new LifeboatError('RESTORE_FAILED', `pg_restore ${how}: ${toolErrorSummary(restoreExit.errors)}`, 'Nothing was changed: what the restore created was removed. If this repeats, the archive may be damaged.');
  }
  if (piped.status === 'rejected') throw piped.reason;
  if (restoreSettled.status === 'rejected') throw restoreSettled.reason;
  throw psqlFailure(psqlExit?.errors ?? []);
}
