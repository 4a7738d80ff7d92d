// Which code the `lifeboat` command runs: the bundle `npm run build:cli` makes (out/cli/, one file
// to load instead of ~150 modules: start-up ~0.14 s instead of ~0.25 s), but only while every source
// file it was built from is unchanged (size and mtime, as make and tsc judge), so an edit to the
// TypeScript is never shadowed by an older bundle. Plain JavaScript: it runs before the compile cache
// is on, and importing TypeScript would load Node's type stripper for nothing.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The module exporting the CLI's `main`: `{ url, from: 'bundle' | 'sources' }`. Without the sources
 * (an installed app ships only the bundle) the bundle is all there is. LIFEBOAT_CLI_FROM=sources
 * forces the TypeScript sources.
 */
export function chooseCliModule(root, env = process.env) {
  const sourcesEntry = path.join(root, 'main/cli/lifeboat-cli.ts');
  const bundleEntry = path.join(root, 'out/cli/lifeboat-cli.js');
  const sources = { url: pathToFileURL(sourcesEntry).href, from: 'sources' };
  const bundle = { url: pathToFileURL(bundleEntry).href, from: 'bundle' };
  if (env.LIFEBOAT_CLI_FROM === 'sources') return sources;
  const listed = bundleSources(root);
  if (!listed) return sources;
  if (!exists(sourcesEntry)) return bundle;
  return listed.every((entry) => unchanged(root, entry)) ? bundle : sources;
}

/** The bundle's list of source files, or null when there is no complete bundle. */
function bundleSources(root) {
  try {
    const manifest = JSON.parse(readFileSync(path.join(root, 'out/cli/sources.json'), 'utf8'));
    if (manifest?.version !== 1 || !Array.isArray(manifest.sources)) return null;
    return manifest.sources;
  } catch {
    return null;
  }
}

function unchanged(root, entry) {
  if (typeof entry?.file !== 'string' || path.isAbsolute(entry.file)) return false;
  try {
    const info = statSync(path.join(root, entry.file));
    return info.size === entry.size && info.mtimeMs === entry.mtimeMs;
  } catch {
    return false;
  }
}

function exists(file) {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}
