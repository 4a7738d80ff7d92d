// Test-restore drills: restore an archive into a scratch database (embedded PostgreSQL 18 or a
// server), prove row counts, object counts and canary values equal the backup's snapshot, and keep
// the evidence (history, sidecar badge, HTML report).
import type { JobActivity } from '../activity/activity-log.ts';
import { stat } from 'node:fs/promises';
import { writeFileDurably } from '../files/durable-files.ts';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { SIDECAR_SUFFIX, type ArchiveManifest, type ArchiveSidecar, type CanaryResult } from '../archive/archive-format.ts';
import { utcStamp } from '../archive/archive-names.ts';
import { readSidecarFile } from '../archive/sidecar-file.ts';
import { isRecognised, writeSidecarFile, type LibraryKey } from '../archive/sidecar-tag.ts';
import { canaryValue, countObjects } from '../db/catalog-checks.ts';
import type { AgeKeys } from '../crypto/age-decrypt.ts';
import { connectWhenFree } from '../restore/least-privilege-restore.ts';
import { LifeboatError } from '../errors.ts';
import { startJob, type Job, type JobContext, type JobRunContext } from '../jobs/job.ts';
import type { KeyService } from '../keys/key-service.ts';
import type { ToolResolver } from '../pgtools/tool-resolver.ts';
import type { Clock } from '../ports.ts';
import type { ProfileService } from '../profiles/profile-service.ts';
import { inspectFile, type Inspection } from '../restore/restore-inspect.ts';
import type { RestoreResult, RestoreService } from '../restore/restore-service.ts';
import { TargetServer } from '../restore/target-server.ts';
import { startEmbeddedPostgres, type ScratchServer } from '../scratch/embedded-postgres.ts';
import type { DrillCheck, DrillRecord } from '../model/drill.ts';
import type { Profile } from '../types.ts';
import { allPassed, canaryCheck, failuresFirst, objectCountChecks, planCanaries, recordFailure, recordRestoreFailure, refusedFileChecks, restoreSucceededCheck, rowCountChecks, sidecarChecks, verdictPhase } from './drill-checks.ts';
import { appendDrillHistory, drillReportPath, readDrillHistory, storeDrillReport } from './drill-history.ts';
import { renderDrillReport } from './drill-report.ts';

export type ScratchChoice = { kind: 'embedded' } | { kind: 'profile'; profile: string };

export interface DrillRequest {
  file: string;
  scratch?: ScratchChoice;
  /** Keep the scratch database (server scratch only) for inspection. */
  keep?: boolean;
  keys?: AgeKeys;
  /** Also write the HTML evidence report here. */
  reportFile?: string;
  /** TRUST_PHRASE, typed: statements of the file that reach beyond the scratch database may run. */
  trust?: string;
}

export type { DrillCheck, DrillRecord } from '../model/drill.ts';

export interface DrillDeps {
  restores: RestoreService;
  profiles: ProfileService;
  tools: ToolResolver;
  keys: KeyService;
  clock: Clock;
  dataDir: string;
  appVersion: string;
  /** Re-tags a recognised sidecar after its drill is recorded (sidecar-tag.ts). */
  libraryKey?: LibraryKey;
  /** Where each drill's outcome is logged (activity/activity-log.ts). */
  activity?: JobActivity;
}

/** What one drill holds open, and what its tear-down closes, stops or drops. */
interface DrillRun {
  readonly record: DrillRecord;
  /** The embedded scratch server, from the moment it has started (even while the archive is still read). */
  scratch: ScratchServer | null;
  /** The connection to the scratch server (embedded or a profile's). */
  server: TargetServer | null;
  /** The restore into the scratch database finished. */
  restored: boolean;
}

/** The archive as read before the scratch server is needed, and the embedded server starting meanwhile. */
interface ArchiveRead {
  keys: AgeKeys;
  inspection: Inspection;
  manifest: ArchiveManifest | null;
  /** The embedded scratch server, starting (null for a scratch database on a profile's server). */
  starting: Promise<ScratchServer> | null;
  /** performance.now() when the scratch server began to start. */
  tStart: number;
}

