// The drill's evidence: one self-contained HTML file (no scripts, no external assets) that prints cleanly to PDF.
import { visibleText } from '../name-text.ts';
import type { DrillCheck, DrillRecord } from '../model/drill.ts';

// Names, values and messages come from the archive and the servers: HTML-escaped, and bidi overrides
// and control characters shown as visible escapes (\u202e), so the evidence reads as what it is.
const escape = (text: unknown) => visibleText(String(text ?? '')).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function renderDrillReport(record: DrillRecord): string {
  const verdict = record.passed ? 'PASSED' : record.couldNotRun ? 'COULD NOT RUN' : 'FAILED';
  const verdictClass = record.passed ? 'pass' : 'fail';
  const rows = (checks: DrillCheck[]) =>
    checks
      .map((c) => `<tr class="${c.passed ? 'ok' : 'bad'}"><td>${c.passed ? '✓' : '✗'}</td><td>${escape(kindLabel(c.kind))}</td><td>${escape(c.name)}</td><td class="num">${escape(c.expected)}</td><td class="num">${escape(c.actual)}</td><td>${escape(c.note ?? '')}</td></tr>`)
      .join('\n');
  const failed = record.checks.filter((c) => !c.passed).length;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lifeboat restore drill — ${escape(record.archive.name)} — ${verdict}</title>
<style>
  :root { color-scheme: light; font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1b1f24; }
  body { max-width: 960px; margin: 2rem auto; padding: 0 1.5rem; line-height: 1.45; }
  h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
  .verdict { display: inline-block; padding: .25rem .75rem; border-radius: 6px; font-weight: 700; letter-spacing: .04em; }
  .verdict.pass { background: #dcfce7; color: #166534; border: 1px solid #86efac; }
  .verdict.fail { background: #fee2e2; color: #991b1b; border: 1px solid #fca5a5; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1.25rem; margin: 1.25rem 0; }
  dt { color: #57606a; } dd { margin: 0; overflow-wrap: anywhere; }
  code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85em; }
  table { width: 100%; border-collapse: collapse; margin: 1rem 0; font-size: .92rem; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }
  th { background: #f6f8fa; } td.num { font-variant-numeric: tabular-nums; }
  tr.bad td { background: #fff1f1; } tr.bad td:first-child { color: #b91c1c; font-weight: 700; } tr.ok td:first-child { color: #15803d; }
  .error { padding: .75rem 1rem; border-left: 4px solid #dc2626; background: #fef2f2; margin: 1rem 0; }
  footer { margin-top: 2rem; color: #57606a; font-size: .85rem; }
  @media print { body { margin: 0; max-width: none; } th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; } tr { break-inside: avoid; } }
</style>
</head>
<body>
<h1>Restore drill: <span class="verdict ${verdictClass}">${verdict}</span></h1>
<p>${record.passed ? `The backup restored and every check matched the backup's snapshot. Measured recovery time: <strong>${seconds(record.timings.totalMs)}</strong>.` : record.couldNotRun ? 'The drill could not run, so it says nothing about the backup itself.' : `${failed} check(s) did not match: this backup does not restore to what was backed up.`}</p>
${record.error ? `<div class="error"><strong>${escape(record.error.message)}</strong>${record.error.fix ? `<br>${escape(record.error.fix)}` : ''}</div>` : ''}
<dl>
  <dt>Archive</dt><dd><code>${escape(record.archive.path)}</code></dd>
  <dt>Archive sha256</dt><dd><code>${escape(record.archive.sha256 ?? 'not read')}</code></dd>
  <dt>Source</dt><dd>${escape(record.source.profile ?? '—')} · database ${escape(record.source.database ?? '—')} · ${escape(record.source.host ?? '')} · PostgreSQL ${escape(record.source.serverVersion ?? '?')}</dd>
  <dt>Backup taken</dt><dd>${escape(record.source.createdAt ?? '—')}</dd>
  <dt>Drill</dt><dd>${escape(record.startedAt)} → ${escape(record.finishedAt)}, by ${escape(record.who)}</dd>
  <dt>Scratch</dt><dd>${escape(record.scratch.server)} · database <code>${escape(record.scratch.database)}</code> ${record.scratch.kept ? '(kept for inspection)' : '(removed)'}</dd>
  <dt>Tools</dt><dd>pg_restore ${escape(record.tools.pg_restore ?? '—')} · psql ${escape(record.tools.psql ?? '—')} · server ${escape(record.tools.scratchServer ?? '—')} · Lifeboat ${escape(record.tools.lifeboat)}</dd>
  <dt>Timings</dt><dd>start ${seconds(record.timings.startMs)} · restore ${seconds(record.timings.restoreMs)} · verify ${seconds(record.timings.verifyMs)} · teardown ${seconds(record.timings.teardownMs)} · <strong>total ${seconds(record.timings.totalMs)}</strong></dd>
  ${record.tolerated.length ? `<dt>Tolerated</dt><dd>${record.tolerated.map(escape).join('<br>')}</dd>` : ''}
</dl>
<h2>Checks (${record.checks.length}${failed ? `, ${failed} failed` : ''})</h2>
<table>
  <thead><tr><th></th><th>Kind</th><th>What</th><th>Expected (backup)</th><th>Actual (restored)</th><th>Note</th></tr></thead>
  <tbody>
${rows(record.checks)}
  </tbody>
</table>
<footer>Generated by Lifeboat ${escape(record.tools.lifeboat)} · drill ${escape(record.id)}</footer>
</body>
</html>
`;
}

function kindLabel(kind: DrillCheck['kind']): string {
  return { restore: 'Restore', integrity: 'Integrity', table: 'Row count', objects: 'Objects', canary: 'Canary' }[kind];
}
