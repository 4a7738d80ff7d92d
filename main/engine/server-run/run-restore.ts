// Restoring a whole run onto a server — the migration case (PostgreSQL 12 → 18): every database the
// run backed up (or a chosen few), each as a new database by the restore Lifeboat already has, with
// one checklist over all of them. Each database keeps the restore's own guarantee (nothing of it is
// left behind when it fails); one failing does not undo the others, and the outcome says so.
import path from 'node:path';
import type { AgeKeys } from '../crypto/age-decrypt.ts';
import type { LibraryKey } from '../archive/sidecar-tag.ts';
import { formatBytes } from '../format-bytes.ts';
import { LifeboatError, toErrorInfo } from '../errors.ts';
import { startJob, type Job, type JobRunContext } from '../jobs/job.ts';
import type { CheckItem } from '../model/restore.ts';
import type { RunPreflight, RunRestoreOptions, RunRestorePart, RunRestoreResult, ServerRunRecord } from '../model/server-run.ts';
import type { RestoreService } from '../restore/restore-service.ts';
import { readRunRecord } from './run-record.ts';

export interface RunRestoreRequest extends RunRestoreOptions {
  keys?: AgeKeys;
  jobs?: number;
}

export interface RunRestoreDeps {
  restores: Pick<RestoreService, 'preflight' | 'start' | 'freeSpace'>;
  libraryKey?: LibraryKey;
}

export class RunRestores {
  readonly #deps: RunRestoreDeps;

  constructor(deps: RunRestoreDeps) {
    this.#deps = deps;
  }

