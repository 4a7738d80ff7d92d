// Where a worker thread's module is: beside its caller as .ts (development, tests) or .js, or one
// folder up where the Electron build puts each worker as its own bundle entry.
import { existsSync } from 'node:fs';
import { getCompileCacheDir } from 'node:module';
import path from 'node:path';
import type { WorkerOptions } from 'node:worker_threads';
import { LifeboatError } from '../errors.ts';

/** The worker module `name` (without extension) as seen from `callerUrl`; `what` names it in the refusal. */
export function bundledWorkerFile(name: string, callerUrl: string, what: string): URL {
  const candidates = [`./${name}.ts`, `./${name}.js`, `../${name}.js`].map((file) => new URL(file, callerUrl));
  const found = candidates.find((url) => existsSync(url));
  if (!found) throw new LifeboatError('INTERNAL', `${what}'s worker file is missing from this installation.`, 'Reinstall Lifeboat.');
  return found;
}

/**
 * A worker thread's options: the compile cache this process uses (the CLI's, checked to be this
 * user's private folder), passed on, because a worker does not inherit it. Without it every CLI
 * process type-strips and compiles the worker's TypeScript again (~0.13 s of CPU per backup).
 */
export function workerOptions(): WorkerOptions {
  const versioned = getCompileCacheDir?.(); // <the folder enabled>/<node version…>
  return versioned ? { env: { ...process.env, NODE_COMPILE_CACHE: path.dirname(versioned) } } : {};
}
