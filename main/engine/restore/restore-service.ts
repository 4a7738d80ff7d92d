// Restore without fear: into a new database (default), replace by verified swap, or data-only rows
// into an existing database — a failed or cancelled restore drops what it created and leaves the
// target exactly as it was.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { utcStamp } from '../archive/archive-names.ts';
import { authenticateArchive, walkPlaintext, type ArchiveWalk } from '../archive/archive-reader.ts';
import type { AgeKeys } from '../crypto/age-decrypt.ts';
import { LifeboatError, toErrorInfo } from '../errors.ts';
import { RateMeter, startJob, type Job, type JobContext } from '../jobs/job.ts';
import { makePrivateTemp } from '../jobs/private-temp.ts';
import type { EncryptionChoice, KeyService } from '../keys/key-service.ts';
import { dbnameConninfo, libpqEnvironment } from '../pgtools/libpq-env.ts';
import { drainOrExit, startTool, toolErrorSummary } from '../pgtools/tool-process.ts';
import type { ToolResolver } from '../pgtools/tool-resolver.ts';
import { truncateUtf8 } from '../name-text.ts';
import type { Clock } from '../ports.ts';
import type { ProfileService } from '../profiles/profile-service.ts';
import type { PgTool, Profile } from '../types.ts';
import { quoteIdent } from '../db/sql-quote.ts';
import { assertSameFile, buildChecklist, firstBlocker, inspectFile, roleChoices, runsRestricted, runsTrusted, type RoleChoice, type CheckItem, type Inspection, type PreflightOptions, type TargetState } from './restore-inspect.ts';
import { fileIdentity, openSource } from './restore-source.ts';
import { dataOnlyDecider, type StatementDecision } from './data-only-filter.ts';
import { connectToRestored, LeastPrivilegeRestore, sweepRestoreRoles } from './least-privilege-restore.ts';
import { isPrivilegeStatement, roleStatement } from './ownership-statements.ts';
import { readCustomToc, readTocDat } from './toc-dat.ts';
import { TRUST_PHRASE, unsafeTocStatement } from './unsafe-statements.ts';
import { TRUST_FIX } from './trust-phrase.ts';
import { feed, FOREIGN_COLUMN_OPTIONS, guardedSqlStream, psqlFailure, startPsql } from './sql-pipeline.ts';
import { parseGlobalsRoles, planRoleCreation } from './role-definitions.ts';
import { TargetServer } from './target-server.ts';
import type { TocListing } from './toc-listing.ts';
import { LeftoverDatabases } from './leftover-databases.ts';

export interface RestoreRequest extends PreflightOptions {
  file: string;
  /** Parallel pg_restore jobs. Above 1 the archive is first decrypted into a private temporary file (deleted afterwards). */
  jobs?: number;
  profile: string;
  keys?: AgeKeys;
  /** How the safety backup before a replace is encrypted (default: as in Settings). */
  safetyBackupEncryption?: EncryptionChoice;
  /** A server that is not a saved profile (a drill's embedded scratch server). */
  target?: { profile: Profile; password: string | null };
  /** 'report' (drills): row-count mismatches are returned instead of failing the restore. */
  verify?: 'strict' | 'report';
  /** An inspection already made (a drill reads the archive once for both). */
  inspection?: Inspection;
  /**
   * More checks of the restored database (drills: object counts, canaries), made before it is handed
   * over, as the role that restored it (the temporary role for a stranger's file).
   */
  checkRestored?: (db: { profile: Profile; password: string | null; database: string }) => Promise<void>;
}

export interface Preflight {
  inspection: Inspection;
  target: { profile: string; host: string; port: number; serverVersion: string; database: string; exists: boolean; sessions: TargetState['sessions'] };
  items: CheckItem[];
  /** Roles the restore will create that the archive gives privileged attributes (kept only when chosen). */
  roleChoices: RoleChoice[];
  /** The file's SQL will run as a temporary role without superuser rights (least-privilege-restore.ts). */
  leastPrivilege: boolean;
  ok: boolean;
}

export interface TableCheck {
  table: string;
  expected: number;
  /** Rows found (0 when the table is missing). */
  actual: number;
  /** The backup recorded this table, but the restored database has no such table. */
  missing?: true;
}