interface ScratchTarget {
  profile: Profile;
  password: string | null;
}

/** The finished restore, and the object counts and canaries read in the scratch database before it was handed over. */
interface RestoredScratch {
  result: RestoreResult;
  dataChecks: DrillCheck[];
}

export class DrillService {
  readonly #deps: DrillDeps;

  constructor(deps: DrillDeps) {
    this.#deps = deps;
  }

  start(request: DrillRequest): Job<DrillRecord> {
    const job = startJob('drill', (ctx) => this.#run(request, ctx));
    this.#deps.activity?.recordJob(job, { what: 'drill', title: 'Drill', profile: null, archive: request.file, archiveOf: (record) => record.archive.path, failureOf: drillFailure });
    return job;
  }

  async history(filter: { archive?: string; profile?: string } = {}): Promise<DrillRecord[]> {
    return readDrillHistory(this.#deps.dataDir, filter);
  }

  async #run(request: DrillRequest, ctx: JobRunContext): Promise<DrillRecord> {
    const { clock } = this.#deps;
    const started = clock.now();
    const t0 = performance.now();
    const run: DrillRun = { record: newDrillRecord(request, started, this.#deps.appVersion), scratch: null, server: null, restored: false };
    const { record } = run;
    try {
      const archive = await this.#readArchive(request, run, ctx);
      const target = await this.#startScratch(request, run, archive, started, ctx);
      await this.#connectScratch(run, target, archive.inspection);
      const restored = await this.#restoreIntoScratch(request, run, archive, target, ctx);
      await this.#verify(request, run, archive.manifest, restored, ctx);
    } catch (error) {
      recordFailure(record, error);
    } finally {
      await this.#tearDown(request, run, ctx);
    }
    record.timings.totalMs = Math.round(performance.now() - t0);
    record.finishedAt = this.#deps.clock.now().toISOString();
    record.checks.sort(failuresFirst);
    if (ctx.signal.aborted) throw new LifeboatError('CANCELLED', 'The drill was cancelled; the scratch database was removed.');
    await this.#record(record, request);
    ctx.report({ phase: verdictPhase(record), fraction: 1 });
    return record;
  }

  /** The archive's table of contents and source; the embedded scratch server starts meanwhile (they do not depend on each other). */
  async #readArchive(request: DrillRequest, run: DrillRun, ctx: JobContext): Promise<ArchiveRead> {
    const { record } = run;
    ctx.report({ phase: 'Reading the archive', fraction: 0, message: record.archive.name });
    const keys = await this.#deps.keys.decryptionKeys(request.keys);
    const embedded = (request.scratch?.kind ?? 'embedded') === 'embedded';
    const tStart = performance.now();
    const starting = embedded ? startEmbeddedPostgres({ signal: ctx.signal }) : null;
    starting?.then((server) => (run.scratch = server), () => {});
    // A file that cannot be drilled stops the scratch server still starting for it (teardown would miss it).
    const stopStarting = async () => {
      await starting?.then((server) => server.stop(), () => {});
      run.scratch = null;
    };
    const inspection = await inspectFile(request.file, keys, (major) => this.#deps.tools.choose('pg_restore', major), ctx.signal, { quick: true }).catch(async (error: unknown) => {
      await stopStarting();
      throw error;
    });
    const manifest: ArchiveManifest | null = inspection.lifeboat?.manifest ?? null;
    Object.assign(record.source, {
      profile: manifest?.source.profile ?? null,
      database: manifest?.source.database ?? inspection.sourceDatabase,
      host: manifest ? `${manifest.source.host}:${manifest.source.port}` : null,
      serverVersion: inspection.sourceServerVersion,
      createdAt: inspection.createdAt,
    });
    if (inspection.problem) {
      await stopStarting();
      record.checks.push(...refusedFileChecks(inspection.problem));
      throw new LifeboatError(inspection.problem.code, inspection.problem.message, inspection.problem.fix);
    }
    return { keys, inspection, manifest, starting, tStart };
  }

  /** The embedded server, started (or the chosen profile's server), and the scratch database's name. */
  async #startScratch(request: DrillRequest, run: DrillRun, archive: ArchiveRead, started: Date, ctx: JobRunContext): Promise<ScratchTarget> {
    const { record } = run;
    ctx.report({ phase: 'Starting the scratch server', fraction: 0.05 });
    let target: ScratchTarget;
    if (archive.starting) {
      const scratch = await archive.starting.catch((error: unknown) => {
        record.couldNotRun = true;
        throw error;
      });
      run.scratch = scratch;
      target = { profile: scratch.profile, password: scratch.password };
      record.scratch.server = `embedded PostgreSQL ${scratch.version} on 127.0.0.1:${scratch.profile.port}`;
      record.tools.scratchServer = scratch.version;
    } else {
      const chosen = await this.#deps.profiles.resolveForConnection((request.scratch as { profile: string }).profile, ctx);
      target = chosen;
      record.scratch.server = `${chosen.profile.name} (${chosen.profile.host}:${chosen.profile.port}${chosen.profile.tunnel ? ` ${chosen.profile.tunnel.description}` : ''})`;
    }
    record.timings.startMs = Math.round(performance.now() - archive.tStart);
    record.scratch.database = `lifeboat_drill_${utcStamp(started).toLowerCase()}`;
    return target;
  }

