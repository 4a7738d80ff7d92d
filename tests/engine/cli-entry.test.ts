// Which code `lifeboat` runs (main/cli/cli-entry.mjs): the build out/cli.json names, only while every
// source file it was built from is unchanged, the TypeScript sources otherwise. A stale bundle must
// never shadow an edit; an installed app without sources runs its bundle.
import { appendFile, mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain JavaScript module (it runs before the compile cache is on), no types
import { chooseCliModule } from '../../main/cli/cli-entry.mjs';
import { lifeboat } from '../support/cli-runner.ts';

const choose = chooseCliModule as (root: string, env?: NodeJS.ProcessEnv) => { url: string; from: 'bundle' | 'sources' };

describe('the CLI runs its bundle only while the bundle matches the sources', () => {
  let root: string;
  const sources = ['main/cli/lifeboat-cli.ts', 'main/engine/errors.ts', 'main/engine/archive/archive-worker.ts'];
  const build = 'cli-0123456789abcdef';
  const manifest = (body: object) => writeFile(path.join(root, 'out/cli.json'), JSON.stringify(body));

  /** A project with three source files and a bundle listing them as they are now. */
  async function listed(extra: (list: unknown[]) => unknown[] = (list) => list) {
    const list: unknown[] = [];
    for (const file of sources) {
      const info = await stat(path.join(root, file));
      list.push({ file, size: info.size, mtimeMs: info.mtimeMs });
    }
    await manifest({ version: 2, build, sources: extra(list) });
  }

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-cli-entry-'));
    for (const file of sources) {
      await mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await writeFile(path.join(root, file), `// ${file}\n`);
    }
    await mkdir(path.join(root, 'out', build), { recursive: true });
    await writeFile(path.join(root, 'out', build, 'lifeboat-cli.js'), 'export {}\n');
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('runs the bundle while every listed source is unchanged', async () => {
    await listed();
    expect(choose(root, {})).toEqual({ url: `file://${root}/out/${build}/lifeboat-cli.js`, from: 'bundle' });
  });

  it('runs the sources after an edit: a new mtime, or a new size under the old mtime', async () => {
    await listed();
    const errors = path.join(root, 'main/engine/errors.ts');
    const before = await stat(errors);
    await utimes(errors, before.atime, new Date(before.mtimeMs + 1000));
    expect(choose(root, {}).from).toBe('sources');
    await appendFile(errors, '// more\n');
    await utimes(errors, before.atime, before.mtime);
    expect(choose(root, {}).from).toBe('sources');
    await listed();
    expect(choose(root, {}).from).toBe('bundle');
  });

  it('runs the sources when a listed file is gone, or the manifest is missing, damaged, of another version, names a missing or odd build, or a path outside the project', async () => {
    await listed();
    await rm(path.join(root, 'main/engine/archive/archive-worker.ts'));
    expect(choose(root, {}).from).toBe('sources');
    await writeFile(path.join(root, 'main/engine/archive/archive-worker.ts'), '// back\n');
    await listed();
    expect(choose(root, {}).from).toBe('bundle');
    await rm(path.join(root, 'out/cli.json'));
    expect(choose(root, {}).from).toBe('sources');
    await writeFile(path.join(root, 'out/cli.json'), '{"version": 2, "build": "cli-0123456789abcdef", "sources": [');
    expect(choose(root, {}).from).toBe('sources');
    await manifest({ version: 1, build, sources: [] });
    expect(choose(root, {}).from).toBe('sources');
    await manifest({ version: 2, build: 'cli-fedcba9876543210', sources: [] });
    expect(choose(root, {}).from).toBe('sources');
    await manifest({ version: 2, build: '../main', sources: [] });
    expect(choose(root, {}).from).toBe('sources');
    await listed((list) => [...list, { file: '/etc/hostname', size: 0, mtimeMs: 0 }]);
    expect(choose(root, {}).from).toBe('sources');
    await listed((list) => [...list, { file: '../outside.ts', size: 0, mtimeMs: 0 }]);
    expect(choose(root, {}).from).toBe('sources');
    await listed((list) => [...list, 'main/engine/errors.ts']);
    expect(choose(root, {}).from).toBe('sources');
  });

  it('LIFEBOAT_CLI_FROM=sources runs the sources even beside a current bundle', async () => {
    await listed();
    expect(choose(root, { LIFEBOAT_CLI_FROM: 'sources' })).toEqual({ url: `file://${root}/main/cli/lifeboat-cli.ts`, from: 'sources' });
  });

  it('an installation without the sources (the packaged app) runs its bundle', async () => {
    await listed();
    await rm(path.join(root, 'main'), { recursive: true });
    expect(choose(root, {}).from).toBe('bundle');
    await rm(path.join(root, 'out', build, 'lifeboat-cli.js'));
    expect(choose(root, {}).from).toBe('sources'); // no complete bundle: the failure names the missing sources
  });
});

describe('the real lifeboat command', () => {
  let home: string;
  beforeEach(async () => (home = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-cli-entry-home-'))));
  afterEach(() => rm(home, { recursive: true, force: true }));

  it('runs the bundle npm test built before the suites, and the sources when asked', async () => {
    const bundled = await lifeboat(home, ['--version', '--json']);
    expect(bundled.json, 'npm test builds the bundle first (tests/support/run-tests.mjs); run the suites through it, or npm run build:cli').toMatchObject({ from: 'bundle' });
    const fromSources = await lifeboat(home, ['--version', '--json'], { env: { LIFEBOAT_CLI_FROM: 'sources' } });
    expect(fromSources.json).toEqual({ ...bundled.json, from: 'sources' });
  });
});
