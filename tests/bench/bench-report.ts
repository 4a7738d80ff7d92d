// Summaries, targets and the printed / JSON / Markdown report of the benchmark.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BuiltDatabase } from './bench-db.ts';
import { formatMB, fx, markdownTable, median, textTable } from './bench-format.ts';
import type { CryptoFloor } from './crypto-floor.ts';
import { judgedOnSteadyMachine, unsteadyReason, workCpuSpread, type WorkCpuSpread } from './steadiness.ts';
import { RESTORE_NOTE, restoreMarkdown, restoreTargets, restoreText, summarizeRestore, type RestoreComparison, type RestoreSummary } from './restore-report.ts';

export { formatMB, median } from './bench-format.ts';

export interface RunSample {
  round: number;
  wallS: number;
  archiveBytes: number;
  /** Lifeboat only: the engine's own durationMs (without process start-up), in seconds. */
  engineS?: number;
  /** Lifeboat only: peak RSS of the lifeboat (node) process itself, MB (getrusage RUSAGE_SELF). */
  nodeRssMb?: number;
  /** Lifeboat only: CPU seconds of the node process itself. */
  nodeCpuS?: number;
  /** CPU seconds of the whole client tree (pg_dump, and for Lifeboat node + pg_dump + pg_dumpall). */
  treeCpuS?: number;
  /** Largest peak RSS in the client tree (MB). */
  treeRssMb?: number;
  /** CPU seconds the PostgreSQL server spent meanwhile. */
  serverCpuS?: number;
  /** CPU seconds used meanwhile by processes that are neither the client tree nor the server. */
  foreignCpuS?: number;
  /** Seconds waited before the run for the machine to be quiet and its CPUs even. */
  waitedS?: number;
  /** The slowest CPU's probe time over its usual (cpu-speed.ts), the worse of just before and just after the run. */
  cpuSlowdown?: number;
  /** How often the run was repeated because the machine was busy with other work. */
  retries?: number;
  /** Lifeboat only: when its progress phases began, from the CLI's --json progress lines. */
  phases?: LifeboatPhases;
  compression?: string;
  dumpBytes?: number;
}

/** Seconds of a Lifeboat run, split by the progress lines the CLI prints with --json. */
export interface LifeboatPhases {
  /** Process start, module loading, engine set-up: until "Connecting". */
  startupS: number;
  /** Connect, snapshot, find tools, list tables, pg_dumpall --globals-only: until "Dumping" starts. */
  setupS: number;
  /** pg_dump running (with the row counter alongside when on): until "Finishing"/"Counting rows". */
  dumpS: number;
  /** Waiting for row counts, checksums, fsync, sidecar: until "Done". */
  finishS: number;
  /** Process exit after "Done". */
  exitS: number;
}

export interface VariantResult {
  database: string;
  id: string;
  label: string;
  kind: 'bare' | 'lifeboat';
  compression: string;
  rowCounts: boolean | null;
  /** The output is encrypted (age), as Lifeboat's default archives are. */
  encrypted: boolean;
  runs: RunSample[];
}

export interface VariantSummary extends Omit<VariantResult, 'runs'> {
  runs: number;
  medianS: number;
  minS: number;
  maxS: number;
  wallS: number[];
  archiveBytes: number;
  medianEngineS: number | null;
  medianNodeRssMb: number | null;
  maxNodeRssMb: number | null;
  medianNodeCpuS: number | null;
  medianTreeCpuS: number | null;
  medianServerCpuS: number | null;
  medianForeignCpuS: number | null;
  medianPhases: LifeboatPhases | null;
  /** median / median of the bare pg_dump with the same compression, same database. */
  ratioVsBare: number | null;
  /** Lifeboat only: engine-internal time / bare pg_dump. */
  engineRatioVsBare: number | null;
  /** Encrypted Lifeboat variants: median / median of the standard tools doing the same work (the floor, FLOOR_ID). */
  ratioVsFloor: number | null;
  /** Lifeboat only: median of the node process's CPU seconds per GB (1e9 bytes) of pg_dump output. */
  medianNodeCpuSPerGb: number | null;
  /** Lifeboat only: median size of the plain dump (pg_dump's output, from the sidecar). */
  medianDumpBytes: number | null;
  /** archive size / size of the pg_dump -Fc default archive (wide database only). */
  sizeVsPgDumpDefault: number | null;
  /** How much the same work's CPU seconds (client + server) varied between the runs (steadiness.ts). */
  workCpuSpread: WorkCpuSpread | null;
}