  /** Connects to the scratch server, and chooses the tools that restore into it. */
  async #connectScratch(run: DrillRun, target: ScratchTarget, inspection: Inspection): Promise<void> {
    const { record } = run;
    run.server = await TargetServer.connect(target.profile, target.password);
    record.tools.scratchServer ??= (await run.server.facts()).serverVersion;
    const pgRestore = await this.#deps.tools.choose('pg_restore', inspection.dumpMajor);
    const psql = await this.#deps.tools.choose('psql', null);
    record.tools.pg_restore = pgRestore.version;
    record.tools.psql = psql.version;
  }

  /** The archive restored into a new scratch database, its progress shown as the drill's; cancelling the drill cancels it. */
  async #restoreIntoScratch(request: DrillRequest, run: DrillRun, archive: ArchiveRead, target: ScratchTarget, ctx: JobRunContext): Promise<RestoredScratch> {
    const { record } = run;
    let result: RestoreResult;
    // Object counts and canaries read the restored data before it is handed over, as the role that
    // restored it: a stranger's view or function they touch never runs as the scratch superuser.
    let dataChecks: DrillCheck[] = [];
    try {
      const job = this.#deps.restores.start({
        checkRestored: async (db) => {
          dataChecks = await this.#objectAndCanaryChecks(db, archive.manifest);
        },
        file: request.file,
        profile: target.profile.name,
        target,
        inspection: archive.inspection,
        mode: 'new',
        database: record.scratch.database,
        keys: archive.keys,
        verify: 'report',
        ...(request.trust !== undefined ? { trust: request.trust } : {}),
        // Scratch servers know no roles of the source; ownership is not what a drill proves.
        noOwner: run.scratch !== null,
        noPrivileges: run.scratch !== null,
        // The scratch restore never runs with a superuser's rights unless the archive needs them (then only one's own, or trusted).
        leastPrivilege: 'whenever-possible',
      });
      result = await ctx.follow(job, (p) => ({ phase: p.phase === 'Done' ? 'Verifying' : p.phase, fraction: 0.1 + 0.75 * (p.fraction ?? 0), bytes: p.bytes, bytesPerSecond: p.bytesPerSecond, currentItem: p.currentItem, etaSeconds: p.etaSeconds }));
      run.restored = true;
    } catch (error) {
      recordRestoreFailure(record, error);
      throw error;
    }
    return { result, dataChecks };
  }

  /** The restore's outcome, the sidecar's sha256, row counts, objects and canaries, and the verdict they add up to. */
  async #verify(request: DrillRequest, run: DrillRun, manifest: ArchiveManifest | null, restored: RestoredScratch, ctx: JobContext): Promise<void> {
    const { record } = run;
    const { result, dataChecks } = restored;
    record.archive.sha256 = result.fileSha256;
    record.tolerated = result.tolerated;
    record.timings.restoreMs = result.timings.restoreMs;
    record.checks.push(restoreSucceededCheck(result.tolerated));

    ctx.report({ phase: 'Verifying', fraction: 0.88, message: 'Row counts, objects, canaries' });
    const tVerify = performance.now();
    const read = await readSidecarFile(`${request.file}${SIDECAR_SUFFIX}`);
    record.checks.push(...sidecarChecks(read, result.fileSha256));
    record.checks.push(...rowCountChecks(result.verification.checked, manifest));
    record.checks.push(...dataChecks);
    record.timings.verifyMs = result.timings.verifyMs + Math.round(performance.now() - tVerify);
    record.passed = allPassed(record.checks);
  }

  /**
   * Whatever happened: a server's scratch database is dropped (unless kept: server scratch only, once
   * restored), the connection closed and the embedded server stopped. The run's scratch and server
   * are read at each step, as they are then: the embedded server may have finished starting meanwhile.
   */
  async #tearDown(request: DrillRequest, run: DrillRun, ctx: JobContext): Promise<void> {
    const { record } = run;
    ctx.report({ phase: 'Cleaning up', fraction: 0.95 });
    const tTeardown = performance.now();
    const keep = Boolean(request.keep && !run.scratch && run.restored);
    record.scratch.kept = keep;
    if (run.server && !run.scratch && !keep && record.scratch.database) await run.server.dropDatabase(record.scratch.database).catch(() => {});
    await run.server?.close();
    await run.scratch?.stop();
    record.timings.teardownMs = Math.round(performance.now() - tTeardown);
  }

  /** The manifest's object counts and the profile's canaries, in the restored scratch database. */
  async #objectAndCanaryChecks(db: { profile: Profile; password: string | null; database: string }, manifest: ArchiveManifest | null): Promise<DrillCheck[]> {
    const checks: DrillCheck[] = [];
    // Canaries are the user's SQL, written for the database's usual search_path; they run as the
    // role that restored it (a stranger's file: the temporary role), so whatever it resolves to is harmless.
    const client = await connectWhenFree(db.profile, db.password, db.database);
    try {
      if (manifest?.objectCounts) checks.push(...objectCountChecks(manifest.objectCounts, await countObjects(client)));
      if (Array.isArray(manifest?.canaries) && manifest.canaries.length) checks.push(...(await checkCanaries(client, manifest.canaries, String(manifest.source.profile), await this.#deps.profiles.list())));
    } finally {
      await client.end().catch(() => {});
    }
    return checks;
  }

  /** The stored evidence report of a past drill. */
  reportPath(drillId: string): string {
    return drillReportPath(this.#deps.dataDir, drillId);
  }

  /** History line, sidecar badge, the stored report (and a copy where asked). */
  async #record(record: DrillRecord, request: DrillRequest): Promise<void> {
    if (request.reportFile) {
      // Written beside and renamed into place: a pipe or link at that path is replaced, never written through (a FIFO would wait for a reader forever).
      await writeFileDurably(request.reportFile, renderDrillReport({ ...record, reportFile: request.reportFile }));
      record.reportFile = request.reportFile;
    }
    if (record.couldNotRun) return; // no verdict on the backup
    await storeDrillReport(this.#deps.dataDir, record);
    await appendDrillHistory(this.#deps.dataDir, record);
    await this.#recordInSidecar(record, request.file);
  }

  /**
   * The sidecar's drill badge. The sidecar keeps its standing: tagged again only when it was
   * recognised as this Lifeboat's and, for a pass, the drilled bytes are the ones it describes (a file
   * swapped for another of the same size must not gain a "drilled" mark that retention trusts).
   */
  async #recordInSidecar(record: DrillRecord, file: string): Promise<void> {
    const sidecarPath = `${file}${SIDECAR_SUFFIX}`;
    const read = await readSidecarFile(sidecarPath);
    const sidecar: ArchiveSidecar | null = read.kind === 'ok' ? read.sidecar : null;
    if (!sidecar) return;
    const key = (await this.#deps.libraryKey?.get()) ?? null;
    // Without the key now (a locked keychain) a tag could not be made again: the badge is dropped, not the tag.
    if (key === null && sidecar.libraryTag !== undefined) return;
    const size = await stat(file).then((info) => info.size, () => -1);
    // A failed drill only takes trust away, so it is recorded on a recognised sidecar whatever was read.
    const keep = isRecognised(sidecar, { name: path.basename(file), size }, key) && (!record.passed || record.archive.sha256 === sidecar.sha256);
    // Recovery time as everywhere: restore + verify (starting the scratch server is not part of a real recovery).
    const drill = { at: record.finishedAt, passed: record.passed, recoveryMs: record.timings.restoreMs + record.timings.verifyMs };
    await writeSidecarFile(sidecarPath, { ...sidecar, drill }, keep ? key : null).catch(() => {});
  }
}

/** Statement timeout of one canary query in a drill: a canary is one quick value, not a workload. */
const CANARY_TIMEOUT = '30s';

/**
 * Re-checks the canary values the backup recorded, with the saved profile's own SQL only
 * (planCanaries decides which may run; the others are reported as not checked, and nothing of them runs).
 */
async function checkCanaries(client: pg.Client, recorded: CanaryResult[], profileName: string, profiles: Profile[]): Promise<DrillCheck[]> {
  const checks: DrillCheck[] = [];
  for (const plan of planCanaries(recorded, profileName, profiles)) {
    if (plan.kind === 'not-checked') checks.push(plan.check);
    else checks.push(canaryCheck(plan.canary, await readOnlyCanary(client, plan.sql).catch((error: Error) => `error: ${error.message}`)));
  }
  return checks;
}

/**
 * One canary in a READ ONLY transaction with a statement timeout, rolled back afterwards. The
 * extended protocol takes exactly one statement, so "…; COMMIT; …" cannot leave the transaction.
 */
async function readOnlyCanary(client: pg.Client, sql: string): Promise<string | null> {
  await client.query('BEGIN READ ONLY');
  try {
    await client.query(`SET LOCAL statement_timeout = '${CANARY_TIMEOUT}'`);
    return await canaryValue(client, sql, { singleStatement: true });
  } finally {
    await client.query('ROLLBACK').catch(() => {});
  }
}

/** A new drill's record: not passed, nothing checked yet. */
function newDrillRecord(request: DrillRequest, started: Date, appVersion: string): DrillRecord {
  return {
    id: `${utcStamp(started)}-${Math.random().toString(36).slice(2, 8)}`,
    passed: false,
    couldNotRun: false,
    archive: { path: request.file, name: path.basename(request.file), sha256: null },
    source: { profile: null, database: null, host: null, serverVersion: null, createdAt: null },
    scratch: { kind: request.scratch?.kind ?? 'embedded', server: '', database: '', kept: false },
    startedAt: started.toISOString(),
    finishedAt: '',
    who: `${safeUser()}@${os.hostname()}`,
    tools: { pg_restore: null, psql: null, scratchServer: null, lifeboat: appVersion },
    checks: [],
    tolerated: [],
    timings: { startMs: 0, restoreMs: 0, verifyMs: 0, teardownMs: 0, totalMs: 0 },
    error: null,
    reportFile: null,
  };
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** In the activity log a drill whose checks did not match is a failure, though the job itself ended. */
function drillFailure(record: DrillRecord): LifeboatError | null {
  if (record.passed || record.couldNotRun) return null;
  return new LifeboatError('VERIFY_FAILED', `The drill failed: ${record.checks.filter((c) => !c.passed).length} check(s) did not match.`);
}
