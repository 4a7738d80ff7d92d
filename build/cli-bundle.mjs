// Bundles the CLI and its two worker threads, so `lifeboat` starts without resolving, reading and
// linking ~170 TypeScript modules one by one (--version: ~0.25 s from the sources, ~0.16 s from the
// bundle, of which 0.07–0.09 s is Node's own start). Packages stay imports from node_modules.
//
// Each build goes into a folder of its own, out/cli-<hash of its files>/, and out/cli.json names the
// current one with every source file it was built from (size and mtime, taken before the file was
// read). main/cli/bin.mjs runs that build only while all of them still match, and the TypeScript
// sources otherwise, so an edit is never shadowed by an old bundle. A CLI already running from an
// older build keeps its folder (its lazily loaded chunks and workers stay where they were): older
// builds are removed a day later (--prune: at once, for packaging). Builds sit two folders below the
// project, like the sources (main/cli/, main/engine/): `new URL('../../package.json', import.meta.url)`
// finds the same file, and the engine finds the workers beside the chunk that starts them
// (engine/files/worker-file.ts).
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';

// `npm install` runs this too (prepare): without the dev dependencies there is no bundler, and the CLI runs from its sources.
const rolldown = await import('rolldown').catch(() => null);
if (!rolldown) {
  console.log('cli-bundle: rolldown is not installed (dev dependencies left out); the CLI runs from its TypeScript sources.');
  process.exit(process.argv.includes('--if-available') ? 0 : 1);
}

const root = path.resolve(import.meta.dirname, '..');
const outRoot = path.join(root, 'out');
const MANIFEST = path.join(outRoot, 'cli.json');
const KEEP_OLD_BUILDS_MS = 24 * 3600 * 1000;
const ENTRIES = {
  'lifeboat-cli': 'main/cli/lifeboat-cli.ts',
  'archive-worker': 'main/engine/archive/archive-worker.ts',
  'tunnel-worker': 'main/engine/tunnel/tunnel-worker.ts',
};

const isOwnSource = (id) => path.isAbsolute(id) && id.startsWith(root + path.sep) && !id.includes(`${path.sep}node_modules${path.sep}`);

/** Bundles into `dir`; returns every own source file the bundler loaded, as it was before it was read. */
async function bundleInto(dir) {
  const sources = new Map();
  await rolldown.build({
    cwd: root,
    input: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, path.join(root, file)])),
    platform: 'node',
    // Packages and node: built-ins stay imports: native addons (keyring, ssh2) cannot be bundled.
    external: (id) => !id.startsWith('.') && !path.isAbsolute(id),
    logLevel: 'warn',
    plugins: [{
      name: 'lifeboat-sources',
      // Every file loaded (also those folded away), stat'ed before the bundler reads it: an edit made
      // during the build has a newer mtime than the one listed, so the sources run until the next build.
      async load(id) {
        if (isOwnSource(id)) {
          const info = await stat(id);
          sources.set(path.relative(root, id), { size: info.size, mtimeMs: info.mtimeMs });
        }
        return null;
      },
    }],
    output: { dir, format: 'esm', entryFileNames: '[name].js', chunkFileNames: 'chunk-[hash].js', sourcemap: false },
  });
  if (!sources.has(ENTRIES['lifeboat-cli'])) throw new Error('cli-bundle: the bundle does not contain main/cli/lifeboat-cli.ts');
  return [...sources].map(([file, info]) => ({ file, ...info })).sort((a, b) => a.file.localeCompare(b.file));
}

/** A name for the build from its files' contents: the same sources give the same folder. */
async function buildId(dir) {
  const hash = createHash('sha256');
  for (const name of (await readdir(dir)).sort()) hash.update(name).update('\0').update(await readFile(path.join(dir, name))).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/** Older builds: gone a day after they stopped being current (at once with --prune), never the current one. */
async function removeOldBuilds(current, prune) {
  for (const name of await readdir(outRoot)) {
    // out/cli/ is where builds went before they had folders of their own.
    if (name === current || !/^cli-[0-9a-f]{16}$|^cli\.next-\d+$|^cli$/.test(name)) continue;
    const info = await stat(path.join(outRoot, name)).catch(() => null);
    if (info && ((prune && !name.startsWith('cli.next-')) || Date.now() - info.mtimeMs > KEEP_OLD_BUILDS_MS)) await rm(path.join(outRoot, name), { recursive: true, force: true });
  }
}

await mkdir(outRoot, { recursive: true });
const next = path.join(outRoot, `cli.next-${process.pid}`);
try {
  await rm(next, { recursive: true, force: true });
  const sources = await bundleInto(next);
  const name = `cli-${await buildId(next)}`;
  // Another build of the same sources may have put it there already: same name, same files.
  await rename(next, path.join(outRoot, name)).catch((error) => { if (!['EEXIST', 'ENOTEMPTY'].includes(error.code)) throw error; });
  const now = new Date();
  await utimes(path.join(outRoot, name), now, now); // its day as an old build counts from when it stops being current
  // Marked current by a rename, so a CLI starting meanwhile reads the old manifest or the new one, never half of one.
  const temp = `${MANIFEST}.${process.pid}`;
  await writeFile(temp, `${JSON.stringify({ version: 2, build: name, sources })}\n`);
  await rename(temp, MANIFEST);
  await removeOldBuilds(name, process.argv.includes('--prune'));
  console.log(`cli-bundle: out/${name}/ from ${sources.length} source files`);
} finally {
  await rm(next, { recursive: true, force: true });
}
