// importSshConfig against the real OpenSSH client: `ssh -G -F <file> <alias>` prints how ssh resolves
// an alias without connecting. Each hop of a ProxyJump chain is resolved as ssh does it: the last jump
// host by an inner `ssh [-l user] [-p port] [-J the-others] host` (ssh.c), here `ssh -G` with those
// arguments. HOME is a temp folder for ssh and for importSshConfig; ssh itself takes `~` from the
// passwd entry, not $HOME, and `ssh -G` prints IdentityFile unexpanded, so the test expands `~` in
// what ssh prints and checks token expansion separately, from the key files `ssh -v` tries to load.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LifeboatError } from '../../main/engine/errors.ts';
import { importSshConfig, type SshConfigImportOptions, type SshSettings } from '../../main/engine/tunnel/ssh-config-import.ts';

const run = promisify(execFile);
/** What `ssh -G` lists when the config names no IdentityFile (OpenSSH 9.2). */
const SSH_DEFAULT_KEYS = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa'].map((k) => `~/.ssh/${k}`);

let home = '';
let sshEnv: NodeJS.ProcessEnv = {};
let configCount = 0;

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-ssh-import-'));
  await mkdir(path.join(home, '.ssh'));
  // No agent and no default keys for ssh: only what the configs say.
  sshEnv = { PATH: process.env.PATH, HOME: home, LB_KEY_DIR: '/keys' };
  // For ${LB_KEY_DIR} in IdentityFile, which importSshConfig reads from its own environment.
  process.env.LB_KEY_DIR = '/keys';
});

afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

async function writeConfig(text: string, name = `config-${++configCount}`): Promise<string> {
  const file = path.join(home, name);
  await writeFile(file, text);
  return file;
}

/** The comparable part of a hop: auth is Lifeboat's choice, not ssh's. */
interface Hop { host: string; port: number; user: string; keyFile?: string | undefined }
interface Resolution { host: string; port: number; user: string; keyFile?: string | undefined; jumps: Hop[]; keepAliveSeconds: number }
type Outcome = { ok: true; resolved: Resolution } | { ok: false; why: string };

interface SshG { options: Map<string, string[]>; applied: string[] }

// Each ssh -G costs some 35 ms, and starting a process from the test worker about as much again, so
// the calls pending at a moment are run by a few shells, one ssh after another, each followed by its
// exit status. Results are cached: the jump hosts of one config are asked for again and again.
const sshCache = new Map<string, Promise<SshG | null>>();
let sshQueue: { command: string; resolve: (result: SshG | null) => void }[] = [];

function sshG(file: string, alias: string, args: string[] = []): Promise<SshG | null> {
  const key = JSON.stringify([file, alias, args]);
  const cached = sshCache.get(key);
  if (cached) return cached;
  const quote = (word: string): string => `'${word.replaceAll("'", "'\\''")}'`;
  const command = ['ssh', '-v', '-G', '-F', file, ...args, '--', alias].map(quote).join(' ');
  const result = new Promise<SshG | null>((resolve) => {
    if (sshQueue.push({ command, resolve }) === 1) setTimeout(flushSshQueue, 5);
  });
  sshCache.set(key, result);
  return result;
}

function flushSshQueue(): void {
  const batch = sshQueue;
  sshQueue = [];
  const shells = Math.min(batch.length, 2 * os.availableParallelism());
  for (let s = 0; s < shells; s++) {
    const mine = batch.filter((_, i) => i % shells === s);
    const script = mine.map((c) => `${c.command} </dev/null 2>&1; echo "@@exit $?"`).join('\n');
    void run('sh', ['-c', script], { env: sshEnv, maxBuffer: 64 * 1024 * 1024 }).then(({ stdout }) => {
      const outputs = stdout.split(/^@@exit (\d+)\n/m);
      mine.forEach((c, i) => c.resolve(outputs[2 * i + 1] === '0' ? parseSshG(outputs[2 * i]!) : null));
    }, () => mine.forEach((c) => c.resolve(null)));
  }
}

