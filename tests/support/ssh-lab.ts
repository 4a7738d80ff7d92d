// An SSH lab for engine tests: a PostgreSQL server that the test process can reach ONLY through
// real OpenSSH servers, so a test proves that no tool goes around the SSH tunnel.
//
// Layout (everything "remote" lives in a private network namespace with only `lo` up):
//
//   test (host netns) ──TCP 127.0.0.1:sshd[0].outside.port── socat ──<dir>/ssh0.sock──┐
//   ┌──────────────────────────── network namespace ─────────────────────────────────┘
//   └ socat ── sshd[0] 127.0.0.1:inside.port ──► sshd[1], sshd[2]… (127.0.0.1:<their inside port>)
//                    └──────────────► PostgreSQL 127.0.0.1:cluster.port (also its Unix socket)
//
// Only sshd[0] (the entry, or first jump) has an `outside` address; the others are addressed as
// the previous hop sees them: 127.0.0.1:<inside port>. `cluster.host`/`cluster.port` are the
// database's address INSIDE the namespace: nothing listens there in the test's own namespace.
//
// API:
//   sshLabSupported(): { ok: true } | { ok: false; why }   root + sshd, socat, unshare, nsenter…
//   startSshLab({ major, sshdCount = 1, forwarding = all true }): Promise<SshLab>
//   SshLab: dir, netns (/proc/<pid>/ns/net), netnsId ("net:[…]"), cluster (pg-cluster.ts, in the
//     namespace), sshd[] (SshdHandle), user ('lifeboat-ssh'), password, keys {passphraseKey
//     {file, passphrase} (ed25519, OpenSSH format), pemKey {file} (RSA, PEM), agentKey {file}
//     (ed25519)} — every public key is authorized —, startAgent() (an ssh-agent holding agentKey),
//     run(cmd, opts) (a command inside the namespace), stop() (idempotent, removes everything).
//   SshdHandle: index, inside, outside, hostKeyLine ("ssh-ed25519 AAAA…"), hostKeyFingerprint
//     ("SHA256:…"), logFile (LogLevel VERBOSE), pid, kill() (SIGKILL, with every session child),
//     restart({ newHostKey }) (same port; same host key unless newHostKey).
//   userFolder(name): a folder in the lab's dir owned by the login user (an SFTP destination's folder).
//   Every sshd offers the sftp subsystem (internal-sftp).
//   knownHostsLine(address, hostKeyLine): a known_hosts line for one sshd.
//
// The login user `lifeboat-ssh` (nologin shell: port forwarding needs no shell) is created when
// missing. Its password is random per machine, kept in root's cache folder, and (re)set on every
// lab start: a fresh password per lab would break the labs of test files running in parallel.
// When the sshd of the entry is killed, the bridge stays: a new connection is accepted and closed
// at once (like a dead host behind a proxy), not refused.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import ssh2 from 'ssh2';
import { startCluster } from './pg-cluster.ts';
import type { Cluster } from './pg-cluster.ts';

export const SSH_USER = 'lifeboat-ssh';
const SSHD = '/usr/sbin/sshd';

export interface Address {
  host: '127.0.0.1';
  port: number;
}

export interface SshdHandle {
  index: number;
  /** The address as seen inside the namespace (by the previous hop of a jump chain). */
  inside: Address;
  /** The address the test process connects to; only sshd[0] has one. */
  outside: Address | null;
  /** "SHA256:…" as `ssh-keygen -l` prints it; changes on restart({ newHostKey: true }). */
  hostKeyFingerprint: string;
  /** "ssh-ed25519 AAAA…" (no comment). */
  hostKeyLine: string;
  logFile: string;
  /** The listening sshd's pid, null while killed. */
  readonly pid: number | null;
  /** SIGKILL to the sshd and every process it forked (sessions live in their own sessions/groups). */
  kill(): Promise<void>;
  /** Starts it again on the same port (killing it first if it runs). */
  restart(options?: { newHostKey?: boolean }): Promise<void>;
}

