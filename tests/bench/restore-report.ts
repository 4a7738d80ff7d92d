// The restore side of the benchmark's report: Lifeboat's restore and drill of an encrypted archive
// against a bare `pg_restore` of the same dump — samples, medians, targets and tables.
import { formatMB, fx, markdownTable, median, medianOrNull, textTable } from './bench-format.ts';
import type { Target } from './bench-report.ts';
import { judgedOnSteadyMachine, unsteadyReason, workCpuSpread, type WorkCpuSpread } from './steadiness.ts';

export type RestoreVariantId = 'pg_restore' | 'tools-floor' | 'lifeboat-restore' | 'lifeboat-drill';

export interface RestoreSample {
  round: number;
  wallS: number;
  /** Lifeboat only: the engine's own duration (restore: durationMs; drill: timings.totalMs), seconds. */
  engineS?: number;
  nodeCpuS?: number;
  nodeRssMb?: number;
  /** CPU seconds of the client tree (under /usr/bin/time); never the drill's scratch server (a daemon). */
  treeCpuS?: number;
  serverCpuS?: number;
  /** CPU seconds of everything else; for the drill that includes its scratch server. */
  foreignCpuS?: number;
  waitedS?: number;
  /** The slowest CPU's probe time over its usual (cpu-speed.ts), the worse of just before and just after the run. */
  cpuSlowdown?: number;
  retries?: number;
  /** Seconds per phase (lifeboat restore: from its --json progress lines; drill: its record's timings). */
  phases?: Record<string, number>;
  /** lifeboat restore: seconds from the start until its verification ("Verifying") began. */
  untilVerifyS?: number;
  /** drill: wall time without the scratch server's start (timings.startMs). */
  withoutScratchStartS?: number;
}

export interface RestoreVariantResult {
  id: RestoreVariantId;
  label: string;
  runs: RestoreSample[];
}

export interface RestoreComparison {
  database: string;
  kind: 'pgbench' | 'wide';
  sizeBytes: number;
  /** The plain pg_dump -Fc output inside the archive (what bare pg_restore reads). */
  dumpBytes: number;
  archiveBytes: number;
  /** How the archive is trusted by the restore (own key, or --trust for a recipient-only archive). */
  archiveTrust: string;
  /** Whether Lifeboat's restore ran as a temporary role without superuser rights (least privilege). */
  restoreRestricted: boolean;
  variants: RestoreVariantResult[];
}

export interface RestoreSummary {
  database: string;
  id: RestoreVariantId;
  label: string;
  runs: number;
  medianS: number;
  wallS: number[];
  medianEngineS: number | null;
  medianNodeCpuS: number | null;
  medianNodeRssMb: number | null;
  medianTreeCpuS: number | null;
  medianServerCpuS: number | null;
  medianForeignCpuS: number | null;
  medianPhases: Record<string, number> | null;
  medianUntilVerifyS: number | null;
  medianWithoutScratchStartS: number | null;
  /** median / median of bare pg_restore of the same dump. */
  ratioVsPgRestore: number | null;
  /** How much the same work's CPU seconds (client + server) varied between the runs (steadiness.ts). */
  workCpuSpread: WorkCpuSpread | null;
}

function medianPhases(runs: RestoreSample[]): Record<string, number> | null {
  const all = runs.map((r) => r.phases).filter((p): p is Record<string, number> => !!p);
  if (!all.length) return null;
  const keys = [...new Set(all.flatMap((p) => Object.keys(p)))];
  return Object.fromEntries(keys.map((k) => [k, median(all.map((p) => p[k] ?? 0))]));
}

export function summarizeRestore(c: RestoreComparison): RestoreSummary[] {
  const summaries = c.variants.map((v): RestoreSummary => {
    const of = (key: keyof RestoreSample) => medianOrNull(v.runs.map((r) => r[key] as number | undefined));
    return {
      database: c.database, id: v.id, label: v.label, runs: v.runs.length,
      medianS: median(v.runs.map((r) => r.wallS)),
      wallS: v.runs.map((r) => r.wallS),
      medianEngineS: of('engineS'),
      medianNodeCpuS: of('nodeCpuS'),
      medianNodeRssMb: of('nodeRssMb'),
      medianTreeCpuS: of('treeCpuS'),
      medianServerCpuS: of('serverCpuS'),
      medianForeignCpuS: of('foreignCpuS'),
      medianPhases: medianPhases(v.runs),
      medianUntilVerifyS: of('untilVerifyS'),
      medianWithoutScratchStartS: of('withoutScratchStartS'),
      ratioVsPgRestore: null,
      workCpuSpread: workCpuSpread(v.runs),
    };
  });
  const bare = summaries.find((s) => s.id === 'pg_restore');
  for (const s of summaries) if (bare) s.ratioVsPgRestore = s.medianS / bare.medianS;
  return summaries;
}

/** The restore database: "≥ 1 GB" (pg_database_size). */
const RESTORE_MIN_BYTES = 1e9;

