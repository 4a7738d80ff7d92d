// The headless demo (`npm run demo`): an embedded PostgreSQL with the demo shop, then backup →
// full verify → drill → restore, each step printed. Everything lives in a throwaway folder.
import { formatBytes } from '../format-bytes.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { generateAgeKeyPair } from '../crypto/age-keys.ts';
import { createEngine } from '../index.ts';
import { startEmbeddedPostgres } from '../scratch/embedded-postgres.ts';
import { SessionSecretStore } from '../secrets/secret-store.ts';
import { DEMO_CANARIES, DEMO_DATABASE, DEMO_SCHEMA_SQL } from './sample-database.ts';

export interface DemoStep {
  step: string;
  ok: boolean;
  ms: number;
  detail: string;
}

export async function runDemo(report: (step: DemoStep) => void, options: { keep?: boolean } = {}): Promise<{ ok: boolean; steps: DemoStep[]; folder: string }> {
  const steps: DemoStep[] = [];
  const folder = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-demo-'));
  const step = async <T>(name: string, work: () => Promise<T>, describe: (value: T) => string): Promise<T> => {
    const t = performance.now();
    try {
      const value = await work();
      const done = { step: name, ok: true, ms: Math.round(performance.now() - t), detail: describe(value) };
      steps.push(done);
      report(done);
      return value;
    } catch (error) {
      const failed = { step: name, ok: false, ms: Math.round(performance.now() - t), detail: (error as Error).message };
      steps.push(failed);
      report(failed);
      throw error;
    }
  };
  const server = await step('Start an embedded PostgreSQL 18', () => startEmbeddedPostgres(), (s) => `127.0.0.1:${s.profile.port}, PostgreSQL ${s.version}`);
  try {
    await step(`Create the demo database "${DEMO_DATABASE}"`, async () => {
      const client = new pg.Client({ host: '127.0.0.1', port: server.profile.port, user: server.profile.user, password: server.password, database: 'postgres' });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${DEMO_DATABASE}`);
      } finally {
        await client.end();
      }
      const db = new pg.Client({ host: '127.0.0.1', port: server.profile.port, user: server.profile.user, password: server.password, database: DEMO_DATABASE });
      await db.connect();
      try {
        await db.query(DEMO_SCHEMA_SQL);
        const { rows } = await db.query<{ n: string }>('SELECT (SELECT count(*) FROM shop.customers) + (SELECT count(*) FROM shop.orders) + (SELECT count(*) FROM shop.order_items) AS n');
        return Number(rows[0]!.n);
      } finally {
        await db.end();
      }
    }, (rows) => `${rows} rows of customers, orders and items, with enums, partitions, views and triggers`);

    // A throwaway data directory and key: the demo never touches your profiles or keychain.
    const engine = await createEngine({ dataDir: path.join(folder, 'lifeboat-home'), secrets: new SessionSecretStore('the demo keeps nothing') });
    const key = generateAgeKeyPair();
    await writeFile(path.join(folder, 'demo-key.txt'), `${key.identity}\n`, { mode: 0o600 });
    const keys = { identities: [key.identity] };
    await step('Add a connection profile', () => engine.profiles.add({ name: 'demo', host: '127.0.0.1', port: server.profile.port, database: DEMO_DATABASE, user: server.profile.user, sslmode: 'disable', color: 'teal', password: server.password, canaryQueries: DEMO_CANARIES }), (p) => `"${p.name}" → ${p.user}@${p.host}:${p.port}/${p.database}`);
    const backup = await step('Back up (snapshot-exact, zstd, age-encrypted)', () => engine.backups.start({ profile: 'demo', outDir: path.join(folder, 'backups'), encryption: { kind: 'recipients', recipients: [key.recipient] } }).result, (b) => `${path.basename(b.archive)}: ${formatBytes(b.bytes)}, ${b.tables} tables, ${b.totalRows} rows`);
    await step('Verify the archive fully', () => engine.library.verify(backup.archive, 'full', keys).result, (v) => v.checks.at(-1) ?? 'ok');
    const drill = await step('Drill: restore into a scratch server and compare', async () => {
      const record = await engine.drills.start({ file: backup.archive, keys, reportFile: path.join(folder, 'drill-report.html') }).result;
      if (!record.passed) throw new Error(`the drill failed: ${record.error?.message ?? record.checks.filter((c) => !c.passed).map((c) => `${c.name}: expected ${c.expected}, got ${c.actual}`).join('; ')}`);
      return record;
    }, (d) => `passed ${d.checks.length} checks (row counts, objects, canaries); recovery time ${(d.timings.totalMs / 1000).toFixed(1)} s`);
    await step('Restore into a new database', () => engine.restores.start({ file: backup.archive, profile: 'demo', mode: 'new', database: `${DEMO_DATABASE}_restored`, keys }).result, (r) => `"${r.database}": ${r.verification.note}`);
    void drill;
    return { ok: true, steps, folder };
  } finally {
    await server.stop();
    if (!options.keep) await rm(folder, { recursive: true, force: true });
  }
}
