// Restore without fear: into a new database (default), replace by verified swap, or data-only rows
// into an existing database — a failed or cancelled restore drops what it created and leaves the
// target exactly as it was. The run is a sequence of steps: check, safety backup, create, restore
// (restore-stream.ts, restore-parallel.ts), verify (restore-verify.ts), hand over, swap
// (restore-swap.ts) — and on failure, clean up (restore-cleanup.ts).
import type { JobActivity } from '../activity/activity-log.ts';
import { TRUST_PHRASE } from './unsafe-statements.ts';
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { utcStamp } from '../archive/archive-names.ts';
import { authenticateArchive } from '../archive/archive-reader.ts';
import type { AgeKeys } from '../crypto/age-decrypt.ts';
import { LifeboatError, toErrorInfo } from '../errors.ts';
import { startJob, withScope, type Job, type JobContext, type JobRunContext } from '../jobs/job.ts';
import type { EncryptionChoice, KeyService } from '../keys/key-service.ts';
import type { ToolResolver } from '../pgtools/tool-resolver.ts';
import type { Clock } from '../ports.ts';
import type { ProfileService } from '../profiles/profile-service.ts';
import type { PgTool, Profile } from '../types.ts';
import { buildChecklist, firstBlocker, inspectFile, roleChoices, runsRestricted, type Inspection, type PreflightOptions, type TargetState } from './restore-inspect.ts';
import { fileIdentity } from './restore-source.ts';
import { inspectForRestore } from './own-archive-check.ts';
import { LeastPrivilegeRestore, sweepRestoreRoles } from './least-privilege-restore.ts';
import { FOREIGN_COLUMN_OPTIONS } from './sql-pipeline.ts';
import { parseGlobalsRoles, planRoleCreation } from './role-definitions.ts';
import { TargetServer, type TargetFacts } from './target-server.ts';
import { LeftoverDatabases } from './leftover-databases.ts';
import { noChanges, undoChanges, type RestoreChanges } from './restore-cleanup.ts';
import { parallelJobs, type RestoreIntoOptions, type RestoreIntoResult } from './restore-into.ts';
import { derivedName, validateName } from './restore-names.ts';
import { restoreParallel } from './restore-parallel.ts';
import { restoreStreamed } from './restore-stream.ts';
import { restoreDirect, restoresDirectly } from './restore-direct.ts';
import { swapRestoredIn } from './restore-swap.ts';
import type { RestoreRequest, RestoreResult } from './restore-types.ts';
import { mismatchError, verifyRestored } from './restore-verify.ts';
import type { Preflight } from '../model/restore.ts';
export type { Preflight } from '../model/restore.ts';

