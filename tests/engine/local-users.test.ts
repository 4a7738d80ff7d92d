// Another local user plants things where Lifeboat looks: a compile cache, a scratch-server template,
// files at the names Lifeboat writes next to. Nothing planted is used or written through, and what
// Lifeboat creates for a backup is readable by this user only. (As root, the other user is played by
// chowning the planted folders to "daemon"; as another user, by folders open to everyone.)
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostTag, writeFileDurably } from '../../main/engine/archive/archive-writer.ts';
import { removeStalePartials } from '../../main/engine/archive/library-service.ts';
import { startEmbeddedPostgres, templatePath } from '../../main/engine/scratch/embedded-postgres.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import { createTestEngine, REPO_ROOT, NODE_BIN_DIR, type EngineFixture } from '../support/engine-fixture.ts';
import { startCluster, stopAllClusters } from '../support/pg-cluster.ts';

const run = promisify(execFile);
let dir: string;
/** A uid that is not ours (daemon as root); null when we cannot give files away. */
let otherUid: number | null;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-local-users-'));
  otherUid = process.getuid?.() === 0 ? Number((await run('id', ['-u', 'daemon'])).stdout.trim()) : null;
});
afterAll(async () => {
  await stopAllClusters();
  await rm(dir, { recursive: true, force: true });
});

/** Makes `folder` look like another user's: theirs as root, else open to everyone. */
async function plantedByOtherUser(folder: string): Promise<void> {
  if (otherUid !== null) await chown(folder, otherUid, otherUid);
  else await chmod(folder, 0o777);
}

describe('the CLI compile cache', () => {
  const cli = (cacheHome: string) => run(path.join(NODE_BIN_DIR, 'node'), [path.join(REPO_ROOT, 'main/cli/bin.mjs'), '--help'], { env: { ...process.env, XDG_CACHE_HOME: cacheHome, NODE_COMPILE_CACHE: '' } });

  it('lives in the user\'s private cache folder (0700), not the shared temp folder', async () => {
    const home = path.join(dir, 'cache-own');
    await cli(home);
    const cache = path.join(home, 'lifeboat', 'compile-cache');
    expect(((await stat(cache)).mode & 0o777).toString(8)).toBe('700');
    expect((await readdir(cache)).length).toBeGreaterThan(0);
  });

  it('a cache folder another user made, or a symlink planted at its name, is not used', async () => {
    const theirs = path.join(dir, 'cache-theirs', 'lifeboat', 'compile-cache');
    await mkdir(theirs, { recursive: true });
    await plantedByOtherUser(theirs);
    await cli(path.join(dir, 'cache-theirs'));
    expect(await readdir(theirs)).toEqual([]);

    const target = path.join(dir, 'elsewhere');
    await mkdir(target);
    await mkdir(path.join(dir, 'cache-link', 'lifeboat'), { recursive: true });
    await symlink(target, path.join(dir, 'cache-link', 'lifeboat', 'compile-cache'));
    await cli(path.join(dir, 'cache-link'));
    expect(await readdir(target)).toEqual([]);
  });
});

describe('the scratch server\'s template cluster', () => {
  it('a template planted at its name by another user is never copied into a scratch server', async () => {
    const template = await templatePath();
    expect(template).not.toBeNull();
    const aside = `${template}.aside-${process.pid}`;
    const hadOne = existsSync(template!);
    if (hadOne) await import('node:fs/promises').then((fs) => fs.rename(template!, aside));
    try {
      await mkdir(path.join(template!, 'data'), { recursive: true });
      await writeFile(path.join(template!, 'data', 'PG_VERSION'), '18\n');
      await writeFile(path.join(template!, 'data', 'planted-by-someone-else'), 'x');
      await plantedByOtherUser(template!);
      const server = await startEmbeddedPostgres();
      try {
        expect(existsSync(path.join(server.dir, 'data', 'planted-by-someone-else'))).toBe(false);
        expect(existsSync(path.join(server.dir, 'data', 'postgresql.conf'))).toBe(true);
      } finally {
        await server.stop();
      }
    } finally {
      await rm(template!, { recursive: true, force: true });
      if (hadOne) await import('node:fs/promises').then((fs) => fs.rename(aside, template!));
    }
  }, 60_000);
});

describe('files Lifeboat writes next to backups', () => {
  it('a sidecar is written through an exclusive, unpredictable temporary file, readable by this user only; a symlink at its name is replaced, not followed', async () => {
    const target = path.join(dir, 'victim.txt');
    await writeFile(target, 'untouched');
    const sidecar = path.join(dir, 'a.lifeboat.json');
    await symlink(target, sidecar);
    await writeFileDurably(sidecar, '{"ok":true}\n');
    expect(await readFile(target, 'utf8')).toBe('untouched');
    expect((await lstat(sidecar)).isSymbolicLink()).toBe(false);
    expect(((await stat(sidecar)).mode & 0o777).toString(8)).toBe('600');
    expect((await readdir(dir)).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('stale partial files: only this host\'s dead writers\' are removed; another machine\'s (a shared folder) stay', async () => {
    const folder = await mkdtemp(path.join(dir, 'partials-'));
    const dead = 2 ** 22 + 12345; // above pid_max's default: no such process
    const names = {
      mineDead: `x.lifeboat.${hostTag()}-${dead}.abcdef.partial`,
      otherHost: `x.lifeboat.00000000-${dead}.abcdef.partial`,
      mineAlive: `x.lifeboat.${hostTag()}-${process.pid}.abcdef.partial`,
      legacyFresh: `y.lifeboat.${dead}.abcdef.partial`,
      legacyOld: `z.lifeboat.${dead}.abcdef.partial`,
    };
    for (const name of Object.values(names)) await writeFile(path.join(folder, name), 'partial');
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    await utimes(path.join(folder, names.legacyOld), twoDaysAgo, twoDaysAgo);
    const removed = await removeStalePartials(folder, await readdir(folder));
    expect(removed.sort()).toEqual([names.mineDead, names.legacyOld].sort());
    expect((await readdir(folder)).sort()).toEqual([names.mineAlive, names.otherHost, names.legacyFresh].sort());
  });
});

describe('a backup\'s folder and sidecar', () => {
  let fixture: EngineFixture;
  beforeAll(async () => {
    fixture = await createTestEngine({ secrets: new SessionSecretStore('local users test') });
  });
  afterAll(() => fixture?.dispose());

  it('are private (0700 and 0600) when Lifeboat creates them', async () => {
    const cluster = await startCluster(18);
    await fixture.engine.profiles.add({ name: 'pg', host: cluster.host, port: cluster.port, database: 'postgres', user: 'postgres', sslmode: 'disable', color: 'teal', password: cluster.password });
    const folder = path.join(dir, 'new-backup-folder');
    const { archive } = await fixture.engine.backups.start({ profile: 'pg', outDir: folder, encryption: { kind: 'none' } }).result;
    expect(((await stat(folder)).mode & 0o777).toString(8)).toBe('700');
    expect(((await stat(archive)).mode & 0o777).toString(8)).toBe('600');
    expect(((await stat(`${archive}.json`)).mode & 0o777).toString(8)).toBe('600');
  }, 60_000);
});