/** ssh -G prints "keyword value" lines; with -v, "Applying options for PATTERN" names the Host patterns that matched. */
function parseSshG(output: string): SshG {
  const options = new Map<string, string[]>();
  for (const line of output.split('\n').filter((l) => /^[a-z0-9]+ /.test(l))) {
    const [key, ...rest] = line.split(' ');
    options.set(key!, [...(options.get(key!) ?? []), rest.join(' ')]);
  }
  return { options, applied: [...output.matchAll(/Applying options for (.*)$/gm)].map((m) => m[1]!) };
}

function keyFileFromSsh(listed: string[]): string | undefined {
  if (listed.join('\n') === SSH_DEFAULT_KEYS.join('\n')) return undefined;
  return listed.find((file) => file.toLowerCase() !== 'none')?.replace(/^~(?=\/|$)/, home);
}

/** One ProxyJump item, split the way ssh's parse_user_host_port / parse_ssh_uri do. */
function jumpItem(item: string): { host: string; user?: string; port?: string } {
  const m = /^(?:ssh:\/\/)?(?:(.*)@)?(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(item)!;
  return { host: (m[2] ?? m[3])!, ...(m[1] === undefined ? {} : { user: m[1] }), ...(m[4] === undefined ? {} : { port: m[4] }) };
}

async function sshHop(file: string, alias: string, args: string[], trail: string[]): Promise<{ hop: Hop; jumps: Hop[]; g: SshG } | string> {
  // The same inner ssh command again would start the same chain again: a loop, as is a chain over 8.
  const request = JSON.stringify([alias, args]);
  if (trail.includes(request)) return 'loop';
  if (trail.length > 8) return 'chain too long';
  const g = await sshG(file, alias, args);
  if (!g) return 'ssh -G failed';
  const hop: Hop = { host: g.options.get('hostname')![0]!, port: Number(g.options.get('port')![0]), user: g.options.get('user')![0]!, keyFile: keyFileFromSsh(g.options.get('identityfile') ?? []) };
  const items = g.options.get('proxyjump')?.[0]?.split(',') ?? [];
  const last = items.pop();
  if (last === undefined) return { hop, jumps: [], g };
  const target = jumpItem(last);
  const innerArgs = [...(target.user ? ['-l', target.user] : []), ...(target.port ? ['-p', target.port] : []), ...(items.length > 0 ? ['-J', items.join(',')] : [])];
  const inner = await sshHop(file, target.host, innerArgs, [...trail, request]);
  if (typeof inner === 'string') return inner;
  return { hop, jumps: [...inner.jumps, inner.hop], g };
}

/** What ssh makes of `alias`, with Lifeboat's two refusals: an alias no Host names, and a loop. */
async function viaSsh(file: string, alias: string): Promise<Outcome> {
  const top = await sshHop(file, alias, [], []);
  if (typeof top === 'string') return { ok: false, why: top };
  if (!top.g.applied.some((pattern) => pattern !== '*')) return { ok: false, why: 'no Host block names it' };
  const keys = [...top.jumps, top.hop].map((h) => `${h.user}@${h.host}:${h.port}`);
  if (new Set(keys).size !== keys.length) return { ok: false, why: `loop: ${keys.join(' → ')}` };
  const interval = Number(top.g.options.get('serveraliveinterval')?.[0] ?? 0);
  return { ok: true, resolved: { ...top.hop, jumps: top.jumps, keepAliveSeconds: interval === 0 ? 30 : interval } };
}

function comparable(settings: SshSettings): Resolution {
  const hop = (h: Hop): Hop => ({ host: h.host, port: h.port, user: h.user, keyFile: h.keyFile });
  return { ...hop(settings), jumps: settings.jumps.map(hop), keepAliveSeconds: settings.keepAliveSeconds };
}

async function viaLifeboat(file: string, alias: string, options: SshConfigImportOptions = {}): Promise<Outcome> {
  try {
    return { ok: true, resolved: comparable(await importSshConfig(alias, { configFile: file, home, agentAvailable: false, ...options })) };
  } catch (error) {
    if (!(error instanceof LifeboatError) || error.code !== 'IMPORT_FAILED') throw error;
    expect(error.fix).toBeTruthy();
    return { ok: false, why: error.message };
  }
}

async function expectSameAsSsh(file: string, aliases: string[]): Promise<Outcome[]> {
  return Promise.all(aliases.map(async (alias) => {
    const [theirs, ours] = await Promise.all([viaSsh(file, alias), viaLifeboat(file, alias)]);
    if (ours.ok && theirs.ok) expect(ours.resolved, alias).toEqual(theirs.resolved);
    else expect({ alias, refused: !ours.ok, why: ours.ok ? '' : ours.why }).toMatchObject({ alias, refused: !theirs.ok });
    return ours;
  }));
}

async function importError(promise: Promise<unknown>): Promise<LifeboatError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(LifeboatError);
  expect((error as LifeboatError).code).toBe('IMPORT_FAILED');
  expect((error as LifeboatError).fix).toBeTruthy();
  return error as LifeboatError;
}

