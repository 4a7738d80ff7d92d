// A private temp folder of a process that died (SIGKILL, power loss) goes at the next start:
// passfiles, decrypted restore copies and GnuPG homes wholesale; scratch servers are stopped elsewhere.
import { spawnSync } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makePrivateTemp, privateTempOwner, removeDeadProcessTemps } from '../../main/engine/jobs/private-temp.ts';
import { isolateTmp } from '../support/restore-fixtures.ts';

let tmp: Awaited<ReturnType<typeof isolateTmp>>;
beforeAll(async () => {
  tmp = await isolateTmp('lifeboat-private-temp-test-');
});
afterAll(async () => {
  await tmp?.restore();
});

it('names carry the pid; a dead process\'s pass, restore and gnupg folders go, live ones and scratch folders stay', async () => {
  const mine = await Promise.all((['pass', 'restore', 'gnupg', 'scratch'] as const).map((kind) => makePrivateTemp(kind)));
  expect(mine.map((dir) => path.basename(dir).split('-').slice(0, 3).join('-'))).toEqual(['pass', 'restore', 'gnupg', 'scratch'].map((kind) => `lifeboat-${kind}-${process.pid}`));
  expect(privateTempOwner(path.basename(mine[3]!), 'scratch')).toBe(process.pid);
  expect(privateTempOwner(path.basename(mine[3]!), 'restore')).toBeNull();

  const dead = spawnSync('true').pid!; // exited: its pid names no running process (unless reused at once)
  const leftovers = ['pass', 'restore', 'gnupg', 'scratch'].map((kind) => `lifeboat-${kind}-${dead}-x1`);
  for (const name of leftovers) await mkdir(path.join(tmp.dir, name, 'inside'), { recursive: true });

  const removed = await removeDeadProcessTemps();
  expect(removed.map((dir) => path.basename(dir)).sort()).toEqual(leftovers.slice(0, 3).sort());
  const left = await readdir(tmp.dir);
  expect(left).toEqual(expect.arrayContaining([...mine.map((dir) => path.basename(dir)), `lifeboat-scratch-${dead}-x1`]));
  expect(left).toHaveLength(5);
});
