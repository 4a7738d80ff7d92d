// `lifeboat backup --profile P` for a profile that covers several databases: one run, one archive
// per database, the run record printed (--json: the record itself). Exit 1 unless every database
// was backed up — a partial run is a failure the exit code says, though its archives are kept.
import path from 'node:path';
import type { Engine } from '../../engine/index.ts';
import type { EncryptionChoice } from '../../engine/keys/key-service.ts';
import { visibleText } from '../../engine/name-text.ts';
import type { ServerRunRecord } from '../../engine/model/server-run.ts';
import type { Command, Values } from '../cli-command.ts';
import { formatBytes, table, UsageError, type Output } from '../cli-output.ts';
import { runWithProgress } from '../job-progress.ts';
import { RUN_RECORD_EXTENSION } from '../../engine/server-run/run-record.ts';
import { describeCopy, followUps } from './follow-ups.ts';

export const SERVER_RUN_COMMANDS: Record<string, Command> = {
  runs: {
    usage: 'runs [DIR…] [--profile P] [--json] | runs RUN.lifeboat-run.json [--json]',
    summary: 'whole-server runs in the library folders, newest first (or one run in detail: each database, its archive or why it failed)',
    options: ['profile'],
    async run({ engine, out, args, values }) {
      if (args[0]?.endsWith(RUN_RECORD_EXTENSION)) {
        const file = path.resolve(args[0]);
        const found = (await engine.runs.list({ folders: [path.dirname(file)] })).find((r) => r.file === file);
        if (!found) throw new UsageError(`${args[0]} is not a run record this Lifeboat wrote (unreadable, or its tag does not verify)`);
        out.result({ ...found.record, file }, () => describeRun(found.record));
        return;
      }
      const runs = await engine.runs.list({ folders: args.map((a) => path.resolve(a)), ...(values.profile ? { profile: values.profile } : {}) });
      out.result({ runs: runs.map(({ file, record }) => ({ ...record, file })) }, () =>
        runs.length === 0
          ? 'No whole-server runs yet. Give a profile several databases (lifeboat profile scope NAME --all-databases), then back it up.'
          : table([
              ['STARTED (UTC)', 'PROFILE', 'SERVER', 'RESULT', 'DATABASES', 'SIZE', 'RECORD'],
              ...runs.map(({ file, record: r }) => [
                r.startedAt.replace('T', ' ').slice(0, 19),
                r.profile,
                `${r.host}:${r.port} (${r.serverVersion})`,
                r.outcome === 'ok' ? 'ok' : r.outcome.toUpperCase(),
                `${r.databases.filter((d) => d.outcome === 'ok').length} of ${r.databases.length}`,
                formatBytes(r.databases.reduce((sum, d) => sum + (d.bytes ?? 0), 0)),
                file,
              ].map(visibleText)),
            ]),
      );
    },
  },
};

export async function backUpServer(engine: Engine, out: Output, values: Values, encryption: EncryptionChoice): Promise<void> {
  const concurrency = values.jobs === undefined ? undefined : Number(values.jobs);
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 8)) throw new UsageError('--jobs takes the number of databases dumped at a time, from 1 to 8');
  const job = engine.runs.start({
    profile: values.profile!,
    ...(values.out ? { outDir: path.resolve(values.out) } : {}),
    encryption,
    ...(values['no-row-counts'] ? { exactRowCounts: false } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
  });
  const { result, copies } = await followUps(engine, out, () => runWithProgress(job, out));
  if (result.keyCreated) {
    out.note('lifeboat: Lifeboat created its backup key and keeps it in the OS keychain. Export the recovery key NOW and store it safely: without it nobody can open these backups if this computer is lost.\n  lifeboat key export --out lifeboat-recovery-key.txt');
  }
  for (const note of result.notes) out.note(`lifeboat: note: ${visibleText(note)}`);
  out.result({ ...result.record, file: result.file, copies }, () => [describeRun(result.record), `Run record: ${result.file}`, ...copies.map(describeCopy)].join('\n'));
  if (result.record.outcome !== 'ok' || copies.some((copy) => copy.state === 'failed')) process.exitCode = 1;
}

/** The run as a person reads it: the outcome, each database, and what the run could not see. */
export function describeRun(record: ServerRunRecord): string {
  const ok = record.databases.filter((d) => d.outcome === 'ok');
  const headline = {
    ok: `Backed up all ${ok.length} databases of ${visibleText(record.host)}:${record.port} (PostgreSQL ${visibleText(record.serverVersion)}) in ${(record.durationMs / 1000).toFixed(1)} s`,
    partial: `PARTIAL: backed up ${ok.length} of ${record.databases.length} databases of ${visibleText(record.host)}:${record.port}; the others FAILED (their reasons below)`,
    failed: `FAILED: no database of ${visibleText(record.host)}:${record.port} was backed up`,
  }[record.outcome];
  const rows = record.databases.map((d) => [d.name, d.outcome === 'ok' ? 'ok' : d.outcome.toUpperCase(), d.bytes !== undefined ? formatBytes(d.bytes) : '', d.outcome === 'ok' ? (d.archive ?? '') : `${d.error?.message ?? ''}${d.error?.fix ? ` Fix: ${d.error.fix}` : ''}`]);
  return [
    headline,
    table([['DATABASE', 'RESULT', 'SIZE', 'ARCHIVE / REASON'], ...rows.map((row) => row.map(visibleText))]),
    record.consistency,
    `Roles and tablespaces: ${record.globals.kind === 'skipped' ? `NOT saved (${visibleText(record.globals.note ?? '')})` : 'saved once for the run, in every archive'}`,
    ...(record.excluded.length ? [`Left out: ${record.excluded.map(visibleText).join(', ')}`] : []),
    ...(record.dropped.length ? [`No longer on the server since the last run: ${record.dropped.map(visibleText).join(', ')}`] : []),
  ].join('\n');
}