export interface Target {
  id: string;
  description: string;
  value: number | null;
  threshold: string;
  pass: boolean | null;
  detail: string;
  /** Why there is no verdict although the target applies: the machine ran unsteadily (steadiness.ts). */
  unsure?: string;
}

export interface RssComparison {
  data: 'pgbench' | 'wide';
  small: { database: string; sizeBytes: number; rssMb: number[]; medianMb: number; maxMb: number; wallS: number[] };
  large: { database: string; sizeBytes: number; rssMb: number[]; medianMb: number; maxMb: number; wallS: number[] };
  deltaMedianMb: number;
  deltaMaxMb: number;
}

function medianOf(runs: RunSample[], key: keyof RunSample): number | null {
  const values = runs.map((r) => r[key]).filter((v): v is number => typeof v === 'number');
  return values.length ? median(values) : null;
}

function medianPhases(runs: RunSample[]): LifeboatPhases | null {
  const all = runs.map((r) => r.phases).filter((p): p is LifeboatPhases => !!p);
  if (!all.length) return null;
  const keys = ['startupS', 'setupS', 'dumpS', 'finishS', 'exitS'] as const;
  return Object.fromEntries(keys.map((k) => [k, median(all.map((p) => p[k]))])) as unknown as LifeboatPhases;
}

/** The standard-tools floor: `pg_dump | tee >(sha256sum) | age -r | tee >(sha256sum) > FILE`. */
export const FLOOR_ID = 'tools-age-sha256';

function cpuPerGb(runs: RunSample[]): number | null {
  const values = runs.filter((r) => r.nodeCpuS !== undefined && r.dumpBytes).map((r) => r.nodeCpuS! / (r.dumpBytes! / 1e9));
  return values.length ? median(values) : null;
}

export function summarize(results: VariantResult[]): VariantSummary[] {
  const summaries = results.map((v): VariantSummary => {
    const wall = v.runs.map((r) => r.wallS);
    const rss = v.runs.map((r) => r.nodeRssMb).filter((x): x is number => typeof x === 'number');
    return {
      database: v.database, id: v.id, label: v.label, kind: v.kind, compression: v.compression, rowCounts: v.rowCounts, encrypted: v.encrypted,
      runs: v.runs.length,
      medianS: median(wall),
      minS: Math.min(...wall),
      maxS: Math.max(...wall),
      wallS: wall,
      archiveBytes: medianOf(v.runs, 'archiveBytes') ?? 0,
      medianEngineS: medianOf(v.runs, 'engineS'),
      medianNodeRssMb: rss.length ? median(rss) : null,
      maxNodeRssMb: rss.length ? Math.max(...rss) : null,
      medianNodeCpuS: medianOf(v.runs, 'nodeCpuS'),
      medianTreeCpuS: medianOf(v.runs, 'treeCpuS'),
      medianServerCpuS: medianOf(v.runs, 'serverCpuS'),
      medianForeignCpuS: medianOf(v.runs, 'foreignCpuS'),
      medianPhases: medianPhases(v.runs),
      ratioVsBare: null,
      engineRatioVsBare: null,
      ratioVsFloor: null,
      medianNodeCpuSPerGb: cpuPerGb(v.runs),
      medianDumpBytes: medianOf(v.runs, 'dumpBytes'),
      sizeVsPgDumpDefault: null,
      workCpuSpread: workCpuSpread(v.runs),
    };
  });
  for (const s of summaries) {
    const referenceId = s.compression === 'zstd:3' ? 'pg_dump-zstd' : 'pg_dump-default';
    const bare = summaries.find((b) => b.database === s.database && b.id === referenceId);
    if (bare) {
      s.ratioVsBare = s.medianS / bare.medianS;
      if (s.medianEngineS !== null) s.engineRatioVsBare = s.medianEngineS / bare.medianS;
    }
    const pgDefault = summaries.find((b) => b.database === s.database && b.id === 'pg_dump-default');
    if (pgDefault) s.sizeVsPgDumpDefault = s.archiveBytes / pgDefault.archiveBytes;
    // The floor encrypts and hashes: only the encrypted Lifeboat variants do the same work.
    const floor = summaries.find((b) => b.database === s.database && b.id === FLOOR_ID);
    if (floor && s.kind === 'lifeboat' && s.encrypted) s.ratioVsFloor = s.medianS / floor.medianS;
  }
  return summaries;
}

