// Bundles the CLI and its two worker threads into out/cli/, so `lifeboat` starts without resolving,
// reading and linking ~150 TypeScript modules one by one (--version: ~0.25 s from the sources, ~0.14 s
// from the bundle, of which 0.07 s is Node's own start). Packages stay imports from node_modules.
//
// out/cli/sources.json lists every source file in the bundle with its size and mtime; main/cli/bin.mjs
// runs the bundle only while they all still match, and the TypeScript sources otherwise, so an edit
// is never shadowed by an old bundle. The bundle sits two folders below the project, like the sources
// (main/cli/, main/engine/): `new URL('../../package.json', import.meta.url)` finds the same file, and
// the engine finds the workers beside the chunk that starts them (engine/files/worker-file.ts).
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

// `npm install` runs this too (prepare): without the dev dependencies there is no bundler, and the CLI runs from its sources.
const rolldown = await import('rolldown').catch(() => null);
if (!rolldown) {
  console.log('cli-bundle: rolldown is not installed (dev dependencies left out); the CLI runs from its TypeScript sources.');
  process.exit(process.argv.includes('--if-available') ? 0 : 1);
}

const root = path.resolve(import.meta.dirname, '..');
const outDir = path.join(root, 'out/cli');
const ENTRIES = {
  'lifeboat-cli': 'main/cli/lifeboat-cli.ts',
  'archive-worker': 'main/engine/archive/archive-worker.ts',
  'tunnel-worker': 'main/engine/tunnel/tunnel-worker.ts',
};

/** The project's own files among the bundle's modules (not packages, not the bundler's virtual ones). */
function ownSources(bundle) {
  const files = new Set();
  for (const output of Object.values(bundle)) {
    if (output.type !== 'chunk') continue;
    for (const id of output.moduleIds) {
      if (!path.isAbsolute(id) || !id.startsWith(root + path.sep) || id.includes(`${path.sep}node_modules${path.sep}`)) continue;
      files.add(path.relative(root, id));
    }
  }
  return [...files].sort();
}

async function bundleInto(dir) {
  let sources = [];
  await rolldown.build({
    cwd: root,
    input: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, path.join(root, file)])),
    platform: 'node',
    // Packages and node: built-ins stay imports: native addons (keyring, ssh2) cannot be bundled.
    external: (id) => !id.startsWith('.') && !path.isAbsolute(id),
    logLevel: 'warn',
    plugins: [{ name: 'lifeboat-sources', generateBundle(_options, bundle) { sources = ownSources(bundle); } }],
    output: { dir, format: 'esm', entryFileNames: '[name].js', chunkFileNames: 'chunk-[hash].js', sourcemap: false },
  });
  if (!sources.includes(ENTRIES['lifeboat-cli'])) throw new Error('cli-bundle: the bundle does not contain main/cli/lifeboat-cli.ts');
  const listed = await Promise.all(sources.map(async (file) => {
    const info = await stat(path.join(root, file));
    return { file, size: info.size, mtimeMs: info.mtimeMs };
  }));
  // Written last: a bundle without its list is never run.
  await writeFile(path.join(dir, 'sources.json'), `${JSON.stringify({ version: 1, sources: listed })}\n`);
  return listed.length;
}

// Built beside the old bundle and swapped in by rename, so a CLI running from it meanwhile keeps its files.
const next = `${outDir}.next-${process.pid}`;
const old = `${outDir}.old-${process.pid}`;
await mkdir(path.dirname(outDir), { recursive: true });
await rm(next, { recursive: true, force: true });
const count = await bundleInto(next);
await rename(outDir, old).catch((error) => { if (error.code !== 'ENOENT') throw error; });
await rename(next, outDir);
await rm(old, { recursive: true, force: true });
console.log(`cli-bundle: out/cli/ from ${count} source files`);