describe('SSH config import, checked against ssh -G', () => {
  it('matches Host patterns as ssh does: several per line, wildcards, negation, first value wins, Host * last', async () => {
    const file = await writeConfig(`
# globals before any Host apply to every host
ServerAliveInterval 1m30s

Host web Web2 app-?
  HostName Web.Example.COM
  User deploy

Host *.prod !db*.prod
  hostname=%h.internal
  Port 2201

Host db*
  User dba
  Port 5433
  IdentityFile ~/.ssh/db_key
  IdentityFile ~/.ssh/second_key

Host web
  User ignored-second-value
  Port 8022

Host *
  User fallback
  Port 2222
  IdentityFile /keys/any
`);
    const [web, , , api, dbprod] = await expectSameAsSsh(file, ['web', 'Web2', 'app-1', 'api.prod', 'db1.prod', 'app-12', 'app-', 'WEB', 'nothing-here']);
    expect(web).toEqual({ ok: true, resolved: { host: 'web.example.com', port: 8022, user: 'deploy', keyFile: '/keys/any', jumps: [], keepAliveSeconds: 90 } });
    expect(api).toMatchObject({ ok: true, resolved: { host: 'api.prod.internal', port: 2201, user: 'fallback' } });
    expect(dbprod).toMatchObject({ ok: true, resolved: { host: 'db1.prod', port: 5433, user: 'dba', keyFile: path.join(home, '.ssh/db_key') } });
  });

  it('follows ProxyJump chains through aliases, user@host:port, ssh:// and none, like the inner ssh does', async () => {
    const file = await writeConfig(`
Host target
  HostName db.internal
  ProxyJump ops@bastion:2200,inner

Host inner
  HostName Inner.Example
  User jumper
  IdentityFile ~/.ssh/inner_key
  # ignored when reached through "-J": the -J on the inner ssh's command line wins
  ProxyJump elsewhere

Host bastion
  HostName bastion.example.com
  Port 22
  ProxyJump edge

Host edge
  HostName 203.0.113.7

Host uri
  ProxyJump ssh://ci@gw.example:2022,[2001:db8::1]:2200

Host direct
  ProxyJump none
  ProxyJump bastion

Host single
  ProxyJump inner
`);
    const [target, uri, direct, single] = await expectSameAsSsh(file, ['target', 'uri', 'direct', 'single']);
    expect(target).toMatchObject({ ok: true, resolved: { host: 'db.internal', jumps: [
      { host: '203.0.113.7', port: 22, user: os.userInfo().username },
      { host: 'bastion.example.com', port: 2200, user: 'ops' },
      { host: 'inner.example', port: 22, user: 'jumper', keyFile: path.join(home, '.ssh/inner_key') },
    ] } });
    expect(uri).toMatchObject({ ok: true, resolved: { jumps: [{ host: 'gw.example', port: 2022, user: 'ci' }, { host: '2001:db8::1', port: 2200 }] } });
    expect(direct).toMatchObject({ ok: true, resolved: { jumps: [] } });
    // A single jump host is reached with no -J, so its own ProxyJump applies.
    expect(single).toMatchObject({ ok: true, resolved: { jumps: [{ host: 'elsewhere' }, { host: 'inner.example' }] } });
  });

  it('takes whichever of ProxyJump and ProxyCommand comes first, and refuses a ProxyCommand it would have to run', async () => {
    const file = await writeConfig(`
Host jump-first
  ProxyJump gw
  ProxyCommand nc %h %p
Host command-none
  ProxyCommand none
  ProxyJump gw
Host command-first
  ProxyCommand ssh -W %h:%p gw
  ProxyJump gw
`);
    const [jumpFirst, commandNone] = await expectSameAsSsh(file, ['jump-first', 'command-none']);
    expect(jumpFirst).toMatchObject({ ok: true, resolved: { jumps: [{ host: 'gw' }] } });
    expect(commandNone).toMatchObject({ ok: true, resolved: { jumps: [] } });
    expect((await sshG(file, 'command-first'))!.options.get('proxycommand')).toEqual(['ssh -W %h:%p gw']);
    const error = await importError(importSshConfig('command-first', { configFile: file, home }));
    expect(error.message).toMatch(/ProxyCommand ssh -W %h:%p gw/);
    expect(error.fix).toMatch(/ProxyJump/);
  });

  it('decides Match host, originalhost and user blocks as ssh does (host names without case, after HostName)', async () => {
    const file = await writeConfig(`
Host m1 m2 m3
  HostName %h.Example.COM
Host m3
  User carol
Match host m1.example.com,!m2.*
  Port 1001
Match originalhost M2 !user carol
  Port 1002
Match user carol
  IdentityFile /keys/carol
Match all
  Port 1999
`);
    await expectSameAsSsh(file, ['m1', 'm2', 'm3']);
  });

  it('expands IdentityFile tokens, ~ and ${ENV} to the file ssh really loads', async () => {
    // ssh -G does not expand IdentityFile; `ssh -v` reports each key file it tries. A ProxyCommand that
    // closes at once stops it before any network or host-key step. ssh takes ~ and %d from the passwd
    // entry, so `home` is that here; the key names are random and never exist.
    const passwdHome = os.userInfo().homedir;
    const tag = randomBytes(6).toString('hex');
    const lines = [
      `~/.ssh/lb-${tag}-%h-%r-%u-%n-%p-%L-%l-%%-%k${process.getuid ? '-%i' : ''}`,
      `%d/lb-${tag}-%C`,
      `\${LB_KEY_DIR}/lb-${tag}-%h`,
    ];
    const file = await writeConfig(lines.map((line, i) => `Host Key${i}\n  HostName Node${i}.Example\n  User u${i}\n  Port ${2200 + i}\n  IdentityFile ${line}\n  IdentityFile /never/second\n`).join(''));
    for (const [i] of lines.entries()) {
      const ssh = await run('ssh', ['-v', '-F', file, '-o', 'ProxyCommand=cat /dev/null', '-o', 'BatchMode=yes', `Key${i}`], { env: sshEnv, timeout: 10_000 }).then(() => '', (e: { stderr?: string }) => e.stderr ?? '');
      const loaded = /identity file (\S+) type/.exec(ssh)?.[1];
      expect(loaded, ssh).toBeTruthy();
      const ours = await importSshConfig(`Key${i}`, { configFile: file, home: passwdHome, agentAvailable: false });
      expect(ours.keyFile).toBe(loaded);
    }
  });

  it('follows Include at the top and inside Host blocks, in sorted order, as ssh does', async () => {
    const dir = path.join(home, 'conf.d');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, '20-b.conf'), 'Host b\n  HostName b.from-include\n  User second\n');
    await writeFile(path.join(dir, '10-a.conf'), 'ServerAliveInterval 42\nHost a b\n  HostName a.from-include\n  Port 1010\n');
    await writeFile(path.join(dir, '.hidden.conf'), 'Host a b x\n  Port 9999\n');
    await writeFile(path.join(home, 'inner.conf'), 'Port 3030\nHost other\n  User not-for-x\n');
    const file = await writeConfig(`
Include ${dir}/*.conf ${home}/missing-is-ignored
Host x
  Include ${home}/inner.conf
  User after-include
Host y
  Include ${home}/inner.conf
Host *
  Port 22
`);
    const [a, b, x] = await expectSameAsSsh(file, ['a', 'b', 'x', 'y', 'other']);
    expect(a).toMatchObject({ ok: true, resolved: { host: 'a.from-include', port: 1010, keepAliveSeconds: 42 } });
    expect(b).toMatchObject({ ok: true, resolved: { host: 'a.from-include', port: 1010 } });
    expect(x).toMatchObject({ ok: true, resolved: { host: 'x', port: 3030, user: 'after-include' } });
  });

  it('agrees with ssh -G on 150 random configs', async () => {
    // A new seed each run, shown on failure; SSH_FUZZ_SEED=<seed> repeats a run.
    const seed = Number(process.env.SSH_FUZZ_SEED ?? Date.now() % 1_000_000);
    const random = mulberry32(seed);
    const cases: { file: string; alias: string; text: string }[] = [];
    for (let i = 0; i < 150; i++) {
      const { text, include, names } = randomConfig(random);
      const includeFile = await writeConfig(include, `fuzz-${i}-include`);
      const file = await writeConfig(text.replaceAll('@INCLUDE@', includeFile), `fuzz-${i}`);
      // Mostly a name the config gives a Host line, sometimes another (refused unless a wildcard names it).
      cases.push({ file, alias: random() < 0.7 && names.length > 0 ? pick(random, names) : pick(random, [...ALIASES, 'unknown', 'WEB', 'db3']), text: `${text}# @INCLUDE@ is:\n${include}` });
    }
    const started = Date.now();
    const results = await Promise.all(cases.map(async (c) => {
      const [theirs, ours] = await Promise.all([viaSsh(c.file, c.alias), viaLifeboat(c.file, c.alias)]);
      return { ...c, ours, theirs };
    }));
    const differ = results.filter((r) => r.ours.ok !== r.theirs.ok || (r.ours.ok && r.theirs.ok && JSON.stringify(r.ours.resolved) !== JSON.stringify(r.theirs.resolved)));
    const first = differ[0];
    expect(first ? { seed, alias: first.alias, config: first.text, ours: first.ours, ssh: first.theirs } : null).toBeNull();
    // The generator must exercise both outcomes and chains, or it proves little.
    const resolved = results.filter((r) => r.ours.ok);
    const summary = `seed ${seed}: ${results.length} lookups, ${resolved.length} resolved, ${resolved.filter((r) => r.ours.ok && r.ours.resolved.jumps.length > 0).length} through jumps, ${sshCache.size} ssh -G runs, ${Date.now() - started} ms`;
    expect(resolved.length, summary).toBeGreaterThan(results.length / 3);
    expect(resolved.filter((r) => r.ours.ok && r.ours.resolved.jumps.length > 0).length, summary).toBeGreaterThan(results.length / 20);
  });
});