/** Issue 18's backup targets: Lifeboat variant / bare pg_dump -Fc zstd:3, by kind of database. */
const RATIO_TARGETS: Record<BuiltDatabase['kind'], Array<[id: string, limit: number, what: string]>> = {
  wide: [
    ['lifeboat-no-rows', 1.1, 'encrypted+hashed, row counts off'],
    ['lifeboat-rows', 1.15, 'encrypted+hashed, exact row counts on'],
    ['lifeboat-no-encrypt', 1.05, '--no-encrypt: hashed, row counts off'],
  ],
  pgbench: [
    ['lifeboat-no-rows', 1.15, 'encrypted+hashed, row counts off'],
    ['lifeboat-rows', 1.15, 'encrypted+hashed, exact row counts on'],
  ],
};

/** Node CPU per GB of dump, for the encrypted variant without row counts on the wide database. */
const CPU_PER_GB_LIMIT = 2.5;

type Find = (db: string, id: string) => VariantSummary | undefined;

function ratioTargets(db: BuiltDatabase, find: Find): Target[] {
  const bare = find(db.name, 'pg_dump-zstd');
  const targets: Target[] = [];
  for (const [id, limit, what] of RATIO_TARGETS[db.kind]) {
    const lb = find(db.name, id);
    if (!bare || !lb) continue;
    const ratio = lb.ratioVsBare!;
    const floor = lb.ratioVsFloor === null ? '' : `; ${lb.ratioVsFloor.toFixed(3)}× the standard tools`;
    targets.push({
      id: `${db.kind}:${id}/pg_dump-zstd`,
      description: `${db.kind} (${formatMB(db.sizeBytes)}): lifeboat backup (${what}) / bare pg_dump -Fc zstd:3`,
      value: ratio,
      threshold: `≤ ${limit.toFixed(2)}`,
      pass: ratio <= limit,
      detail: `${lb.medianS.toFixed(2)} s vs ${bare.medianS.toFixed(2)} s (engine-internal ${lb.engineRatioVsBare?.toFixed(3) ?? '—'}${floor})`,
    });
  }
  return targets;
}

function cpuTarget(db: BuiltDatabase, find: Find, floor: CryptoFloor | null): Target[] {
  const lb = find(db.name, 'lifeboat-no-rows');
  if (db.kind !== 'wide' || !lb || lb.medianNodeCpuSPerGb === null) return [];
  return [{
    id: `${db.kind}:lifeboat-no-rows/node-cpu-per-gb`,
    description: `wide (${formatMB(db.sizeBytes)}): Node CPU of lifeboat backup (encrypted+hashed, row counts off) per GB of dump`,
    value: lb.medianNodeCpuSPerGb,
    threshold: `≤ ${CPU_PER_GB_LIMIT.toFixed(2)} s/GB`,
    pass: lb.medianNodeCpuSPerGb <= CPU_PER_GB_LIMIT,
    detail: `node CPU ${fx(lb.medianNodeCpuS)} s for a ${formatMB(lb.medianDumpBytes ?? 0)} dump (medians)${floor ? `; the work no backup can skip — SHA-256 twice (${floor.sha256MBps.toFixed(0)} MB/s), age's sealing (${floor.sealMBps.toFixed(0)} MB/s), the file's write (${floor.writeMBps.toFixed(0)} MB/s) — is ${floor.sPerGb.toFixed(2)} s/GB in this process` : ''}`,
  }];
}

