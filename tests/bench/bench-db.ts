// The benchmark's server and databases: a throwaway cluster (tests/support/pg-cluster.ts), tuned
// for bulk loading, a pgbench database and a "wide" one of text/jsonb/bytea that compresses poorly.
import { execFile, execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { quoteIdent, startCluster, type Cluster } from '../support/pg-cluster.ts';
import { runChecked } from './bench-process.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

export interface BenchServer {
  cluster: Cluster;
  /** libpq environment for a database: connection in PG* variables, password in a 0600 passfile. */
  pgEnv(database: string): NodeJS.ProcessEnv;
  /** CPU seconds the server has used so far: postmaster, live children and every child that has exited. */
  serverCpuSeconds(): number | null;
  /** PIDs of the postmaster's children now (backends and background processes). */
  serverChildren(): Set<number>;
  /** Waits (≤ 3 s) until children that are not in `baseline` have exited, so their CPU is counted. */
  settle(baseline: Set<number>): Promise<void>;
  settings: Record<string, string>;
  notes: string[];
  dispose(): Promise<void>;
}

function serverBinDir(major: number): string {
  return major === 15 ? '/usr/lib/postgresql/15/bin' : path.join(REPO_ROOT, 'node_modules', `pg${major}`, 'native', 'bin');
}

/** postgres refuses to run as root: pg-cluster.ts runs it as `nobody`, and so must pg_ctl restart. */
function serverUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

const CLK_TCK = 100; // Linux USER_HZ; /proc/PID/stat counts in these ticks

export async function startBenchServer(major: number): Promise<BenchServer> {
  const password = `bench-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  const cluster = await startCluster(major, { password });
  const passDir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-bench-pass-'));
  await chmod(passDir, 0o700);
  const passFile = path.join(passDir, 'pgpass');
  await writeFile(passFile, `*:*:*:*:${password.replaceAll('\\', '\\\\').replaceAll(':', '\\:')}\n`, { mode: 0o600 });
  const dataDir = path.join(cluster.dir, 'data');
  const notes: string[] = [];

  const baseEnv: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) baseEnv[k] = v;
  const pgEnv = (database: string): NodeJS.ProcessEnv => ({
    ...baseEnv,
    PGHOST: cluster.host,
    PGPORT: String(cluster.port),
    PGUSER: cluster.user,
    PGDATABASE: database,
    PGPASSFILE: passFile,
    LC_MESSAGES: 'C',
  });

  // Bulk loads without checkpoint storms, enough memory for pgbench's primary keys; shared_buffers
  // needs a restart, which pg_ctl does with the options the cluster was started with (postmaster.opts).
  const wanted: Record<string, string> = {
    max_wal_size: '8GB',
    checkpoint_timeout: '30min',
    maintenance_work_mem: '512MB',
    shared_buffers: '512MB',
  };
  for (const [name, value] of Object.entries(wanted)) await cluster.query(`ALTER SYSTEM SET ${name} = '${value}'`);
  await cluster.query('SELECT pg_reload_conf()');
  const restarted = await restartServer(major, dataDir, cluster.dir).catch((error: Error) => error);
  if (restarted instanceof Error) {
    notes.push(`shared_buffers left at the default: pg_ctl restart failed (${restarted.message.split('\n')[0]})`);
    // The server may be down now; the cluster harness cannot restart it, so fail loudly.
    await cluster.query('SELECT 1');
  }
  const settings: Record<string, string> = {};
  const rows = await cluster.query<{ name: string; setting: string; unit: string | null }>(
    `SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'max_wal_size', 'checkpoint_timeout', 'maintenance_work_mem', 'fsync', 'work_mem', 'wal_level', 'default_toast_compression')`,
  );
  for (const row of rows) settings[row.name] = `${row.setting}${row.unit ? ` ${row.unit}` : ''}`;

  const postmasterPid = () => Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const serverChildren = (): Set<number> => {
    try {
      const pid = postmasterPid();
      return new Set(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    } catch {
      return new Set();
    }
  };
  return {
    cluster,
    pgEnv,
    settings,
    notes,
    serverChildren,
    async settle(baseline) {
      const deadline = Date.now() + 3000;
      while (Date.now() < deadline && [...serverChildren()].some((pid) => !baseline.has(pid))) await new Promise((resolve) => setTimeout(resolve, 20));
    },
    serverCpuSeconds() {
      // The postmaster, its live children (backends, PostgreSQL 18's I/O workers, …) and, through
      // cutime/cstime, every child that has exited.
      const ticks = (pid: number): number => {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        // Fields after the ")" of the command name: 14-17 are utime, stime, cutime, cstime.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
      };
      try {
        let total = ticks(postmasterPid());
        for (const child of serverChildren()) {
          try {
            total += ticks(child);
          } catch {
            // exited meanwhile: its time is in the postmaster's cutime now (or in a moment)
          }
        }
        return total / CLK_TCK;
      } catch {
        return null;
      }
    },
    async dispose() {
      await cluster.stop();
      await rm(passDir, { recursive: true, force: true });
    },
  };
}

function restartServer(major: number, dataDir: string, clusterDir: string): Promise<void> {
  const pgCtl = path.join(serverBinDir(major), 'pg_ctl');
  if (!existsSync(pgCtl)) return Promise.reject(new Error(`${pgCtl} not found`));
  const user = serverUser();
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v;
  env.LC_ALL = 'C';
  return new Promise((resolve, reject) => {
    execFile(
      pgCtl,
      // -l: without a log file the server would keep pg_ctl's stdout (our pipe) open.
      ['restart', '-D', dataDir, '-m', 'fast', '-w', '-t', '60', '-l', path.join(clusterDir, 'server.log')],
      { cwd: clusterDir, env, encoding: 'utf8', ...(user ? { uid: user.uid, gid: user.gid } : {}) },
      (error, stdout, stderr) => (error ? reject(new Error(`${stderr || stdout || error.message}`)) : resolve()),
    );
  });
}

export interface BuiltDatabase {
  name: string;
  kind: 'pgbench' | 'wide';
  description: string;
  sizeBytes: number;
  buildSeconds: number;
}

export function findPgbench(): string {
  const candidates = [process.env.LIFEBOAT_BENCH_PGBENCH, '/usr/lib/postgresql/15/bin/pgbench', ...(process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'pgbench'))];
  const found = candidates.find((file): file is string => !!file && existsSync(file));
  if (!found) throw new Error('pgbench not found. Fix: apt-get install postgresql-client (or set LIFEBOAT_BENCH_PGBENCH).');
  return found;
}

async function databaseSize(server: Pick<BenchServer, 'cluster'>, name: string): Promise<number> {
  const rows = await server.cluster.query<{ size: string }>('SELECT pg_database_size($1)::text AS size', [name]);
  return Number(rows[0]!.size);
}

/** `pgbench -i -s SCALE` with server-side data generation, vacuum and primary keys. */
export async function buildPgbench(server: BenchServer, name: string, scale: number, pgbench: string): Promise<BuiltDatabase> {
  const t0 = performance.now();
  await server.cluster.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
  await server.cluster.createDatabase(name);
  await runChecked(`pgbench -i -s ${scale}`, pgbench, ['-i', '-s', String(scale), '-I', 'dtGvp'], { env: server.pgEnv(name) });
  await server.cluster.query('CHECKPOINT');
  return { name, kind: 'pgbench', description: `pgbench -i -s ${scale}`, sizeBytes: await databaseSize(server, name), buildSeconds: (performance.now() - t0) / 1000 };
}

// --- the "wide" database ------------------------------------------------------------------

/** Small deterministic PRNG (mulberry32) for the text: fast, and the same vocabulary every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = 'ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo ga ge gi go ha he hi ho ka ke ki ko la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo wa we wi ya yo za ze zi zo an en in on un ar er ir or ur al el il ol st tr pr gr ch sh th'.split(' ');

class RowGenerator {
  readonly #rand = prng(0x5eed);
  readonly #vocabulary: string[];
  #pool = Buffer.alloc(0);
  #poolUsed = 0;

  constructor() {
    const words = new Set<string>();
    while (words.size < 20000) {
      let word = '';
      const syllables = 1 + Math.floor(this.#rand() * 4);
      for (let i = 0; i < syllables; i++) word += SYLLABLES[Math.floor(this.#rand() * SYLLABLES.length)];
      words.add(word);
    }
    this.#vocabulary = [...words];
  }

  /** Zipf-like: a few words are very common, most are rare — like real prose. */
  #word(): string {
    const u = this.#rand();
    return this.#vocabulary[Math.floor(this.#vocabulary.length * u * u * u)]!;
  }

  #words(n: number): string {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.#word());
    return out.join(' ');
  }

  #prose(length: number): string {
    let text = '';
    while (text.length < length) {
      const sentence = this.#words(4 + Math.floor(this.#rand() * 14));
      text += `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}${this.#rand() < 0.15 ? ',' : '.'} `;
    }
    return text.trimEnd();
  }

  /** Cryptographically random bytes (incompressible), from a refilled pool. */
  #bytes(n: number): Buffer {
    if (this.#poolUsed + n > this.#pool.length) {
      this.#pool = randomFillSync(Buffer.allocUnsafe(Math.max(4 << 20, n)));
      this.#poolUsed = 0;
    }
    const slice = this.#pool.subarray(this.#poolUsed, this.#poolUsed + n);
    this.#poolUsed += n;
    return slice;
  }

  /** One line of COPY text format: created_at, title, body, attrs (jsonb), payload (bytea). */
  row(): string {
    const r = () => this.#rand();
    const created = new Date(Date.UTC(2020, 0, 1) + Math.floor(r() * 5 * 365 * 86400e3)).toISOString();
    const title = this.#words(3 + Math.floor(r() * 8));
    const body = this.#prose(200 + Math.floor(5800 * r() * r()));
    const events = Array.from({ length: Math.floor(r() * 6) }, () => ({
      at: new Date(Date.UTC(2024, 0, 1) + Math.floor(r() * 365 * 86400e3)).toISOString(),
      kind: this.#word(),
      value: Math.floor(r() * 100000),
    }));
    const attrs = JSON.stringify({
      customer_id: Math.floor(r() * 5_000_000),
      tags: [this.#word(), this.#word(), this.#word()],
      score: Math.round(r() * 1e6) / 1e6,
      ref: this.#bytes(12).toString('hex'),
      active: r() < 0.7,
      tier: this.#word(),
      events,
    });
    // bytea in COPY text: \\x + hex (the backslash itself escaped); 10 % without a payload.
    const payload = r() < 0.1 ? '\\N' : `\\\\x${this.#bytes(32 + Math.floor(6000 * r() * r())).toString('hex')}`;
    return `${created}\t${title}\t${body}\t${attrs}\t${payload}\n`;
  }
}

