// Drills against real archives from every supported server, with both scratch kinds, and a tampered
// archive that must fail naming the table; a killed drill leaves nothing behind after the next start.
import { execFile, spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAR_END, tarHeader, tarPadding } from '../../main/engine/archive/tar-format.ts';
import { readTar } from '../../main/engine/archive/tar-reader.ts';
import { openAge } from '../../main/engine/crypto/age-decrypt.ts';
import { createAgeEncryptStream } from '../../main/engine/crypto/age-encrypt.ts';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { createTestEngine, NODE_BIN_DIR, REPO_ROOT, type EngineFixture } from '../support/engine-fixture.ts';
import { availableMajors, startCluster, stopAllClusters, type Cluster } from '../support/pg-cluster.ts';
import { SAMPLE_SCHEMA_SQL } from '../support/sample-schema.ts';

const run = promisify(execFile);

/** Scratch folders owned by a given process (other test files may run drills at the same time). */
async function scratchFoldersOf(pid: number): Promise<string[]> {
  const names = (await readdir(os.tmpdir())).filter((n) => n.startsWith('lifeboat-scratch-'));
  const owned: string[] = [];
  for (const name of names) {
    const owner = await readFile(path.join(os.tmpdir(), name, 'owner.json'), 'utf8').then((t) => JSON.parse(t).pid as number, () => null);
    if (owner === pid) owned.push(name);
  }
  return owned;
}
const key = generateAgeKeyPair();
const keys = { identities: [key.identity] };
let fixture: EngineFixture;
let work: string;

beforeAll(async () => {
  fixture = await createTestEngine();
  work = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-drill-test-'));
});
afterAll(async () => {
  await fixture.dispose();
  await rm(work, { recursive: true, force: true });
  await stopAllClusters();
});

async function backupOf(cluster: Cluster, name: string): Promise<string> {
  await fixture.engine.profiles.add({
    name, host: cluster.host, port: cluster.port, database: 'app', user: 'postgres', sslmode: 'disable', color: 'purple', password: cluster.password,
    canaryQueries: [{ name: 'customers', sql: 'SELECT count(*) FROM shop.customers' }, { name: 'largest order', sql: 'SELECT max(total) FROM shop.orders' }],
  });
  const { archive } = await fixture.engine.backups.start({ profile: name, outDir: path.join(work, name), encryption: { kind: 'recipients', recipients: [key.recipient] } }).result;
  return archive;
}

describe.each(availableMajors())('drill an archive of PostgreSQL %i', (major) => {
  let cluster: Cluster;
  let archive: string;
  beforeAll(async () => {
    cluster = await startCluster(major);
    await cluster.createDatabase('app');
    await cluster.query(SAMPLE_SCHEMA_SQL, [], 'app');
    archive = await backupOf(cluster, `drill${major}`);
  });
  afterAll(() => cluster.stop());

  it('passes on an embedded PostgreSQL 18 scratch server', async () => {
    const record = await fixture.engine.drills.start({ file: archive, keys }).result;
    expect(record.error).toBeNull();
    expect(record.passed).toBe(true);
    const kinds = new Set(record.checks.map((c) => c.kind));
    expect([...kinds].sort()).toEqual(['canary', 'integrity', 'objects', 'restore', 'table']);
    expect(record.checks.find((c) => c.name === 'shop.customers')).toMatchObject({ expected: '500', actual: '500', passed: true });
    expect(record.checks.find((c) => c.kind === 'canary' && c.name === 'customers')).toMatchObject({ expected: '500', actual: '500' });
    expect(record.timings.totalMs).toBeGreaterThanOrEqual(record.timings.restoreMs + record.timings.verifyMs);
    expect(await scratchFoldersOf(process.pid)).toEqual([]);
    const sidecar = JSON.parse(await readFile(`${archive}.json`, 'utf8'));
    expect(sidecar.drill).toMatchObject({ passed: true });
  });

  it('passes on a scratch database of a server, dropped afterwards', async () => {
    const record = await fixture.engine.drills.start({ file: archive, keys, scratch: { kind: 'profile', profile: `drill${major}` } }).result;
    expect(record.error).toBeNull();
    expect(record.passed).toBe(true);
    expect(record.scratch.database).toMatch(/^lifeboat_drill_\d{8}t\d{6}z$/);
    const left = await cluster.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'lifeboat_drill_%'");
    expect(left).toEqual([]);
  });
});