function defaultsTargets(db: BuiltDatabase, find: Find): Target[] {
  const pgDefault = find(db.name, 'pg_dump-default');
  if (db.kind !== 'wide' || !pgDefault) return [];
  const targets: Target[] = [];
  for (const [id, what] of [['lifeboat-no-rows', 'variant 2: row counts off'], ['lifeboat-rows', 'Settings defaults: exact row counts on']] as const) {
    const lb = find(db.name, id);
    if (!lb) continue;
    const speedup = pgDefault.medianS / lb.medianS;
    const smaller = lb.archiveBytes <= pgDefault.archiveBytes;
    targets.push({
      id: `${db.kind}:pg_dump-default/${id}`,
      description: `wide (${formatMB(db.sizeBytes)}): Lifeboat defaults (${what}) vs pg_dump -Fc defaults (gzip 6): speed-up, archive size`,
      value: speedup,
      threshold: '≥ 3.00× and size ≤',
      pass: speedup >= 3 && smaller,
      detail: `${pgDefault.medianS.toFixed(2)} s / ${lb.medianS.toFixed(2)} s; archive ${formatMB(lb.archiveBytes)} vs ${formatMB(pgDefault.archiveBytes)} (${(lb.archiveBytes / pgDefault.archiveBytes).toFixed(3)}×)`,
    });
  }
  return targets;
}

function rssTarget(rss: RssComparison): Target {
  return {
    id: `rss:${rss.data}:large-small`,
    description: `Lifeboat peak RSS, ${rss.data} data: ${formatMB(rss.large.sizeBytes)} database vs ${formatMB(rss.small.sizeBytes)} database (difference)`,
    value: rss.deltaMedianMb,
    threshold: '≤ 50 MB',
    pass: rss.deltaMedianMb <= 50,
    detail: `median ${rss.large.medianMb.toFixed(1)} MB vs ${rss.small.medianMb.toFixed(1)} MB (max ${rss.large.maxMb.toFixed(1)} vs ${rss.small.maxMb.toFixed(1)}, Δmax ${rss.deltaMaxMb.toFixed(1)} MB)`,
  };
}

export function evaluateTargets(summaries: VariantSummary[], databases: BuiltDatabase[], rssComparisons: RssComparison[], restores: RestoreComparison[] = [], cryptoFloor: CryptoFloor | null = null): Target[] {
  const find: Find = (db, id) => summaries.find((s) => s.database === db && s.id === id);
  const targets: Target[] = [];
  for (const db of databases.filter((d) => summaries.some((s) => s.database === d.name))) {
    const bare = find(db.name, 'pg_dump-zstd');
    const unsteady = unsteadyReason('the bare pg_dump', bare?.workCpuSpread ?? null);
    const defaults = unsteadyReason('pg_dump with its defaults', find(db.name, 'pg_dump-default')?.workCpuSpread ?? null);
    targets.push(
      ...[...ratioTargets(db, find), ...cpuTarget(db, find, cryptoFloor)].map((t) => judgedOnSteadyMachine(t, unsteady)),
      ...defaultsTargets(db, find).map((t) => judgedOnSteadyMachine(t, defaults ?? unsteady)),
    );
  }
  for (const restore of restores) targets.push(...restoreTargets(restore, summarizeRestore(restore)));
  targets.push(...rssComparisons.map(rssTarget));
  return targets;
}

