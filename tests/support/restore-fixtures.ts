// Helpers for the restore tests: the CLI as a user runs it, files made by other tools (gzip, zstd,
// age, gpg), a /proc scan for the tools Lifeboat starts, and "nothing was left behind" checks.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Cluster } from './pg-cluster.ts';

const run = promisify(execFile);

/**
 * A private, world-traversable temp folder that becomes this test process's os.tmpdir(), so the
 * engine's temporary files (lifeboat-restore-*, lifeboat-gnupg-*, lifeboat-pass-*) can be checked for leftovers
 * without other test files interfering. Clusters (run as `nobody` when root) live under it too.
 */
export async function isolateTmp(prefix: string): Promise<{ dir: string; restore(): Promise<void> }> {
  const previous = process.env.TMPDIR;
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  await chmod(dir, 0o755);
  process.env.TMPDIR = dir;
  return {
    dir,
    async restore() {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
      await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    },
  };
}

/** What the engine leaves in the temp folder while working: none of it may outlive a restore. */
export async function engineLeftovers(tmp: string): Promise<string[]> {
  return (await readdir(tmp)).filter((name) => /^lifeboat-(restore|gnupg|pass)-/.test(name));
}

import { lifeboat } from './cli-runner.ts';

export { CLI, lifeboat, type CliResult } from './cli-runner.ts';

/** Adds a CLI profile for a cluster database (password through stdin, kept in the keychain). */
export async function addCliProfile(home: string, name: string, cluster: Cluster, database = 'postgres'): Promise<void> {
  const added = await lifeboat(home, ['profile', 'add', name, '--url', cluster.url(database), '--password-stdin'], { stdin: cluster.password });
  if (added.code !== 0) throw new Error(`profile add ${name} failed: ${added.stderr}`);
  // Kept only in that CLI process's memory, the password would be gone for the next command.
  if (process.env.LIFEBOAT_EXPECT_KEYCHAIN === '1' && /No OS keychain/.test(added.stderr + added.stdout)) throw new Error(`profile add ${name}: the test keychain did not answer: ${added.stderr}`);
}

/** Every non-template database on the cluster, sorted. */
export async function databases(cluster: Cluster): Promise<string[]> {
  const rows = await cluster.query<{ datname: string }>('SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1');
  return rows.map((r) => r.datname);
}

export async function waitFor(check: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (await check()) return;
  throw new Error(`${what} not reached within ${ms} ms`);
}

/** Processes whose argv matches (only children of `parent` when given); read from /proc. */
export function findProcesses(match: (argv: string[]) => boolean, parent?: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (!argv.length || !match(argv)) continue;
      if (parent !== undefined) {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid !== parent) continue;
      }
      pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** The pg_restore this test process's engine runs for a restore (not the --list one of the inspection). */
export function restoringPgRestore(): number[] {
  return findProcesses((argv) => path.basename(argv[0]!) === 'pg_restore' && argv.includes('--file=-'), process.pid);
}

/** pg_restore and psql children of this test process (the engine's tools): none may outlive a restore. */
export function engineToolChildren(): number[] {
  return findProcesses((argv) => ['pg_restore', 'psql', 'gpg'].includes(path.basename(argv[0]!)), process.pid);
}

/**
 * Waits (up to `ms`) for the engine's tool children to exit; kills any still running so one leak
 * does not fail every later test, and returns what was left ("pid argv…").
 */
