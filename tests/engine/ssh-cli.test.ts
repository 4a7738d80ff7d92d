// The SSH tunnel from the command line and from the scheduler, against real sshd (tests/support/ssh-lab.ts):
// host keys are trusted only by a person (never by a non-interactive run without --accept-host-key, never
// by run-due), routes import from ~/.ssh/config, and a bastion that forbids forwarding says so.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { createEngine } from '../../main/engine/index.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import { spawn } from 'node:child_process';
import { CLI, lifeboat } from '../support/cli-runner.ts';
import { NODE_BIN_DIR } from '../support/engine-fixture.ts';
import { sshLabSupported, startSshLab, type SshLab } from '../support/ssh-lab.ts';

const supported = sshLabSupported();

describe.skipIf(!supported.ok)('SSH tunnels from the CLI and the scheduler', () => {
  let lab: SshLab;
  let work: string;
  let home: string;
  // A home of its own (for ~/.ssh/config and known_hosts), still finding the bundled pg 18 tools.
  const env = () => ({ HOME: path.join(work, 'user-home'), XDG_CACHE_HOME: process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache') });

  beforeAll(async () => {
    lab = await startSshLab({ major: 18, sshdCount: 3, forwarding: [true, true, false] });
    work = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-ssh-cli-'));
    home = path.join(work, 'lifeboat-home');
    await mkdir(path.join(work, 'user-home', '.ssh'), { recursive: true, mode: 0o700 });
  }, 120_000);
  afterAll(async () => {
    await lab?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const dbUrl = () => `postgres://postgres@${lab.cluster.host}:${lab.cluster.port}/postgres`;
  const entry = () => `${lab.user}@127.0.0.1:${lab.sshd[0]!.outside!.port}`;

  it('profile add --ssh refuses an unknown host key without a person, printing the fingerprint; --accept-host-key trusts exactly that key', async () => {
    const args = ['profile', 'add', 'tunnelled', '--url', dbUrl(), '--password-stdin', '--ssh', entry(), '--ssh-key', lab.keys.pemKey.file];
    const refused = await lifeboat(home, args, { stdin: lab.cluster.password, env: env() });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(lab.sshd[0]!.hostKeyFingerprint);
    expect(refused.stdout).toContain('--accept-host-key');
    expect(await readFile(path.join(home, 'known_hosts'), 'utf8').catch(() => '')).toBe('');

    const tested = await lifeboat(home, ['profile', 'test', 'tunnelled', '--accept-host-key', lab.sshd[0]!.hostKeyFingerprint, '--json'], { env: env() });
    expect(tested.code, tested.stdout + tested.stderr).toBe(0);
    expect(tested.json.report.tunnel.hops).toHaveLength(1);
    const human = await lifeboat(home, ['profile', 'test', 'tunnelled'], { env: env() });
    expect(human.stdout).toMatch(new RegExp(`SSH: +via ${lab.user}@127\\.0\\.0\\.1:${lab.sshd[0]!.outside!.port} \\(\\d+ ms\\) → ${lab.cluster.host}:${lab.cluster.port}`));
    const list = await lifeboat(home, ['profile', 'list'], { env: env() });
    expect(list.stdout).toContain(`via 127.0.0.1:${lab.sshd[0]!.outside!.port} → ${lab.cluster.host}:${lab.cluster.port}`);

    const key = generateAgeKeyPair();
    const backup = await lifeboat(home, ['backup', '--profile', 'tunnelled', '--out', path.join(work, 'backups'), '--recipient', key.recipient, '--json'], { env: env() });
    expect(backup.code, backup.stdout + backup.stderr).toBe(0);
  }, 120_000);

  it('on a terminal, profile test shows the unknown key and trusts it only when the person types yes', async () => {
    const ttyHome = path.join(work, 'tty-home');
    const added = await lifeboat(ttyHome, ['profile', 'add', 'tty', '--url', dbUrl(), '--password-stdin', '--ssh', entry(), '--ssh-key', lab.keys.pemKey.file], { stdin: lab.cluster.password, env: env() });
    expect(added.code).toBe(1);
    const onTerminal = (answer: string) => new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      // script(1) gives the CLI a terminal: stdin and stderr are TTYs, as for a person at a shell.
      const child = spawn('script', ['-qfec', `${CLI} profile test tty`, '/dev/null'], { env: { ...process.env, ...env(), PATH: `${NODE_BIN_DIR}${path.delimiter}${process.env.PATH}`, LIFEBOAT_HOME: ttyHome } });
      let output = '';
      child.stdout.on('data', (d) => {
        output += d;
        if (output.includes('Type "yes"') && !child.stdin.writableEnded) child.stdin.end(`${answer}\n`);
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, output }));
    });
    const declined = await onTerminal('no');
    expect(declined.output).toContain(lab.sshd[0]!.hostKeyFingerprint);
    expect(declined.code).toBe(1);
    expect(await readFile(path.join(ttyHome, 'known_hosts'), 'utf8').catch(() => '')).toBe('');
    const trusted = await onTerminal('yes');
    expect(trusted.code, trusted.output).toBe(0);
    expect(trusted.output).toContain('Connected to');
    expect(await readFile(path.join(ttyHome, 'known_hosts'), 'utf8')).toContain(`[127.0.0.1]:${lab.sshd[0]!.outside!.port}`);
  }, 120_000);

  it('profile import --ssh-config follows ProxyJump from ~/.ssh/config', async () => {
    const config = [
      'Host jumpbox',
      '  HostName 127.0.0.1',
      `  Port ${lab.sshd[0]!.outside!.port}`,
      `  User ${lab.user}`,
      `  IdentityFile ${lab.keys.pemKey.file}`,
      'Host inner',
      '  HostName 127.0.0.1',
      `  Port ${lab.sshd[1]!.inside.port}`,
      `  User ${lab.user}`,
      `  IdentityFile ${lab.keys.pemKey.file}`,
      '  ProxyJump jumpbox',
      '',
    ].join('\n');
    await writeFile(path.join(work, 'user-home', '.ssh', 'config'), config, { mode: 0o600 });
    const accept = [lab.sshd[0]!.hostKeyFingerprint, lab.sshd[1]!.hostKeyFingerprint].flatMap((fp) => ['--accept-host-key', fp]);
    const imported = await lifeboat(home, ['profile', 'import', '--ssh-config', 'inner', '--url', dbUrl(), '--password-stdin', ...accept, '--json'], { stdin: lab.cluster.password, env: env() });
    expect(imported.code, imported.stdout + imported.stderr).toBe(0);
    expect(imported.json.profile.ssh).toMatchObject({ host: '127.0.0.1', port: lab.sshd[1]!.inside.port, auth: 'key', jumps: [{ port: lab.sshd[0]!.outside!.port, auth: 'key' }] });
    expect(imported.json.test.report.tunnel.hops.map((h: { port: number }) => h.port)).toEqual([lab.sshd[0]!.outside!.port, lab.sshd[1]!.inside.port]);
  }, 120_000);

  it('a bastion that forbids forwarding is named as such', async () => {
    const engine = await createEngine({ dataDir: path.join(work, 'forwarding-home'), secrets: new SessionSecretStore('test'), userKnownHosts: path.join(work, 'none') });
    const jump = { host: '127.0.0.1', port: lab.sshd[0]!.outside!.port, user: lab.user, auth: 'key' as const, keyFile: lab.keys.pemKey.file };
    await engine.profiles.add({ name: 'no-forwarding', host: lab.cluster.host, port: lab.cluster.port, database: 'postgres', user: 'postgres', sslmode: 'disable', color: 'red', password: lab.cluster.password, ssh: { ...jump, port: lab.sshd[2]!.inside.port, jumps: [jump], keepAliveSeconds: 30 } });
    const result = await engine.profiles.test('no-forwarding', { acceptHostKeys: [lab.sshd[0]!.hostKeyFingerprint, lab.sshd[2]!.hostKeyFingerprint] });
    expect(result).toMatchObject({ ok: false, error: { code: 'SSH_FORWARDING_REFUSED', fix: expect.stringContaining('AllowTcpForwarding yes') } });
  });

  it('run-due never accepts a new host key: the scheduled backup fails, and the key stays untrusted', async () => {
    let now = new Date('2026-11-20T12:00:00Z');
    const dataDir = path.join(work, 'scheduled-home');
    const key = generateAgeKeyPair();
    const engine = await createEngine({ dataDir, secrets: new SessionSecretStore('test'), clock: { now: () => now }, userKnownHosts: path.join(work, 'none') });
    engine.settings.update({ extraRecipients: [key.recipient], encryptionMode: 'recipients', timeZone: 'UTC', backupFolder: path.join(work, 'scheduled-backups') });
    await engine.profiles.add({ name: 'nightly', host: lab.cluster.host, port: lab.cluster.port, database: 'postgres', user: 'postgres', sslmode: 'disable', color: 'blue', password: lab.cluster.password, ssh: { host: '127.0.0.1', port: lab.sshd[0]!.outside!.port, user: lab.user, auth: 'key', keyFile: lab.keys.pemKey.file, jumps: [], keepAliveSeconds: 30 } });
    await engine.schedules.set('nightly', { backup: { preset: 'daily', time: '01:00', enabled: true }, notify: { webhookUrl: null, onSuccess: false, desktop: false, staleHours: null } });
    now = new Date('2026-11-21T01:05:00Z');
    const results = await engine.schedules.runDue();
    expect(results).toEqual([expect.objectContaining({ kind: 'backup', result: 'failed', detail: expect.stringContaining(lab.sshd[0]!.hostKeyFingerprint) })]);
    expect(await readFile(path.join(dataDir, 'known_hosts'), 'utf8').catch(() => '')).toBe('');
    const log = await engine.activity.list({ profile: 'nightly', what: 'backup' });
    expect(log[0]).toMatchObject({ result: 'failed', error: { code: 'SSH_HOST_KEY_UNKNOWN' }, route: `via 127.0.0.1:${lab.sshd[0]!.outside!.port} → ${lab.cluster.host}:${lab.cluster.port}` });
  }, 60_000);
});
