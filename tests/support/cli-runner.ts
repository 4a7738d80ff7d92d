// The one way tests run the `lifeboat` command: a child process with Node 24 and its own
// LIFEBOAT_HOME, stdin closed after `stdin`; optionally every process's argv is watched for a secret
// meanwhile (a password must never be visible in the process list).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { NODE_BIN_DIR, REPO_ROOT } from './engine-fixture.ts';

export const CLI = path.join(REPO_ROOT, 'main/cli/bin.mjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON when it is JSON (with --json, errors are {"error": {...}} on stdout). */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface CliOptions {
  stdin?: string;
  env?: NodeJS.ProcessEnv;
  /** A secret that must not appear in any process's argv while the command runs (the run fails if it does). */
  watchFor?: string;
}

export function lifeboat(home: string, args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(CLI, args, { env: { ...process.env, PATH: `${NODE_BIN_DIR}${path.delimiter}${process.env.PATH}`, LIFEBOAT_HOME: home, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const leaks: string[] = [];
    const watcher = options.watchFor ? setInterval(() => leaks.push(...argvContaining(options.watchFor!)), 2) : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(watcher);
      if (leaks.length) return reject(new Error(`secret seen in argv of: ${leaks.join(', ')}`));
      resolve({ code: code ?? -1, stdout, stderr, json: parsedOrNull(stdout) });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

function parsedOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The processes whose argv contains `secret` right now (Linux /proc). */
export function argvContaining(secret: string): string[] {
  const hits: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (argv.includes(secret)) hits.push(`${pid}: ${argv.replaceAll('\0', ' ').slice(0, 80)}`);
    } catch {
      // the process ended meanwhile
    }
  }
  return hits;
}
