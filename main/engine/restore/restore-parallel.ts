// The parallel restore: pg_restore -j N cannot read a pipe, so the archive is decrypted into a 0600
// file in a private temporary folder first (opt-in, labelled in the UI), restored from there by
// pg_restore itself, and the file deleted.
import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { walkPlaintext, type ArchiveWalk } from '../archive/archive-reader.ts';
import { LifeboatError } from '../errors.ts';
import { RateMeter } from '../jobs/job.ts';
import { makePrivateTemp } from '../jobs/private-temp.ts';
import { dbnameConninfo, libpqEnvironment } from '../pgtools/libpq-env.ts';
import { startTool, toolErrorSummary } from '../pgtools/tool-process.ts';
import { checkDirectoryDump } from './directory-dump.ts';
import { assertSameFile, runsTrusted } from './restore-inspect.ts';
import { missingRolesCreator, parallelJobs, restrictedHint, runsAs, statementDecider, writeTocList, type RestoreIntoOptions, type RestoreIntoResult } from './restore-into.ts';
import { PhaseEta } from './restore-eta.ts';
import { openSource } from './restore-source.ts';
import { FOREIGN_COLUMN_OPTIONS, guardedSqlStream } from './sql-pipeline.ts';
import { readCustomToc } from './toc-dat.ts';
import { TRUST_FIX } from './trust-phrase.ts';
import { unsafeTocStatement } from './unsafe-statements.ts';

/**
 * pg_restore -j N cannot read a pipe: the archive is decrypted into a 0600 file in a private
 * temporary folder first (opt-in, labelled in the UI), restored directly, and the file deleted.
 */