function summaryRows(summaries: VariantSummary[]): string[][] {
  return [
    ['database', 'variant', 'median s', 'runs (s)', 'ratio vs bare', 'vs tools floor', 'archive', 'size vs pg_dump default', 'Lifeboat peak RSS', 'node CPU s', 'node CPU s/GB dump', 'client CPU s', 'server CPU s', 'other CPU s'],
    ...summaries.map((s) => [
      s.database,
      s.label,
      s.medianS.toFixed(2),
      s.wallS.map((w) => w.toFixed(2)).join(' / '),
      s.ratioVsBare === null ? '—' : s.ratioVsBare.toFixed(3),
      fx(s.ratioVsFloor, 3),
      formatMB(s.archiveBytes),
      s.sizeVsPgDumpDefault === null ? '—' : s.sizeVsPgDumpDefault.toFixed(3),
      s.medianNodeRssMb === null ? '—' : `${s.medianNodeRssMb.toFixed(1)} MB (max ${s.maxNodeRssMb!.toFixed(1)})`,
      fx(s.medianNodeCpuS),
      fx(s.medianNodeCpuSPerGb),
      fx(s.medianTreeCpuS),
      fx(s.medianServerCpuS),
      fx(s.medianForeignCpuS),
    ]),
  ];
}

function phaseRows(summaries: VariantSummary[]): string[][] {
  return [
    ['database', 'variant', 'start-up s', 'set-up s', 'dump s', 'finish s', 'exit s', 'total s'],
    ...summaries.filter((s) => s.medianPhases).map((s) => {
      const p = s.medianPhases!;
      return [s.database, s.label, p.startupS.toFixed(2), p.setupS.toFixed(2), p.dumpS.toFixed(2), p.finishS.toFixed(2), p.exitS.toFixed(2), s.medianS.toFixed(2)];
    }),
  ];
}

const PHASES_NOTE =
  'Phases (medians) from the timestamps of the CLI\'s --json progress lines: start-up = process start, module loading and engine set-up until "Connecting"; ' +
  'set-up = connect, snapshot, tool discovery, table list and pg_dumpall --globals-only until pg_dump starts; dump = pg_dump running; ' +
  'finish = waiting for row counts, checksums, fsync and the sidecar; exit = process exit.';

const SUMMARY_NOTE =
  '"ratio vs bare" is against the bare `pg_dump -Fc` with the same compression on the same database; ' +
  '"vs tools floor" is an encrypted Lifeboat variant against the standard tools doing the same work (`pg_dump | tee >(sha256sum) | age -r | tee >(sha256sum) > FILE`; ' +
  '--no-encrypt has no such floor here, since the floor encrypts); "node CPU s/GB dump" is the lifeboat process\'s CPU seconds per 1e9 bytes of pg_dump output (the sidecar\'s dumpBytes).';

function diagnosticRows(diagnostics: Diagnostic[]): string[][] {
  return [['command', 'median s', 'runs (s)', 'peak RSS'], ...diagnostics.map((d) => [d.label, d.medianS.toFixed(3), d.wallS.map((w) => w.toFixed(3)).join(' / '), d.medianRssMb === null ? '—' : `${d.medianRssMb.toFixed(1)} MB`])];
}

function rssRows(comparisons: RssComparison[]): string[][] {
  return [
    ['data', 'database', 'size', 'peak RSS per run (MB)', 'median MB', 'max MB', 'wall s'],
    ...comparisons.flatMap((c) => [c.small, c.large].map((x) => [c.data, x.database, formatMB(x.sizeBytes), x.rssMb.map((v) => v.toFixed(1)).join(' / '), x.medianMb.toFixed(1), x.maxMb.toFixed(1), x.wallS.map((v) => v.toFixed(1)).join(' / ')])),
  ];
}

export interface Diagnostic {
  label: string;
  wallS: number[];
  medianS: number;
  medianRssMb: number | null;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  options: Record<string, unknown>;
  environment: Record<string, unknown>;
  databases: BuiltDatabase[];
  variants: VariantResult[];
  summaries: VariantSummary[];
  rss: RssComparison[];
  restore: RestoreComparison[];
  /** Medians and ratios of `restore`, one list per database. */
  restoreSummaries: RestoreSummary[][];
  diagnostics: Diagnostic[];
  targets: Target[];
  notes: string[];
}

function targetLines(targets: Target[]): string[] {
  return targets.map((t) => `${t.unsure ? 'UNSURE' : t.pass === null ? 'SKIP' : t.pass ? 'PASS' : 'FAIL'}  ${t.description}: ${t.value === null ? '—' : t.value.toFixed(3)} (target ${t.threshold}) — ${t.detail}${t.unsure ? `; no verdict: ${t.unsure}` : ''}`);
}

