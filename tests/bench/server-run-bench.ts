// Whole-server runs (issue 16): 12 databases of ~50 MB backed up as one Lifeboat run (defaults:
// encrypted, hashed, exact row counts, two databases at a time) against the bare standard tool doing
// the same one after the other — `pg_dump -Fc --compress=zstd:3 -f FILE` per database (Lifeboat's
// compression), plus `pg_dumpall --globals-only` once. Same server, same run, median of --runs,
// alternating. The target: the run faster than the sequential bare dumps on this machine.
//   node tests/bench/server-run-bench.ts [--databases 12] [--mb 50] [--runs 3] [--major 18] [--concurrency 2]
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { createEngine } from '../../main/engine/index.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import { buildWide, startBenchServer, type BenchServer } from './bench-db.ts';
import { runChecked } from './bench-process.ts';
import { formatMB, median } from './bench-report.ts';

const log = (text: string) => process.stderr.write(`[server-run-bench] ${text}\n`);
const seconds = async (work: () => Promise<unknown>) => {
  const t0 = performance.now();
  await work();
  return (performance.now() - t0) / 1000;
};

async function main(options: { databases: number; mb: number; runs: number; major: number; concurrency: number }): Promise<void> {
  const server = await startBenchServer(options.major);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-run-bench-'));
  try {
    const engine = await createEngine({ dataDir, secrets: new SessionSecretStore('bench') });
    const tool = async (name: 'psql' | 'pg_dump' | 'pg_dumpall') => (await engine.tools.choose(name, options.major)).path;
    log(`building ${options.databases} databases of ~${options.mb} MB on PostgreSQL ${options.major}…`);
    const first = await buildWide(server, 'run_0', options.mb, await tool('psql'));
    const names = [first.name];
    for (let i = 1; i < options.databases; i++) {
      await server.cluster.query(`DROP DATABASE IF EXISTS run_${i}`);
      await server.cluster.query(`CREATE DATABASE run_${i} TEMPLATE run_0`);
      names.push(`run_${i}`);
    }
    const identity = generateAgeKeyPair();
    engine.settings.update({ encryptionMode: 'recipients', extraRecipients: [identity.recipient], serverRunConcurrency: options.concurrency });
    const { cluster } = server;
    await engine.profiles.add({ name: 'server', host: cluster.host, port: cluster.port, database: 'postgres', user: cluster.user, sslmode: 'disable', color: 'blue', password: cluster.password, scope: { kind: 'list', databases: names } });
    const times = { bare: [] as number[], run: [] as number[] };
    let runBytes = 0;
    const nodeCpu: number[] = [];
    let bareBytes = 0;
    for (let round = 1; round <= options.runs; round++) {
      const out = path.join(dataDir, `round-${round}`);
      await mkdir(out, { recursive: true });
      times.bare.push(await seconds(() => bareSequential(server, names, out, tool)));
      bareBytes = await folderBytes(out);
      await rm(out, { recursive: true, force: true });
      let result: Awaited<ReturnType<typeof engine.runs.start>['result']> | null = null;
      const cpuBefore = process.cpuUsage();
      times.run.push(await seconds(async () => (result = await engine.runs.start({ profile: 'server', outDir: out }).result)));
      const cpu = process.cpuUsage(cpuBefore);
      nodeCpu.push((cpu.user + cpu.system) / 1e6);
      if (result!.record.outcome !== 'ok') throw new Error(`the run was ${result!.record.outcome}`);
      runBytes = result!.record.databases.reduce((sum, d) => sum + (d.bytes ?? 0), 0);
      log(`round ${round}/${options.runs}: bare sequential ${times.bare.at(-1)!.toFixed(2)} s, Lifeboat run ${times.run.at(-1)!.toFixed(2)} s (Node CPU ${nodeCpu.at(-1)!.toFixed(2)} s)`);
      await rm(out, { recursive: true, force: true });
    }
    const bare = median(times.bare);
    const run = median(times.run);
    process.stdout.write([
      `Whole-server run — ${options.databases} databases of ${formatMB(first.sizeBytes)} each, PostgreSQL ${options.major}, median of ${options.runs}`,
      `  bare pg_dump -Fc zstd:3, one after the other (+ pg_dumpall -g)  ${bare.toFixed(2)} s  ${formatMB(bareBytes)}`,
      `  lifeboat backup (run: encrypted, hashed, row counts, ${options.concurrency} at a time) ${run.toFixed(2)} s  ${formatMB(runBytes)}  (ratio ${(run / bare).toFixed(3)}; target < 1; Node CPU ${median(nodeCpu).toFixed(2)} s)`,
      '',
    ].join('\n'));
  } finally {
    await rm(dataDir, { recursive: true, force: true });
    await server.dispose();
  }
}

async function bareSequential(server: BenchServer, names: string[], out: string, tool: (name: 'pg_dump' | 'pg_dumpall') => Promise<string>): Promise<void> {
  const pgDump = await tool('pg_dump');
  await runChecked('pg_dumpall -g', await tool('pg_dumpall'), ['--globals-only', '--no-role-passwords', '-f', path.join(out, 'globals.sql')], { env: server.pgEnv('postgres') });
  for (const name of names) await runChecked(`pg_dump ${name}`, pgDump, ['-Fc', '--compress=zstd:3', '-f', path.join(out, `${name}.dump`)], { env: server.pgEnv(name) });
}

async function folderBytes(folder: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(folder)) total += (await stat(path.join(folder, name))).size;
  return total;
}

const { values } = parseArgs({ options: { databases: { type: 'string', default: '12' }, mb: { type: 'string', default: '50' }, runs: { type: 'string', default: '3' }, major: { type: 'string', default: '18' }, concurrency: { type: 'string', default: '2' } } });
await main({ databases: Number(values.databases), mb: Number(values.mb), runs: Number(values.runs), major: Number(values.major), concurrency: Number(values.concurrency) });