export function restoreTargets(c: RestoreComparison, summaries: RestoreSummary[]): Target[] {
  const find = (id: RestoreVariantId) => summaries.find((s) => s.id === id);
  const [bare, floor, lb, drill] = [find('pg_restore'), find('tools-floor'), find('lifeboat-restore'), find('lifeboat-drill')];
  const targets: Target[] = [];
  if (bare && lb) {
    const ratio = lb.medianS / bare.medianS;
    const big = c.sizeBytes >= RESTORE_MIN_BYTES;
    const until = lb.medianUntilVerifyS;
    targets.push({
      id: `${c.kind}:restore/pg_restore`,
      description: `${c.kind} (${formatMB(c.sizeBytes)}): lifeboat restore of the encrypted archive, verification included / bare pg_restore of the same dump${big ? '' : ' (SKIP: the target is for a database ≥ 1 GB)'}`,
      value: ratio,
      threshold: '≤ 1.10',
      pass: big ? ratio <= 1.1 : null,
      detail: `${lb.medianS.toFixed(2)} s vs ${bare.medianS.toFixed(2)} s; until its verification starts ${fx(until)} s (${until === null ? '—' : (until / bare.medianS).toFixed(3)}× pg_restore)` +
        (floor ? `; standard tools ${floor.medianS.toFixed(2)} s (lifeboat ${(lb.medianS / floor.medianS).toFixed(3)}× them)` : ''),
    });
  }
  if (lb && drill && drill.medianWithoutScratchStartS !== null) {
    const ratio = drill.medianWithoutScratchStartS / lb.medianS;
    const start = drill.medianPhases?.['scratch start'] ?? null;
    targets.push({
      id: `${c.kind}:drill/restore`,
      description: `${c.kind} (${formatMB(c.sizeBytes)}): lifeboat drill without the scratch server's start / lifeboat restore (restore + verify)`,
      value: ratio,
      threshold: '≤ 1.20',
      pass: ratio <= 1.2,
      detail: `${drill.medianWithoutScratchStartS.toFixed(2)} s vs ${lb.medianS.toFixed(2)} s; scratch start ${fx(start)} s, drill in all ${drill.medianS.toFixed(2)} s` +
        (bare ? ` (${(drill.medianS / bare.medianS).toFixed(3)}× bare pg_restore)` : ''),
    });
  }
  // Both compare runs of the same rounds: whether the machine kept its speed shows in the bare pg_restore's.
  const unsteady = unsteadyReason('the bare pg_restore', bare?.workCpuSpread ?? null);
  return targets.map((t) => judgedOnSteadyMachine(t, unsteady));
}

function restoreRows(summaries: RestoreSummary[]): string[][] {
  const rows = [['variant', 'median s', 'runs (s)', 'vs pg_restore', 'engine s', 'node CPU s', 'client CPU s', 'server CPU s', 'other CPU s']];
  for (const s of summaries) {
    const other = s.id === 'lifeboat-drill' ? `${fx(s.medianForeignCpuS)} (incl. scratch server)` : fx(s.medianForeignCpuS);
    rows.push([s.label, s.medianS.toFixed(2), s.wallS.map((w) => w.toFixed(2)).join(' / '), fx(s.ratioVsPgRestore, 3), fx(s.medianEngineS), fx(s.medianNodeCpuS), fx(s.medianTreeCpuS), fx(s.medianServerCpuS), other]);
    const bare = summaries.find((b) => b.id === 'pg_restore');
    const derived = s.medianUntilVerifyS ?? s.medianWithoutScratchStartS;
    if (derived !== null) {
      const label = s.id === 'lifeboat-restore' ? '  the same, until its verification starts' : '  the same, without the scratch server\'s start';
      rows.push([label, derived.toFixed(2), '', bare ? (derived / bare.medianS).toFixed(3) : '—', '', '', '', '', '']);
    }
  }
  return rows;
}

function phaseRows(summaries: RestoreSummary[]): string[][] {
  return [
    ['variant', 'phases (medians, s)'],
    ...summaries.filter((s) => s.medianPhases).map((s) => [s.label, Object.entries(s.medianPhases!).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')]),
  ];
}

function heading(c: RestoreComparison, runs: unknown): string {
  return `Restore and drill of ${c.database} (${formatMB(c.sizeBytes)}; dump ${formatMB(c.dumpBytes)}, encrypted archive ${formatMB(c.archiveBytes)}; ${c.archiveTrust}` +
    `${c.restoreRestricted ? '; the restore ran with least privilege' : ''}), median of ${runs} (alternating):`;
}

export const RESTORE_NOTE =
  'pg_restore: the bundled pg_restore -d into a new empty database (created and dropped untimed), reading the dump extracted from the archive. ' +
  'Standard tools: sha256sum of the archive (tee), age -d, tar -xO of the dump parts, sha256sum of the dump (tee), pg_restore -d — decrypting, hashing and restoring as one pipeline, without row counts. ' +
  'lifeboat restore --into: the whole command (the CLI, its safety checks, creating the database, the restore, verification of the row counts); "until its verification starts" is up to its "Verifying" progress line. ' +
  'lifeboat drill: the whole command on an embedded scratch server; "without the scratch server\'s start" subtracts the drill\'s own timings.startMs (reading the archive runs alongside the start).';

export function restoreText(comparisons: RestoreComparison[], runs: unknown): string[] {
  return comparisons.flatMap((c) => {
    const summaries = summarizeRestore(c);
    return ['', heading(c, runs), textTable(restoreRows(summaries)), '', 'Where the restore and drill time goes:', textTable(phaseRows(summaries))];
  });
}

export function restoreMarkdown(comparisons: RestoreComparison[], runs: unknown): string[] {
  if (!comparisons.length) return [];
  return [
    '## Restore and drill',
    '',
    ...comparisons.flatMap((c) => {
      const summaries = summarizeRestore(c);
      return [heading(c, runs), '', markdownTable(restoreRows(summaries)), '', markdownTable(phaseRows(summaries)), ''];
    }),
    RESTORE_NOTE,
    '',
  ];
}