export async function restoreParallel(o: RestoreIntoOptions): Promise<RestoreIntoResult> {
  const { request, inspection } = o;
  const jobs = parallelJobs(request);
  if (inspection.inner === 'sql') throw new LifeboatError('INVALID_INPUT', 'Plain SQL scripts restore through psql, one statement after another: parallel jobs do not apply.', 'Restore without --jobs.');
  if (inspection.inner === 'pg-tar') throw new LifeboatError('INVALID_INPUT', 'pg_restore cannot restore tar-format archives in parallel.', 'Restore without --jobs, or convert the dump to custom format.');
  const workDir = await makePrivateTemp('restore');
  const runAs = runsAs(o.restricted, o.profile, o.password);
  const libpq = await libpqEnvironment(runAs.profile, runAs.password, o.database);
  const fileHash = createHash('sha256');
  try {
    // One estimate over both steps: decrypting is the first 30 % of the phase, pg_restore's items the rest.
    const eta = new PhaseEta();
    const { archivePath, walk } = inspection.inner === 'pg-directory' ? { archivePath: inspection.path, walk: null } : await decryptToFile(o, workDir, fileHash, eta);
    await refuseUnsafeToc(o, archivePath);
    const tolerated = await runPgRestoreJobs(o, { jobs, eta }, archivePath, workDir, libpq.env);
    if (o.restricted) await holdRoleStatements(o, archivePath, workDir);
    return { tolerated, runner: 'pg_restore', walk, fileSha256: inspection.inner === 'pg-directory' ? null : fileHash.digest('hex') };
  } finally {
    await libpq.dispose();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** The archive's dump, decrypted (and a Lifeboat archive walked and checked) into workDir/decrypted.dump. */
async function decryptToFile(o: RestoreIntoOptions, workDir: string, fileHash: Hash, eta: PhaseEta): Promise<{ archivePath: string; walk: ArchiveWalk | null }> {
  const { request, ctx, inspection } = o;
  const span = o.fractionEnd - o.fractionStart;
  const rate = new RateMeter();
  const archivePath = path.join(workDir, 'decrypted.dump');
  const out = createWriteStream(archivePath, { mode: 0o600, flags: 'wx' });
  const source = await openSource(request.file, o.keys, {
    signal: ctx.signal,
    onRawChunk: (chunk) => fileHash.update(chunk),
    onRawBytes: (bytes) => {
      const phase = 0.3 * Math.min(bytes / Math.max(inspection.size, 1), 1);
      ctx.report({ phase: 'Decrypting to a temporary file', fraction: o.fractionStart + span * phase, bytes, bytesPerSecond: rate.sample(bytes), etaSeconds: eta.secondsLeft(phase), currentItem: null });
    },
  });
  let walk: ArchiveWalk | null = null;
  try {
    assertSameFile(inspection, request, source.identity);
    if (inspection.inner === 'lifeboat-tar') {
      walk = await walkPlaintext(source.stream!, {
        signal: ctx.signal,
        onGlobals: missingRolesCreator(o),
        onDump: async (chunk) => {
          if (!out.write(chunk)) await once(out, 'drain');
        },
      });
      await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    } else {
      await pipeline(Readable.from(source.stream!), out, { signal: ctx.signal });
    }
  } finally {
    await source.close();
  }
  return { archivePath, walk };
}

/** pg_restore -j runs the archive's SQL itself: what the stream check does for psql is done on its TOC here. */
async function refuseUnsafeToc(o: RestoreIntoOptions, archivePath: string): Promise<void> {
  const { request, inspection } = o;
  // A dropped folder is checked again as a whole (no links out, no pipes, no files that are not its own), as at the checklist — trusted or not.
  const folderToc = inspection.inner === 'pg-directory' ? (await checkDirectoryDump(archivePath)).toc : null;
  if (runsTrusted(inspection, request)) return;
  const unsafe = unsafeTocStatement(folderToc ?? (await readCustomToc(archivePath)));
  if (unsafe) throw new LifeboatError('PREFLIGHT_BLOCKED', `The archive's ${unsafe.entry} ${unsafe.reason}: ${unsafe.statement}`, TRUST_FIX);
}

/** pg_restore --jobs into the new database; returns the known-benign errors it tolerated. */
async function runPgRestoreJobs(o: RestoreIntoOptions, { jobs, eta }: { jobs: number; eta: PhaseEta }, archivePath: string, workDir: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const { request, ctx, inspection } = o;
  const span = o.fractionEnd - o.fractionStart;
  const entries = Math.max(inspection.toc?.entries.length ?? 1, 1);
  const done = new Set<string>();
  // A directory dump is read in place: no decrypting step, so pg_restore's items are the whole phase.
  const base = inspection.inner === 'pg-directory' ? 0 : 0.3;
  // Restricted: pg_restore sets no owners and leaves out default privileges (which need the roles); both are set afterwards.
  const listFile = await writeTocList(workDir, inspection.toc, request.tables, request.mode === 'data-only', o.restricted ? ['DEFAULT ACL'] : []);
  // An older server rejects settings of a newer pg_dump's dump, and transaction_timeout, which pg_restore 17+ sends itself: tolerated below.
  const exitOnError = o.targetMajor >= Math.max(inspection.dumpMajor ?? o.targetMajor, o.pgRestore.major);
  const proc = startTool({
    path: o.pgRestore.path,
    // --dbname is expanded as a connection string when it looks like one: pass the name quoted.
    args: [`--jobs=${jobs}`, '--verbose', '--no-password', `--dbname=${dbnameConninfo(o.database)}`, ...(exitOnError ? ['--exit-on-error'] : []),
      ...(request.noOwner || o.restricted ? ['--no-owner'] : []), ...(request.noPrivileges ? ['--no-privileges'] : []),
      ...(listFile ? [`--use-list=${listFile}`] : []), archivePath],
    env,
    signal: ctx.signal,
    onLine: (line) => {
      // An item is done when pg_restore says "processing item N …" (before its workers start, and the
      // missed ones after) or a worker's "finished item N …" (table data and everything after it).
      const match = /^pg_restore: (?:processing (?:missed )?item|finished item) (\d+) (.+)$/.exec(line);
      if (!match) return /^pg_restore: (?!error|warning)/.test(line);
      done.add(match[1]!);
      const phase = base + (1 - base) * Math.min(done.size / entries, 0.99);
      ctx.report({ phase: `Restoring (${jobs} jobs)`, fraction: o.fractionStart + span * phase, currentItem: match[2]!, etaSeconds: eta.secondsLeft(phase) });
      return true;
    },
  });
  proc.stdout.resume();
  const exit = await proc.exited;
  ctx.signal.throwIfAborted();
  const { tolerated, real } = splitRestoreErrors(exit.errors);
  if (exit.code !== 0 && (exitOnError || real.length > 0 || tolerated.length === 0)) {
    throw restrictedHint(new LifeboatError('RESTORE_FAILED', `pg_restore failed: ${real[0] ?? toolErrorSummary(exit.errors)}`, 'Nothing was changed: the new database was removed. Check the message (a missing role or extension can be handled in the checklist).'), o.restricted);
  }
  return tolerated;
}

/** pg_restore -j ran without owners: the ownership statements come from the archive's printed definitions. */
async function holdRoleStatements(o: RestoreIntoOptions, archivePath: string, workDir: string): Promise<void> {
  const listFile = await writeTocList(workDir, o.inspection.toc, o.request.tables, false);
  const proc = startTool({
    path: o.pgRestore.path,
    args: ['--schema-only', '--file=-', ...(o.request.noOwner ? ['--no-owner'] : []), ...(o.request.noPrivileges ? ['--no-privileges'] : []), ...(listFile ? [`--use-list=${listFile}`] : []), archivePath],
    env: { ...process.env, LC_MESSAGES: 'C' },
    signal: o.ctx.signal,
  });
  const guarded = guardedSqlStream(o.targetMajor, { allowConnect: false, archive: true, decide: statementDecider(o.request, o.restricted) });
  const [printed, exit] = await Promise.allSettled([pipeline(proc.stdout, guarded.transform, async (chunks: AsyncIterable<Buffer>) => { for await (const _ of chunks); }), proc.exited]);
  if (printed.status === 'rejected') throw printed.reason;
  if (exit.status === 'rejected') throw exit.reason;
  if (exit.value.code !== 0) throw new LifeboatError('RESTORE_FAILED', `pg_restore could not print the archive's owners: ${toolErrorSummary(exit.value.errors)}`, 'Nothing was changed: the new database was removed. If this repeats, the archive may be damaged.');
}

/** Known-benign errors of a newer dump on an older server; anything else is a real failure. */
function splitRestoreErrors(errors: string[]): { tolerated: string[]; real: string[] } {
  const tolerated = new Set<string>();
  const real: string[] = [];
  for (let i = 0; i < errors.length; i++) {
    const line = errors[i]!;
    if (!/^pg_restore: error:/.test(line)) continue;
    // Workers share stderr: an error's prefix and its message can arrive apart, with another worker's
    // line between them. Such a line names no error; the message is found by toolErrorSummary.
    if (/^pg_restore: error: pg_restore: /.test(line)) continue;
    const command = errors[i + 1]?.startsWith('Command was:') ? errors[i + 1]! : '';
    if (/unrecognized configuration parameter "transaction_timeout"/.test(line) || /SET transaction_timeout/.test(command)) tolerated.add('SET transaction_timeout (a setting PostgreSQL 17 introduced) failed harmlessly');
    else if (FOREIGN_COLUMN_OPTIONS.some((o) => line.includes(`unrecognized parameter "${o}"`))) tolerated.add('A column option written by the source server\'s build, unknown to the target, failed harmlessly');
    else real.push(line.replace(/^pg_restore: error: /, ''));
  }
  return { tolerated: [...tolerated], real };
}