export interface RestoreResult {
  mode: PreflightOptions['mode'];
  database: string;
  /** replace: the previous database, kept under this name. */
  keptDatabase: string | null;
  safetyBackup: { archive: string; sha256: string } | null;
  createdRoles: string[];
  tolerated: string[];
  verification: { checked: TableCheck[]; mismatches: TableCheck[]; note: string };
  endedSessions: number;
  durationMs: number;
  source: string;
  /** sha256 of the file as it was read during this restore (null for a dump folder). */
  fileSha256: string | null;
  timings: { restoreMs: number; verifyMs: number };
  /** A file Lifeboat did not make ran as a temporary role without superuser rights; objects it gave to these privileged roles belong to lifeboat_restored. */
  leastPrivilege: { standInFor: string[] } | null;
}

const MAX_NAME = 63;

interface RestoreIntoResult {
  tolerated: string[];
  walk: ArchiveWalk | null;
  fileSha256: string | null;
}

interface RestoreIntoOptions {
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

/** What a safety backup gives back (a BackupResult has more). */
export interface SafetyBackupResult {
  archive: string;
  sha256: string;
}

/** Who makes the safety backup (backup/BackupService): a port, so restore/ does not depend on backup/. */
export interface SafetyBackups {
  start(request: { profile: string; database: string; encryption?: EncryptionChoice }): Job<SafetyBackupResult>;
}

export interface RestoreDeps {
  profiles: ProfileService;
  tools: ToolResolver;
  keys: KeyService;
  backups: SafetyBackups;
  clock: Clock;
  dataDir: string;
}

export class RestoreService {
  readonly #leftovers: LeftoverDatabases;
  readonly #deps: RestoreDeps;

  constructor(deps: RestoreDeps) {
    this.#deps = deps;
    this.#leftovers = new LeftoverDatabases(deps.dataDir);
  }

