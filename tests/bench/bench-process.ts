// Child processes of the benchmark: timed, optionally under GNU time (CPU and peak RSS of the
// whole process tree), each in its own process group so an interrupt can stop it with all its
// children (pg_dump under the lifeboat CLI, the command under /usr/bin/time).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { Readable } from 'node:stream';

export const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

export interface TreeUsage {
  /** user + system CPU seconds of the command and every child it waited for. */
  cpuS: number;
  /** Largest peak RSS among the command and its waited-for children (KB). */
  maxRssKb: number;
}

export interface Finished {
  /** performance.now() when the command was spawned. */
  startedAt: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  wallS: number;
  stdout: string;
  /** The last lines of stderr (progress lines can be many). */
  stderrTail: string;
  tree: TreeUsage | null;
}

interface Running {
  child: ChildProcess;
  /** Signal that makes the command stop cleanly (the lifeboat CLI cancels its job on SIGINT). */
  stopSignal: NodeJS.Signals;
}

const running = new Set<Running>();

/** Stops every child (and its process group); resolves when they are gone or after `graceMs`. */
export async function stopChildren(graceMs = 8000): Promise<void> {
  const all = [...running];
  for (const { child, stopSignal } of all) signalGroup(child, stopSignal);
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && all.some(({ child }) => child.exitCode === null && child.signalCode === null)) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (const { child } of all) if (child.exitCode === null && child.signalCode === null) signalGroup(child, 'SIGKILL');
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (!child.pid) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  stdin?: string | Readable;
  /** Wrap in /usr/bin/time (when installed) to learn the tree's CPU time and peak RSS. */
  measureTree?: boolean;
  /** A file for /usr/bin/time's report (required with measureTree). */
  timeFile?: string;
  stopSignal?: NodeJS.Signals;
  /** Called with each stderr line (after the tail is kept). */
  onStderrLine?: (line: string) => void;
}

/** Runs a command to completion; never rejects on a non-zero exit (check `code`). */
export async function runCommand(file: string, args: string[], options: RunOptions): Promise<Finished> {
  const wrap = options.measureTree && GNU_TIME && options.timeFile;
  const [cmd, argv] = wrap ? [GNU_TIME!, ['-f', '%e %U %S %M', '-o', options.timeFile!, file, ...args]] : [file, args];
  const started = performance.now();
  const child = spawn(cmd, argv, {
    env: options.env,
    cwd: options.cwd,
    detached: true, // own process group: see stopChildren()
    stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  const entry: Running = { child, stopSignal: options.stopSignal ?? 'SIGTERM' };
  running.add(entry);
  let stdout = '';
  const tail: string[] = [];
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    const lines = (partial + d).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      tail.push(line);
      if (tail.length > 40) tail.shift();
      options.onStderrLine?.(line);
    }
  });
  if (typeof options.stdin === 'string') child.stdin!.end(options.stdin);
  else if (options.stdin) {
    options.stdin.pipe(child.stdin!);
    child.stdin!.on('error', () => {}); // EPIPE when the command fails early: reported through its exit code
  }
  const { code, signal, wallS } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; wallS: number }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, s) => resolve({ code: c, signal: s, wallS: (performance.now() - started) / 1000 }));
  }).finally(() => running.delete(entry));
  if (partial) tail.push(partial);
  let tree: TreeUsage | null = null;
  if (wrap) {
    const text = await readFile(options.timeFile!, 'utf8').catch(() => '');
    await rm(options.timeFile!, { force: true });
    // GNU time prefixes "Command exited with non-zero status N" when the command failed.
    const last = text.trim().split('\n').pop() ?? '';
    const [, user, sys, rss] = last.split(/\s+/).map(Number);
    if (user !== undefined && sys !== undefined && rss !== undefined && [user, sys, rss].every(Number.isFinite)) tree = { cpuS: user + sys, maxRssKb: rss };
  }
  return { startedAt: started, code, signal, wallS, stdout, stderrTail: tail.join('\n'), tree };
}

/** Like runCommand, but throws with the command's stderr when it fails. */
export async function runChecked(what: string, file: string, args: string[], options: RunOptions): Promise<Finished> {
  const result = await runCommand(file, args, options);
  if (result.code !== 0) {
    throw new Error(`${what} failed (${result.signal ? `signal ${result.signal}` : `exit code ${result.code}`}):\n${result.stderrTail || result.stdout.slice(-2000)}`);
  }
  return result;
}

// --- machine noise ------------------------------------------------------------------------------

const USER_HZ = 100;

/** CPU seconds the whole machine has been busy since boot (all CPUs; /proc/stat), or null. */
export function machineBusySeconds(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return [user, nice, system, irq, softirq, steal].reduce<number>((sum, v) => sum + (v ?? 0), 0) / USER_HZ;
  } catch {
    return null;
  }
}

/** sync(1): every dirty page of the machine written back, so the next timed run starts without a writeback backlog. */
export function flushDirtyPages(): void {
  spawnSync('sync', [], { stdio: 'ignore', timeout: 120_000 });
}

/**
 * What makes a run noisy (run-bench.ts): other processes' CPU or a slowed CPU ('all'), or only a
 * slowed CPU (the drill, whose own scratch server counts as another process).
 */
export type NoiseCheck = 'all' | 'cpu-speed';

/**
 * Waits until the machine is quiet (busy < 15 % of all CPUs over 0.5 s) — other
 * work on the machine skews wall times. Returns the seconds waited (gives up after `maxS`).
 */
export async function waitForQuiet(maxS: number): Promise<number> {
  const started = performance.now();
  const cpus = os.availableParallelism();
  while ((performance.now() - started) / 1000 < maxS) {
    const before = machineBusySeconds();
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = machineBusySeconds();
    if (before === null || after === null) return 0;
    const share = (after - before) / (((performance.now() - t0) / 1000) * cpus);
    if (share < 0.15) break;
  }
  return (performance.now() - started) / 1000;
}
