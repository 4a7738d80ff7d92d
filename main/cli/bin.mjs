#!/usr/bin/env node
// The `lifeboat` command. Runs the TypeScript sources directly (Node's type stripping), so the
// CLI and the tests use exactly the engine code in the repository, with no build step.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`lifeboat: Node ${process.versions.node} is too old (needs 24). Fix: run it as "npx lifeboat" inside the project, which uses the pinned Node 24.`);
  process.exit(2);
}
process.removeAllListeners('warning'); // silence the one-time type-stripping notice on older 22.x
// Remember compiled (type-stripped) modules between runs: start-up drops from ~0.3 s to ~0.1 s,
// which matters for short backups. Node keeps the cache in its temp folder (NODE_COMPILE_CACHE
// moves it, NODE_DISABLE_COMPILE_CACHE=1 turns it off); entries are keyed by content, never stale.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
const { main } = await import('./lifeboat-cli.ts');
process.exitCode = await main(process.argv.slice(2));