export interface LabRunOptions {
  input?: string;
  /** Killed with SIGKILL after this long; 30 s by default. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Run as this user instead of root. */
  user?: { uid: number; gid: number };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface AgentHandle {
  socket: string;
  stop(): Promise<void>;
}

export interface SshLab {
  dir: string;
  netns: string;
  netnsId: string;
  cluster: Cluster;
  sshd: SshdHandle[];
  user: typeof SSH_USER;
  password: string;
  keys: { passphraseKey: { file: string; passphrase: string }; pemKey: { file: string }; agentKey: { file: string } };
  startAgent(): Promise<AgentHandle>;
  /** A new folder <dir>/<name> owned by the login user (mode 0700), for SFTP writes. */
  userFolder(name: string): Promise<string>;
  run(cmd: string[], opts?: LabRunOptions): Promise<RunResult>;
  stop(): Promise<void>;
}

export interface StartSshLabOptions {
  major: number;
  sshdCount?: number;
  /** AllowTcpForwarding per sshd; true where not given. */
  forwarding?: boolean[];
  /** TLS on the lab's PostgreSQL server ('required' refuses plain connections); its certificate names certNames (default DNS:localhost only). */
  ssl?: 'on' | 'required';
  certNames?: string[];
  /** The passphrase of keys.passphraseKey (random by default). */
  keyPassphrase?: string;
  /**
   * The login user's password instead of the machine's lab password. Every lab shares the one login
   * user: only a suite that runs alone (the secrets fault suite) may choose it.
   */
  password?: string;
}

/** A known_hosts line for an sshd at `address` (as the client names it). */
export function knownHostsLine(address: { host: string; port: number }, hostKeyLine: string): string {
  const name = address.port === 22 ? address.host : `[${address.host}]:${address.port}`;
  return `${name} ${hostKeyLine}`;
}

function inPath(command: string): boolean {
  return (process.env.PATH ?? '/usr/bin:/bin').split(':').some((d) => d && existsSync(path.join(d, command)));
}

export function sshLabSupported(): { ok: true } | { ok: false; why: string } {
  if (process.platform !== 'linux') return { ok: false, why: 'network namespaces need Linux' };
  if (process.getuid?.() !== 0) return { ok: false, why: 'needs root (network namespaces, sshd, useradd)' };
  if (!existsSync(SSHD)) return { ok: false, why: `${SSHD} is missing (apt-get install openssh-server)` };
  const tools = ['ssh', 'ssh-keygen', 'ssh-agent', 'ssh-add', 'socat', 'unshare', 'nsenter', 'ip', 'useradd', 'chpasswd', 'getent'];
  const missing = tools.filter((t) => !inPath(t));
  if (missing.length > 0) return { ok: false, why: `missing: ${missing.join(', ')}` };
  return { ok: true };
}

// --- processes ---------------------------------------------------------------------------

/** Without SSH agent variables (a developer's agent must not leak into the lab) and with English messages. */
function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k !== 'SSH_AUTH_SOCK' && k !== 'SSH_AGENT_PID') env[k] = v;
  }
  return { ...env, LC_ALL: 'C', LANG: 'C', ...extra };
}

function runCommand(file: string, args: string[], opts: Omit<LabRunOptions, 'user'> = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { env: opts.env ?? childEnv(), encoding: 'utf8', timeout: opts.timeoutMs ?? 30_000, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr: err && !stderr ? String(err.message) : stderr });
      },
    );
    child.stdin?.on('error', () => {}); // a command that exits without reading its input
    child.stdin?.end(opts.input ?? '');
  });
}

async function mustRun(file: string, args: string[], opts: Omit<LabRunOptions, 'user'> = {}): Promise<string> {
  const res = await runCommand(file, args, opts);
  if (res.code !== 0) throw new Error(`${file} ${args.join(' ')} failed (${res.code}):\n${res.stdout}\n${res.stderr}`);
  return res.stdout;
}

