#!/usr/bin/env node
// `npm test`: runs every suite against real servers, real tools, the real keychain and real Chromium.
// On Linux it starts a throwaway D-Bus session with an unlocked gnome-keyring (its keyring files in
// a temp dir, see test-keyring.mjs), so keychain tests use a real Secret Service.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestKeyring } from './test-keyring.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const vitest = path.join(root, 'node_modules/.bin/vitest');
const vitestArgs = ['run', '--config', path.join(root, 'tests/vitest.config.ts'), ...process.argv.slice(2)];

function have(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

const cacheRoot = process.env.LIFEBOAT_PG_TOOLS_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'lifeboat/pg-tools');
const bundle = path.join(cacheRoot, '18/bin/pg_dump');
if (!process.env.LIFEBOAT_BUNDLED_PG_TOOLS && !existsSync(bundle)) {
  console.log('run-tests: building the PostgreSQL 18 client bundle first (npm run pg-tools)…');
  const built = spawnSync('bash', [path.join(root, 'build/pg-tools/build.sh')], { stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}

// The `lifeboat` command runs its bundle while the bundle matches the sources (main/cli/cli-entry.mjs):
// built here, so the CLI tests run the code under test by the path an installed command takes.
const cliBundle = spawnSync(process.execPath, [path.join(root, 'build/cli-bundle.mjs')], { stdio: 'inherit' });
if (cliBundle.status !== 0) process.exit(cliBundle.status ?? 1);

let status;
if (process.platform === 'linux' && !process.env.LIFEBOAT_KEYRING_SESSION) {
  for (const tool of ['dbus-daemon', 'dbus-send', 'gnome-keyring-daemon']) {
    if (!have(tool)) {
      console.error(`run-tests: ${tool} is missing. Fix: apt-get install dbus-x11 gnome-keyring (the tests use a real keychain).`);
      process.exit(1);
    }
  }
  const keyringHome = mkdtempSync(path.join(os.tmpdir(), 'lifeboat-keyring-'));
  const keyring = await startTestKeyring(keyringHome, { ...process.env, LIFEBOAT_KEYRING_SESSION: '1', LIFEBOAT_EXPECT_KEYCHAIN: '1' });
  try {
    status = await run(vitest, vitestArgs, keyring.env);
  } finally {
    keyring.stop();
    rmSync(keyringHome, { recursive: true, force: true });
  }
} else {
  status = await run(vitest, vitestArgs, process.env);
}
process.exit(status);

function run(command, args, env) {
  const child = spawn(command, args, { stdio: 'inherit', env });
  // Ctrl+C reaches vitest through the terminal; a plain kill of this runner is passed on.
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}
