import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultBundledToolsDir } from '../../main/engine/index.ts';
import { ToolResolver } from '../../main/engine/pgtools/tool-resolver.ts';
import { parseToolVersion, serverMajorOf } from '../../main/engine/pgtools/tool-version.ts';

const DEBIAN_15 = '/usr/lib/postgresql/15/bin';

describe('tool version parsing', () => {
  it('reads pg_dump --version lines of every shape', () => {
    expect(parseToolVersion('pg_dump (PostgreSQL) 18.6')).toEqual({ version: '18.6', major: 18 });
    expect(parseToolVersion('psql (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)')).toEqual({ version: '15.18', major: 15 });
    expect(parseToolVersion('pg_dump (PostgreSQL) 9.6.24')).toEqual({ version: '9.6.24', major: 9.6 });
    expect(parseToolVersion('pg_dump (PostgreSQL) 19devel')).toEqual({ version: '19', major: 19 });
    expect(parseToolVersion('bash: no')).toBeNull();
    expect(serverMajorOf(180004)).toBe(18);
    expect(serverMajorOf(120022)).toBe(12);
    expect(serverMajorOf(90624)).toBe(9.6);
  });
});

describe('real tools on this machine', () => {
  it('finds the bundled PostgreSQL 18 client tools first', async () => {
    const bundled = defaultBundledToolsDir();
    expect(bundled, 'build the bundle with npm run pg-tools').toBeTruthy();
    const resolver = new ToolResolver({ bundledDir: bundled, configuredDir: () => null, overrideDir: null });
    const report = await resolver.report();
    for (const name of ['pg_dump', 'pg_restore', 'pg_dumpall', 'psql'] as const) {
      expect(report.chosen[name]).toMatchObject({ major: 18, source: 'bundled' });
    }
    expect(report.tools.some((t) => t.major === 15 && t.path.startsWith(DEBIAN_15))).toBe(true);
  });

  it('explains a forced older tool against a newer server, with the fix', async () => {
    const resolver = new ToolResolver({ bundledDir: defaultBundledToolsDir(), configuredDir: () => null, overrideDir: DEBIAN_15 });
    await expect(resolver.choose('pg_dump', 15)).resolves.toMatchObject({ major: 15, source: 'override' });
    const error = await resolver.choose('pg_dump', 18, '18.4').catch((e) => e);
    expect(error).toMatchObject({ code: 'TOOL_TOO_OLD' });
    expect(error.message).toContain('pg_dump 15.');
    expect(error.message).toContain('PostgreSQL 18.4');
    expect(error.fix).toMatch(/bundled PostgreSQL 18/);
  });
});

describe('resolution order and choice (scripted tool folders)', () => {
  let root: string;
  const folder = (name: string) => path.join(root, name);

  async function fakeTools(dir: string, version: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    for (const tool of ['pg_dump', 'pg_restore', 'pg_dumpall', 'psql']) {
      const file = path.join(dir, tool);
      await writeFile(file, `#!/bin/sh\necho "${tool} (PostgreSQL) ${version}"\n`);
      await chmod(file, 0o755);
    }
  }

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-tools-'));
    await fakeTools(folder('bundled'), '18.1');
    await fakeTools(folder('configured'), '17.2');
    await fakeTools(folder('on-path'), '18.0');
    await fakeTools(folder('old'), '13.9');
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  const resolver = (over: Partial<ConstructorParameters<typeof ToolResolver>[0]> = {}) =>
    new ToolResolver({
      bundledDir: folder('bundled'),
      configuredDir: () => folder('configured'),
      overrideDir: null,
      env: { PATH: [folder('on-path'), folder('old')].join(path.delimiter) },
      platform: 'linux',
      ...over,
    });

  it('picks the newest major ≥ the server; on a tie the earlier source wins', async () => {
    await expect(resolver().choose('pg_dump', 12)).resolves.toMatchObject({ version: '18.1', source: 'bundled' });
    await expect(resolver({ bundledDir: null }).choose('pg_dump', 12)).resolves.toMatchObject({ version: '18.0', source: 'path' });
    await expect(resolver({ bundledDir: null, env: { PATH: folder('old') } }).choose('pg_restore', 16)).resolves.toMatchObject({ version: '17.2', source: 'configured' });
  });

  it('reports TOOL_TOO_OLD when nothing is new enough, TOOL_NOT_FOUND when nothing exists', async () => {
    const onlyOld = resolver({ bundledDir: null, configuredDir: () => null, env: { PATH: folder('old') } });
    await expect(onlyOld.choose('pg_dump', 16)).rejects.toMatchObject({ code: 'TOOL_TOO_OLD' });
    const none = resolver({ bundledDir: null, configuredDir: () => null, env: { PATH: folder('nowhere') }, overrideDir: folder('nowhere') });
    await expect(none.choose('psql', 16)).rejects.toMatchObject({ code: 'TOOL_NOT_FOUND' });
  });
});