describe('SSH config import: authentication and refusals', () => {
  it('picks the key file, else the agent, else a default key, else a password, per hop', async () => {
    const keyHome = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-ssh-keys-'));
    try {
      await mkdir(path.join(keyHome, '.ssh'));
      for (const key of ['id_rsa', 'id_ecdsa']) await writeFile(path.join(keyHome, '.ssh', key), 'not a real key\n');
      const file = path.join(keyHome, '.ssh', 'config');
      await writeFile(file, 'Host keyed\n  IdentityFile ~/.ssh/mine\n  ProxyJump plain\nHost plain\n  User p\nHost no-agent\n  IdentityAgent none\nHost only-none\n  IdentityFile none\nHost other-agent\n  IdentityAgent ~/.1password/agent.sock\n');
      const keyed = await importSshConfig('keyed', { home: keyHome, agentAvailable: true });
      expect(keyed).toMatchObject({ auth: 'key', keyFile: path.join(keyHome, '.ssh/mine'), jumps: [{ host: 'plain', user: 'p', auth: 'agent' }], keepAliveSeconds: 30 });
      expect(keyed.jumps[0]).not.toHaveProperty('keyFile');
      expect(await importSshConfig('plain', { home: keyHome, agentAvailable: false })).toMatchObject({ auth: 'key', keyFile: path.join(keyHome, '.ssh/id_ecdsa') });
      expect(await importSshConfig('no-agent', { home: keyHome, agentAvailable: true })).toMatchObject({ auth: 'key', keyFile: path.join(keyHome, '.ssh/id_ecdsa') });
      expect(await importSshConfig('only-none', { home: keyHome, agentAvailable: false })).toMatchObject({ auth: 'password' });
      expect(await importSshConfig('plain', { home, configFile: file, agentAvailable: false })).toMatchObject({ auth: 'password' });
      expect((await importError(importSshConfig('other-agent', { home: keyHome, agentAvailable: true }))).message).toMatch(/IdentityAgent/);
    } finally {
      await rm(keyHome, { recursive: true, force: true });
    }
  });

  it('says which file is missing, and which aliases a file does name', async () => {
    const missing = await importError(importSshConfig('x', { home }));
    expect(missing.message).toContain(path.join(home, '.ssh', 'config'));
    const file = await writeConfig('Host alpha beta *.wild\n  User u\nHost *\n  Port 2\n');
    const unknown = await importError(importSshConfig('gamma', { configFile: file, home }));
    expect(unknown.message).toBe(`There is no Host block named gamma in ${file} (it names alpha, beta).`);
    // `Host *` alone does not name a host.
    await importError(importSshConfig('anything', { configFile: await writeConfig('Host *\n  User u\n'), home }));
    for (const alias of ['', '-oProxyCommand=x', 'a b', 'user@alpha', 'a;b']) await importError(importSshConfig(alias, { configFile: file, home }));
  });

  it('refuses what would change where the connection goes, or what it cannot follow, naming it', async () => {
    const text = `
Host loop
  ProxyJump loop2
Host loop2
  ProxyJump loop
Host long
  ProxyJump h1,h2,h3,h4,h5,h6,h7,h8,h9
Host canon
  CanonicalizeHostname yes
  CanonicalDomains example.com
Host relkey
  IdentityFile keys/id_rsa
Host badtoken
  IdentityFile ~/.ssh/%Z
Host badport
  Port 0
Host badjump
  ProxyJump a@b:70000
Host badtime
  ServerAliveInterval 5x
`;
    const expectations: [string, RegExp][] = [
      ['loop', /loops back/], ['long', /longer than 8/], ['canon', /CanonicalizeHostname yes/], ['relkey', /relative path/],
      ['badtoken', /%Z/], ['badport', /not a port/], ['badjump', /70000/], ['badtime', /5x/],
    ];
    const file = await writeConfig(text);
    for (const [alias, message] of expectations) expect((await importError(importSshConfig(alias, { configFile: file, home }))).message, alias).toMatch(message);
    // Match exec is refused wherever it is: deciding it would mean running the command.
    const withExec = await writeConfig(`${text}Match exec "true"\n  User x\n`);
    expect((await importError(importSshConfig('relkey', { configFile: withExec, home }))).message).toMatch(/Match exec true.*runs a command/);
    const inMatch = await writeConfig(`Match originalhost x\n  Include ${home}/inner.conf\nHost x\n  User u\n`);
    expect((await importError(importSshConfig('x', { configFile: inMatch, home }))).message).toMatch(/inside a Match block/);
  });

  it('reads Include paths relative to ~/.ssh, and bounds the work: 1 MiB, nested Include', async () => {
    await writeFile(path.join(home, '.ssh', 'rel.conf'), 'Host rel\n  HostName rel.example\n');
    const file = await writeConfig('Include rel.conf\nInclude ~/.ssh/rel.conf\n');
    expect(await importSshConfig('rel', { configFile: file, home })).toMatchObject({ host: 'rel.example' });
    const big = await writeConfig(`Host big\n  User u\n${'# padding padding padding\n'.repeat(45_000)}`);
    expect((await importError(importSshConfig('big', { configFile: big, home }))).message).toMatch(/1 MiB/);
    const self = await writeConfig('Include ~/self.conf\nHost s\n  User u\n', 'self.conf');
    expect((await importError(importSshConfig('s', { configFile: self, home }))).message).toMatch(/more than 16 deep/);
  });
});