interface Proc {
  pid: number;
  exited: Promise<void>;
  running(): boolean;
}

/** A long-running process, its stdout/stderr appended to `logFile`; tracked for clean-up until it exits. */
async function launch(ctx: LabContext, file: string, args: string[], logFile: string, env = childEnv()): Promise<Proc> {
  const log = await fs.open(logFile, 'a', 0o600);
  try {
    const child = spawn(file, args, { stdio: ['ignore', log.fd, log.fd], env });
    // Unref'd: a test that forgets stop() must not hang its worker; the exit hook cleans up.
    child.unref();
    let done = false;
    const exited = new Promise<void>((resolve) => {
      const finish = () => {
        done = true;
        if (child.pid !== undefined) ctx.entry.roots.delete(child.pid);
        ctx.procs.delete(proc);
        resolve();
      };
      child.once('exit', finish);
      child.once('error', finish);
    });
    const proc: Proc = { pid: child.pid ?? 0, exited, running: () => !done };
    if (child.pid === undefined) {
      await exited;
      throw new Error(`could not start ${file}`);
    }
    if (!done) {
      ctx.entry.roots.add(child.pid);
      ctx.procs.add(proc);
    }
    return proc;
  } finally {
    await log.close();
  }
}

async function stopProc(proc: Proc): Promise<void> {
  if (proc.running()) killTreeSync(proc.pid);
  await Promise.race([proc.exited, delay(5000)]);
}

async function waitFor(what: string, timeoutMs: number, ready: () => boolean | Promise<boolean>, failed: () => string | null): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ready()) return;
    const why = failed();
    if (why) throw new Error(`${what}: ${why}`);
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms`);
    await delay(25);
  }
}

async function readFrom(file: string, offset: number): Promise<string> {
  const buf = await fs.readFile(file).catch(() => Buffer.alloc(0));
  return buf.subarray(offset).toString('utf8');
}

async function fileSize(file: string): Promise<number> {
  return (await fs.stat(file).catch(() => null))?.size ?? 0;
}

// --- the process table (synchronous: also used by the 'exit' hook) -------------------------

interface ProcStat {
  pid: number;
  ppid: number;
  zombie: boolean;
}

function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: parse after its closing one.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(rest[1]), zombie: rest[0] === 'Z' || rest[0] === 'X' };
  } catch {
    return null;
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * SIGKILL to `root` and all its descendants. sshd puts each connection in a new session, so a
 * process group would miss them; the tree is frozen (SIGSTOP) first so nothing forks in between.
 */
export function killTreeSync(root: number): void {
  const frozen = new Set<number>();
  for (let round = 0; round < 20; round++) {
    const stats = allPids().map(readStat).filter((s): s is ProcStat => s !== null);
    const tree = new Set<number>(stats.some((s) => s.pid === root) ? [root] : []);
    for (let grew = true; grew; ) {
      grew = false;
      for (const s of stats) {
        if (tree.has(s.ppid) && !tree.has(s.pid)) {
          tree.add(s.pid);
          grew = true;
        }
      }
    }
    const fresh = [...tree].filter((p) => !frozen.has(p));
    if (fresh.length === 0) break;
    for (const p of fresh) {
      signal(p, 'SIGSTOP');
      frozen.add(p);
    }
  }
  for (const p of frozen) signal(p, 'SIGKILL');
}

/** Live (not zombie) processes in the network namespace `nsId` ("net:[…]"). */
export function pidsInNetns(nsId: string): number[] {
  return allPids().filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/ns/net`) === nsId && readStat(pid)?.zombie === false;
    } catch {
      return false;
    }
  });
}

function isPostgres(pid: number): boolean {
  try {
    return path.basename(readlinkSync(`/proc/${pid}/exe`)) === 'postgres';
  } catch {
    return false;
  }
}

// --- registry + crash fallback ----------------------------------------------------------

