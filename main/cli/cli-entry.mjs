// Which code the `lifeboat` command runs: the current bundle `npm run build:cli` made (out/cli.json
// names its folder, out/cli-<hash>/: one file to load instead of ~170 modules, start-up ~0.16 s
// instead of ~0.25 s), but only while every source file it was built from is unchanged (size and
// mtime, as make and tsc judge), so an edit to the TypeScript is never shadowed by an older bundle.
// Plain JavaScript: it runs before the compile cache is on, and importing TypeScript would load
// Node's type stripper for nothing.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The module exporting the CLI's `main`: `{ url, from: 'bundle' | 'sources' }`. Without the sources
 * (an installed app ships only the bundle) the bundle is all there is. LIFEBOAT_CLI_FROM=sources
 * forces the TypeScript sources.
 */
export function chooseCliModule(root, env = process.env) {
  const sourcesEntry = path.join(root, 'main/cli/lifeboat-cli.ts');
  const sources = { url: pathToFileURL(sourcesEntry).href, from: 'sources' };
  if (env.LIFEBOAT_CLI_FROM === 'sources') return sources;
  const manifest = currentBuild(root);
  if (!manifest) return sources;
  const bundle = { url: pathToFileURL(path.join(root, 'out', manifest.build, 'lifeboat-cli.js')).href, from: 'bundle' };
  if (!existsSync(sourcesEntry)) return bundle;
  return manifest.sources.every((entry) => unchanged(root, entry)) ? bundle : sources;
}

/** out/cli.json: the current build's folder and the source files it was built from, or null without a complete bundle. */
function currentBuild(root) {
  try {
    const manifest = JSON.parse(readFileSync(path.join(root, 'out/cli.json'), 'utf8'));
    if (manifest?.version !== 2 || typeof manifest.build !== 'string' || !/^cli-[0-9a-f]{16}$/.test(manifest.build)) return null;
    if (!Array.isArray(manifest.sources) || !existsSync(path.join(root, 'out', manifest.build, 'lifeboat-cli.js'))) return null;
    return manifest;
  } catch {
    return null;
  }
}

function unchanged(root, entry) {
  if (typeof entry?.file !== 'string' || path.isAbsolute(entry.file) || entry.file.split(/[\\/]/).includes('..')) return false;
  try {
    const info = statSync(path.join(root, entry.file));
    return info.size === entry.size && info.mtimeMs === entry.mtimeMs;
  } catch {
    return false;
  }
}