  /** Each database's checklist (as a new database), then the whole's: space for the sum, a target name given twice. */
  async preflight(request: RunRestoreRequest, signal?: AbortSignal): Promise<RunPreflight> {
    const record = await this.#recognisedRecord(request.file);
    const parts = chosenParts(record, request);
    const checked: RunPreflight['parts'] = [];
    for (const part of parts) {
      signal?.throwIfAborted();
      checked.push({ ...part, preflight: await this.#deps.restores.preflight(this.#restoreRequest(request, part), signal) });
    }
    const items = [namesCheck(parts), await this.#spaceCheck(request.profile, checked, signal)];
    return {
      run: { id: record.id, profile: record.profile, startedAt: record.startedAt, serverVersion: record.serverVersion },
      parts: checked,
      items,
      ok: items.every((i) => i.status !== 'blocker') && checked.every((p) => p.preflight.ok),
    };
  }

  /** Restores each chosen database in turn, after the whole checklist passed. */
  start(request: RunRestoreRequest): Job<RunRestoreResult> {
    return startJob('restore', (ctx) => this.#run(request, ctx));
  }

  async #run(request: RunRestoreRequest, ctx: JobRunContext): Promise<RunRestoreResult> {
    const t0 = performance.now();
    ctx.report({ phase: 'Checking', message: 'The checklist of every database' });
    const checked = await this.preflight(request, ctx.signal);
    if (!checked.ok) throw blockedError(checked);
    const databases: RunRestoreResult['databases'] = [];
    for (const [index, part] of checked.parts.entries()) {
      ctx.signal.throwIfAborted();
      const child = this.#deps.restores.start(this.#restoreRequest(request, part));
      const total = checked.parts.length;
      const done = await ctx.follow(child, (p) => ({ ...p, fraction: (index + (p.fraction ?? 0)) / total, currentItem: part.target, message: `${part.source} → ${part.target}: ${p.phase} (${index + 1} of ${total})` })).then(
        (result) => ({ ...part, result, error: null }),
        (error: unknown) => {
          if (ctx.signal.aborted) throw new LifeboatError('CANCELLED', `The restore of the run was cancelled during ${part.target}; that database was removed, the ${index} restored before it are kept.`, undefined, { cause: error });
          return { ...part, result: null, error: toErrorInfo(error) };
        },
      );
      databases.push(done);
    }
    const good = databases.filter((d) => d.result).length;
    return {
      run: { id: checked.run.id, profile: checked.run.profile, startedAt: checked.run.startedAt },
      databases,
      outcome: good === databases.length ? 'ok' : good === 0 ? 'failed' : 'partial',
      durationMs: Math.round(performance.now() - t0),
    };
  }

  #restoreRequest(request: RunRestoreRequest, part: RunRestorePart) {
    return {
      file: part.archive,
      profile: request.profile,
      mode: 'new' as const,
      database: part.target,
      ...(request.keys ? { keys: request.keys } : {}),
      ...(request.jobs ? { jobs: request.jobs } : {}),
      ...(request.createMissingRoles !== undefined ? { createMissingRoles: request.createMissingRoles } : {}),
      ...(request.noOwner !== undefined ? { noOwner: request.noOwner } : {}),
      ...(request.noPrivileges !== undefined ? { noPrivileges: request.noPrivileges } : {}),
    };
  }

  async #spaceCheck(profile: string, parts: RunPreflight['parts'], signal?: AbortSignal): Promise<CheckItem> {
    const expected = parts.reduce((sum, p) => sum + (p.preflight.inspection.lifeboat?.manifest.tables.reduce((s, t) => s + t.estimatedBytes, 0) ?? 0), 0);
    const free = await this.#deps.restores.freeSpace(profile, signal).catch(() => null);
    const needs = `about ${formatBytes(expected)} of table data for the ${parts.length} databases together (indexes come on top)`;
    if (!free) return { id: 'space', status: 'info', title: 'Disk space for all databases', detail: `Free space on the server cannot be checked from here; the restore needs ${needs}.` };
    const status = free.bytes > expected * 1.5 ? 'ok' : free.bytes < expected ? 'blocker' : 'warning';
    return { id: 'space', status, title: 'Disk space for all databases', detail: `${formatBytes(free.bytes)} free where the server keeps its data; the restore needs ${needs}.`, ...(status === 'ok' ? {} : { fix: 'Free space on the server, restore fewer databases at a time, or restore to another server.' }) };
  }

  async #recognisedRecord(file: string): Promise<ServerRunRecord> {
    const record = await readRunRecord(file, (await this.#deps.libraryKey?.get()) ?? null);
    if (!record) throw new LifeboatError('INVALID_INPUT', `${path.basename(file)} is not a run record this Lifeboat wrote (unreadable, or its tag does not verify).`, 'Restore each archive of the run on its own: lifeboat restore FILE.lifeboat');
    return record;
  }
}

/** The run's backed-up databases the request chose, each with its target name and archive beside the record. */
function chosenParts(record: ServerRunRecord, request: RunRestoreRequest): RunRestorePart[] {
  const backedUp = record.databases.filter((d) => d.outcome === 'ok' && d.archive);
  const wanted = request.databases ?? backedUp.map((d) => d.name);
  const unknown = wanted.filter((name) => !backedUp.some((d) => d.name === name));
  if (unknown.length) {
    throw new LifeboatError('INVALID_INPUT', `The run has no backup of ${unknown.join(', ')}.`, `Choose among the databases it backed up: ${backedUp.map((d) => d.name).join(', ')}.`);
  }
  return backedUp.filter((d) => wanted.includes(d.name)).map((d) => {
    if (path.basename(d.archive!) !== d.archive) throw new LifeboatError('INVALID_INPUT', `The run record names "${d.archive}", which is not a file beside it.`, 'Restore each archive on its own.');
    // Own keys only: a database named "constructor" must not pick up Object's.
    const renamed = request.rename && Object.hasOwn(request.rename, d.name) ? request.rename[d.name] : undefined;
    return { source: d.name, target: renamed ?? d.name, archive: path.join(path.dirname(request.file), d.archive!) };
  });
}

/** Two databases given the same new name would be one restore over the other. */
function namesCheck(parts: RunRestorePart[]): CheckItem {
  const seen = new Map<string, string>();
  for (const part of parts) {
    const other = seen.get(part.target);
    if (other) return { id: 'target', status: 'blocker', title: 'Two databases, one name', detail: `${other} and ${part.source} would both be restored as "${part.target}".`, fix: 'Give one of them another name.' };
    seen.set(part.target, part.source);
  }
  return { id: 'target', status: 'ok', title: 'New databases', detail: parts.map((p) => (p.source === p.target ? p.target : `${p.source} → ${p.target}`)).join(', ') };
}

function blockedError(checked: RunPreflight): LifeboatError {
  const blockers = [
    ...checked.items.filter((i) => i.status === 'blocker').map((i) => ({ where: 'the run', item: i })),
    ...checked.parts.flatMap((p) => p.preflight.items.filter((i) => i.status === 'blocker').map((i) => ({ where: `${p.source} → ${p.target}`, item: i }))),
  ];
  const first = blockers[0];
  return new LifeboatError('PREFLIGHT_BLOCKED', `The checklist blocks the restore: ${blockers.map((b) => `${b.where}: ${b.item.title} (${b.item.detail})`).join('; ')}. Nothing was changed.`, first?.item.fix ?? 'See the checklist.');
}
