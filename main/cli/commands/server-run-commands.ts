// `lifeboat backup --profile P` for a profile that covers several databases: one run, one archive
// per database, the run record printed (--json: the record itself). Exit 1 unless every database
// was backed up — a partial run is a failure the exit code says, though its archives are kept.
import path from 'node:path';
import type { Engine } from '../../engine/index.ts';
import type { EncryptionChoice } from '../../engine/keys/key-service.ts';
import { visibleText } from '../../engine/name-text.ts';
import type { ServerRunRecord } from '../../engine/model/server-run.ts';
import type { Values } from '../cli-command.ts';
import { formatBytes, table, type Output } from '../cli-output.ts';
import { runWithProgress } from '../job-progress.ts';
import { describeCopy, followUps } from './follow-ups.ts';

export async function backUpServer(engine: Engine, out: Output, values: Values, encryption: EncryptionChoice): Promise<void> {
  const job = engine.runs.start({
    profile: values.profile!,
    ...(values.out ? { outDir: path.resolve(values.out) } : {}),
    encryption,
    ...(values['no-row-counts'] ? { exactRowCounts: false } : {}),
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
