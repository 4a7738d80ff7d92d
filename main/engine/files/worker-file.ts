// Where a worker thread's module is: beside its caller as .ts (development, tests) or .js, or one
// folder up where the Electron build puts each worker as its own bundle entry.
import { existsSync } from 'node:fs';
import { LifeboatError } from '../errors.ts';

/** The worker module `name` (without extension) as seen from `callerUrl`; `what` names it in the refusal. */
export function bundledWorkerFile(name: string, callerUrl: string, what: string): URL {
  const candidates = [`./${name}.ts`, `./${name}.js`, `../${name}.js`].map((file) => new URL(file, callerUrl));
  const found = candidates.find((url) => existsSync(url));
  if (!found) throw new LifeboatError('INTERNAL', `${what}'s worker file is missing from this installation.`, 'Reinstall Lifeboat.');
  return found;
}