interface LabEntry {
  dir: string;
  holder: number;
  nsId: string;
  /** Pids of the processes the lab started (sshd, socat, ssh-agent), while they run. */
  roots: Set<number>;
}

const registry = new Set<LabEntry>();
let exitHookInstalled = false;

/** Last resort ('exit' handlers cannot await). PostgreSQL is left to pg-cluster.ts's own hook (SIGQUIT, then wait). */
function killLabSync(entry: LabEntry): void {
  for (const pid of entry.roots) killTreeSync(pid);
  if (entry.nsId) {
    for (const pid of pidsInNetns(entry.nsId)) if (!isPostgres(pid)) signal(pid, 'SIGKILL');
  }
  if (entry.holder) signal(entry.holder, 'SIGKILL');
  try {
    rmSync(entry.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  } catch {
    // nothing more we can do synchronously
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const entry of registry) killLabSync(entry);
    registry.clear();
  });
}

// --- lab context, ports, user, keys --------------------------------------------------------

interface LabContext {
  dir: string;
  netns: string;
  entry: LabEntry;
  procs: Set<Proc>;
  usedPorts: Set<number>;
  authorizedKeys: string;
  penalties: boolean;
}

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

/** A port no other address of this lab uses: known_hosts entries are per host:port, so they must not collide. */
async function allocPort(ctx: LabContext): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!ctx.usedPorts.has(port)) {
      ctx.usedPorts.add(port);
      return port;
    }
  }
}

/** useradd and chpasswd fail (rather than wait) while another process holds the passwd/shadow lock. */
async function retryLocked(what: string, attempt: () => Promise<RunResult>): Promise<void> {
  for (let n = 1; ; n++) {
    const res = await attempt();
    if (res.code === 0) return;
    if (n >= 30) throw new Error(`${what} failed (${res.code}): ${res.stderr}`);
    await delay(50 + Math.random() * 100);
  }
}

