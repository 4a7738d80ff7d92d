// A drill's verdict as the CLI prints it (after `lifeboat drill`, and after a backup that drilled).
import type { DrillRecord } from '../../engine/model/drill.ts';
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
