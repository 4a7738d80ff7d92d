// Backup through an SSH tunnel vs direct, same server, same data, same run (issue 14's target: ≤ 1.25).
//   node tests/bench/tunnel-bench.ts [--wide-mb 512] [--runs 3] [--major 18]
// The server and a real sshd live in a network namespace of their own (tests/support/ssh-lab.ts; root
// only). The measured backups run inside that namespace too, so "direct" is 127.0.0.1:<port> and
// "tunnel" is 127.0.0.1:<sshd> → 127.0.0.1:<port>: the only difference is the SSH hop and Lifeboat's
// forwarding of every byte through it. The floor is the standard tool doing the same: OpenSSH's own
// `ssh -N -L` forward, with Lifeboat connecting to it as to a plain server. All three are the engine
// in one process (Lifeboat's own backup job, encrypted and hashed, no row counts), alternating,
// median of --runs.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { createEngine } from '../../main/engine/index.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import type { SshHop } from '../../main/engine/types.ts';
import { NODE_BIN_DIR } from '../support/engine-fixture.ts';
import { sshLabSupported, startSshLab } from '../support/ssh-lab.ts';
import { buildWide } from './bench-db.ts';
import { formatMB, median } from './bench-report.ts';

interface InnerPlan {
  dbPort: number;
  dbPassword: string;
  sshPort: number;
  sshUser: string;
  keyFile: string;
  hostKeyFingerprint: string;
  database: string;
  runs: number;
}

const log = (text: string) => process.stderr.write(`[tunnel-bench] ${text}\n`);