  /**
   * Reads the whole file (decrypting and checking it), so the result is cached per file version and
   * keys: the UI re-runs the checklist on every change of its inputs.
   */
  async inspect(file: string, keys: AgeKeys = {}, signal?: AbortSignal): Promise<Inspection> {
    const all = await this.#deps.keys.decryptionKeys(keys);
    const info = await stat(file).catch(() => null);
    const cacheKey = info ? `${file}\0${info.size}\0${info.mtimeMs}\0${createHash('sha256').update(JSON.stringify(all)).digest('hex')}` : null;
    const cached = cacheKey ? this.#inspections.get(cacheKey) : undefined;
    if (cached) return cached;
    // Only Lifeboat's own keys vouch for an archive: a key handed over with a file proves nothing.
    const inspection = await inspectFile(file, all, (major) => this.#deps.tools.choose('pg_restore', major), signal, { trusted: await this.#deps.keys.ownKeys() });
    if (cacheKey) {
      this.#inspections.set(cacheKey, inspection);
      while (this.#inspections.size > 4) this.#inspections.delete(this.#inspections.keys().next().value!);
    }
    return inspection;
  }

  readonly #inspections = new Map<string, Inspection>();

  async preflight(request: RestoreRequest, signal?: AbortSignal): Promise<Preflight> {
    const inspection = await this.inspect(request.file, request.keys, signal);
    const { profile, password } = await this.#deps.profiles.resolveForConnection(request.profile);
    const server = await TargetServer.connect(profile, password);
    try {
      return await this.#checklist(inspection, profile, server, request);
    } finally {
      await server.close();
    }
  }

  async #checklist(inspection: Inspection, profile: Profile, server: TargetServer, request: PreflightOptions): Promise<Preflight> {
    const facts = await server.facts();
    let pgRestore: PgTool | null = null;
    let pgRestoreError = null;
    try {
      pgRestore = await this.#deps.tools.choose('pg_restore', inspection.dumpMajor);
    } catch (error) {
      pgRestoreError = toErrorInfo(error);
    }
    validateName(request.database);
    const exists = await server.exists(request.database);
    const state: TargetState = {
      facts,
      exists,
      owner: exists ? await server.owner(request.database) : null,
      sessions: exists ? await server.sessions(request.database) : [],
      freeSpace: await server.freeSpace(),
      pgRestore,
      pgRestoreError,
    };
    const items = await buildChecklist(inspection, state, request);
    return {
      inspection,
      target: { profile: profile.name, host: profile.host, port: profile.port, serverVersion: facts.serverVersion, database: request.database, exists, sessions: state.sessions },
      items,
      roleChoices: roleChoices(inspection, facts, request),
      leastPrivilege: runsRestricted(inspection, facts, request),
      ok: !firstBlocker(items),
    };
  }

  /**
   * A quick inspection (drills) reads no further than the table of contents, so it cannot know who
   * made an archive. Only when that matters — its statements reach beyond the database — is the
   * archive read once more to check its authenticity tag with the keychain's keys.
   */
  async #authenticatedIfNeeded(inspection: Inspection, file: string, keys: AgeKeys, signal: AbortSignal): Promise<Inspection> {
    if (!inspection.lifeboat || inspection.lifeboat.authenticity !== null || inspection.unsafe.count === 0) return inspection;
    const before = await fileIdentity(file);
    const authenticity = await authenticateArchive(file, keys, { signal, trusted: await this.#deps.keys.ownKeys() });
    const same = before !== null && before === inspection.fileIdentity && (await fileIdentity(file)) === before;
    return { ...inspection, lifeboat: { ...inspection.lifeboat, authenticity }, fileIdentity: same ? before : null };
  }

  start(request: RestoreRequest): Job<RestoreResult> {
    return startJob('restore', (ctx) => this.#run(request, ctx));
  }

  /** Drops a copy kept by a replace ("<name>_before_restore_<stamp>"), and nothing else. */
  async dropKeptCopy(profileName: string, database: string): Promise<void> {
    if (!/_before_restore_\d{8}T\d{6}Z$/.test(database)) throw new LifeboatError('INVALID_INPUT', `"${database}" is not a copy kept by a Lifeboat replace.`, 'Only databases named <name>_before_restore_<stamp> can be dropped here.');
    const { profile, password } = await this.#deps.profiles.resolveForConnection(profileName);
    const server = await TargetServer.connect(profile, password);
    try {
      if (!(await server.exists(database))) throw new LifeboatError('INVALID_INPUT', `There is no database "${database}".`, 'It may have been dropped already.');
      await server.dropDatabase(database);
    } finally {
      await server.close();
    }
  }

  async #run(request: RestoreRequest, ctx: JobContext): Promise<RestoreResult> {
    const t0 = performance.now();
    const keys = await this.#deps.keys.decryptionKeys(request.keys);
    ctx.report({ phase: 'Checking', fraction: 0, message: 'Safety checklist' });
    const { profile, password } = request.target ?? (await this.#deps.profiles.resolveForConnection(request.profile));
    const inspection = await this.#authenticatedIfNeeded(request.inspection ?? (await inspectFile(request.file, keys, (major) => this.#deps.tools.choose('pg_restore', major), ctx.signal, { trusted: await this.#deps.keys.ownKeys() })), request.file, keys, ctx.signal);
    const server = await TargetServer.connect(profile, password);
    const created: string[] = [];
    const createdOids = new Map<string, number | null>();
    // Roles this restore made: dropped again when it fails or is cancelled (never any other role).
    let createdRoles: string[] = [];
    let restricted: LeastPrivilegeRestore | null = null;
    let swapped = false;
    try {
      await this.#leftovers.sweep(profile, server);
      await sweepRestoreRoles(server);
      const preflight = await this.#checklist(inspection, profile, server, request);
      const blocker = firstBlocker(preflight.items);
      if (blocker) throw new LifeboatError('PREFLIGHT_BLOCKED', `${blocker.title}: ${blocker.detail}`, blocker.fix ?? 'Resolve the checklist item, then restore again.');
      const facts = await server.facts();
      const pgRestore = await this.#deps.tools.choose('pg_restore', inspection.dumpMajor);
      const psql = await this.#deps.tools.choose('psql', null);
      const stamp = utcStamp(this.#deps.clock.now());
      const share = request.mode === 'replace' && request.safetyBackup !== false ? 0.35 : 0;

      const safetyBackup = share > 0 ? await this.#safetyBackup(request, profile, share, ctx) : null;

      const into = request.mode === 'new' ? request.database : request.mode === 'replace' ? derivedName(request.database, `_restoring_${stamp}`) : request.database;
      if (request.mode !== 'data-only') {
        ctx.report({ phase: 'Creating database', fraction: share, message: into });
        await server.createDatabase(into);
        created.push(into);
        createdOids.set(into, await server.databaseOid(into));
        // A file Lifeboat did not make runs with least privilege (a non-superuser profile's own rights are already less).
        // Exactly the connections psql or pg_restore -j N (a leader and N workers) need: none to spare for anyone else.
        const jobs = parallelJobs(request);
        if (runsRestricted(inspection, facts, request)) restricted = await LeastPrivilegeRestore.begin(server, { profile, password }, into, jobs > 1 ? jobs + 1 : 1);
      }
      const tRestore = performance.now();
      const restored = await this.#restoreInto({
        request, profile, password, keys, pgRestore, psql, targetMajor: facts.serverMajor, database: into, inspection, ctx, fractionStart: share, fractionEnd: 0.9,
        unknownColumnOptions: await server.unknownColumnOptions(FOREIGN_COLUMN_OPTIONS),
        createRoles: async (globals, wanted) => {
          const plan = planRoleCreation(parseGlobalsRoles(globals), wanted, request.privilegedRoleAttributes);
          createdRoles = await server.createRoles(plan.creations);
        },
        missingRoles: request.createMissingRoles ? inspection.roles.filter((r) => !facts.roles.has(r)) : [],
        restricted,
      });
      const restoreMs = Math.round(performance.now() - tRestore);
      ctx.report({ phase: 'Verifying', fraction: 0.92, message: 'Comparing row counts' });
      const tVerify = performance.now();
      // Whatever reads the restored data runs as the role that restored it: a stranger's view or
      // function called by a check then has that role's rights, never the profile's.
      const checker = runsAs(restricted, profile, password);
      const verification = await verifyRestore(checker.profile, checker.password, into, restored.walk, request.tables);
      await request.checkRestored?.({ ...checker, database: into });
      const verifyMs = Math.round(performance.now() - tVerify);
      let leastPrivilege: RestoreResult['leastPrivilege'] = null;
      if (restricted) {
        await restricted.lockDown(server, into);
        leastPrivilege = { standInFor: (await restricted.finish(server, { profile, password }, into, { keepOwners: request.keepOwners === true })).standIn };
        restricted = null;
      }
      if (verification.mismatches.length && request.verify !== 'report') throw mismatchError(verification.mismatches, request.mode);

      let keptDatabase: string | null = null;
      let endedSessions = 0;
      if (request.mode === 'replace') {
        ctx.report({ phase: 'Swapping', fraction: 0.96, message: `Switching "${request.database}" to the restored copy` });
        keptDatabase = derivedName(request.database, `_before_restore_${stamp}`);
        ctx.signal.throwIfAborted();
        endedSessions = await swapIn(server, into, request.database, keptDatabase);
        swapped = true;
        await server.allowConnections(request.database, true);
        await server.allowConnections(keptDatabase, true).catch(() => {});
      }
      ctx.report({ phase: 'Done', fraction: 1, message: request.database });
      return {
        mode: request.mode,
        database: request.database,
        keptDatabase,
        safetyBackup: safetyBackup ? { archive: safetyBackup.archive, sha256: safetyBackup.sha256 } : null,
        createdRoles,
        tolerated: restored.tolerated,
        verification,
        endedSessions,
        durationMs: Math.round(performance.now() - t0),
        source: inspection.label,
        fileSha256: restored.fileSha256,
        timings: { restoreMs, verifyMs },
        leastPrivilege,
      };
    } catch (error) {
      const notDropped: string[] = [];
      if (!swapped) {
        for (const name of created) {
          await server.dropDatabase(name).catch(() => {
            notDropped.push(name);
            const oid = createdOids.get(name);
            if (oid) this.#leftovers.remember(profile, name, oid, this.#deps.clock.now());
          });
        }
      }
      // After the databases: a role that owned objects in them owns nothing once they are gone.
      if (restricted && !swapped) await restricted.discard(server).catch(() => {});
      const rolesLeft = swapped ? [] : await server.dropRoles(createdRoles).catch((e: Error) => createdRoles.map((name) => ({ name, reason: e.message })));
      const droppedRoles = swapped ? [] : createdRoles.filter((name) => !rolesLeft.some((r) => r.name === name));
      let failure: unknown = error;
      if (notDropped.length) failure = leftoverError(error, notDropped, ctx.signal.aborted);
      else if (ctx.signal.aborted) failure = new LifeboatError('CANCELLED', `The restore was cancelled; ${created.length ? `the database it created was removed and ` : ''}${droppedRoles.length ? `the roles it created (${droppedRoles.join(', ')}) were dropped and ` : ''}nothing else was changed.`, undefined, { cause: error });
      throw rolesLeft.length ? rolesLeftError(failure, rolesLeft) : failure;
    } finally {
      await server.close();
    }
  }

  /** A replace backs the database up first; a failed safety backup restores nothing. */
  async #safetyBackup(request: RestoreRequest, profile: Profile, share: number, ctx: JobContext): Promise<SafetyBackupResult> {
    ctx.report({ phase: 'Safety backup', fraction: 0, message: `Backing up "${request.database}" first` });
    const job = this.#deps.backups.start({ profile: profile.id, database: request.database, ...(request.safetyBackupEncryption ? { encryption: request.safetyBackupEncryption } : {}) });
    const stop = job.onProgress((p) => ctx.report({ phase: 'Safety backup', fraction: (p.fraction ?? 0) * share, currentItem: p.currentItem, bytes: p.bytes, bytesPerSecond: p.bytesPerSecond, etaSeconds: null }));
    const cancel = () => job.cancel();
    ctx.signal.addEventListener('abort', cancel, { once: true });
    try {
      return await job.result;
    } catch (error) {
      throw new LifeboatError('RESTORE_FAILED', `The safety backup of "${request.database}" failed, so nothing was restored: ${toErrorInfo(error).message}`, toErrorInfo(error).fix ?? 'Fix the backup problem first, or turn the safety backup off.', { cause: error });
    } finally {
      stop();
      ctx.signal.removeEventListener('abort', cancel);
    }
  }

  /** Streams the source through pg_restore (for archives) and the SQL guard into psql. */
  async #restoreInto(o: RestoreIntoOptions): Promise<RestoreIntoResult> {
    // Data-only restores run in one transaction, which pg_restore cannot combine with parallel jobs.
    if ((o.request.jobs ?? 1) > 1 && o.request.mode !== 'data-only') return this.#restoreParallel(o);
    const { request, ctx, inspection } = o;
    const rate = new RateMeter();
    let current: string | null = null;
    let rawBytes = 0;
    const span = o.fractionEnd - o.fractionStart;
    const report = () => ctx.report({ phase: 'Restoring', fraction: o.fractionStart + span * Math.min(inspection.size > 0 ? rawBytes / inspection.size : 0, 0.99), bytes: rawBytes, bytesPerSecond: rate.sample(rawBytes), etaSeconds: null, currentItem: current });
    const fileHash = createHash('sha256');
    const source = await openSource(request.file, o.keys, { signal: ctx.signal, onRawChunk: (chunk) => fileHash.update(chunk), onRawBytes: (bytes) => { rawBytes = bytes; report(); } });
    try {
      assertSameFile(inspection, request, source.identity);
    } catch (error) {
      await source.close();
      throw error;
    }
    const runAs = runsAs(o.restricted, o.profile, o.password);
    const libpq = await libpqEnvironment(runAs.profile, runAs.password, o.database);
    const workDir = await makePrivateTemp('restore');
    try {
      const dataOnly = request.mode === 'data-only';
      const listFile = await writeTocList(workDir, inspection.toc, request.tables, dataOnly);
      const pgRestoreArgs = ['--file=-', '--verbose', ...(request.noOwner ? ['--no-owner'] : []), ...(request.noPrivileges ? ['--no-privileges'] : []), ...(dataOnly ? ['--data-only'] : []), ...(listFile ? [`--use-list=${listFile}`] : [])];
      const guarded = guardedSqlStream(o.targetMajor, {
        allowConnect: false,
        archive: inspection.inner !== 'sql',
        unknownColumnOptions: o.unknownColumnOptions,
        // Rows only: whatever else the file (or an archive's TOC) holds does not run in the existing database.
        decide: statementDecider(request, o.restricted),
        // The preflight listed what it could see; what only the restore sees (an archive's data section) is stopped here.
        refuseUnsafe: !dataOnly && !runsTrusted(inspection, request),
        onStatementLine: inspection.inner === 'sql' ? (line) => {
          const match = /^(?:CREATE TABLE|COPY|CREATE INDEX|ALTER TABLE ONLY)\s+(\S+)/.exec(line);
          if (match) current = match[1]!;
        } : undefined,
      });
      const psql = startPsql(o.psql, libpq.env, { singleTransaction: !(inspection.sql?.needsAutocommit.length), signal: ctx.signal });

      let sqlText: AsyncIterable<Buffer>;
      let restoreProc: ReturnType<typeof startTool> | null = null;
      let walking: Promise<ArchiveWalk> | null = null;
      if (inspection.inner === 'sql') {
        sqlText = source.stream!;
      } else {
        restoreProc = startTool({
          path: o.pgRestore.path,
          args: [...pgRestoreArgs, ...(inspection.inner === 'pg-directory' ? [source.path] : [])],
          env: { ...process.env, LC_MESSAGES: 'C' },
          stdin: inspection.inner === 'pg-directory' ? 'ignore' : 'pipe',
          signal: ctx.signal,
          onLine: (line) => {
            const match = /^pg_restore: (?:processing data for table|creating [A-Z ]+) "(.+)"$/.exec(line);
            if (match) {
              current = match[1]!;
              report();
              return true;
            }
            return /^pg_restore: (?!error|warning)/.test(line);
          },
        });
        sqlText = restoreProc.stdout as AsyncIterable<Buffer>;
        restoreProc.child.stdin?.on('error', () => {}); // EPIPE when pg_restore stops early; its exit status tells why
        if (inspection.inner === 'lifeboat-tar') {
          const dump = restoreProc;
          let created = false;
          walking = walkPlaintext(source.stream!, {
            signal: ctx.signal,
            onGlobals: async (globals) => {
              if (o.missingRoles.length && !created) {
                created = true;
                await o.createRoles(globals.toString('utf8'), o.missingRoles);
              }
            },
            onDump: (chunk) => writeTo(dump, chunk),
          }).finally(() => dump.child.stdin?.end());
          walking.catch(() => dump.kill());
        } else if (inspection.inner !== 'pg-directory') {
          void feed(source.stream!, restoreProc).catch(() => restoreProc!.kill());
        }
      }

      // Everything flows into psql, but its input is closed — which COMMITs the single transaction —
      // only once every producer finished cleanly; otherwise psql is killed and the server rolls back.
      const psqlIn = psql.child.stdin!;
      psqlIn.on('error', () => {});
      const psqlGone = () => psql.child.exitCode !== null || psql.child.signalCode !== null;
      const [piped, restoreSettled, walkSettled] = await Promise.allSettled([
        pipeline(Readable.from(sqlText), guarded.transform, async (chunks: AsyncIterable<Buffer>) => {
          for await (const chunk of chunks) {
            if (psqlGone()) return;
            if (!psqlIn.write(chunk)) await drainOrExit(psqlIn, psql.child);
          }
        }),
        restoreProc?.exited ?? Promise.resolve(null),
        walking ?? Promise.resolve(null),
      ]);
      const restoreExit = restoreSettled.status === 'fulfilled' ? restoreSettled.value : null;
      const psqlFailedEarly = psqlGone() && psql.child.exitCode !== 0;
      const producersOk = piped.status === 'fulfilled' && walkSettled.status === 'fulfilled' && restoreSettled.status === 'fulfilled' && (!restoreExit || restoreExit.code === 0);
      if (!producersOk || psqlFailedEarly || ctx.signal.aborted) {
        psql.child.kill('SIGKILL');
        restoreProc?.kill();
        const psqlExit = await psql.exited.catch(() => null);
        ctx.signal.throwIfAborted();
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
      psqlIn.end();
      const psqlExit = await psql.exited;
      if (psqlExit.code !== 0) throw restrictedHint(psqlFailure(psqlExit.errors), o.restricted);
      const walk = walkSettled.status === 'fulfilled' ? walkSettled.value : null;
      return { tolerated: guarded.tolerated, walk, fileSha256: inspection.inner === 'pg-directory' ? null : fileHash.digest('hex') };
    } finally {
      await source.close();
      await libpq.dispose();
      await rm(workDir, { recursive: true, force: true });
    }
  }

  /**
   * pg_restore -j N cannot read a pipe: the archive is decrypted into a 0600 file in a private
   * temporary folder first (opt-in, labelled in the UI), restored directly, and the file deleted.
   */
  async #restoreParallel(o: RestoreIntoOptions): Promise<RestoreIntoResult> {
    const { request, ctx, inspection } = o;
    const jobs = parallelJobs(request);
    if (inspection.inner === 'sql') throw new LifeboatError('INVALID_INPUT', 'Plain SQL scripts restore through psql, one statement after another: parallel jobs do not apply.', 'Restore without --jobs.');
    if (inspection.inner === 'pg-tar') throw new LifeboatError('INVALID_INPUT', 'pg_restore cannot restore tar-format archives in parallel.', 'Restore without --jobs, or convert the dump to custom format.');
    const span = o.fractionEnd - o.fractionStart;
    const rate = new RateMeter();
    const workDir = await makePrivateTemp('restore');
    const runAs = runsAs(o.restricted, o.profile, o.password);
    const libpq = await libpqEnvironment(runAs.profile, runAs.password, o.database);
    let walk: ArchiveWalk | null = null;
    const fileHash = createHash('sha256');
    try {
      let archivePath = inspection.path;
      if (inspection.inner !== 'pg-directory') {
        archivePath = path.join(workDir, 'decrypted.dump');
        const out = createWriteStream(archivePath, { mode: 0o600, flags: 'wx' });
        const source = await openSource(request.file, o.keys, {
          signal: ctx.signal,
          onRawChunk: (chunk) => fileHash.update(chunk),
          onRawBytes: (bytes) => ctx.report({ phase: 'Decrypting to a temporary file', fraction: o.fractionStart + span * 0.3 * Math.min(bytes / Math.max(inspection.size, 1), 1), bytes, bytesPerSecond: rate.sample(bytes), etaSeconds: null, currentItem: null }),
        });
        try {
          assertSameFile(inspection, request, source.identity);
          if (inspection.inner === 'lifeboat-tar') {
            let created = false;
            walk = await walkPlaintext(source.stream!, {
              signal: ctx.signal,
              onGlobals: async (globals) => {
                if (o.missingRoles.length && !created) {
                  created = true;
                  await o.createRoles(globals.toString('utf8'), o.missingRoles);
                }
              },
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
      }
      // pg_restore -j runs the archive's SQL itself: what the stream check does for psql is done on its TOC here.
      if (!runsTrusted(inspection, request)) {
        const unsafe = unsafeTocStatement(inspection.inner === 'pg-directory' ? readTocDat(await readFile(path.join(archivePath, 'toc.dat'))) : await readCustomToc(archivePath));
        if (unsafe) throw new LifeboatError('PREFLIGHT_BLOCKED', `The archive's ${unsafe.entry} ${unsafe.reason}: ${unsafe.statement}`, TRUST_FIX);
      }
      const entries = Math.max(inspection.toc?.entries.length ?? 1, 1);
      let done = 0;
      // Restricted: pg_restore sets no owners and leaves out default privileges (which need the roles); both are set afterwards.
      const listFile = await writeTocList(workDir, inspection.toc, request.tables, request.mode === 'data-only', o.restricted ? ['DEFAULT ACL'] : []);
      const exitOnError = o.targetMajor >= (inspection.dumpMajor ?? o.targetMajor);
      const proc = startTool({
        path: o.pgRestore.path,
        // --dbname is expanded as a connection string when it looks like one: pass the name quoted.
        args: [`--jobs=${jobs}`, '--verbose', '--no-password', `--dbname=${dbnameConninfo(o.database)}`, ...(exitOnError ? ['--exit-on-error'] : []),
          ...(request.noOwner || o.restricted ? ['--no-owner'] : []), ...(request.noPrivileges ? ['--no-privileges'] : []),
          ...(listFile ? [`--use-list=${listFile}`] : []), archivePath],
        env: libpq.env,
        signal: ctx.signal,
        onLine: (line) => {
          // Each TOC item is announced once as "processing item N TYPE name"; the other verbose lines repeat it.
          const match = /^pg_restore: processing item \d+ (.+)$/.exec(line);
          if (!match) return /^pg_restore: (?!error|warning)/.test(line);
          done++;
          ctx.report({ phase: `Restoring (${jobs} jobs)`, fraction: o.fractionStart + span * (0.3 + 0.7 * Math.min(done / entries, 0.99)), currentItem: match[1]!, etaSeconds: null });
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
      if (o.restricted) await holdRoleStatements(o, archivePath, workDir);
      return { tolerated, walk, fileSha256: inspection.inner === 'pg-directory' ? null : fileHash.digest('hex') };
    } finally {
      await libpq.dispose();
      await rm(workDir, { recursive: true, force: true });
    }
  }
}

/**
 * What runs of a statement: rows of the chosen tables only (data-only); with "no owner" / "no
 * privileges" not the statements that set them (pg_restore leaves them out of archives itself; this
 * does it for plain SQL files too); in a restricted restore, ownership statements are held for later.
 */
function statementDecider(request: RestoreRequest, restricted: LeastPrivilegeRestore | null): ((statement: string) => StatementDecision) | undefined {
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

/** The first row-count mismatch, and how many more. */
function mismatchError(mismatches: TableCheck[], mode: PreflightOptions['mode']): LifeboatError {
  const first = mismatches[0]!;
  return new LifeboatError('VERIFY_FAILED', `The restored data does not match the backup: ${first.table} ${first.missing ? 'is missing' : `has ${first.actual} rows`}, the backup recorded ${first.expected}${first.missing ? ' rows' : ''}${mismatches.length > 1 ? ` (and ${mismatches.length - 1} more tables differ)` : ''}.`, mode === 'replace' ? 'Nothing was swapped: the database is unchanged. Use another backup.' : 'The new database was removed. Use another backup.');
}

/** Parallel pg_restore jobs asked for, within 1–16. */
function parallelJobs(request: RestoreRequest): number {
  return Math.min(Math.max(Math.round(request.jobs ?? 1), 1), 16);
}

/** Who connects to run or check the file: the temporary role of a restricted restore, else the profile. */
function runsAs(restricted: LeastPrivilegeRestore | null, profile: Profile, password: string | null): { profile: Profile; password: string | null } {
  return restricted?.connection(profile) ?? { profile, password };
}

/** A restricted restore that failed for want of rights says why it ran restricted and how to choose otherwise. */
function restrictedHint(error: LifeboatError, restricted: LeastPrivilegeRestore | null): LifeboatError {
  if (!restricted || !/permission denied|must be (superuser|owner|member)|must have|only superuser/i.test(error.message)) return error;
  return new LifeboatError(error.code, error.message, `This file was not made by this Lifeboat, so its SQL ran as a temporary role without superuser rights, and this statement needs more. Nothing was changed: the new database was removed. Restore it with the profile's rights only if you trust where it came from: type "${TRUST_PHRASE}" (CLI: --trust "${TRUST_PHRASE}").`, { cause: error });
}

/** Known-benign errors of a newer dump on an older server; anything else is a real failure. */
function splitRestoreErrors(errors: string[]): { tolerated: string[]; real: string[] } {
  const tolerated = new Set<string>();
  const real: string[] = [];
  for (let i = 0; i < errors.length; i++) {
    const line = errors[i]!;
    if (!/^pg_restore: error:/.test(line)) continue;
    const command = errors[i + 1]?.startsWith('Command was:') ? errors[i + 1]! : '';
    if (/unrecognized configuration parameter "transaction_timeout"/.test(line) || /SET transaction_timeout/.test(command)) tolerated.add('SET transaction_timeout (a setting PostgreSQL 17 introduced) failed harmlessly');
    else if (FOREIGN_COLUMN_OPTIONS.some((o) => line.includes(`unrecognized parameter "${o}"`))) tolerated.add('A column option written by the source server\'s build, unknown to the target, failed harmlessly');
    else real.push(line.replace(/^pg_restore: error: /, ''));
  }
  return { tolerated: [...tolerated], real };
}

async function writeTo(proc: ReturnType<typeof startTool>, chunk: Buffer): Promise<void> {
  const stdin = proc.child.stdin!;
  if (stdin.destroyed || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  if (!stdin.write(chunk)) await drainOrExit(stdin, proc.child);
}

/** A pg_restore --use-list file: only the chosen tables' entries (data-only) or everything but other tables' data. */
async function writeTocList(dir: string, toc: TocListing | null, tables: string[] | undefined, dataOnly: boolean, leftOut: string[] = []): Promise<string | null> {
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

function validateName(database: string): void {
  if (!database || Buffer.byteLength(database) > MAX_NAME || database.includes('\0')) {
    throw new LifeboatError('INVALID_INPUT', `"${database}" is not a valid database name (1–63 bytes).`, 'Choose a shorter name.');
  }
}

/**
 * name + suffix, shortening the name so the result fits PostgreSQL's 63-byte limit. Cut between
 * whole characters (grapheme clusters): a cut inside a surrogate pair would send invalid UTF-16,
 * which becomes U+FFFD on the wire, and a cut inside a UTF-8 sequence is refused by the server.
 */
export function derivedName(name: string, suffix: string): string {
  return truncateUtf8(name, MAX_NAME - Buffer.byteLength(suffix)) + suffix;
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

