#!/usr/bin/env node
// The `lifeboat` command. Runs the bundle of the engine's code when it is current, and the
// TypeScript sources directly (Node's type stripping) otherwise, so the CLI and the tests use exactly
// the engine code in the repository, with or without a build step (cli-entry.mjs).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`lifeboat: Node ${process.versions.node} is too old (needs 24). Fix: run it as "npx lifeboat" inside the project, which uses the pinned Node 24.`);
  process.exit(2);
}
process.removeAllListeners('warning'); // silence the one-time type-stripping notice on older 22.x
// Remember compiled (type-stripped) modules between runs: start-up drops from ~0.3 s to ~0.1 s,
// which matters for short backups. The cache runs as code, so it lives in this user's private cache
// folder (never the shared temp folder, where another user could plant entries), and only when that
// folder is this user's own and writable by no one else. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
const { enableCompileCache } = await import('node:module');
const { privateCompileCacheDir } = await import('./compile-cache.mjs');
const cacheDir = enableCompileCache ? await privateCompileCacheDir() : null;
if (cacheDir) enableCompileCache(cacheDir);
const { chooseCliModule } = await import('./cli-entry.mjs');
const { fileURLToPath } = await import('node:url');
const code = chooseCliModule(fileURLToPath(new URL('../..', import.meta.url)));
const { main } = await import(code.url);
process.exitCode = await main(process.argv.slice(2), { bin: fileURLToPath(import.meta.url), from: code.from });