// ---- Random configs -------------------------------------------------------------------------------

const ALIASES = ['web', 'Web', 'db', 'db1', 'db2', 'bastion', 'jump', 'gw', 'app.prod', 'app.dev'];
const PATTERNS = [...ALIASES, 'db*', 'app.*', '*.prod', 'd??', 'w?b', 'gw*', 'b*n'];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

/** A keyword in one of the spellings ssh accepts, with a space or `=` after it. */
function directive(random: () => number, keyword: string, value: string): string {
  const spelled = pick(random, [keyword, keyword, keyword.toLowerCase(), keyword.toUpperCase()]);
  return `  ${spelled}${pick(random, [' ', ' ', '=', ' = '])}${value}`;
}

/** `withJumps: false` for defaults (globals, `Host *`): a ProxyJump there applies to the jump hosts too, which mostly makes loops. */
function randomDirectives(random: () => number, withJumps = true): string[] {
  const makers: (() => string)[] = [
    () => directive(random, 'HostName', pick(random, ['%h.example.com', 'Real.Example.COM', '10.1.2.3', 'db.internal', '%h', 'bastion.example.net'])),
    () => directive(random, 'User', pick(random, ['alice', 'bob', 'deploy', 'u1'])),
    () => directive(random, 'Port', pick(random, ['2222', '22', '8022', '443'])),
    () => directive(random, 'IdentityFile', pick(random, ['~/.ssh/k1', '~/.ssh/k2', '/keys/k3', 'none'])),
    () => directive(random, 'ServerAliveInterval', pick(random, ['15', '1m', '2m30s', '45s'])),
  ];
  const jump = (): string => directive(random, 'ProxyJump', random() < 0.15 ? 'none' : Array.from({ length: 1 + Math.floor(random() * 2) }, () => pick(random, ['bastion', 'jump', 'gw', 'ops@bastion:2200', 'jump:2022', 'ssh://ci@gw:2201', 'edge.example.org'])).join(','));
  if (withJumps) makers.push(jump, jump);
  return Array.from({ length: Math.floor(random() * 4) }, () => pick(random, makers)());
}

