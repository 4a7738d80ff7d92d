#!/usr/bin/env node
// The `lifeboat` command. Runs the TypeScript sources directly (Node's type stripping), so the
// CLI and the tests use exactly the engine code in the repository, with no build step.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`lifeboat: Node ${process.versions.node} is too old (needs 24). Fix: run it as "npx lifeboat" inside the project, which uses the pinned Node 24.`);
  process.exit(2);
}
process.removeAllListeners('warning'); // silence the one-time type-stripping notice on older 22.x
const { main } = await import('./lifeboat-cli.ts');
process.exitCode = await main(process.argv.slice(2));