// Moved to their own modules; still exported here for the files that import them from here.
export type { RestoreRequest, RestoreResult, TableCheck } from './restore-types.ts';
export { derivedName } from './restore-names.ts';

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
  /** Where each restore's outcome is logged (activity/activity-log.ts). */
  activity?: JobActivity;
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
   * keys (those that open it, and the keychain's own, whose tags vouch for it): the UI re-runs the
   * checklist on every change of its inputs.
   */
  async inspect(file: string, keys: AgeKeys = {}, signal?: AbortSignal): Promise<Inspection> {
    const own = await this.#deps.keys.ownKeys();
    const all = await this.#deps.keys.decryptionKeys(keys, own);
    const info = await stat(file).catch(() => null);
    const cacheKey = info ? `${file}\0${info.size}\0${info.mtimeMs}\0${createHash('sha256').update(JSON.stringify([all, own])).digest('hex')}` : null;
    const cached = cacheKey ? this.#inspections.get(cacheKey) : undefined;
    if (cached) return cached;
    // Only Lifeboat's own keys vouch for an archive: a key handed over with a file proves nothing.
    const inspection = await inspectFile(file, all, (major) => this.#deps.tools.choose('pg_restore', major), signal, { trusted: own });
    if (cacheKey) {
      this.#inspections.set(cacheKey, inspection);
      while (this.#inspections.size > 4) this.#inspections.delete(this.#inspections.keys().next().value!);
    }
    return inspection;
  }

  readonly #inspections = new Map<string, Inspection>();

  async preflight(request: RestoreRequest, signal?: AbortSignal): Promise<Preflight> {
    const inspection = await this.inspect(request.file, request.keys, signal);
    return withScope(signal, async (scope) => {
      const { profile, password } = await this.#deps.profiles.resolveForConnection(request.profile, scope);
      const server = await TargetServer.connect(profile, password);
      try {
        return await this.#checklist(inspection, profile, server, request);
      } finally {
        await server.close();
      }
    });
  }

  /** The server's databases a restore may replace or add rows to (the Restore screen offers them to choose from). */
  async targetDatabases(profileName: string, signal?: AbortSignal): Promise<string[]> {
    return withScope(signal, async (scope) => {
      const { profile, password } = await this.#deps.profiles.resolveForConnection(profileName, scope);
      const server = await TargetServer.connect(profile, password);
      try {
        return await server.databases();
      } finally {
        await server.close();
      }
    });
  }

  /** Free space where the target server keeps its data; null when it cannot be read from here (a whole-run restore checks the sum). */
  async freeSpace(profileName: string, signal?: AbortSignal): Promise<{ bytes: number; where: string } | null> {
    return withScope(signal, async (scope) => {
      const { profile, password } = await this.#deps.profiles.resolveForConnection(profileName, scope);
      const server = await TargetServer.connect(profile, password);
      try {
        return await server.freeSpace();
      } finally {
        await server.close();
      }
    });
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
  async #authenticatedIfNeeded(inspection: Inspection, file: string, keys: { open: AgeKeys; own: AgeKeys }, signal: AbortSignal): Promise<Inspection> {
    if (!inspection.lifeboat || inspection.lifeboat.authenticity !== null || inspection.unsafe.count === 0) return inspection;
    const before = await fileIdentity(file);
    const authenticity = await authenticateArchive(file, keys.open, { signal, trusted: keys.own });
    const same = before !== null && before === inspection.fileIdentity && (await fileIdentity(file)) === before;
    return { ...inspection, lifeboat: { ...inspection.lifeboat, authenticity }, fileIdentity: same ? before : null };
  }

  start(request: RestoreRequest): Job<RestoreResult> {
    const job = startJob('restore', (ctx) => this.#run(request, ctx));
    const trusted = request.trust === TRUST_PHRASE ? `, "${TRUST_PHRASE}" typed by the user` : '';
    this.#deps.activity?.recordJob(job, { what: 'restore', title: `Restore into "${request.database}" (${request.mode})${trusted}`, profile: request.profile });
    return job;
  }

  /** Drops a copy kept by a replace ("<name>_before_restore_<stamp>"), and nothing else. */
  async dropKeptCopy(profileName: string, database: string): Promise<void> {
    if (!/_before_restore_\d{8}T\d{6}Z$/.test(database)) throw new LifeboatError('INVALID_INPUT', `"${database}" is not a copy kept by a Lifeboat replace.`, 'Only databases named <name>_before_restore_<stamp> can be dropped here.');
    await withScope(undefined, async (scope) => {
      const { profile, password } = await this.#deps.profiles.resolveForConnection(profileName, scope);
      const server = await TargetServer.connect(profile, password);
      try {
        if (!(await server.exists(database))) throw new LifeboatError('INVALID_INPUT', `There is no database "${database}".`, 'It may have been dropped already.');
        await server.dropDatabase(database);
      } finally {
        await server.close();
      }
    });
  }

  async #run(request: RestoreRequest, ctx: JobRunContext): Promise<RestoreResult> {
    const t0 = performance.now();
    // Read once: the keys that open the file and those whose tags vouch for it (the keychain's own).
    const own = await this.#deps.keys.ownKeys();
    const keys = await this.#deps.keys.decryptionKeys(request.keys, own);
    ctx.report({ phase: 'Checking', fraction: 0, message: 'Safety checklist' });
    const { inspection, profile, password, server } = await this.#inspectWhileConnecting(request, { open: keys, own }, ctx);
    const changes = noChanges();
    try {
      const { facts, pgRestore, psql } = await this.#check(inspection, profile, server, request);
      const stamp = utcStamp(this.#deps.clock.now());
      const share = request.mode === 'replace' && request.safetyBackup !== false ? 0.35 : 0;

      const safetyBackup = share > 0 ? await this.#safetyBackup(request, profile, share, ctx) : null;

      const into = request.mode === 'new' ? request.database : request.mode === 'replace' ? derivedName(request.database, `_restoring_${stamp}`) : request.database;
      if (request.mode !== 'data-only') await createTarget(server, ctx, { request, inspection, facts, profile, password, into, share }, changes);
      const tRestore = performance.now();
      const restored = await restoreInto({
        request, profile, password, keys, pgRestore, psql, targetMajor: facts.serverMajor, database: into, inspection, ctx, fractionStart: share, fractionEnd: 0.9,
        unknownColumnOptions: await server.unknownColumnOptions(FOREIGN_COLUMN_OPTIONS),
        createRoles: async (globals, wanted) => {
          const plan = planRoleCreation(parseGlobalsRoles(globals), wanted, request.privilegedRoleAttributes);
          changes.createdRoles = await server.createRoles(plan.creations);
        },
        missingRoles: request.createMissingRoles ? inspection.roles.filter((r) => !facts.roles.has(r)) : [],
        restricted: changes.restricted,
      });
      const restoreMs = Math.round(performance.now() - tRestore);
      const { verification, verifyMs } = await verifyRestored(ctx, request, { database: into, walk: restored.walk, restricted: changes.restricted, profile, password });
      const leastPrivilege = await handOver(server, { profile, password }, into, request, changes);
      if (verification.mismatches.length && request.verify !== 'report') throw mismatchError(verification.mismatches, request.mode);

      const { keptDatabase, endedSessions } = request.mode === 'replace' ? await swapRestoredIn(server, ctx, request.database, into, stamp, changes) : { keptDatabase: null, endedSessions: 0 };
      ctx.report({ phase: 'Done', fraction: 1, message: request.database, etaSeconds: null });
      return {
        mode: request.mode,
        database: request.database,
        keptDatabase,
        safetyBackup: safetyBackup ? { archive: safetyBackup.archive, sha256: safetyBackup.sha256 } : null,
        createdRoles: changes.createdRoles,
        tolerated: restored.tolerated,
        verification,
        endedSessions,
        durationMs: Math.round(performance.now() - t0),
        source: inspection.label,
        fileSha256: restored.fileSha256,
        timings: { restoreMs, verifyMs },
        leastPrivilege,
        runner: restored.runner,
      };
    } catch (error) {
      throw await undoChanges(error, changes, server, ctx.signal, (name, oid) => this.#leftovers.remember(profile, name, oid, this.#deps.clock.now()));
    } finally {
      await server.close();
    }
  }

  /**
   * The target is resolved first (its password, and its SSH tunnel, which the job closes — a tunnel
   * still opening when the job ended would be left behind), then the file is inspected (the fast
   * check hashes it whole) while the server is connected. A bad file is still said before a
   * connection failure; a connection made for a file that fails is closed.
   */
  async #inspectWhileConnecting(request: RestoreRequest, keys: { open: AgeKeys; own: AgeKeys }, ctx: JobRunContext): Promise<{ inspection: Inspection; profile: Profile; password: string | null; server: TargetServer }> {
    const { profile, password } = request.target ?? (await this.#deps.profiles.resolveForConnection(request.profile, ctx));
    const connected = TargetServer.connect(profile, password);
    connected.catch(() => {}); // awaited below, after the inspection
    try {
      const inspection = await this.#authenticatedIfNeeded(request.inspection ?? (await inspectForRestore(request.file, keys.open, (major) => this.#deps.tools.choose('pg_restore', major), keys.own, ctx.signal)), request.file, keys, ctx.signal);
      return { inspection, profile, password, server: await connected };
    } catch (error) {
      void connected.then((server) => server.close()).catch(() => {});
      throw error;
    }
  }

  /** Leftovers of earlier restores swept, the checklist passed, the tools chosen. */
  async #check(inspection: Inspection, profile: Profile, server: TargetServer, request: RestoreRequest): Promise<{ facts: TargetFacts; pgRestore: PgTool; psql: PgTool }> {
    await this.#leftovers.sweep(profile, server);
    await sweepRestoreRoles(server);
    const preflight = await this.#checklist(inspection, profile, server, request);
    const blocker = firstBlocker(preflight.items);
    if (blocker) throw new LifeboatError('PREFLIGHT_BLOCKED', `${blocker.title}: ${blocker.detail}`, blocker.fix ?? 'Resolve the checklist item, then restore again.');
    const facts = await server.facts();
    const pgRestore = await this.#deps.tools.choose('pg_restore', inspection.dumpMajor);
    const psql = await this.#deps.tools.choose('psql', null);
    return { facts, pgRestore, psql };
  }

  /** A replace backs the database up first; a failed safety backup restores nothing. */
  async #safetyBackup(request: RestoreRequest, profile: Profile, share: number, ctx: JobRunContext): Promise<SafetyBackupResult> {
    ctx.report({ phase: 'Safety backup', fraction: 0, message: `Backing up "${request.database}" first` });
    const job = this.#deps.backups.start({ profile: profile.id, database: request.database, ...(request.safetyBackupEncryption ? { encryption: request.safetyBackupEncryption } : {}) });
    try {
      return await ctx.follow(job, (p) => ({ phase: 'Safety backup', fraction: (p.fraction ?? 0) * share, currentItem: p.currentItem, bytes: p.bytes, bytesPerSecond: p.bytesPerSecond, etaSeconds: null }));
    } catch (error) {
      throw new LifeboatError('RESTORE_FAILED', `The safety backup of "${request.database}" failed, so nothing was restored: ${toErrorInfo(error).message}`, toErrorInfo(error).fix ?? 'Fix the backup problem first, or turn the safety backup off.', { cause: error });
    }
  }
}

/** Restores the file into the database: streamed through psql, straight into pg_restore (trusted Lifeboat archives), or by pg_restore -j from a decrypted file. */
function restoreInto(o: RestoreIntoOptions): Promise<RestoreIntoResult> {
  // Data-only restores run in one transaction, which pg_restore cannot combine with parallel jobs.
  if ((o.request.jobs ?? 1) > 1 && o.request.mode !== 'data-only') return restoreParallel(o);
  if (restoresDirectly(o)) return restoreDirect(o);
  return restoreStreamed(o);
}

/** Creates the database to restore into (recorded in `changes`) and, for a file Lifeboat did not make, the temporary role it runs as. */
async function createTarget(server: TargetServer, ctx: JobContext, run: { request: RestoreRequest; inspection: Inspection; facts: TargetFacts; profile: Profile; password: string | null; into: string; share: number }, changes: RestoreChanges): Promise<void> {
  const { request, inspection, facts, profile, password, into } = run;
  ctx.report({ phase: 'Creating database', fraction: run.share, message: into });
  await server.createDatabase(into);
  changes.created.push(into);
  changes.createdOids.set(into, await server.databaseOid(into));
  // A file Lifeboat did not make runs with least privilege (a non-superuser profile's own rights are already less).
  // The connections psql or pg_restore -j N (a leader and N workers) need, and one more: pg_restore
  // closes its leader's connection before the workers connect, and reconnects after they end, and a
  // backend that is still exiting counts against the limit (a loaded CI run failed -j 2 without it).
  const jobs = parallelJobs(request);
  if (runsRestricted(inspection, facts, request)) changes.restricted = await LeastPrivilegeRestore.begin(server, { profile, password }, into, jobs > 1 ? jobs + 2 : 1);
}

/** A least-privilege restore hands the verified database over: locked down, then its objects given to their roles. */
async function handOver(server: TargetServer, admin: { profile: Profile; password: string | null }, into: string, request: RestoreRequest, changes: RestoreChanges): Promise<RestoreResult['leastPrivilege']> {
  const restricted = changes.restricted;
  if (!restricted) return null;
  await restricted.lockDown(server, into);
  const leastPrivilege = { standInFor: (await restricted.finish(server, admin, into, { keepOwners: request.keepOwners === true })).standIn };
  changes.restricted = null;
  return leastPrivilege;
}
