// The restore side of `npm run bench` (issue 18): how much Lifeboat's restore and drill of an
// encrypted archive cost over a bare `pg_restore` of the same dump.
//
// Untimed: one encrypted archive of the database (`lifeboat backup --recipient R`, its defaults:
// exact row counts, so the restore has row counts to verify), and "the same dump" taken out of it
// with `lifeboat extract` (the database.dump.NNNN parts, joined into one file). Then, alternating
// and taking the median of --runs, each into a new database on the same server (created and
// dropped untimed where the command does not create it itself):
//   1. bare `pg_restore -d NEWDB DUMP` (the bundled pg_restore, as the dump side uses pg_dump),
//   2. the standard tools doing what Lifeboat's restore does, as one pipeline:
//      `tee >(sha256sum) < ARCHIVE | age -d -i KEY | tar -xO 'database.dump.*' | tee >(sha256sum) | pg_restore -d NEWDB`
//      (the dump parts come out of the tar in order, so tar -xO yields the dump itself; both hashes
//      are checked against the archive's afterwards, untimed; no row counts),
//   3. `lifeboat restore ARCHIVE --into NEWDB --identity KEY`: the whole command, verification
//      included, split by its --json progress lines into start-up, checks, restore and verification,
//   4. `lifeboat drill ARCHIVE --identity KEY` on its embedded scratch server, split by the drill's
//      own timings (scratch start, restore, verify, teardown).
// The archive is Lifeboat's own (the key is imported into the benchmark's throwaway keyring first),
// so the restore runs as it does for the user's own backups; without a throwaway keyring the key is
// not imported (it would replace the desktop's Lifeboat key) and the restore gets --trust instead.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { quoteIdent } from '../support/pg-cluster.ts';
import type { BenchServer, BuiltDatabase } from './bench-db.ts';
import { progressMarks, readProbe } from './bench-cli-output.ts';
import { runChecked, type Finished, type NoiseCheck } from './bench-process.ts';
import type { RestoreComparison, RestoreSample, RestoreVariantId, RestoreVariantResult } from './restore-report.ts';

const TRUST_PHRASE = 'I trust where this file came from';

export interface LifeboatRunExtra {
  probeFile?: string;
  timeFile?: string;
  onStderrLine?: (line: string) => void;
}

type MeasuredExtra = Pick<RestoreSample, 'serverCpuS' | 'foreignCpuS' | 'waitedS' | 'treeCpuS' | 'cpuSlowdown'>;

export interface RestoreBenchContext {
  server: BenchServer;
  work: string;
  runs: number;
  /** The bundled pg_restore for the dump's major. */
  pgRestore: string;
  /** A 0600 age identity file (the secret half of `recipient`). */
  identityFile: string;
  recipient: string;
  /** age, GNU tar, tee, sha256sum and mkfifo are installed: the standard-tools floor is measured. */
  tools: boolean;
  /** The key was imported as Lifeboat's own (throwaway keyring): archives it encrypts to are Lifeboat's. */
  ownKey: boolean;
  lifeboat(args: string[], extra?: LifeboatRunExtra): Promise<Finished>;
  measured(fn: () => Promise<Finished>): Promise<{ run: Finished; extra: MeasuredExtra }>;
  withNoiseRetries(what: string, run: () => Promise<RestoreSample>, check: NoiseCheck): Promise<RestoreSample>;
  log(text: string): void;
}

/** Makes the benchmark's key Lifeboat's own; only in a throwaway keyring (true when it did). */
export async function importBenchKey(ctx: Pick<RestoreBenchContext, 'lifeboat' | 'identityFile'>, throwawayKeyring: boolean): Promise<boolean> {
  if (!throwawayKeyring) return false;
  const run = await ctx.lifeboat(['key', 'import', ctx.identityFile, '--yes', '--json']);
  if (run.code !== 0) throw new Error(`lifeboat key import failed:\n${run.stdout}\n${run.stderrTail}`);
  return true;
}