/** Inside the namespace: the same backup, direct and through the tunnel, alternating. */
async function inner(plan: InnerPlan): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-tunnel-bench-'));
  try {
    const engine = await createEngine({ dataDir, secrets: new SessionSecretStore('bench'), userKnownHosts: path.join(dataDir, 'none') });
    const base = { host: '127.0.0.1', port: plan.dbPort, database: plan.database, user: 'postgres', sslmode: 'disable' as const, color: 'blue' as const, password: plan.dbPassword };
    const hop: SshHop = { host: '127.0.0.1', port: plan.sshPort, user: plan.sshUser, auth: 'key', keyFile: plan.keyFile };
    await engine.profiles.add({ ...base, name: 'direct' });
    await engine.profiles.add({ ...base, name: 'tunnel', ssh: { ...hop, jumps: [], keepAliveSeconds: 30 } });
    const test = await engine.profiles.test('tunnel', { acceptHostKeys: [plan.hostKeyFingerprint] });
    if (!test.ok) throw new Error(`the tunnel does not connect: ${test.error.message}`);
    const encryption = { kind: 'recipients' as const, recipients: [generateAgeKeyPair().recipient] };
    const openssh = await startOpenSshForward(plan);
    await engine.profiles.add({ ...base, name: 'openssh', port: openssh.port });
    const times: Record<'direct' | 'tunnel' | 'openssh', number[]> = { direct: [], tunnel: [], openssh: [] };
    let bytes = 0;
    for (let round = 1; round <= plan.runs; round++) {
      const order = ['direct', 'tunnel', 'openssh'] as const;
      for (const profile of round % 2 ? order : [...order].reverse()) {
        const out = path.join(dataDir, `${profile}-${round}`);
        const t0 = performance.now();
        const result = await engine.backups.start({ profile, outDir: out, encryption, exactRowCounts: false }).result;
        times[profile].push((performance.now() - t0) / 1000);
        bytes = result.bytes;
        await rm(out, { recursive: true, force: true });
        log(`round ${round}/${plan.runs}: ${profile.padEnd(6)} ${times[profile].at(-1)!.toFixed(2)} s`);
      }
    }
    openssh.stop();
    process.stdout.write(`${JSON.stringify({ direct: median(times.direct), tunnel: median(times.tunnel), openssh: median(times.openssh), archiveBytes: bytes, times })}\n`);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** `ssh -N -L` to the same sshd with the same key: the standard tool's tunnel, for the floor. */
async function startOpenSshForward(plan: InnerPlan): Promise<{ port: number; stop(): void }> {
  const port = plan.dbPort + 1 + Math.floor(Math.random() * 1000);
  const child = spawn('ssh', ['-N', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'ExitOnForwardFailure=yes', '-i', plan.keyFile, '-p', String(plan.sshPort), '-L', `127.0.0.1:${port}:127.0.0.1:${plan.dbPort}`, `${plan.sshUser}@127.0.0.1`], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (open) return { port, stop: () => child.kill() };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error('ssh -L did not start');
}

async function outer(options: { wideMb: number; runs: number; major: number }): Promise<number> {
  const supported = sshLabSupported();
  if (!supported.ok) {
    log(`skipped: ${supported.why}`);
    return 0;
  }
  const lab = await startSshLab({ major: options.major });
  try {
    const work = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-tunnel-bench-build-'));
    const passfile = path.join(work, 'pgpass');
    await writeFile(passfile, `*:*:*:*:${lab.cluster.password}\n`, { mode: 0o600 });
    const pgEnv = (database: string) => ({ ...process.env, PGHOST: lab.cluster.dir, PGPORT: String(lab.cluster.port), PGUSER: 'postgres', PGDATABASE: database, PGPASSFILE: passfile });
    const psql = path.join(process.env.LIFEBOAT_PG_TOOLS_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'lifeboat', 'pg-tools'), '18', 'bin', 'psql');
    log(`building the wide database (~${options.wideMb} MB) on PostgreSQL ${options.major}…`);
    const db = await buildWide({ cluster: lab.cluster, pgEnv }, 'bench_wide', options.wideMb, psql);
    await rm(work, { recursive: true, force: true });
    const plan: InnerPlan = { dbPort: lab.cluster.port, dbPassword: lab.cluster.password, sshPort: lab.sshd[0]!.inside.port, sshUser: lab.user, keyFile: lab.keys.pemKey.file, hostKeyFingerprint: lab.sshd[0]!.hostKeyFingerprint, database: db.name, runs: options.runs };
    const output = await runInside(lab.netns, plan);
    const result = JSON.parse(output) as { direct: number; tunnel: number; openssh: number; archiveBytes: number };
    const ratio = result.tunnel / result.direct;
    process.stdout.write([
      `SSH tunnel vs direct — wide database ${formatMB(db.sizeBytes)}, archive ${formatMB(result.archiveBytes)}, median of ${options.runs}`,
      `  direct  ${result.direct.toFixed(2)} s`,
      `  tunnel  ${result.tunnel.toFixed(2)} s  (Lifeboat's ssh2 tunnel)`,
      `  openssh ${result.openssh.toFixed(2)} s  (floor: OpenSSH's ssh -N -L, same sshd and key)`,
      `  ratio   ${ratio.toFixed(3)} vs direct (target ≤ 1.25: ${ratio <= 1.25 ? 'met' : 'NOT met'}); floor ${(result.openssh / result.direct).toFixed(3)}; vs floor ${(result.tunnel / result.openssh).toFixed(3)}`,
      '',
    ].join('\n'));
    return 0;
  } finally {
    await lab.stop();
  }
}

function runInside(netns: string, plan: InnerPlan): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', [`--net=${netns}`, '--', path.join(NODE_BIN_DIR, 'node'), import.meta.filename, '--inner'], {
      env: { ...process.env, LIFEBOAT_TUNNEL_BENCH_PLAN: JSON.stringify(plan) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`the measuring process exited with ${code}`))));
  });
}

const { values } = parseArgs({ options: { inner: { type: 'boolean' }, 'wide-mb': { type: 'string', default: '512' }, runs: { type: 'string', default: '3' }, major: { type: 'string', default: '18' } } });
if (values.inner) {
  await inner(JSON.parse(process.env.LIFEBOAT_TUNNEL_BENCH_PLAN!) as InnerPlan);
} else {
  process.exitCode = await outer({ wideMb: Number(values['wide-mb']), runs: Number(values.runs), major: Number(values.major) });
}