/**
 * A table of mixed, realistic rows — prose (text), a jsonb document and a random bytea payload —
 * loaded through `psql COPY FROM STDIN` until the database reaches about `targetMb`.
 */
export async function buildWide(server: Pick<BenchServer, 'cluster' | 'pgEnv'>, name: string, targetMb: number, psql: string): Promise<BuiltDatabase> {
  const t0 = performance.now();
  await server.cluster.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
  await server.cluster.createDatabase(name);
  await server.cluster.query(
    `CREATE TABLE wide (
       id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       created_at timestamptz NOT NULL,
       title text NOT NULL,
       body text NOT NULL,
       attrs jsonb NOT NULL,
       payload bytea
     )`,
    [],
    name,
  );
  const target = targetMb * 1024 * 1024;
  let done = false;
  // The files grow while COPY runs, so the database size can be watched from another session.
  const watcher = setInterval(() => {
    databaseSize(server, name).then((s) => {
      if (s >= target * 0.97) done = true; // the primary key adds a little afterwards
    }, () => {});
  }, 200);
  const generator = new RowGenerator();
  async function* rows(): AsyncGenerator<Buffer> {
    while (!done) {
      const lines: string[] = [];
      let bytes = 0;
      while (bytes < 1 << 20) {
        const line = generator.row();
        lines.push(line);
        bytes += line.length;
      }
      yield Buffer.from(lines.join(''));
    }
  }
  try {
    await runChecked('psql COPY wide FROM STDIN', psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', 'COPY wide (created_at, title, body, attrs, payload) FROM STDIN'], {
      env: server.pgEnv(name),
      stdin: Readable.from(rows()),
    });
  } finally {
    clearInterval(watcher);
  }
  await server.cluster.query('VACUUM (ANALYZE) wide', [], name);
  await server.cluster.query('CHECKPOINT');
  return { name, kind: 'wide', description: `wide: text/jsonb/bytea, ~${targetMb} MB target`, sizeBytes: await databaseSize(server, name), buildSeconds: (performance.now() - t0) / 1000 };
}
