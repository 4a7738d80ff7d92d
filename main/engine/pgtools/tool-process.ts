import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';

export interface ToolProcess {
  child: ChildProcessByStdio<Writable | null, Readable, Readable>;
  stdout: Readable;
  /** Resolves when the process exits, with its error lines (those not consumed as progress). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; errors: string[] }>;
  kill(): void;
}

/**
 * Starts a PostgreSQL tool with its connection in `env` (never in argv), reads stderr line by line
 * (progress lines go to `onLine`), and kills it — children included — when `signal` aborts.
 */
export function startTool(options: ToolOptions): ToolProcess {
  return supervise(spawn(options.path, options.args, { env: options.env, cwd: options.cwd, stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'] }) as ToolProcess['child'], options);
}

interface ToolOptions {
  path: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  stdin?: 'pipe' | 'ignore';
  onLine?: (line: string) => boolean | void;
  cwd?: string;
}

/** The same, its stdout going straight into a socket or a FIFO's write end (another thread reads them: archive/archive-thread.ts). */
export function startToolWritingTo(stdout: Socket | number, options: ToolOptions): Omit<ToolProcess, 'stdout'> {
  const child = spawn(options.path, options.args, { env: options.env, cwd: options.cwd, stdio: [options.stdin ?? 'ignore', stdout, 'pipe'] });
  return supervise(child as unknown as ToolProcess['child'], options);
}

function supervise(child: ToolProcess['child'], options: ToolOptions): ToolProcess {
  const errors: string[] = [];
  const lines = createInterface({ input: child.stderr });
  lines.on('line', (line) => {
    if (options.onLine?.(line) === true) return;
    errors.push(line);
    if (errors.length > 50) errors.shift();
  });
  let killTimer: NodeJS.Timeout | undefined;
  const kill = () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    killTimer = setTimeout(() => child.kill('SIGKILL'), 3000);
    killTimer.unref();
  };
  options.signal?.addEventListener('abort', kill, { once: true });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; errors: string[] }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', kill);
      resolve({ code, signal, errors });
    });
  });
  return { child, stdout: child.stdout, exited, kill };
}

/** The meaningful error lines a PostgreSQL tool printed ("pg_dump: error: …"), for messages. */
export function toolErrorSummary(errors: string[]): string {
  const important = errors.filter((line) => /error|fatal|failed|could not|denied|aborting/i.test(line));
  return (important.length ? important : errors).slice(-3).map((line) => line.trim()).join(' ') || 'no error message';
}

/** Waits until `stdin` drains or the child exits, leaving no listeners behind (writes happen per chunk). */
export function drainOrExit(stdin: NodeJS.WritableStream, child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stdin.removeListener('drain', done);
      stdin.removeListener('error', done);
      child.off('exit', done);
      resolve();
    };
    stdin.once('drain', done);
    stdin.once('error', done);
    child.once('exit', done);
  });
}