function randomHostLine(random: () => number, names: string[]): string {
  const patterns = Array.from({ length: 1 + Math.floor(random() * 3) }, () => (random() < 0.2 ? '!' : '') + pick(random, PATTERNS));
  if (patterns.every((p) => p.startsWith('!'))) patterns.push(pick(random, PATTERNS));
  names.push(...patterns.filter((p) => ALIASES.includes(p)));
  return `Host ${patterns.join(' ')}`;
}

function randomMatchLine(random: () => number): string {
  const criteria = [
    () => `originalhost ${pick(random, PATTERNS)}`,
    () => `host ${pick(random, ['*.example.com', 'real.example.com', '10.*', 'db?', 'WEB*'])}`,
    () => `user ${pick(random, ['alice', 'bob', 'deploy,u1'])}`,
    () => `!originalhost ${pick(random, PATTERNS)}`,
  ];
  return random() < 0.1 ? 'Match all' : `Match ${Array.from({ length: 1 + Math.floor(random() * 2) }, () => pick(random, criteria)()).join(' ')}`;
}

function randomConfig(random: () => number): { text: string; include: string; names: string[] } {
  const lines: string[] = [];
  const names: string[] = [];
  if (random() < 0.3) lines.push(...randomDirectives(random, false).map((l) => l.trim()));
  if (random() < 0.15) lines.push('Include @INCLUDE@');
  const blocks = 2 + Math.floor(random() * 5);
  for (let b = 0; b < blocks; b++) {
    const match = random() < 0.15;
    lines.push(match ? randomMatchLine(random) : randomHostLine(random, names), ...randomDirectives(random));
    if (random() < 0.08 && !match) lines.push('  Include @INCLUDE@');
  }
  if (random() < 0.6) lines.push('Host *', ...randomDirectives(random, false));
  const include = [randomHostLine(random, names), ...randomDirectives(random), randomHostLine(random, names), ...randomDirectives(random)].join('\n');
  return { text: `${lines.join('\n')}\n`, include: `${include}\n`, names };
}