export function printReport(report: BenchReport): string {
  const parts: string[] = [];
  parts.push('Databases:');
  parts.push(textTable([['name', 'content', 'size', 'build s'], ...report.databases.map((d) => [d.name, d.description, formatMB(d.sizeBytes), d.buildSeconds.toFixed(1)])]));
  if (report.summaries.length) {
    parts.push('', `Wall times, median of ${report.options.runs} (alternating runs):`);
    parts.push(textTable(summaryRows(report.summaries)));
    if (report.summaries.some((s) => s.medianPhases)) {
      parts.push('', 'Where Lifeboat\'s time goes (medians):', textTable(phaseRows(report.summaries)));
    }
    parts.push('', SUMMARY_NOTE);
  }
  parts.push(...restoreText(report.restore, report.options.runs));
  if (report.restore.length) parts.push('', RESTORE_NOTE);
  if (report.rss.length) {
    parts.push('', 'Lifeboat peak RSS by database size (lifeboat backup with its defaults, alternating runs):');
    parts.push(textTable(rssRows(report.rss)));
  }
  if (report.diagnostics.length) parts.push('', 'Fixed costs (diagnostics):', textTable(diagnosticRows(report.diagnostics)));
  parts.push('', ...targetLines(report.targets));
  if (report.notes.length) parts.push('', ...report.notes.map((n) => `note: ${n}`));
  return parts.join('\n');
}

export async function writeArtifacts(dir: string, report: BenchReport): Promise<{ json: string; md: string }> {
  await mkdir(dir, { recursive: true });
  const json = path.join(dir, 'latest.json');
  const md = path.join(dir, 'latest.md');
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  const env = report.environment;
  const lines = [
    `# Lifeboat benchmark — ${report.finishedAt}`,
    '',
    `Machine: ${env.cpus} × ${env.cpuModel}, ${env.memoryGb} GB RAM; Node ${env.node}; server PostgreSQL ${env.serverVersion}; pg_dump ${env.pgDumpVersion}. Options: \`${JSON.stringify(report.options)}\`.`,
    '',
    '## Databases',
    '',
    markdownTable([['name', 'content', 'size', 'build s'], ...report.databases.map((d) => [d.name, d.description, formatMB(d.sizeBytes), d.buildSeconds.toFixed(1)])]),
    '',
  ];
  if (report.summaries.length) {
    lines.push(`## Wall times (median of ${report.options.runs}, alternating)`, '', markdownTable(summaryRows(report.summaries)), '');
    lines.push(
      `${SUMMARY_NOTE} ` +
        '"Lifeboat peak RSS" is the lifeboat process itself (getrusage RUSAGE_SELF ru_maxrss, via `node --import tests/bench/rss-probe.mjs`); ' +
        '"client CPU" is the whole client tree under /usr/bin/time (for Lifeboat: node + pg_dump + pg_dumpall); "server CPU" is the PostgreSQL server meanwhile; ' +
        '"other CPU" is what the rest of the machine used meanwhile (noise: /proc/stat busy time minus client and server).',
      '',
      '### Where Lifeboat\'s time goes',
      '',
      markdownTable(phaseRows(report.summaries)),
      '',
      PHASES_NOTE,
      '',
    );
  }
  lines.push(...restoreMarkdown(report.restore, report.options.runs));
  if (report.rss.length) lines.push('## Lifeboat peak RSS by database size', '', markdownTable(rssRows(report.rss)), '');
  if (report.diagnostics.length) lines.push('## Fixed costs (diagnostics)', '', markdownTable(diagnosticRows(report.diagnostics)), '');
  lines.push('## Targets', '', ...targetLines(report.targets).map((l) => `- ${l}`), '');
  if (report.notes.length) lines.push('## Notes', '', ...report.notes.map((n) => `- ${n}`), '');
  await writeFile(md, `${lines.join('\n')}\n`);
  return { json, md };
}
