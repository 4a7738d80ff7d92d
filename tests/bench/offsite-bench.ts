// Offsite copies (issue 15): the time to a verified copy in an S3 store vs the local backup alone,
// and a restore from the S3 copy vs from the local file — same server, same data, same run, median
// of --runs, alternating. The store is s3rver on loopback (tests/support/s3-lab.ts, talked to
// directly: the lab's fault proxy buffers whole requests). Both sides are the engine in this process.
//   node tests/bench/offsite-bench.ts [--wide-mb 256] [--runs 3] [--major 18]
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { createEngine, type Engine } from '../../main/engine/index.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import { startS3Lab } from '../support/s3-lab.ts';
import { buildWide, startBenchServer } from './bench-db.ts';
import { formatMB, median } from './bench-report.ts';

const log = (text: string) => process.stderr.write(`[offsite-bench] ${text}\n`);
const seconds = async (work: () => Promise<unknown>) => {
  const t0 = performance.now();
  await work();
  return (performance.now() - t0) / 1000;
};

async function main(options: { wideMb: number; runs: number; major: number }): Promise<void> {
  const server = await startBenchServer(options.major);
  const lab = await startS3Lab();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-offsite-bench-'));
  try {
    const engine = await createEngine({ dataDir, secrets: new SessionSecretStore('bench') });
    const psql = (await engine.tools.choose('psql', options.major)).path;
    log(`building the wide database (~${options.wideMb} MB) on PostgreSQL ${options.major}…`);
    const db = await buildWide(server, 'bench_wide', options.wideMb, psql);
    const identity = generateAgeKeyPair();
    engine.settings.update({ encryptionMode: 'recipients', extraRecipients: [identity.recipient], exactRowCounts: false });
    await engine.profiles.add({ name: 'wide', host: server.cluster.host, port: server.cluster.port, database: db.name, user: server.cluster.user, sslmode: 'disable', color: 'blue', password: server.cluster.password });
    await engine.profiles.add({ name: 'plain', host: server.cluster.host, port: server.cluster.port, database: db.name, user: server.cluster.user, sslmode: 'disable', color: 'blue', password: server.cluster.password });
    await engine.destinations.add({ name: 'bench', profile: 'wide', s3: { endpoint: lab.directEndpoint, region: lab.region, bucket: lab.bucket, prefix: 'bench/', pathStyle: true, accessKeyId: lab.accessKeyId, partChecksums: true }, secretKey: lab.secretAccessKey });
    const times = { local: [] as number[], offsite: [] as number[], restoreLocal: [] as number[], restoreRemote: [] as number[] };
    let archiveBytes = 0;
    for (let round = 1; round <= options.runs; round++) {
      const out = path.join(dataDir, `round-${round}`);
      times.local.push(await seconds(() => engine.backups.start({ profile: 'plain', outDir: out }).result));
      let archive = '';
      times.offsite.push(await seconds(async () => {
        const result = await engine.backups.start({ profile: 'wide', outDir: out }).result;
        archive = result.archive;
        archiveBytes = result.bytes;
        await new Promise((resolve) => setImmediate(resolve));
        for (const job of engine.followUps.running()) await job.result;
      }));
      const keys = { identities: [identity.identity] };
      times.restoreLocal.push(await seconds(() => engine.restores.start({ file: archive, profile: 'plain', mode: 'new', database: `bench_local_${round}`, keys }).result));
      times.restoreRemote.push(await seconds(() => restoreFromRemote(engine, path.basename(archive), `bench_remote_${round}`, keys)));
      log(`round ${round}/${options.runs}: backup ${times.local.at(-1)!.toFixed(2)} s, backup + verified copy ${times.offsite.at(-1)!.toFixed(2)} s, restore local ${times.restoreLocal.at(-1)!.toFixed(2)} s, from S3 ${times.restoreRemote.at(-1)!.toFixed(2)} s`);
      await rm(out, { recursive: true, force: true });
    }
    const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])) as Record<keyof typeof times, number>;
    process.stdout.write([
      `Offsite copies — wide database ${formatMB(db.sizeBytes)}, encrypted archive ${formatMB(archiveBytes)}, s3rver on loopback, median of ${options.runs}`,
      `  local backup alone            ${m.local.toFixed(2)} s`,
      `  backup + verified S3 copy     ${m.offsite.toFixed(2)} s  (ratio ${(m.offsite / m.local).toFixed(3)})`,
      `  restore from the local file   ${m.restoreLocal.toFixed(2)} s`,
      `  restore from the S3 copy      ${m.restoreRemote.toFixed(2)} s  (ratio ${(m.restoreRemote / m.restoreLocal).toFixed(3)}; downloaded and checked first, then restored)`,
      '',
    ].join('\n'));
  } finally {
    await rm(dataDir, { recursive: true, force: true });
    await lab.stop();
    await server.dispose();
  }
}

/** What `lifeboat restore DEST:ARCHIVE` does: download into a private folder (checked), restore, remove. */
async function restoreFromRemote(engine: Engine, name: string, database: string, keys: { identities: string[] }): Promise<void> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-offsite-bench-dl-'));
  try {
    const got = await engine.copies.download('bench', name, folder).result;
    await engine.restores.start({ file: got.file, profile: 'plain', mode: 'new', database, keys }).result;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

const { values } = parseArgs({ options: { 'wide-mb': { type: 'string', default: '256' }, runs: { type: 'string', default: '3' }, major: { type: 'string', default: '18' } } });
await main({ wideMb: Number(values['wide-mb']), runs: Number(values.runs), major: Number(values.major) });