describe('a drill that must fail, and one that is killed', () => {
  let cluster: Cluster;
  let archive: string;
  beforeAll(async () => {
    cluster = await startCluster(18);
    await cluster.createDatabase('app');
    await cluster.query(SAMPLE_SCHEMA_SQL, [], 'app');
    archive = await backupOf(cluster, 'tamper');
  });
  afterAll(() => cluster.stop());

  /** A copy of the archive whose checksums.json claims other row counts than the dump holds. */
  async function tampered(): Promise<string> {
    const target = path.join(work, 'tampered.lifeboat');
    const entries: { name: string; data: Buffer[] }[] = [];
    await readTar(await openAge(createReadStream(archive) as AsyncIterable<Buffer>, keys), {
      entry: (h) => void entries.push({ name: h.name, data: [] }),
      data: (chunk) => void entries.at(-1)!.data.push(Buffer.from(chunk)),
      entryEnd: () => {},
    });
    const checksums = entries.find((e) => e.name === 'checksums.json')!;
    const parsed = JSON.parse(Buffer.concat(checksums.data).toString());
    parsed.rowCounts.tables.find((t: { name: string }) => t.name === 'customers').rows = 512;
    checksums.data = [Buffer.from(JSON.stringify(parsed))];
    const chunks: Buffer[] = [];
    for (const entry of entries) {
      const data = Buffer.concat(entry.data);
      chunks.push(tarHeader(entry.name, data.length, new Date()), data, tarPadding(data.length));
    }
    chunks.push(TAR_END);
    await pipeline(Readable.from(chunks), createAgeEncryptStream({ recipients: [key.recipient] }), createWriteStream(target));
    return target;
  }

  it('fails when the data does not match the manifest, naming the table, expected and actual (CLI exit 1)', async () => {
    const file = await tampered();
    const keyFile = path.join(work, 'key.txt');
    await (await import('node:fs/promises')).writeFile(keyFile, key.identity);
    const home = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-drill-cli-'));
    const cli = path.join(REPO_ROOT, 'main/cli/bin.mjs');
    const result = await run(cli, ['drill', file, '--identity', keyFile, '--json', '--report', path.join(home, 'report.html')], { env: { ...process.env, PATH: `${NODE_BIN_DIR}:${process.env.PATH}`, LIFEBOAT_HOME: home } }).then(
      (r) => ({ code: 0, stdout: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout);
    expect(json.passed).toBe(false);
    expect(json.checks[0]).toMatchObject({ kind: 'table', name: 'shop.customers', expected: '512', actual: '500', passed: false });
    expect(json.timings).toMatchObject({ restoreMs: expect.any(Number), verifyMs: expect.any(Number), totalMs: expect.any(Number) });
    const report = await readFile(path.join(home, 'report.html'), 'utf8');
    expect(report).toMatch(/FAILED/);
    expect(report).toMatch(/shop\.customers<\/td><td class="num">512<\/td><td class="num">500/);
    expect(report).not.toMatch(/<script/);
    await rm(home, { recursive: true, force: true });
  });

  it('cannot run without a key: exit 2, no verdict recorded', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-drill-cli-'));
    const cli = path.join(REPO_ROOT, 'main/cli/bin.mjs');
    const result = await run(cli, ['drill', archive, '--json'], { env: { ...process.env, PATH: `${NODE_BIN_DIR}:${process.env.PATH}`, LIFEBOAT_HOME: home, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' } }).catch((e) => e);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ passed: false, couldNotRun: true });
    await rm(home, { recursive: true, force: true });
  });

  it('a file the drill refuses stops the embedded scratch server that was starting for it', async () => {
    const script = path.join(work, 'refused.sql');
    await (await import('node:fs/promises')).writeFile(script, 'CREATE TABLE t (id int);\n\\! touch /tmp/never\n');
    const record = await fixture.engine.drills.start({ file: script, scratch: { kind: 'embedded' } }).result;
    expect(record).toMatchObject({ passed: false, couldNotRun: false });
    // The scratch server finishes starting after the refusal; it must still be stopped and its folder removed.
    await new Promise((r) => setTimeout(r, 3000));
    const mine = (await readdir(os.tmpdir())).filter((name) => name.startsWith(`lifeboat-scratch-${process.pid}-`));
    expect(mine).toEqual([]);
  }, 60_000);

  it('a drill killed midway leaves no postgres and no temp folder once Lifeboat starts again', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-drill-kill-'));
    const keyFile = path.join(work, 'key2.txt');
    await (await import('node:fs/promises')).writeFile(keyFile, key.identity);
    const cli = path.join(REPO_ROOT, 'main/cli/bin.mjs');
    const env = { ...process.env, PATH: `${NODE_BIN_DIR}:${process.env.PATH}`, LIFEBOAT_HOME: home };
    const child = spawn(cli, ['drill', archive, '--identity', keyFile, '--json'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    // Kill it once the scratch server is up (the progress says so).
    await new Promise<void>((resolve) => child.stderr.on('data', (d: Buffer) => {
      if (/"phase":"(Restoring|Creating database|Checking)"/.test(d.toString())) resolve();
    }));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const leftover = await scratchFoldersOf(child.pid!);
    expect(leftover.length).toBe(1); // the crash really left a server behind…
    const next = await fixture.engine.drills.start({ file: archive, keys }).result; // …and the next start removes it
    expect(next.passed).toBe(true);
    expect((await readdir(os.tmpdir())).filter((n) => leftover.includes(n))).toEqual([]);
    const { stdout } = await run('ps', ['-eo', 'args']);
    expect(stdout.split('\n').filter((l) => l.includes(leftover[0]!))).toEqual([]);
    await rm(home, { recursive: true, force: true });
  });
});
