// `lifeboat preflight|restore RUN.lifeboat-run.json --profile TARGET (--all | --databases a,b)`: a
// whole run onto a server (the migration case), one checklist over every database, then each
// restored as a new database in turn. Exit 1 unless every chosen database was restored.
import path from 'node:path';
import type { Engine } from '../../engine/index.ts';
import { visibleText as v } from '../../engine/name-text.ts';
import type { RunPreflight, RunRestoreResult } from '../../engine/model/server-run.ts';
import type { RunRestoreRequest } from '../../engine/server-run/run-restore.ts';
import type { Values } from '../cli-command.ts';
import { UsageError, type Output } from '../cli-output.ts';
import { runWithProgress } from '../job-progress.ts';
import { decryptionKeys } from './archive-commands.ts';
import { describeItems } from './checklist-text.ts';

export const RUN_RESTORE_OPTIONS = ['all', 'databases', 'rename'] as const;

async function runRestoreRequest(file: string, values: Values): Promise<RunRestoreRequest> {
  if (!values.profile) throw new UsageError('needs --profile P (the server to restore the run to)');
  if (Boolean(values.all) === (values.databases !== undefined)) throw new UsageError('choose --all or --databases A,B (which of the run\'s databases to restore)');
  if (values.into || values.replace || values['data-only']) throw new UsageError('a run restores each database as a new database: use --rename A=NEWNAME for another name (a replace is per archive: restore FILE --replace DB)');
  const rename: Record<string, string> = {};
  for (const pair of values.rename ?? []) {
    const [from, to] = pair.split('=');
    if (!from || !to) throw new UsageError(`--rename takes SOURCE=NEWNAME, not "${pair}"`);
    rename[from] = to;
  }
  const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
  if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1 || jobs > 16)) throw new UsageError('--jobs takes a number from 1 to 16');
  return {
    file: path.resolve(file),
    profile: values.profile,
    ...(values.databases !== undefined ? { databases: values.databases.split(',').map((n) => n.trim()).filter(Boolean) } : {}),
    rename,
    createMissingRoles: values['create-roles'] ?? false,
    noOwner: values['no-owner'] ?? false,
    noPrivileges: values['no-privileges'] ?? false,
    keys: await decryptionKeys(values),
    ...(jobs ? { jobs } : {}),
  };
}

export async function preflightRun(engine: Engine, out: Output, file: string, values: Values): Promise<void> {
  const checked = await engine.runRestores.preflight(await runRestoreRequest(file, values));
  out.result(checked, () => describeRunPreflight(checked));
  if (!checked.ok) process.exitCode = 1;
}

export async function restoreRun(engine: Engine, out: Output, file: string, values: Values): Promise<void> {
  const result = await runWithProgress(engine.runRestores.start(await runRestoreRequest(file, values)), out);
  out.result(result, () => describeRunRestore(result));
  if (result.outcome !== 'ok') process.exitCode = 1;
}

function describeRunPreflight(checked: RunPreflight): string {
  return [
    `The run of ${v(checked.run.profile)} at ${checked.run.startedAt} (PostgreSQL ${v(checked.run.serverVersion)}): ${checked.parts.length} database(s)`,
    describeItems(checked.items),
    ...checked.parts.flatMap((p) => ['', `${v(p.source)} → "${v(p.target)}" on ${v(p.preflight.target.profile)} (PostgreSQL ${v(p.preflight.target.serverVersion)})`, describeItems(p.preflight.items)]),
    '',
    checked.ok ? 'Ready to restore.' : 'Blocked: resolve the ✗ items first. Nothing was changed.',
  ].join('\n');
}

function describeRunRestore(result: RunRestoreResult): string {
  const good = result.databases.filter((d) => d.result).length;
  const headline = result.outcome === 'ok' ? `Restored all ${good} databases of the run in ${(result.durationMs / 1000).toFixed(1)} s.` : `${result.outcome.toUpperCase()}: restored ${good} of ${result.databases.length} databases; nothing of the others was left behind.`;
  return [
    headline,
    ...result.databases.map((d) => d.result
      ? `  ${v(d.source)} → "${v(d.target)}": ${v(d.result.verification.note)}${d.result.createdRoles.length ? `; created roles ${d.result.createdRoles.map(v).join(', ')}` : ''}`
      : `  ${v(d.source)} → "${v(d.target)}": FAILED: ${v(d.error?.message ?? '')}${d.error?.fix ? ` Fix: ${v(d.error.fix)}` : ''}`),
  ].join('\n');
}
