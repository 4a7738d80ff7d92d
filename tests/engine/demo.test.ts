// `npm run demo` on this checkout: backup → verify → drill → restore against an embedded server, exit 0.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { NODE_BIN_DIR, REPO_ROOT } from '../support/engine-fixture.ts';

const run = promisify(execFile);

it('npm run demo completes every step and exits 0', async () => {
  const { stdout } = await run('npm', ['run', '--silent', 'demo', '--', '--json'], {
    cwd: REPO_ROOT,
    env: { ...process.env, PATH: `${NODE_BIN_DIR}${path.delimiter}${process.env.PATH}` },
    timeout: 240_000,
  });
  const result = JSON.parse(stdout);
  expect(result.ok).toBe(true);
  expect(result.steps.map((s: { step: string }) => s.step)).toEqual([
    'Start an embedded PostgreSQL 18',
    'Create the demo database "shop_demo"',
    'Add a connection profile',
    'Back up (snapshot-exact, zstd, age-encrypted)',
    'Verify the archive fully',
    'Drill: restore into a scratch server and compare',
    'Restore into a new database',
  ]);
  expect(result.steps.every((s: { ok: boolean }) => s.ok)).toBe(true);
}, 300_000);
