// How fast the library lists 1,000 archives from their sidecars (target: under 300 ms).
//   node tests/bench/library-list-bench.ts [--archives 1000] [--runs 5]
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createEngine } from '../../main/engine/index.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';

const { values } = parseArgs({ options: { archives: { type: 'string', default: '1000' }, runs: { type: 'string', default: '5' } } });
const count = Number(values.archives);
const runs = Number(values.runs);
const folder = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-bench-library-'));
const home = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-bench-home-'));
try {
  const start = Date.UTC(2024, 0, 1);
  for (let i = 0; i < count; i++) {
    const created = new Date(start + i * 3_600_000).toISOString();
    const name = `prod_app_${created.replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z')}.lifeboat`;
    await writeFile(path.join(folder, name), 'archive bytes are not read when the sidecar is present');
    await writeFile(path.join(folder, `${name}.json`), JSON.stringify({
      sidecarVersion: 1, archive: name, formatVersion: 1, profile: 'prod', host: 'db', port: 5432, database: 'app', serverVersion: '18.1', pgDumpVersion: '18.6',
      createdAt: created, finishedAt: created, durationMs: 1000, bytes: 1e6, sha256: 'a'.repeat(64), encryption: { kind: 'x25519', recipients: [] },
      compression: 'zstd:3', tables: 10, totalRows: 1000, rowCountsExact: true, dumpBytes: 1e6,
    }));
  }
  const engine = await createEngine({ dataDir: home, secrets: new SessionSecretStore('bench') });
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    const listed = await engine.library.list({ folders: [folder] });
    times.push(performance.now() - t);
    if (listed.length !== count) throw new Error(`listed ${listed.length} of ${count}`);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  console.log(`Library listing of ${count} archives: median ${median.toFixed(0)} ms over ${runs} runs (${times.map((t) => t.toFixed(0)).join(' / ')} ms)`);
  console.log(`${median < 300 ? 'PASS' : 'FAIL'}  ${count} archives list in under 300 ms: ${median.toFixed(0)} ms`);
} finally {
  await rm(folder, { recursive: true, force: true });
  await rm(home, { recursive: true, force: true });
}
