// A drill's verdict as the CLI prints it (after `lifeboat drill`, and after a backup that drilled).
import type { DrillRecord } from '../../engine/model/drill.ts';
import type { RunDrillResult } from '../../engine/model/server-run.ts';
import { visibleText as v } from '../../engine/name-text.ts';

export function describeDrill(record: DrillRecord): string {
  const failed = record.checks.filter((c) => !c.passed);
  const lines = [
    `${record.passed ? 'PASSED' : record.couldNotRun ? 'COULD NOT RUN' : 'FAILED'}: ${v(record.archive.name)} → ${v(record.scratch.server)}, database ${v(record.scratch.database)}${record.scratch.kept ? ' (kept)' : ''}`,
    `Recovery time ${(record.timings.totalMs / 1000).toFixed(1)} s (start ${(record.timings.startMs / 1000).toFixed(1)}, restore ${(record.timings.restoreMs / 1000).toFixed(1)}, verify ${(record.timings.verifyMs / 1000).toFixed(1)}, teardown ${(record.timings.teardownMs / 1000).toFixed(1)})`,
    `${record.checks.length - failed.length} of ${record.checks.length} checks match`,
    // Names, values and messages come from the archive and the servers: escaped one by one (see printable).
    ...failed.map((c) => `  ✗ ${v(c.name)}: expected ${v(c.expected)}, got ${v(c.actual)}`),
    ...record.checks.filter((c) => c.passed && c.note?.startsWith('Not checked')).map((c) => `  - ${v(c.name)}: ${v(c.note!)}`),
    ...(record.error ? [`Error: ${v(record.error.message)}${record.error.fix ? ` Fix: ${v(record.error.fix)}` : ''}`] : []),
    ...(record.reportFile ? [`Report: ${v(record.reportFile)}`] : []),
  ];
  return lines.join('\n');
}

/** A whole run's drill: the verdict, then each database's, with what did not match named by database and table. */
export function describeRunDrill(result: RunDrillResult): string {
  const verdict = result.passed ? 'PASSED' : result.couldNotRun ? 'COULD NOT RUN' : 'FAILED';
  const lines = [`${verdict}: the run of ${v(result.run.profile)} at ${result.run.startedAt}, ${result.databases.length} database(s) drilled in ${(result.durationMs / 1000).toFixed(1)} s`];
  for (const drilled of result.databases) {
    if (!drilled.record) {
      lines.push(`  ${v(drilled.database)}: COULD NOT RUN: ${v(drilled.error?.message ?? '')}${drilled.error?.fix ? ` Fix: ${v(drilled.error.fix)}` : ''}`);
      continue;
    }
    const { record } = drilled;
    const failed = record.checks.filter((c) => !c.passed);
    lines.push(`  ${v(drilled.database)}: ${record.passed ? 'passed' : record.couldNotRun ? 'COULD NOT RUN' : 'FAILED'} (${record.checks.length - failed.length} of ${record.checks.length} checks match, recovery ${(record.timings.totalMs / 1000).toFixed(1)} s)`);
    lines.push(...failed.map((c) => `    ✗ ${v(drilled.database)} / ${v(c.name)}: expected ${v(c.expected)}, got ${v(c.actual)}`));
    if (record.error) lines.push(`    Error: ${v(record.error.message)}`);
  }
  if (result.run.outcome !== 'ok') lines.push(`The run itself was ${result.run.outcome}: the databases it could not back up were not drilled.`);
  return lines.join('\n');
}