/** One password per machine, root-only: labs of test files running in parallel share the user. */
async function labPassword(): Promise<string> {
  const cacheRoot = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  const file = path.join(cacheRoot, 'lifeboat', 'ssh-lab-password');
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const existing = await fs.readFile(file, 'utf8').catch(() => '');
  if (existing.trim()) return existing.trim();
  // Written completely under a private name, then linked: link() fails if another process won.
  const tmp = `${file}.${randomBytes(6).toString('hex')}`;
  await fs.writeFile(tmp, `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
  await fs.link(tmp, file).catch(() => {});
  await fs.rm(tmp, { force: true });
  return (await fs.readFile(file, 'utf8')).trim();
}

async function ensureSshUser(chosen?: string): Promise<string> {
  const exists = async () => (await runCommand('getent', ['passwd', SSH_USER])).code === 0;
  if (!(await exists())) {
    const shell = existsSync('/usr/sbin/nologin') ? '/usr/sbin/nologin' : '/bin/false';
    const args = ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', shell, SSH_USER];
    // Another test file may create it at the same moment: then its existence is success.
    await retryLocked('useradd', async () => ((await exists()) ? { code: 0, stdout: '', stderr: '' } : runCommand('useradd', args)));
  }
  const password = chosen ?? (await labPassword());
  await retryLocked('chpasswd', () => runCommand('chpasswd', [], { input: `${SSH_USER}:${password}\n` }));
  return password;
}

/**
 * An ed25519 key in OpenSSH format protected by `passphrase`. Made in-process, not with ssh-keygen -N:
 * a passphrase in argv would be seen by the secrets suite's process sampler. ssh2's generator
 * sometimes writes a key that neither ssh2 nor ssh-keygen can read ("Malformed OpenSSH private key":
 * it drops a leading zero byte of the key, about 1 key in 200; a CI run's lab got one), so a key is
 * kept only once it reads back.
 */
function passphraseProtectedKey(passphrase: string): { private: string; public: string } {
  for (let attempt = 0; attempt < 50; attempt++) {
    const made = ssh2.utils.generateKeyPairSync('ed25519', { passphrase, cipher: 'aes256-ctr', rounds: 16, comment: 'lifeboat-lab-id_ed25519_passphrase' });
    const read = ssh2.utils.parseKey(made.private, passphrase);
    if (!(read instanceof Error) && read.getPublicSSH().toString('base64') === made.public.split(' ')[1]) return made;
  }
  throw new Error('ssh2 made no readable passphrase-protected ed25519 key in 50 attempts');
}

async function makeClientKeys(dir: string, chosenPassphrase?: string): Promise<SshLab['keys']> {
  const keyDir = path.join(dir, 'client');
  await fs.mkdir(keyDir, { mode: 0o700 });
  const passphrase = chosenPassphrase ?? randomBytes(12).toString('hex');
  const passphraseKey = path.join(keyDir, 'id_ed25519_passphrase');
  const pemKey = path.join(keyDir, 'id_rsa_pem');
  const agentKey = path.join(keyDir, 'id_ed25519_agent');
  const keygen = (file: string, args: string[]) => mustRun('ssh-keygen', ['-q', ...args, '-C', `lifeboat-lab-${path.basename(file)}`, '-f', file]);
  const encrypted = passphraseProtectedKey(passphrase);
  await Promise.all([
    fs.writeFile(passphraseKey, encrypted.private, { mode: 0o600 }).then(() => fs.writeFile(`${passphraseKey}.pub`, `${encrypted.public}\n`)),
    keygen(pemKey, ['-m', 'PEM', '-t', 'rsa', '-b', '2048', '-N', '']),
    keygen(agentKey, ['-t', 'ed25519', '-N', '']),
  ]);
  const pubs = await Promise.all([passphraseKey, pemKey, agentKey].map((f) => fs.readFile(`${f}.pub`, 'utf8')));
  // sshd reads authorized_keys as the login user: world-readable, in a folder it may traverse.
  await fs.writeFile(path.join(dir, 'authorized_keys'), pubs.map((p) => p.trim()).join('\n') + '\n', { mode: 0o644 });
  await fs.chmod(path.join(dir, 'authorized_keys'), 0o644);
  return { passphraseKey: { file: passphraseKey, passphrase }, pemKey: { file: pemKey }, agentKey: { file: agentKey } };
}

let penaltiesProbe: Promise<boolean> | null = null;

/** OpenSSH 9.8+ refuses sources for a while after failed logins (PerSourcePenalties): fault tests would trip it. */
function hasPerSourcePenalties(): Promise<boolean> {
  penaltiesProbe ??= runCommand(SSHD, ['-V']).then((r) => {
    const m = /OpenSSH_(\d+)\.(\d+)/.exec(r.stdout + r.stderr);
    const [major, minor] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
    return major > 9 || (major === 9 && minor >= 8);
  });
  return penaltiesProbe;
}

// --- network namespace -----------------------------------------------------------------------

async function startNamespace(ctx: LabContext): Promise<Proc> {
  const log = path.join(ctx.dir, 'netns.log');
  const holder = await launch(ctx, 'unshare', ['--net', '--', 'sleep', 'infinity'], log);
  // The holder is killed last, by stop(), not with the other processes.
  ctx.entry.roots.delete(holder.pid);
  ctx.procs.delete(holder);
  ctx.entry.holder = holder.pid;
  void holder.exited.then(() => {
    ctx.entry.holder = 0;
  });
  const own = readlinkSync('/proc/self/ns/net');
  const nsPath = `/proc/${holder.pid}/ns/net`;
  const nsOf = () => {
    try {
      return readlinkSync(nsPath);
    } catch {
      return own;
    }
  };
  await waitFor('the network namespace', 5000, () => nsOf() !== own, () => (holder.running() ? null : `unshare exited: ${readFileSync(log, 'utf8')}`));
  ctx.netns = nsPath;
  ctx.entry.nsId = nsOf();
  await mustRun('nsenter', [`--net=${nsPath}`, '--', 'ip', 'link', 'set', 'lo', 'up']);
  return holder;
}

// --- sshd ------------------------------------------------------------------------------------

function sshdConfig(o: { port: number; dir: string; authorizedKeys: string; forwarding: boolean; penalties: boolean }): string {
  const lines = [
    '# Written by tests/support/ssh-lab.ts',
    `ListenAddress 127.0.0.1:${o.port}`,
    `HostKey "${path.join(o.dir, 'host_ed25519')}"`,
    `PidFile "${path.join(o.dir, 'sshd.pid')}"`,
    `AuthorizedKeysFile "${o.authorizedKeys}"`,
    // The lab's files are root's, in a temp folder: sshd's ownership checks would refuse them.
    'StrictModes no',
    'UsePAM no',
    'PermitRootLogin no',
    'PubkeyAuthentication yes',
    'PasswordAuthentication yes',
    'KbdInteractiveAuthentication no',
    'PermitEmptyPasswords no',
    `AllowTcpForwarding ${o.forwarding ? 'yes' : 'no'}`,
    'AllowAgentForwarding no',
    'AllowStreamLocalForwarding no',
    'PermitTunnel no',
    'PermitTTY no',
    // SFTP destinations (offsite copies): in-process, so the nologin shell of the login user does not matter.
    'Subsystem sftp internal-sftp',
    'X11Forwarding no',
    'PrintMotd no',
    'UseDNS no',
    // Tests may open many connections at once; the default (10:30:100) drops some at random.
    'MaxStartups 100',
    'LoginGraceTime 30',
    'LogLevel VERBOSE',
    `AllowUsers ${SSH_USER}`,
    ...(o.penalties ? ['PerSourcePenalties no'] : []),
  ];
  return lines.join('\n') + '\n';
}

async function makeHostKey(dir: string): Promise<{ line: string; fingerprint: string }> {
  const file = path.join(dir, 'host_ed25519');
  // ssh-keygen asks before overwriting: a new key replaces the files.
  await fs.rm(file, { force: true });
  await fs.rm(`${file}.pub`, { force: true });
  await mustRun('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `lifeboat-lab-${path.basename(dir)}`, '-f', file]);
  const pub = (await fs.readFile(`${file}.pub`, 'utf8')).trim().split(/\s+/);
  const listed = (await mustRun('ssh-keygen', ['-l', '-f', `${file}.pub`])).trim().split(/\s+/);
  return { line: `${pub[0]} ${pub[1]}`, fingerprint: listed[1] ?? '' };
}

async function launchSshd(ctx: LabContext, handle: SshdHandle, config: string): Promise<Proc> {
  const before = await fileSize(handle.logFile);
  // -D: stay in the foreground (our child); -e: log to stderr, which is the log file.
  const proc = await launch(ctx, 'nsenter', [`--net=${ctx.netns}`, '--', SSHD, '-D', '-e', '-f', config], handle.logFile);
  const ready = `Server listening on 127.0.0.1 port ${handle.inside.port}.`;
  try {
    await waitFor(`sshd ${handle.index}`, 10_000, async () => (await readFrom(handle.logFile, before)).includes(ready), () => (proc.running() ? null : 'exited'));
  } catch (err) {
    await stopProc(proc);
    throw new Error(`${(err as Error).message}\n--- sshd log ---\n${await readFrom(handle.logFile, before)}`, { cause: err });
  }
  return proc;
}

async function createSshd(ctx: LabContext, index: number, forwarding: boolean): Promise<SshdHandle> {
  const dir = path.join(ctx.dir, `sshd${index}`);
  await fs.mkdir(dir, { mode: 0o700 });
  const port = await allocPort(ctx);
  const config = path.join(dir, 'sshd_config');
  await fs.writeFile(config, sshdConfig({ port, dir, authorizedKeys: ctx.authorizedKeys, forwarding, penalties: ctx.penalties }), { mode: 0o600 });
  const key = await makeHostKey(dir);
  let proc: Proc | null = null;
  const handle: SshdHandle = {
    index,
    inside: { host: '127.0.0.1', port },
    outside: null,
    hostKeyFingerprint: key.fingerprint,
    hostKeyLine: key.line,
    logFile: path.join(dir, 'sshd.log'),
    get pid() {
      return proc?.running() ? proc.pid : null;
    },
    async kill() {
      const running = proc;
      proc = null;
      if (running) await stopProc(running);
    },
    async restart(options = {}) {
      await handle.kill();
      if (options.newHostKey) {
        const fresh = await makeHostKey(dir);
        handle.hostKeyLine = fresh.line;
        handle.hostKeyFingerprint = fresh.fingerprint;
      }
      proc = await launchSshd(ctx, handle, config);
    },
  };
  proc = await launchSshd(ctx, handle, config);
  return handle;
}

/** True once an SSH server's identification line arrives through `port`. */
function sshBanner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let seen = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(2000, () => done(false));
    sock.on('data', (d: Buffer) => {
      seen += d.toString('latin1');
      if (seen.includes('SSH-2.0-')) done(true);
    });
    sock.on('error', () => done(false));
    sock.on('close', () => done(false));
  });
}

/** Exposes sshd[0] to the host namespace: TCP (host) → socat → Unix socket → socat (namespace) → sshd. */
async function startBridge(ctx: LabContext, insidePort: number): Promise<Address> {
  const sock = path.join(ctx.dir, 'ssh0.sock');
  const log = path.join(ctx.dir, 'bridge.log');
  const inner = await launch(ctx, 'nsenter', [`--net=${ctx.netns}`, '--', 'socat', `UNIX-LISTEN:${sock},fork,unlink-early,mode=600`, `TCP:127.0.0.1:${insidePort}`], log);
  const innerDied = () => (inner.running() ? null : `socat (inside) exited:\n${readFileSync(log, 'utf8')}`);
  await waitFor('the inside end of the bridge', 5000, () => existsSync(sock), innerDied);
  // The free port may be taken by someone else before socat binds it: retry with another.
  for (let attempt = 1; ; attempt++) {
    const port = await allocPort(ctx);
    const outer = await launch(ctx, 'socat', [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, `UNIX-CONNECT:${sock}`], log);
    try {
      await waitFor('the outside end of the bridge', 5000, () => sshBanner(port), () => innerDied() ?? (outer.running() ? null : 'socat (outside) exited'));
      return { host: '127.0.0.1', port };
    } catch (err) {
      await stopProc(outer);
      if (attempt >= 5 || innerDied()) throw new Error(`${(err as Error).message}\n${readFileSync(log, 'utf8')}`, { cause: err });
    }
  }
}

// --- the lab -----------------------------------------------------------------------------------

async function startAgent(ctx: LabContext, keyFile: string, n: number): Promise<AgentHandle> {
  const socket = path.join(ctx.dir, `agent${n}.sock`);
  const log = path.join(ctx.dir, `agent${n}.log`);
  // -D: foreground, so the agent stays our child and stop() can kill it.
  const proc = await launch(ctx, 'ssh-agent', ['-D', '-a', socket], log);
  await waitFor('ssh-agent', 5000, () => existsSync(socket), () => (proc.running() ? null : `ssh-agent exited:\n${readFileSync(log, 'utf8')}`));
  await mustRun('ssh-add', ['-q', keyFile], { env: childEnv({ SSH_AUTH_SOCK: socket }) });
  return {
    socket,
    async stop() {
      await stopProc(proc);
      await fs.rm(socket, { force: true });
    },
  };
}

async function makeUserFolder(dir: string, name: string): Promise<string> {
  const folder = path.join(dir, name);
  await fs.mkdir(folder, { mode: 0o700 });
  const [uid, gid] = await Promise.all(['-u', '-g'].map(async (flag) => Number((await mustRun('id', [flag, SSH_USER])).trim())));
  await fs.chown(folder, uid!, gid!);
  return folder;
}

function runInside(ctx: LabContext, cmd: string[], opts: LabRunOptions = {}): Promise<RunResult> {
  const ids = opts.user ? ['--setuid', String(opts.user.uid), '--setgid', String(opts.user.gid)] : [];
  return runCommand('nsenter', [`--net=${ctx.netns}`, ...ids, '--', ...cmd], opts);
}

async function stopLab(ctx: LabContext, holder: Proc | null, cluster: Cluster | null): Promise<void> {
  await Promise.all([...ctx.procs].map(stopProc));
  const errors: unknown[] = [];
  await cluster?.stop().catch((err: unknown) => errors.push(err));
  // Whatever run() left behind inside, and the holder itself.
  if (ctx.entry.nsId) for (const pid of pidsInNetns(ctx.entry.nsId)) killTreeSync(pid);
  if (holder) {
    signal(holder.pid, 'SIGKILL');
    await Promise.race([holder.exited, delay(5000)]);
  }
  await fs.rm(ctx.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  registry.delete(ctx.entry);
  if (errors.length > 0) throw errors[0];
}

export async function startSshLab(options: StartSshLabOptions): Promise<SshLab> {
  const support = sshLabSupported();
  if (!support.ok) throw new Error(`the SSH lab cannot run here: ${support.why}`);
  const count = options.sshdCount ?? 1;
  if (!Number.isInteger(count) || count < 1) throw new Error(`sshdCount must be a positive integer, not ${count}`);
  installExitHook();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lifeboat-ssh-lab-'));
  const entry: LabEntry = { dir, holder: 0, nsId: '', roots: new Set() };
  registry.add(entry);
  const ctx: LabContext = { dir, netns: '', entry, procs: new Set(), usedPorts: new Set(), authorizedKeys: path.join(dir, 'authorized_keys'), penalties: false };
  let holder: Proc | null = null;
  let cluster: Cluster | null = null;
  let stopping: Promise<void> | null = null;
  // The login user is one system account for every lab: a chosen password (the secrets suite's) is put
  // back to the shared one when the lab stops, so labs started after it (another test run) can log in.
  const stop = () => (stopping ??= stopLab(ctx, holder, cluster).finally(async () => {
    if (options.password !== undefined) await ensureSshUser();
  }));
  try {
    // The login user reads authorized_keys here: it may traverse, not list.
    await fs.chmod(dir, 0o711);
    // sshd's privilege-separation folder; a system without a running sshd may not have it.
    await fs.mkdir('/run/sshd', { recursive: true, mode: 0o755 });
    const [password, keys, penalties] = await Promise.all([ensureSshUser(options.password), makeClientKeys(dir, options.keyPassphrase), hasPerSourcePenalties()]);
    ctx.penalties = penalties;
    holder = await startNamespace(ctx);
    cluster = await startCluster(options.major, { netns: ctx.netns, ...(options.ssl ? { ssl: options.ssl, certNames: options.certNames ?? ['DNS:localhost'] } : {}) });
    ctx.usedPorts.add(cluster.port);
    const sshd: SshdHandle[] = [];
    for (let i = 0; i < count; i++) sshd.push(await createSshd(ctx, i, options.forwarding?.[i] ?? true));
    sshd[0]!.outside = await startBridge(ctx, sshd[0]!.inside.port);
    let agents = 0;
    return {
      dir,
      netns: ctx.netns,
      netnsId: entry.nsId,
      cluster,
      sshd,
      user: SSH_USER,
      password,
      keys,
      startAgent: () => startAgent(ctx, keys.agentKey.file, agents++),
      userFolder: (name) => makeUserFolder(dir, name),
      run: (cmd, opts) => runInside(ctx, cmd, opts),
      stop,
    };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}