export async function settleToolChildren(ms = 5000): Promise<string[]> {
  for (const end = Date.now() + ms; Date.now() < end && engineToolChildren().length; ) await new Promise((r) => setTimeout(r, 50));
  const left: string[] = [];
  for (const pid of engineToolChildren()) {
    try {
      left.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()}`);
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
  return left;
}

/**
 * A tools folder (for EngineOptions.toolsOverrideDir) with the real pg_restore and psql, except that a
 * restore (pg_restore --file=-) fails after `copies` complete COPY blocks: it stops at that statement
 * boundary — or, with `midCopyRows`, inside the next COPY after that many rows — drains its input
 * and exits 1, like a pg_restore that cannot read the next table's data (or is killed).
 * `psqlIgnoresSigterm` makes psql slow to die on SIGTERM (as a busy or descheduled psql is): it
 * turns the engine's kill-versus-EOF race into a deterministic outcome.
 */
export async function brokenPgRestoreTools(dir: string, realBinDir: string, options: { copies: number; midCopyRows?: number; psqlIgnoresSigterm?: boolean }): Promise<string> {
  await mkdir(dir, { recursive: true });
  const stop = options.midCopyRows === undefined
    ? `/^COPY /{n++} n==${options.copies + 1}{exit} {print}`
    : `/^COPY /{n++} n==${options.copies + 1}{rows++} rows>${options.midCopyRows + 1}{exit} {print}`;
  const script = `#!/bin/sh
REAL="${realBinDir}/pg_restore"
case " $* " in *" --schema-only "*) exec "$REAL" "$@" ;; *" --file=- "*) ;; *) exec "$REAL" "$@" ;; esac
"$REAL" "$@" | awk '${stop}'
cat >/dev/null
echo "pg_restore: error: could not read from input file: simulated failure" >&2
exit 1
`;
  await writeFile(path.join(dir, 'pg_restore'), script, { mode: 0o755 });
  await writeFile(path.join(dir, 'psql'), `#!/bin/sh\n${options.psqlIgnoresSigterm ? "trap '' TERM\n" : ''}exec "${realBinDir}/psql" "$@"\n`, { mode: 0o755 });
  return dir;
}

/** Runs a shell command; rejects with its stderr on failure. */
export async function sh(command: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await run('sh', ['-c', command], { env: { ...process.env, ...env }, maxBuffer: 256 << 20 });
  return stdout;
}

/** `gpg --symmetric` of a file, in a throwaway GNUPGHOME whose agent is stopped afterwards. */
export async function gpgSymmetric(input: string, output: string, passphrase: string): Promise<void> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'test-gnupg-'));
  const passFile = path.join(home, 'pass');
  await writeFile(passFile, passphrase, { mode: 0o600 });
  try {
    await run('gpg', ['--batch', '--quiet', '--pinentry-mode', 'loopback', '--passphrase-file', passFile, '--symmetric', '--output', output, input], { env: { ...process.env, GNUPGHOME: home } });
  } finally {
    await run('gpgconf', ['--kill', 'gpg-agent'], { env: { ...process.env, GNUPGHOME: home } }).catch(() => {});
    await rm(home, { recursive: true, force: true });
  }
}

/** gpg-agents started for one of the engine's throwaway homes under `tmp` (they must not outlive a restore). */
export function engineGpgAgents(tmp: string): number[] {
  return findProcesses((argv) => path.basename(argv[0]!) === 'gpg-agent' && argv.some((a) => a.includes(path.join(tmp, 'lifeboat-gnupg-'))));
}

/** The engine stops gpg's agent as it removes its GnuPG home; the agent takes a moment to exit. */
export async function noGpgAgentsLeft(tmp: string): Promise<void> {
  await waitFor(() => engineGpgAgents(tmp).length === 0, 5000, 'no gpg-agent of the engine left');
}

/** A copy of `bytes` with byte `offset` XOR-ed. */
export function flipped(bytes: Buffer, offset: number, mask = 0x01): Buffer {
  const copy = Buffer.from(bytes);
  copy[offset]! ^= mask;
  return copy;
}

export function exists(file: string): boolean {
  return existsSync(file);
}

/**
 * Processes whose environment holds `name=value` (e.g. LIFEBOAT_HOME of one CLI test home): the
 * tools and scratch servers a `lifeboat` child started, which outlive it as orphans if leaked.
 */
export function processesWithEnv(name: string, value: string): string[] {
  const wanted = `${name}=${value}`;
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(wanted)) continue;
      found.push(`${entry} ${readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim()}`);
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return found;
}
