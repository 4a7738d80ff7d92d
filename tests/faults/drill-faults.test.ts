// Drill fault matrix: a drill killed at any point leaves no scratch server once Lifeboat starts
// again, and an embedded port taken by someone else between "free" and "bound" is survived.
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { createTestEngine, NODE_BIN_DIR, type EngineFixture } from '../support/engine-fixture.ts';
import { startCluster, type Cluster, clusterProfile } from '../support/pg-cluster.ts';
import { CLI, findProcesses, isolateTmp } from '../support/restore-fixtures.ts';
import { SAMPLE_SCHEMA_SQL } from '../support/sample-schema.ts';
import { forTier, seededRandom } from './fault-tier.ts';

const key = generateAgeKeyPair();
const keys = { identities: [key.identity] };
let fixture: EngineFixture;
let tmp: Awaited<ReturnType<typeof isolateTmp>>;
let cluster: Cluster;
let archive: string;
let keyFile: string;

beforeAll(async () => {
  tmp = await isolateTmp('lifeboat-drill-faults-');
  fixture = await createTestEngine();
  cluster = await startCluster(18);
  await cluster.createDatabase('app');
  await cluster.query(SAMPLE_SCHEMA_SQL, [], 'app');
  await cluster.query('CREATE TABLE bulk AS SELECT i, md5(i::text) AS v FROM generate_series(1, 300000) i', [], 'app');
  await fixture.engine.profiles.add(clusterProfile(cluster, 'app', { database: 'app', color: 'purple' }));
  archive = (await fixture.engine.backups.start({ profile: 'app', outDir: path.join(tmp.dir, 'fault-archives'), encryption: { kind: 'recipients', recipients: [key.recipient] } }).result).archive;
  keyFile = path.join(tmp.dir, 'fault-key.txt');
  await writeFile(keyFile, `${key.identity}\n`, { mode: 0o600 });
});
afterAll(async () => {
  await fixture?.dispose();
  await cluster?.stop();
  await tmp?.restore();
});

/** Scratch folders (lifeboat-scratch-*) in this test's temp folder and the pid each names as owner. */
async function scratchFolders(): Promise<{ name: string; owner: number | null }[]> {
  const names = (await readdir(tmp.dir)).filter((n) => n.startsWith('lifeboat-scratch-'));
  return Promise.all(names.map(async (name) => ({ name, owner: await readFile(path.join(tmp.dir, name, 'owner.json'), 'utf8').then((t) => JSON.parse(t).pid as number, () => null) })));
}

/** postgres processes whose data folder is inside this test's temp folder's scratch servers. */
function scratchPostgres(): number[] {
  return findProcesses((argv) => path.basename(argv[0]!) === 'postgres' && argv.join(' ').includes(path.join(tmp.dir, 'lifeboat-scratch-')));
}

describe('drill: killed at random points', () => {
  it('SIGKILL of the drilling process: the next start removes the orphaned scratch server and drills fine', async () => {
    const random = seededRandom(7201);
    const phases = ['Starting the scratch server', 'Restoring', 'Verifying'];
    const rounds = forTier(1, 4);
    for (let round = 0; round < rounds; round++) {
      const phase = phases[Math.floor(random() * phases.length)]!;
      const delay = Math.floor(random() * 300);
      const child = spawn(CLI, ['drill', archive, '--identity', keyFile, '--json'], {
        env: { ...process.env, PATH: `${NODE_BIN_DIR}:${process.env.PATH}`, LIFEBOAT_HOME: path.join(tmp.dir, 'fault-cli-home') },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let timer: NodeJS.Timeout | undefined;
      let seen = '';
      child.stderr.on('data', (d: Buffer) => {
        seen += d.toString();
        // Phases at or after the chosen one count (a fast phase may be skipped between two lines).
        const reached = phases.slice(phases.indexOf(phase)).some((p) => seen.includes(`"phase":"${p}"`));
        if (!timer && reached) timer = setTimeout(() => child.kill('SIGKILL'), delay);
      });
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      clearTimeout(timer);
      const what = `round ${round}: killed in ${phase} + ${delay} ms (exit ${code})`;
      const orphans = (await scratchFolders()).filter((f) => f.owner === child.pid);
      if (code === null) expect(orphans.length, `${what}: the kill really left a scratch server`).toBeLessThanOrEqual(1);
      // Lifeboat starts again (in-process engine): the orphan is stopped and removed, the drill passes.
      const next = await fixture.engine.drills.start({ file: archive, keys }).result;
      expect(next.passed, `${what}: ${JSON.stringify(next.error)}`).toBe(true);
      expect(await scratchFolders(), what).toEqual([]);
      expect(scratchPostgres(), what).toEqual([]);
    }
  });
});

describe('drill: the embedded server port taken by another program', () => {
  /**
   * Makes the next `times` free-port probes (listen on port 0, read the address, close) report
   * `port`, held by another listener: the race "free when probed, taken when bound" lost each time.
   * Patched on the prototype, which the engine's `net` shares whatever module wrapper it sees.
   */
  function stealFreePorts(port: number, times: number): { restore(): void; used(): number } {
    const original = net.Server.prototype.address;
    let left = times;
    net.Server.prototype.address = function address(this: net.Server) {
      const real = original.call(this);
      if (left <= 0 || !real || typeof real === 'string') return real;
      left--;
      return { ...real, port };
    };
    return {
      restore: () => {
        net.Server.prototype.address = original;
      },
      used: () => times - left,
    };
  }

  async function holdPort(): Promise<{ port: number; close(): Promise<void> }> {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    return { port: (holder.address() as net.AddressInfo).port, close: () => new Promise((resolve) => holder.close(() => resolve())) };
  }

  it('once: the scratch server starts on another port and the drill passes', async () => {
    const held = await holdPort();
    const stolen = stealFreePorts(held.port, 1);
    try {
      const result = await fixture.engine.drills.start({ file: archive, keys }).result;
      expect(result.passed).toBe(true);
      expect(result.scratch.server, 'the scratch server runs on another port').not.toContain(`:${held.port}`);
      expect(stolen.used()).toBe(1);
    } finally {
      stolen.restore();
      await held.close();
    }
    expect(await scratchFolders()).toEqual([]);
  });

  it('every time: a clear error that the port was taken, no scratch folder or server left', async () => {
    const held = await holdPort();
    const stolen = stealFreePorts(held.port, 50);
    let record: Awaited<ReturnType<EngineFixture['engine']['drills']['start']>['result']>;
    try {
      record = await fixture.engine.drills.start({ file: archive, keys }).result;
    } finally {
      stolen.restore();
      await held.close();
    }
    // The drill could not run: no verdict on the backup, and the reason is said plainly.
    expect(record).toMatchObject({ passed: false, couldNotRun: true });
    expect(record.error!.message).toMatch(/port/i);
    expect(record.error!.message).toMatch(/taken by another program/i);
    expect(record.error!.message).not.toMatch(/\n\s+at /);
    expect(await scratchFolders()).toEqual([]);
    expect(scratchPostgres()).toEqual([]);
  });
});
