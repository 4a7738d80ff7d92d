// Test-restore drills: restore an archive into a scratch database (embedded PostgreSQL 18 or a
// server), prove row counts, object counts and canary values equal the backup's snapshot, and keep
// the evidence (history, sidecar badge, HTML report).
import { appendFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
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
import { LifeboatError, toErrorInfo } from '../errors.ts';
import { startJob, type Job, type JobContext } from '../jobs/job.ts';
import type { KeyService } from '../keys/key-service.ts';
import type { ToolResolver } from '../pgtools/tool-resolver.ts';
import type { Clock } from '../ports.ts';
import type { ProfileService } from '../profiles/profile-service.ts';
import { inspectFile } from '../restore/restore-inspect.ts';
import type { RestoreResult, RestoreService } from '../restore/restore-service.ts';
import { TargetServer } from '../restore/target-server.ts';
import { startEmbeddedPostgres, type ScratchServer } from '../scratch/embedded-postgres.ts';
import type { DrillCheck, DrillRecord } from '../model/drill.ts';
import type { Profile } from '../types.ts';
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
}

const HISTORY = 'drills.jsonl';

export class DrillService {
  readonly #deps: DrillDeps;

  constructor(deps: DrillDeps) {
    this.#deps = deps;
  }

  start(request: DrillRequest): Job<DrillRecord> {
    return startJob('drill', (ctx) => this.#run(request, ctx));
  }

  async history(filter: { archive?: string; profile?: string } = {}): Promise<DrillRecord[]> {
    const text = await readFile(path.join(this.#deps.dataDir, HISTORY), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter(Boolean)
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as DrillRecord];
        } catch {
          return [];
        }
      })
      .filter((r) => !filter.archive || r.archive.path === filter.archive || r.archive.name === filter.archive)
      .filter((r) => !filter.profile || r.source.profile?.toLowerCase() === filter.profile.toLowerCase())
      .reverse();
  }

  async #run(request: DrillRequest, ctx: JobContext): Promise<DrillRecord> {
    const { clock } = this.#deps;
    const started = clock.now();
    const t0 = performance.now();
    const record: DrillRecord = {
      id: `${utcStamp(started)}-${Math.random().toString(36).slice(2, 8)}`,
      passed: false,
      couldNotRun: false,
      archive: { path: request.file, name: path.basename(request.file), sha256: null },
      source: { profile: null, database: null, host: null, serverVersion: null, createdAt: null },
      scratch: { kind: request.scratch?.kind ?? 'embedded', server: '', database: '', kept: false },
      startedAt: started.toISOString(),
      finishedAt: '',
      who: `${safeUser()}@${os.hostname()}`,
      tools: { pg_restore: null, psql: null, scratchServer: null, lifeboat: this.#deps.appVersion },
      checks: [],
      tolerated: [],
      timings: { startMs: 0, restoreMs: 0, verifyMs: 0, teardownMs: 0, totalMs: 0 },
      error: null,
      reportFile: null,
    };
    let scratch = null as ScratchServer | null;
    let server: TargetServer | null = null;
    let target: { profile: Profile; password: string | null };
    let restored = false;
    try {
      ctx.report({ phase: 'Reading the archive', fraction: 0, message: record.archive.name });
      const keys = await this.#deps.keys.decryptionKeys(request.keys);
      const embedded = (request.scratch?.kind ?? 'embedded') === 'embedded';
      // The scratch server starts while the archive's table of contents is read: they do not depend on each other.
      const tStart = performance.now();
      const starting = embedded ? startEmbeddedPostgres({ signal: ctx.signal }) : null;
      starting?.then((server) => (scratch = server), () => {});
      const inspection = await inspectFile(request.file, keys, (major) => this.#deps.tools.choose('pg_restore', major), ctx.signal, { quick: true }).catch(async (error: unknown) => {
        await starting?.then((server) => server.stop(), () => {});
        scratch = null;
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
        // The file itself is refused (damaged, unsafe SQL…): the backup fails its drill. One from a
        // newer Lifeboat is not judged by this one (could not run).
        if (inspection.problem.code !== 'ARCHIVE_UNSUPPORTED') {
          record.checks.push({ kind: 'integrity', name: 'The backup file can be read and restored', expected: 'a restorable backup', actual: inspection.problem.message, passed: false });
        }
        throw new LifeboatError(inspection.problem.code, inspection.problem.message, inspection.problem.fix);
      }

      ctx.report({ phase: 'Starting the scratch server', fraction: 0.05 });
      if (starting) {
        scratch = await starting.catch((error: unknown) => {
          record.couldNotRun = true;
          throw error;
        });
        target = { profile: scratch.profile, password: scratch.password };
        record.scratch.server = `embedded PostgreSQL ${scratch.version} on 127.0.0.1:${scratch.profile.port}`;
        record.tools.scratchServer = scratch.version;
      } else {
        const chosen = await this.#deps.profiles.resolveForConnection((request.scratch as { profile: string }).profile);
        target = chosen;
        record.scratch.server = `${chosen.profile.name} (${chosen.profile.host}:${chosen.profile.port})`;
      }
      record.timings.startMs = Math.round(performance.now() - tStart);
      record.scratch.database = `lifeboat_drill_${utcStamp(started).toLowerCase()}`;
      server = await TargetServer.connect(target.profile, target.password);
      record.tools.scratchServer ??= (await server.facts()).serverVersion;
      const pgRestore = await this.#deps.tools.choose('pg_restore', inspection.dumpMajor);
      const psql = await this.#deps.tools.choose('psql', null);
      record.tools.pg_restore = pgRestore.version;
      record.tools.psql = psql.version;

      let result: RestoreResult;
      // Object counts and canaries read the restored data before it is handed over, as the role that
      // restored it: a stranger's view or function they touch never runs as the scratch superuser.
      let dataChecks: DrillCheck[] = [];
      try {
        const job = this.#deps.restores.start({
          checkRestored: async (db) => {
            dataChecks = await this.#objectAndCanaryChecks(db, manifest);
          },
          file: request.file,
          profile: target.profile.name,
          target,
          inspection,
          mode: 'new',
          database: record.scratch.database,
          keys,
          verify: 'report',
          ...(request.trust !== undefined ? { trust: request.trust } : {}),
          // Scratch servers know no roles of the source; ownership is not what a drill proves.
          noOwner: scratch !== null,
          noPrivileges: scratch !== null,
          // The scratch restore never runs with a superuser's rights unless the archive needs them (then only one's own, or trusted).
          leastPrivilege: 'whenever-possible',
        });
        const stop = job.onProgress((p) => ctx.report({ phase: p.phase === 'Done' ? 'Verifying' : p.phase, fraction: 0.1 + 0.75 * (p.fraction ?? 0), bytes: p.bytes, bytesPerSecond: p.bytesPerSecond, currentItem: p.currentItem, etaSeconds: p.etaSeconds }));
        const cancel = () => job.cancel();
        ctx.signal.addEventListener('abort', cancel, { once: true });
        try {
          result = await job.result;
        } finally {
          stop();
          ctx.signal.removeEventListener('abort', cancel);
        }
        restored = true;
      } catch (error) {
        const info = toErrorInfo(error);
        if (info.code === 'CANCELLED' || info.code === 'WRONG_KEY' || info.code === 'NO_KEY' || info.code === 'TOOL_NOT_FOUND' || info.code === 'TOOL_TOO_OLD') record.couldNotRun = true;
        record.checks.push({ kind: 'restore', name: 'Restore finished without errors', expected: 'success', actual: info.message, passed: false });
        throw error;
      }
      record.archive.sha256 = result.fileSha256;
      record.tolerated = result.tolerated;
      record.timings.restoreMs = result.timings.restoreMs;
      record.checks.push({ kind: 'restore', name: 'Restore finished without errors', expected: 'success', actual: 'success', passed: true, ...(result.tolerated.length ? { note: `Tolerated: ${result.tolerated.join('; ')}` } : {}) });

      ctx.report({ phase: 'Verifying', fraction: 0.88, message: 'Row counts, objects, canaries' });
      const tVerify = performance.now();
      const read = await readSidecarFile(`${request.file}${SIDECAR_SUFFIX}`);
      const sidecar = read.kind === 'ok' ? read.sidecar : null;
      if (read.kind === 'bad') record.checks.push({ kind: 'integrity', name: 'Archive sha256 equals the sidecar', expected: 'a usable sidecar', actual: 'not checked', passed: true, note: `Not checked: ${read.problem}` });
      if (sidecar && result.fileSha256) {
        record.checks.push({ kind: 'integrity', name: 'Archive sha256 equals the sidecar', expected: sidecar.sha256, actual: result.fileSha256, passed: sidecar.sha256 === result.fileSha256 });
      }
      for (const check of result.verification.checked) {
        record.checks.push({ kind: 'table', name: check.table, expected: String(check.expected), actual: check.missing ? 'table missing' : String(check.actual), passed: !check.missing && check.expected === check.actual });
      }
      if (manifest && !result.verification.checked.length && manifest.options.rowCounts) {
        record.checks.push({ kind: 'table', name: 'Row counts', expected: 'recorded in the backup', actual: 'none recorded', passed: false });
      }
      record.checks.push(...dataChecks);
      record.timings.verifyMs = result.timings.verifyMs + Math.round(performance.now() - tVerify);
      record.passed = record.checks.every((c) => c.passed);
    } catch (error) {
      const info = toErrorInfo(error);
      record.error = info;
      record.passed = false;
      // A damaged file is a failed backup; one from a newer Lifeboat is not judged by this one (could not run).
      if (!record.checks.length && !['ARCHIVE_DAMAGED', 'RESTORE_FAILED', 'VERIFY_FAILED', 'NOT_AN_ARCHIVE'].includes(info.code)) record.couldNotRun = true;
    } finally {
      ctx.report({ phase: 'Cleaning up', fraction: 0.95 });
      const tTeardown = performance.now();
      const keep = Boolean(request.keep && !scratch && restored);
      record.scratch.kept = keep;
      if (server && !scratch && !keep && record.scratch.database) await server.dropDatabase(record.scratch.database).catch(() => {});
      await server?.close();
      await scratch?.stop();
      record.timings.teardownMs = Math.round(performance.now() - tTeardown);
    }
    record.timings.totalMs = Math.round(performance.now() - t0);
    record.finishedAt = this.#deps.clock.now().toISOString();
    record.checks.sort((a, b) => Number(a.passed) - Number(b.passed));
    if (ctx.signal.aborted) throw new LifeboatError('CANCELLED', 'The drill was cancelled; the scratch database was removed.');
    await this.#record(record, request);
    ctx.report({ phase: record.passed ? 'Passed' : record.couldNotRun ? 'Could not run' : 'Failed', fraction: 1 });
    return record;
  }

  /** The manifest's object counts and the profile's canaries, in the restored scratch database. */
  async #objectAndCanaryChecks(db: { profile: Profile; password: string | null; database: string }, manifest: ArchiveManifest | null): Promise<DrillCheck[]> {
    const checks: DrillCheck[] = [];
    // Canaries are the user's SQL, written for the database's usual search_path; they run as the
    // role that restored it (a stranger's file: the temporary role), so whatever it resolves to is harmless.
    const client = await connectWhenFree(db.profile, db.password, db.database);
    try {
      if (manifest?.objectCounts) {
        const actual = await countObjects(client);
        for (const key of Object.keys(manifest.objectCounts) as (keyof typeof actual)[]) {
          checks.push({ kind: 'objects', name: OBJECT_LABELS[key], expected: String(manifest.objectCounts[key]), actual: String(actual[key]), passed: manifest.objectCounts[key] === actual[key] });
        }
      }
      if (Array.isArray(manifest?.canaries) && manifest.canaries.length) checks.push(...(await checkCanaries(client, manifest.canaries, String(manifest.source.profile), await this.#deps.profiles.list())));
    } finally {
      await client.end().catch(() => {});
    }
    return checks;
  }

  /** The stored evidence report of a past drill. */
  reportPath(drillId: string): string {
    if (!/^[\w-]+$/.test(drillId)) throw new LifeboatError('INVALID_INPUT', 'That is not a drill id.', 'Pick a drill from the history.');
    return path.join(this.#deps.dataDir, 'drill-reports', `${drillId}.html`);
  }

  /** History line, sidecar badge, the stored report (and a copy where asked). */
  async #record(record: DrillRecord, request: DrillRequest): Promise<void> {
    if (request.reportFile) {
      await writeFile(request.reportFile, renderDrillReport({ ...record, reportFile: request.reportFile }));
      record.reportFile = request.reportFile;
    }
    if (record.couldNotRun) return; // no verdict on the backup
    await mkdir(path.dirname(this.reportPath(record.id)), { recursive: true, mode: 0o700 });
    await writeFile(this.reportPath(record.id), renderDrillReport(record), { mode: 0o600 });
    await appendFile(path.join(this.#deps.dataDir, HISTORY), `${JSON.stringify(record)}\n`, { mode: 0o600 });
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
    const drill = { at: record.finishedAt, passed: record.passed, recoveryMs: record.timings.totalMs };
    await writeSidecarFile(sidecarPath, { ...sidecar, drill }, keep ? key : null).catch(() => {});
  }
}

/** Statement timeout of one canary query in a drill: a canary is one quick value, not a workload. */
const CANARY_TIMEOUT = '30s';

/**
 * Re-checks the canary values the backup recorded. The SQL always comes from the saved profile the
 * archive names (matched by canary name), never from the archive: the manifest is written by whoever
 * made the file, and its SQL would run on the admin's own machine. The value is compared only when
 * the profile's query is still the one the backup ran; a canary the profile does not have (or has
 * changed since) is reported as not checked, and nothing of it runs.
 */
async function checkCanaries(client: pg.Client, recorded: CanaryResult[], profileName: string, profiles: Profile[]): Promise<DrillCheck[]> {
  const profile = profiles.find((p) => p.name.toLowerCase() === profileName.toLowerCase()) ?? null;
  const checks: DrillCheck[] = [];
  for (const entry of recorded) {
    // The manifest is the file author's: take its fields as text, whatever they hold.
    const canary = { name: String(entry?.name), sql: String(entry?.sql ?? ''), value: entry?.value ?? null, error: entry?.error ? String(entry.error) : null };
    const notChecked = (why: string): DrillCheck => ({ kind: 'canary', name: canary.name, expected: canary.error ? '(failed at backup time)' : String(canary.value), actual: 'not checked', passed: true, note: `Not checked: ${why}` });
    if (canary.error) {
      checks.push(notChecked(canary.error));
      continue;
    }
    const own = profile?.canaryQueries?.find((q) => q.name === canary.name);
    if (!profile) checks.push(notChecked(`no saved profile is named "${profileName}"; canary queries run only from a saved profile, never from the archive`));
    else if (!own) checks.push(notChecked(`the profile "${profile.name}" has no canary named "${canary.name}"; canary queries run only from a saved profile, never from the archive`));
    else if (own.sql.trim() !== canary.sql.trim()) checks.push(notChecked(`the profile's query for this canary changed since the backup, so the recorded value is not comparable`));
    else {
      const actual = await readOnlyCanary(client, own.sql).catch((error: Error) => `error: ${error.message}`);
      checks.push({ kind: 'canary', name: canary.name, expected: String(canary.value), actual: String(actual), passed: canary.value === actual });
    }
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

const OBJECT_LABELS = { tables: 'Tables', views: 'Views', materializedViews: 'Materialized views', sequences: 'Sequences', indexes: 'Indexes', functions: 'Functions' } as const;

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}