interface Prepared {
  db: BuiltDatabase;
  dir: string;
  archive: string;
  archiveSha256: string;
  archiveBytes: number;
  dumpFile: string;
  dumpSha256: string;
  dumpBytes: number;
  /** Where the restores go: a new database, dropped after each run. */
  target: string;
}

function lifeboatJson<T>(run: Finished, what: string): T {
  if (run.code !== 0) throw new Error(`${what} failed (${run.code ?? run.signal}):\n${run.stdout}\n${run.stderrTail}`);
  return JSON.parse(run.stdout) as T;
}

/** The encrypted archive (untimed), and the plain dump inside it joined into one file. */
async function prepare(ctx: RestoreBenchContext, db: BuiltDatabase): Promise<Prepared> {
  const dir = path.join(ctx.work, 'restore', db.name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(path.join(dir, 'archive'), { recursive: true });
  const made = lifeboatJson<{ archive: string; sha256: string; bytes: number }>(
    await ctx.lifeboat(['backup', '--profile', db.name, '--out', path.join(dir, 'archive'), '--recipient', ctx.recipient, '--json']),
    'lifeboat backup (the archive to restore)',
  );
  const extracted = path.join(dir, 'extracted');
  const { files } = lifeboatJson<{ files: string[] }>(await ctx.lifeboat(['extract', made.archive, '--to', extracted, '--identity', ctx.identityFile, '--json']), 'lifeboat extract');
  const parts = (await readdir(extracted)).filter((f) => /^database\.dump\.\d+$/.test(f)).sort();
  if (!parts.length) throw new Error(`lifeboat extract wrote no database.dump.* parts (it wrote ${files.join(', ')})`);
  const dumpFile = path.join(dir, 'database.dump');
  const hash = createHash('sha256');
  const out = await open(dumpFile, 'w');
  try {
    for (const part of parts) {
      for await (const chunk of createReadStream(path.join(extracted, part)) as AsyncIterable<Buffer>) {
        hash.update(chunk);
        await out.write(chunk);
      }
    }
  } finally {
    await out.close();
  }
  await rm(extracted, { recursive: true, force: true });
  return {
    db, dir, archive: made.archive, archiveSha256: made.sha256, archiveBytes: (await stat(made.archive)).size,
    dumpFile, dumpSha256: hash.digest('hex'), dumpBytes: (await stat(dumpFile)).size, target: `${db.name}_restored`,
  };
}

async function createTarget(ctx: RestoreBenchContext, name: string): Promise<void> {
  await dropTarget(ctx, name);
  await ctx.server.cluster.createDatabase(name);
}

/** Drops a restored database and checkpoints, so every run starts from the same state. */
async function dropTarget(ctx: RestoreBenchContext, name: string): Promise<void> {
  await ctx.server.cluster.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  await ctx.server.cluster.query('CHECKPOINT');
}

async function runPgRestore(ctx: RestoreBenchContext, p: Prepared, round: number): Promise<RestoreSample> {
  await createTarget(ctx, p.target);
  const { run, extra } = await ctx.measured(() =>
    runChecked('pg_restore -d', ctx.pgRestore, ['-d', p.target, p.dumpFile], { env: ctx.server.pgEnv(p.target), measureTree: true, timeFile: path.join(p.dir, 'time.txt') }),
  );
  await dropTarget(ctx, p.target);
  return { round, wallS: run.wallS, ...extra };
}

// FIFOs and background jobs rather than >(…), so the hashing processes are waited for and counted;
// `cat > /dev/null` drains what follows tar's end-of-archive, so age and the hash see the whole file.
const FLOOR_PIPELINE = [
  'set -o pipefail',
  'mkfifo "$dir/f1" "$dir/f2"',
  'sha256sum < "$dir/f1" > "$dir/archive.sha256" &',
  'sha256sum < "$dir/f2" > "$dir/dump.sha256" &',
  'tee "$dir/f1" < "$archive" | age -d -i "$key" | { tar -xOf - --wildcards "database.dump.*" && cat > /dev/null; } | tee "$dir/f2" | "$pg_restore" -d "$db"',
  'rc=$?; [ $rc -eq 0 ] || kill $(jobs -p) 2>/dev/null; wait; rm -f "$dir/f1" "$dir/f2"; exit $rc',
].join('\n');

async function runFloor(ctx: RestoreBenchContext, p: Prepared, round: number): Promise<RestoreSample> {
  await createTarget(ctx, p.target);
  const { run, extra } = await ctx.measured(() =>
    runChecked('age -d | tar -xO | pg_restore -d', 'bash', ['-c', `dir="$1"; archive="$2"; key="$3"; pg_restore="$4"; db="$5"; ${FLOOR_PIPELINE}`, 'bash', p.dir, p.archive, ctx.identityFile, ctx.pgRestore, p.target], {
      env: ctx.server.pgEnv(p.target), measureTree: true, timeFile: path.join(p.dir, 'time.txt'),
    }),
  );
  await dropTarget(ctx, p.target);
  // The hashes were really computed over the whole archive and dump: they match the known ones.
  for (const [file, expected] of [['archive.sha256', p.archiveSha256], ['dump.sha256', p.dumpSha256]] as const) {
    const got = (await readFile(path.join(p.dir, file), 'utf8')).split(' ')[0];
    if (got !== expected) throw new Error(`the standard-tools pipeline hashed ${file} as ${got}, expected ${expected}`);
    await rm(path.join(p.dir, file), { force: true });
  }
  return { round, wallS: run.wallS, ...extra };
}

/** The restore's phases from its progress lines: Checking → Creating database → (restoring) → Verifying → Done. */
function restorePhases(marks: Record<string, number>, wallS: number): Pick<RestoreSample, 'phases' | 'untilVerifyS'> {
  const { Checking: check, 'Creating database': create, Verifying: verify, Done: done } = marks;
  if (check === undefined || create === undefined || verify === undefined || done === undefined) return {};
  return {
    phases: { 'start-up': check, checks: create - check, restoring: verify - create, verifying: done - verify, exit: wallS - done },
    untilVerifyS: verify,
  };
}

async function runLifeboatRestore(ctx: RestoreBenchContext, p: Prepared, round: number, restricted: { value: boolean }): Promise<RestoreSample> {
  await dropTarget(ctx, p.target);
  const probeFile = path.join(p.dir, 'probe.json');
  await rm(probeFile, { force: true });
  const args = ['restore', p.archive, '--profile', p.db.name, '--into', p.target, '--identity', ctx.identityFile, '--no-safety-backup', ...(ctx.ownKey ? [] : ['--trust', TRUST_PHRASE]), '--json'];
  let startedAt = performance.now();
  const tracker = progressMarks(() => startedAt);
  const { run, extra } = await ctx.measured(() => {
    startedAt = performance.now();
    return ctx.lifeboat(args, { probeFile, timeFile: path.join(p.dir, 'time.txt'), onStderrLine: tracker.onLine });
  });
  const result = lifeboatJson<{ durationMs: number; leastPrivilege: unknown; verification: { mismatches: unknown[]; checked: unknown[] } }>(run, `lifeboat ${args.join(' ')}`);
  if (result.verification.mismatches.length || !result.verification.checked.length) throw new Error(`lifeboat restore verified nothing, or found mismatches: ${JSON.stringify(result.verification)}`);
  restricted.value = result.leastPrivilege !== null;
  await dropTarget(ctx, p.target);
  return { round, wallS: run.wallS, engineS: result.durationMs / 1000, ...(await readProbe(probeFile)), ...extra, ...restorePhases(tracker.marks, run.wallS) };
}

interface DrillResult {
  passed: boolean;
  timings: { startMs: number; restoreMs: number; verifyMs: number; teardownMs: number; totalMs: number };
}

async function runDrill(ctx: RestoreBenchContext, p: Prepared, round: number): Promise<RestoreSample> {
  const probeFile = path.join(p.dir, 'probe.json');
  await rm(probeFile, { force: true });
  const args = ['drill', p.archive, '--identity', ctx.identityFile, '--json'];
  const { run, extra } = await ctx.measured(() => ctx.lifeboat(args, { probeFile, timeFile: path.join(p.dir, 'time.txt') }));
  const record = lifeboatJson<DrillResult>(run, `lifeboat ${args.join(' ')}`);
  if (!record.passed) throw new Error(`the drill did not pass:\n${run.stdout.slice(0, 4000)}`);
  const t = record.timings;
  const s = (ms: number) => ms / 1000;
  return {
    round, wallS: run.wallS, engineS: s(t.totalMs), ...(await readProbe(probeFile)), ...extra,
    phases: {
      'scratch start': s(t.startMs), restoring: s(t.restoreMs), verifying: s(t.verifyMs), teardown: s(t.teardownMs),
      'other drill work': s(t.totalMs - t.startMs - t.restoreMs - t.verifyMs - t.teardownMs), 'CLI start-up and exit': run.wallS - s(t.totalMs),
    },
    withoutScratchStartS: run.wallS - s(t.startMs),
  };
}

interface RestoreVariantSpec {
  id: RestoreVariantId;
  label: string;
  /** What makes a run be measured again: for the drill only a slowed CPU (its scratch server counts as another process). */
  noise: NoiseCheck;
  run: (round: number) => Promise<RestoreSample>;
}

function restoreVariants(ctx: RestoreBenchContext, p: Prepared, restricted: { value: boolean }): RestoreVariantSpec[] {
  return [
    { id: 'pg_restore', label: 'pg_restore -d NEWDB DUMP (bare, the same dump)', noise: 'all' as const, run: (r) => runPgRestore(ctx, p, r) },
    ...(ctx.tools ? [{ id: 'tools-floor' as const, label: 'standard tools: sha256 + age -d | tar -xO | sha256 + pg_restore -d', noise: 'all' as const, run: (r: number) => runFloor(ctx, p, r) }] : []),
    { id: 'lifeboat-restore', label: 'lifeboat restore --into (verification included)', noise: 'all' as const, run: (r) => runLifeboatRestore(ctx, p, r, restricted) },
    { id: 'lifeboat-drill', label: 'lifeboat drill (embedded scratch server)', noise: 'cpu-speed' as const, run: (r) => runDrill(ctx, p, r) },
  ];
}

/** The restore comparison for one database (see the header comment). */
export async function measureRestore(ctx: RestoreBenchContext, db: BuiltDatabase): Promise<RestoreComparison> {
  ctx.log(`  ${db.name}: making the encrypted archive and extracting its dump (untimed)…`);
  const p = await prepare(ctx, db);
  const restricted = { value: false };
  const specs = restoreVariants(ctx, p, restricted);
  const variants: RestoreVariantResult[] = specs.map(({ id, label }) => ({ id, label, runs: [] }));
  try {
    for (let round = 1; round <= ctx.runs; round++) {
      for (const [i, spec] of specs.entries()) {
        const what = `${db.name} ${spec.label}`;
        const sample = await ctx.withNoiseRetries(what, () => spec.run(round), spec.noise);
        variants[i]!.runs.push(sample);
        const other = sample.foreignCpuS !== undefined ? `, other CPU ${sample.foreignCpuS.toFixed(1)} s` : '';
        const slowest = sample.cpuSlowdown !== undefined ? `, slowest CPU ${sample.cpuSlowdown.toFixed(2)}×` : '';
        ctx.log(`  ${db.name} restore round ${round}/${ctx.runs}: ${spec.label.padEnd(48)} ${sample.wallS.toFixed(2)} s${other}${slowest}`);
      }
    }
  } finally {
    await dropTarget(ctx, p.target).catch(() => {});
    await rm(p.dir, { recursive: true, force: true });
  }
  return {
    database: db.name, kind: db.kind, sizeBytes: db.sizeBytes, dumpBytes: p.dumpBytes, archiveBytes: p.archiveBytes,
    archiveTrust: ctx.ownKey ? "Lifeboat's own key (imported into the throwaway keyring)" : 'recipient-only archive, restored with --trust',
    restoreRestricted: restricted.value,
    variants,
  };
}
