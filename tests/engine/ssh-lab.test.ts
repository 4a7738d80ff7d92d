// Proves the SSH lab (tests/support/ssh-lab.ts) with nothing but real OpenSSH clients: the database
// is unreachable except through the lab's sshd servers, every login method works, jump chains
// reach inside-only servers, and the fault controls and clean-up do what they say.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { availableMajors } from '../support/pg-cluster.ts';
import { knownHostsLine, pidsInNetns, sshLabSupported, startSshLab } from '../support/ssh-lab.ts';
import type { SshLab } from '../support/ssh-lab.ts';

const support = sshLabSupported();
const majors = [18, 12].filter((m) => availableMajors().includes(m));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

async function selectOne(lab: SshLab, port: number): Promise<number> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: lab.cluster.password, database: 'postgres', ssl: false });
  await client.connect();
  try {
    const res = await client.query<{ v: number }>('SELECT 41 + 1 AS v');
    return res.rows[0]!.v;
  } finally {
    await client.end();
  }
}

interface Forward {
  port: number;
  child: ChildProcess;
  exited: Promise<number | null>;
  close(): Promise<void>;
}

/** Real OpenSSH clients against `lab`, their config and known_hosts in `work`. */
function sshClients(lab: SshLab, work: string) {
  /** A client config: -F keeps root's own ssh config out, and ProxyJump passes -F on to each hop. */
  function config(extra: string[] = []): string {
    const known = [
      knownHostsLine(lab.sshd[0]!.outside!, lab.sshd[0]!.hostKeyLine),
      ...lab.sshd.slice(1).map((s) => knownHostsLine(s.inside, s.hostKeyLine)),
    ];
    writeFileSync(path.join(work, 'known_hosts'), known.join('\n') + '\n');
    const file = path.join(work, `ssh_config_${Math.random().toString(36).slice(2)}`);
    const lines = [
      'Host *',
      `  User ${lab.user}`,
      `  UserKnownHostsFile ${path.join(work, 'known_hosts')}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '  UpdateHostKeys no',
      '  ConnectTimeout 10',
      '  LogLevel ERROR',
      ...extra.map((l) => `  ${l}`),
    ];
    writeFileSync(file, lines.join('\n') + '\n');
    return file;
  }

  /** `ssh -N -L <free port>:<database inside>` with `args`; resolves once the local port accepts. */
  async function forward(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Forward> {
    const port = await freePort();
    const db = `127.0.0.1:${port}:${lab.cluster.host}:${lab.cluster.port}`;
    const { SSH_AUTH_SOCK: _agent, ...base } = process.env;
    const child = spawn('ssh', ['-N', '-o', 'ExitOnForwardFailure=yes', '-L', db, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...base, ...env } });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let gone = false;
    void exited.then(() => (gone = true));
    const deadline = Date.now() + 15_000;
    while (!(await tcpAccepts(port))) {
      if (gone || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`ssh ${args.join(' ')} did not forward (exit ${await exited}):\n${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return {
      port,
      child,
      exited,
      async close() {
        child.kill('SIGKILL');
        await exited;
      },
    };
  }

  const entry = () => ['-p', String(lab.sshd[0]!.outside!.port), '127.0.0.1'];
  const pemOnly = () => ['-F', config(['BatchMode yes', 'IdentitiesOnly yes', 'IdentityAgent none', `IdentityFile ${lab.keys.pemKey.file}`])];

  async function throughForward(args: string[], env?: NodeJS.ProcessEnv): Promise<number> {
    const fwd = await forward(args, env);
    try {
      return await selectOne(lab, fwd.port);
    } finally {
      await fwd.close();
    }
  }

  return { config, forward, entry, pemOnly, throughForward };
}

test('the SSH lab can run here', () => {
  // Fails loudly instead of silently shrinking coverage: the SSH tests need root and OpenSSH.
  expect(support).toEqual({ ok: true });
});

describe.runIf(support.ok)('SSH lab', () => {
  describe.each(majors)('PostgreSQL %i behind three sshd servers', (major) => {
    let lab: SshLab;
    let work: string;
    let ssh: ReturnType<typeof sshClients>;

    beforeAll(async () => {
      lab = await startSshLab({ major, sshdCount: 3 });
      work = mkdtempSync(path.join(os.tmpdir(), 'lifeboat-ssh-client-'));
      // A private askpass: ssh reads passphrases and passwords only from a terminal or this.
      writeFileSync(path.join(work, 'askpass'), '#!/bin/sh\nprintf "%s\\n" "$LAB_SECRET"\n', { mode: 0o700 });
      ssh = sshClients(lab, work);
    });

    afterAll(async () => {
      await lab?.stop();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    test('(a) neither the database nor the inner sshd servers are reachable from the test', async () => {
      expect(await tcpAccepts(lab.cluster.port)).toBe(false);
      for (const s of lab.sshd) expect(await tcpAccepts(s.inside.port)).toBe(false);
      expect(lab.sshd.slice(1).every((s) => s.outside === null)).toBe(true);
      // …while inside the namespace they all listen.
      for (const port of [lab.cluster.port, ...lab.sshd.map((s) => s.inside.port)]) {
        const res = await lab.run(['socat', '-u', 'OPEN:/dev/null', `TCP:127.0.0.1:${port}`]);
        expect(res, `port ${port} inside`).toMatchObject({ code: 0 });
      }
      // The helper's own queries go through the Unix socket, not 127.0.0.1.
      expect(await lab.cluster.serverVersionNum()).toBeGreaterThanOrEqual(major * 10_000);
    });

    test('(b) a local forward through the entry sshd reaches the database (PEM RSA key)', async () => {
      expect(await ssh.throughForward([...ssh.pemOnly(), '-i', lab.keys.pemKey.file, ...ssh.entry()])).toBe(42);
      expect(readFileSync(lab.sshd[0]!.logFile, 'utf8')).toMatch(/Accepted publickey for lifeboat-ssh .* RSA SHA256:/);
    });

    test('every other login method works: passphrase key, agent key, password', async () => {
      const askpass = { SSH_ASKPASS: path.join(work, 'askpass'), SSH_ASKPASS_REQUIRE: 'force' };
      const interactive = ['-F', ssh.config(['BatchMode no', 'IdentitiesOnly yes', 'IdentityAgent none', 'NumberOfPasswordPrompts 1'])];
      const fingerprint = (key: string) => execFileSync('ssh-keygen', ['-l', '-f', `${key}.pub`], { encoding: 'utf8' }).split(' ')[1]!;

      expect(await ssh.throughForward([...interactive, '-i', lab.keys.passphraseKey.file, ...ssh.entry()], { ...askpass, LAB_SECRET: lab.keys.passphraseKey.passphrase })).toBe(42);
      expect(readFileSync(lab.sshd[0]!.logFile, 'utf8')).toContain(`ED25519 ${fingerprint(lab.keys.passphraseKey.file)}`);

      const agent = await lab.startAgent();
      try {
        const viaAgent = ['-F', ssh.config(['BatchMode yes', 'IdentitiesOnly no', `IdentityAgent ${agent.socket}`])];
        expect(await ssh.throughForward([...viaAgent, ...ssh.entry()])).toBe(42);
        expect(readFileSync(lab.sshd[0]!.logFile, 'utf8')).toContain(`ED25519 ${fingerprint(lab.keys.agentKey.file)}`);
      } finally {
        await agent.stop();
      }
      expect(existsSync(agent.socket)).toBe(false);

      const password = [...interactive, '-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password'];
      expect(await ssh.throughForward([...password, ...ssh.entry()], { ...askpass, LAB_SECRET: lab.password })).toBe(42);
      expect(readFileSync(lab.sshd[0]!.logFile, 'utf8')).toContain('Accepted password for lifeboat-ssh');
    });

    test('(c) ProxyJump chains reach the database through inside-only sshd servers', async () => {
      const [s0, s1, s2] = [lab.sshd[0]!, lab.sshd[1]!, lab.sshd[2]!];
      const first = `127.0.0.1:${s0.outside!.port}`;
      expect(await ssh.throughForward([...ssh.pemOnly(), '-J', first, '-p', String(s1.inside.port), '127.0.0.1'])).toBe(42);
      expect(readFileSync(s1.logFile, 'utf8')).toContain('Accepted publickey for lifeboat-ssh');
      const chain = `${first},127.0.0.1:${s1.inside.port}`;
      expect(await ssh.throughForward([...ssh.pemOnly(), '-J', chain, '-p', String(s2.inside.port), '127.0.0.1'])).toBe(42);
      expect(readFileSync(s2.logFile, 'utf8')).toContain('Accepted publickey for lifeboat-ssh');
    });

    test('(d) killing the entry sshd drops the forward; restart() brings it back', async () => {
      const s0 = lab.sshd[0]!;
      const fwd = await ssh.forward([...ssh.pemOnly(), ...ssh.entry()]);
      const client = new pg.Client({ host: '127.0.0.1', port: fwd.port, user: 'postgres', password: lab.cluster.password, database: 'postgres', ssl: false });
      client.on('error', () => {}); // the dropped connection is reported here too
      await client.connect();
      try {
        expect((await client.query('SELECT 1 AS v')).rows).toEqual([{ v: 1 }]);
        const pid = s0.pid!;
        await s0.kill();
        expect(s0.pid).toBeNull();
        expect(isLive(pid)).toBe(false);
        // The ssh client loses its server (exit 255) and the database session with it.
        expect(await fwd.exited).toBe(255);
        await expect(client.query('SELECT 1')).rejects.toThrow();
        await expect(ssh.forward([...ssh.pemOnly(), ...ssh.entry()])).rejects.toThrow(/did not forward/);
      } finally {
        await client.end().catch(() => {});
        await fwd.close();
      }
      await s0.restart();
      expect(s0.pid).not.toBeNull();
      expect(await ssh.throughForward([...ssh.pemOnly(), ...ssh.entry()])).toBe(42);
    });

    test('restart({ newHostKey }) changes the host key, which strict checking refuses', async () => {
      const s0 = lab.sshd[0]!;
      const oldLine = s0.hostKeyLine;
      const oldKnown = ssh.pemOnly();
      await s0.restart({ newHostKey: true });
      expect(s0.hostKeyLine).not.toBe(oldLine);
      expect(s0.hostKeyFingerprint).toMatch(/^SHA256:/);
      await expect(ssh.forward([...oldKnown, ...ssh.entry()])).rejects.toThrow(/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
      expect(await ssh.throughForward([...ssh.pemOnly(), ...ssh.entry()])).toBe(42);
    });

    test('(e) stop() leaves no process and no file behind', async () => {
      // Live sessions on every hop and a running agent at the moment of stop().
      const s1 = lab.sshd[1]!;
      const fwd = await ssh.forward([...ssh.pemOnly(), '-J', `127.0.0.1:${lab.sshd[0]!.outside!.port}`, '-p', String(s1.inside.port), '127.0.0.1']);
      const agent = await lab.startAgent();
      const { dir, netnsId } = lab;
      const clusterDir = lab.cluster.dir;
      expect(pidsInNetns(netnsId).length).toBeGreaterThan(3);
      await lab.stop();
      expect(await fwd.exited).toBe(255);
      expect(pidsInNetns(netnsId)).toEqual([]);
      expect(liveProcessesMentioning(dir)).toEqual([]);
      expect(existsSync(agent.socket)).toBe(false);
      expect(existsSync(dir)).toBe(false);
      expect(existsSync(clusterDir)).toBe(false);
      await lab.stop(); // idempotent
    });
  });

  test('forwarding: false makes an sshd refuse tunnels', async () => {
    const lab = await startSshLab({ major: majors[0]!, sshdCount: 2, forwarding: [true, false] });
    const work = mkdtempSync(path.join(os.tmpdir(), 'lifeboat-ssh-client-'));
    try {
      const ssh = sshClients(lab, work);
      const s1 = lab.sshd[1]!;
      // The login and the client's listener work; each connection through it is refused by sshd 1.
      const fwd = await ssh.forward([...ssh.pemOnly(), '-J', `127.0.0.1:${lab.sshd[0]!.outside!.port}`, '-p', String(s1.inside.port), '127.0.0.1']);
      try {
        await expect(selectOne(lab, fwd.port)).rejects.toThrow();
      } finally {
        await fwd.close();
      }
      expect(readFileSync(s1.logFile, 'utf8')).toMatch(/refused local port forward/);
    } finally {
      await lab.stop();
      rmSync(work, { recursive: true, force: true });
    }
  });
});

function isLive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** Non-zombie processes whose command line mentions `text` (sshd keeps its config path in its title). */
function liveProcessesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (!isLive(Number(name))) continue;
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(text)) found.push(`${name}: ${cmdline}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
