// Every dropped file is hostile (ARCHITECTURE.md §6a), part 3: files stay files.
// - pg_dump directory dumps whose folder holds a symlink, FIFO, socket, subfolder or a name pg_dump
//   never writes, or whose toc.dat / large-object TOC names a file outside the folder: refused before
//   anything runs (inspect, restore in every mode, drill, verify), naming the file.
// - Lifeboat archives with members that are not regular files (symlinks, hard links, folders, PAX and
//   GNU long-name headers, duplicates, empty names, paths): a specific ARCHIVE_DAMAGED naming the
//   member — and `extract` leaves nothing behind.
// - checksums.json covers manifest.json: a changed manifest is damage; older archives still read.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { chmod, cp, mkdir, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { readTocDat } from '../../main/engine/restore/toc-dat.ts';
import { SessionSecretStore } from '../../main/engine/secrets/secret-store.ts';
import { ageEncrypt, archivePlaintext, editJsonEntry, readTarEntries, withTocString, writeTar, type TarEntry } from '../support/archive-craft.ts';
import { createTestEngine, type EngineFixture } from '../support/engine-fixture.ts';
import { startCluster, type Cluster, clusterProfile } from '../support/pg-cluster.ts';
import { dataFingerprint, runTool } from '../support/pg-tools.ts';
import { addCliProfile, databases, engineLeftovers, exists, isolateTmp, lifeboat, processesWithEnv, settleToolChildren } from '../support/restore-fixtures.ts';
import { SAMPLE_SCHEMA_SQL } from '../support/sample-schema.ts';
import { FULL_TIER } from './fault-tier.ts';
import { expectDrillRefusal, expectJsonRefusal } from './refusal.ts';

const run = promisify(execFile);
const key = generateAgeKeyPair();
const keys = { identities: [key.identity] };

let fixture: EngineFixture;
let tmp: Awaited<ReturnType<typeof isolateTmp>>;
let cluster: Cluster;
let home: string;
let keyFile: string;
let dumpDir: string;
let archive: string;
let secret: string;
let before: string[];
let shopAtStart: Record<string, string>;
const servers: Server[] = [];

/** Nothing created, changed or left running; shopdb exactly as at the start. */
async function expectUntouched(what: string): Promise<void> {
  expect(await databases(cluster), what).toEqual(before);
  expect(await settleToolChildren(), `${what}: pg_restore/psql still running`).toEqual([]);
  expect(await engineLeftovers(tmp.dir), `${what}: temporary files left`).toEqual([]);
  expect(processesWithEnv('LIFEBOAT_HOME', home), `${what}: processes of the CLI left`).toEqual([]);
  expect(await dataFingerprint(cluster, 'shopdb'), what).toEqual(shopAtStart);
}

beforeAll(async () => {
  tmp = await isolateTmp('lifeboat-faults-hostile-');
  home = path.join(tmp.dir, 'home');
  await mkdir(home);
  keyFile = path.join(home, 'recovery-key.txt');
  await writeFile(keyFile, `${key.identity}\n`, { mode: 0o600 });
  // What a crafted dump would smuggle into a table: a file outside the dump.
  secret = path.join(tmp.dir, 'secret.txt');
  await writeFile(secret, '1\tsecret@example.com\tthe contents of a file outside the dump\n');
  fixture = await createTestEngine({ secrets: new SessionSecretStore('hostile files') });
  cluster = await startCluster(18);
  await cluster.createDatabase('shopdb');
  await cluster.query(SAMPLE_SCHEMA_SQL, [], 'shopdb');
  await fixture.engine.profiles.add(clusterProfile(cluster, 'pg', { database: 'shopdb', color: 'red' }));
  await addCliProfile(home, 'pg', cluster, 'shopdb');
  dumpDir = path.join(tmp.dir, 'shop.dir');
  await runTool(cluster, 'shopdb', 'pg_dump', ['--no-password', '-Fd', '-f', dumpDir]);
  archive = (await fixture.engine.backups.start({ profile: 'pg', outDir: path.join(tmp.dir, 'enc'), encryption: { kind: 'recipients', recipients: [key.recipient] } }).result).archive;
  before = await databases(cluster);
  shopAtStart = await dataFingerprint(cluster, 'shopdb');
});
afterAll(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  if (home) await lifeboat(home, ['profile', 'remove', 'pg']);
  await fixture?.dispose();
  await cluster?.stop();
  await tmp?.restore();
});

describe('pg_dump directory dumps: files stay files', () => {
  let n = 0;
  /** A fresh copy of the real dump, changed by `change`. */
  async function hostileCopy(change: (dir: string, customersData: string) => Promise<void>): Promise<string> {
    const dir = path.join(tmp.dir, `dump-${++n}`);
    await cp(dumpDir, dir, { recursive: true });
    const toc = readTocDat(await readFile(path.join(dir, 'toc.dat')));
    const customers = toc.entries.find((e) => e.desc === 'TABLE DATA' && e.namespace === 'shop' && e.tag === 'customers')!;
    await change(dir, customers.dataFile!);
    return dir;
  }

  const cases: { name: string; change: (dir: string, data: string) => Promise<void>; code: string; message: RegExp; cli?: boolean }[] = [
    {
      name: 'a table\'s data file is a symlink to a file outside the folder',
      change: async (dir, data) => {
        await rm(path.join(dir, `${data}.gz`));
        await symlink(secret, path.join(dir, data)); // pg_restore tries the plain name first
      },
      code: 'ARCHIVE_DAMAGED', message: /The directory dump holds a symbolic link "\d+\.dat": pg_dump writes only plain files there/, cli: true,
    },
    {
      name: 'toc.dat is a symlink',
      change: async (dir) => {
        await rename(path.join(dir, 'toc.dat'), path.join(dir, '..', `real-toc-${n}.dat`));
        await symlink(path.join(dir, '..', `real-toc-${n}.dat`), path.join(dir, 'toc.dat'));
      },
      code: 'ARCHIVE_DAMAGED', message: /The directory dump's toc\.dat is a symbolic link/,
    },
    {
      name: 'toc.dat is a FIFO (reading it would never end)',
      change: async (dir) => {
        await rm(path.join(dir, 'toc.dat'));
        await run('mkfifo', [path.join(dir, 'toc.dat')]);
      },
      code: 'ARCHIVE_DAMAGED', message: /The directory dump's toc\.dat is a named pipe \(FIFO\), not a plain file/,
    },
    { name: 'a subfolder', change: (dir) => mkdir(path.join(dir, 'extra')), code: 'ARCHIVE_DAMAGED', message: /holds a subfolder "extra"/ },
    {
      name: 'a FIFO in place of a data file (pg_restore would wait on it forever)',
      change: async (dir, data) => {
        await rm(path.join(dir, `${data}.gz`));
        await run('mkfifo', [path.join(dir, data)]);
      },
      code: 'ARCHIVE_DAMAGED', message: /holds a named pipe \(FIFO\) "\d+\.dat"/,
    },
    {
      name: 'a socket',
      change: async (dir) => {
        // A listening server keeps its socket file (closed after the tests, which removes it).
        const server = createServer();
        servers.push(server);
        await new Promise<void>((resolve) => server.listen(path.join(dir, 'blob_1.dat'), resolve));
      },
      code: 'ARCHIVE_DAMAGED', message: /holds a socket "blob_1\.dat"/,
    },
    { name: 'a file pg_dump never writes', change: (dir) => writeFile(path.join(dir, 'notes.txt'), 'hello'), code: 'ARCHIVE_DAMAGED', message: /holds a file named "notes\.txt", which pg_dump never writes/ },
    {
      name: 'toc.dat names a data file outside the folder',
      change: async (dir, data) => {
        const toc = await readFile(path.join(dir, 'toc.dat'));
        await writeFile(path.join(dir, 'toc.dat'), withTocString(toc, data, `../../../../../..${secret}`));
      },
      code: 'ARCHIVE_DAMAGED', message: /toc\.dat names the data file "(\.\.\/)+.*secret\.txt" for entry \d+ \(dump ID \d+\) \(TABLE DATA\)/, cli: true,
    },
    {
      name: 'the large-object TOC names a file outside the folder',
      change: async (dir) => {
        const lo = (await readdir(dir)).find((f) => /^blobs_\d+\.toc$/.test(f))!;
        await writeFile(path.join(dir, lo), `${await readFile(path.join(dir, lo), 'latin1')}99999 ../../../../../..${secret}\n`);
      },
      code: 'ARCHIVE_DAMAGED', message: /Line 21 of the directory dump's blobs_\d+\.toc is not one pg_dump writes: "99999 \.\.\/.*" is not "<oid> blob_<oid>\.dat"/, cli: true,
    },
    { name: 'others can write into the folder', change: (dir) => chmod(dir, 0o777), code: 'INVALID_INPUT', message: /Other users can write into the folder .*, so its files could change/ },
    {
      name: 'a damaged toc.dat (cut short)',
      change: async (dir) => {
        const toc = await readFile(path.join(dir, 'toc.dat'));
        await writeFile(path.join(dir, 'toc.dat'), toc.subarray(0, Math.floor(toc.length / 2)));
      },
      code: 'ARCHIVE_DAMAGED', message: /The directory dump's toc\.dat is damaged or was not written by pg_dump: .*(ends inside|claims)/,
    },
  ];

  it('the unchanged copy passes the same checks (the refusals below are about the changes)', async () => {
    const dir = await hostileCopy(async () => {});
    const inspection = await fixture.engine.restores.inspect(dir);
    expect(inspection).toMatchObject({ inner: 'pg-directory', problem: null });
    expect(inspection.tables.length).toBeGreaterThan(5);
    // pg_restore -j reads the folder itself: it is checked again as a whole just before (restore-parallel.ts).
    await fixture.engine.restores.start({ file: dir, profile: 'pg', mode: 'new', database: 'dir_parallel', jobs: 2 }).result;
    expect(await dataFingerprint(cluster, 'dir_parallel')).toEqual(shopAtStart);
    await cluster.query('DROP DATABASE dir_parallel');
    await expectUntouched(dir);
  });

  it.each(cases)('$name: inspect and restore refuse it, naming the file; nothing runs', async ({ change, code, message, cli }) => {
    const dir = await hostileCopy(change);
    await expect(fixture.engine.restores.inspect(dir)).rejects.toMatchObject({ code, message: expect.stringMatching(message), fix: expect.any(String) });
    await expect(fixture.engine.restores.start({ file: dir, profile: 'pg', mode: 'new', database: 'never_created' }).result).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
    if (cli || FULL_TIER) {
      expectJsonRefusal(await lifeboat(home, ['restore', dir, '--profile', 'pg', '--into', 'never_created', '--json']), [code], message, 'restore (CLI)');
    }
    if (FULL_TIER) {
      expectJsonRefusal(await lifeboat(home, ['inspect', dir, '--json']), [code], message, 'inspect (CLI)');
      // A dump pg_dump did not write fails its drill (exit 1); a folder others can write to cannot be drilled (exit 2).
      expectDrillRefusal(await lifeboat(home, ['drill', dir, '--json']), code === 'ARCHIVE_DAMAGED' ? 1 : 2, [code], message, 'drill (CLI)');
    }
    if (cli || FULL_TIER) {
      // verify reads Lifeboat archives only: a folder is refused before anything in it is read.
      expectJsonRefusal(await lifeboat(home, ['verify', dir, '--full', '--json']), ['NOT_AN_ARCHIVE'], /is a folder, not a Lifeboat archive/, 'verify --full');
      expect(exists(`${dir}.json`), 'verify wrote a sidecar for the folder').toBe(false);
    }
    await expectUntouched(dir);
  });

  it('a symlinked data file is refused in every restore mode (new, replace, data-only) and by a drill', async () => {
    const dir = await hostileCopy(async (d, data) => {
      await rm(path.join(d, `${data}.gz`));
      await symlink(secret, path.join(d, data));
    });
    const message = /holds a symbolic link "\d+\.dat"/;
    const requests = [
      { mode: 'new' as const, database: 'never_created' },
      { mode: 'replace' as const, database: 'shopdb', confirm: 'shopdb', safetyBackup: false },
      { mode: 'data-only' as const, database: 'shopdb', tables: ['shop.customers'] },
    ];
    for (const request of requests) {
      await expect(fixture.engine.restores.start({ file: dir, profile: 'pg', ...request }).result, request.mode).rejects.toMatchObject({ code: 'ARCHIVE_DAMAGED', message: expect.stringMatching(message) });
      await expect(fixture.engine.restores.preflight({ file: dir, profile: 'pg', ...request }), request.mode).rejects.toMatchObject({ code: 'ARCHIVE_DAMAGED' });
    }
    // The backup itself is bad: the drill fails it (exit 1); it is not a drill that "could not run".
    expectDrillRefusal(await lifeboat(home, ['drill', dir, '--json']), 1, ['ARCHIVE_DAMAGED'], message, 'drill (CLI)');
    await expectUntouched('symlink in every mode');
  });
});

describe('Lifeboat archives: members that are not regular files', () => {
  let entries: TarEntry[];
  let stage: string;
  let n = 0;

  beforeAll(async () => {
    entries = readTarEntries(await archivePlaintext(archive, keyFile));
    expect(entries.map((e) => e.name)).toEqual(['manifest.json', 'globals.sql', 'database.dump.0001', 'checksums.json']);
    stage = path.join(tmp.dir, 'stage');
    await mkdir(stage);
    for (const entry of entries) await writeFile(path.join(stage, entry.name), entry.data);
  });

  /** The real archive's members in `names` order, put together by GNU tar (with `extra` made in the stage first), age-encrypted. */
  async function gnuTarArchive(names: string[], options: { format: string; append?: string[] } ): Promise<string> {
    const tarFile = path.join(tmp.dir, `crafted-${++n}.tar`);
    await run('tar', [`--format=${options.format}`, '-cf', tarFile, '-C', stage, ...names]);
    if (options.append) await run('tar', [`--format=${options.format}`, '-rf', tarFile, '-C', stage, ...options.append]);
    return encrypted(await readFile(tarFile));
  }

  async function encrypted(tar: Buffer): Promise<string> {
    const file = path.join(tmp.dir, `crafted-${++n}.lifeboat`);
    await writeFile(file, await ageEncrypt(tar, key.recipient));
    return file;
  }

  const [manifest, globals, part, sums] = ['manifest.json', 'globals.sql', 'database.dump.0001', 'checksums.json'];
  const cases: { name: string; make: () => Promise<string>; message: RegExp; restore?: { code: string; message: RegExp } }[] = [
    {
      name: 'a symbolic link member',
      make: async () => {
        await rm(path.join(stage, 'evil'), { force: true });
        await symlink('/etc/passwd', path.join(stage, 'evil'));
        return gnuTarArchive([manifest, globals, 'evil', part, sums], { format: 'ustar' });
      },
      message: /member "evil" is a symbolic link to "\/etc\/passwd"; a Lifeboat archive holds only regular files/,
    },
    {
      name: 'a hard link member',
      make: () => gnuTarArchive([manifest, globals, part, part, sums], { format: 'ustar' }),
      message: /member "database\.dump\.0001" is a hard link to "database\.dump\.0001"/,
    },
    {
      name: 'a folder member',
      make: async () => {
        await mkdir(path.join(stage, 'sub'), { recursive: true });
        return gnuTarArchive([manifest, globals, 'sub', part, sums], { format: 'ustar' });
      },
      message: /member "sub\/" is a folder/,
    },
    {
      name: 'a GNU long-name header',
      make: async () => {
        const long = `${'x'.repeat(120)}.dat`;
        await writeFile(path.join(stage, long), 'long');
        return gnuTarArchive([manifest, globals, long, part, sums], { format: 'gnu' });
      },
      message: /member "\.\/\.\/@LongLink" is a GNU long-name header/,
    },
    {
      name: 'PAX extended headers (tar --format=posix)',
      make: () => gnuTarArchive([manifest, globals, part, sums], { format: 'posix' }),
      message: /member "\.\/PaxHeaders\/manifest\.json" is a PAX extended header/,
      // Restore sniffs the first member's name before reading the archive.
      restore: { code: 'NOT_AN_ARCHIVE', message: /a tar archive whose first file is "\.\/PaxHeaders\/manifest\.json", not a pg_dump or Lifeboat archive/ },
    },
    { name: 'a duplicate member (tar -r)', make: () => gnuTarArchive([manifest, globals, part], { format: 'ustar', append: [part, sums] }), message: /member "database\.dump\.0001" appears twice/ },
    { name: 'an empty member name', make: () => encrypted(writeTar([entries[0]!, entries[1]!, { name: '', data: Buffer.from('x') }, entries[2]!, entries[3]!])), message: /a member has an empty name/ },
    { name: 'a member name with a path', make: () => encrypted(writeTar([entries[0]!, entries[1]!, { name: 'sub/file', data: Buffer.from('x') }, entries[2]!, entries[3]!])), message: /member "sub\/file" has a path, not a plain file name/ },
    { name: 'a member named ..', make: () => encrypted(writeTar([entries[0]!, entries[1]!, { name: '..', data: Buffer.from('x') }, entries[2]!, entries[3]!])), message: /member "\.\." has a name starting with "\."/ },
    { name: 'a member name reaching out with ../', make: () => encrypted(writeTar([entries[0]!, entries[1]!, { name: '../../escaped', data: Buffer.from('x') }, entries[2]!, entries[3]!])), message: /member "\.\.\/\.\.\/escaped" has a path/ },
  ];

  it.each(cases)('$name: verify --full, restore and extract refuse it, naming the member; extract leaves nothing', async ({ make, message, restore }) => {
    const file = await make();
    await expect(fixture.engine.library.verify(file, 'full', keys).result).rejects.toMatchObject({ code: 'ARCHIVE_DAMAGED', message: expect.stringMatching(message) });
    expect(exists(`${file}.json`), 'verify wrote a sidecar for a damaged archive').toBe(false);
    // Into a folder that does not exist yet (it is not left behind) and into an empty one (it stays empty).
    const fresh = path.join(tmp.dir, `out-${n}`, 'nested');
    await expect(fixture.engine.library.extract(file, fresh, keys)).rejects.toMatchObject({ code: 'ARCHIVE_DAMAGED', message: expect.stringMatching(message) });
    expect(exists(path.join(tmp.dir, `out-${n}`)), 'extract left its folder behind').toBe(false);
    const empty = path.join(tmp.dir, `empty-${n}`);
    await mkdir(empty);
    await expect(fixture.engine.library.extract(file, empty, keys)).rejects.toMatchObject({ code: 'ARCHIVE_DAMAGED' });
    expect(await readdir(empty), 'extract left files behind').toEqual([]);
    expect(exists(path.join(tmp.dir, 'escaped')), 'a member escaped the folder').toBe(false);
    const refused = restore ?? { code: 'PREFLIGHT_BLOCKED', message };
    await expect(fixture.engine.restores.start({ file, profile: 'pg', mode: 'new', database: 'never_created', keys }).result).rejects.toMatchObject({ code: refused.code, message: expect.stringMatching(refused.message) });
    await expectUntouched(file);
  });

  it('through the CLI: extract and verify --full give the specific error, not "Unexpected error"', async () => {
    const file = await cases[0]!.make();
    const to = path.join(tmp.dir, 'cli-extract');
    expectJsonRefusal(await lifeboat(home, ['extract', file, '--to', to, '--identity', keyFile, '--json']), ['ARCHIVE_DAMAGED'], cases[0]!.message, 'extract (CLI)');
    expect(exists(to)).toBe(false);
    expectJsonRefusal(await lifeboat(home, ['verify', file, '--full', '--identity', keyFile, '--json']), ['ARCHIVE_DAMAGED'], cases[0]!.message, 'verify --full (CLI)');
  });

  it('a good archive still extracts: exactly its four files, nothing else (no work folder) left', async () => {
    const to = path.join(tmp.dir, 'good-extract');
    const { files } = await fixture.engine.library.extract(archive, to, keys);
    expect(files).toEqual(entries.map((e) => path.join(to, e.name)));
    expect((await readdir(to)).sort()).toEqual(entries.map((e) => e.name).sort());
    for (const entry of entries) expect(await readFile(path.join(to, entry.name)), entry.name).toEqual(entry.data);
  });
});

describe('checksums.json covers manifest.json', () => {
  it('a new archive records the manifest\'s sha256; a changed manifest is refused as damage; one without the field (older archives) still reads', async () => {
    const entries = readTarEntries(await archivePlaintext(archive, keyFile));
    const sums = JSON.parse(entries[3]!.data.toString('utf8'));
    const { createHash } = await import('node:crypto');
    expect(sums.manifest).toEqual({ sha256: createHash('sha256').update(entries[0]!.data).digest('hex'), bytes: entries[0]!.data.length });
    expect(sums.globals.sha256).toBe(createHash('sha256').update(entries[1]!.data).digest('hex'));

    // The source database renamed in the manifest, everything else as written.
    const changed = path.join(tmp.dir, 'changed-manifest.lifeboat');
    await writeFile(changed, await ageEncrypt(writeTar(editJsonEntry(entries, 'manifest.json', (m) => (m.source.database = 'someone_else'))), key.recipient));
    const message = /The archive is damaged: manifest\.json does not match its checksum in checksums\.json/;
    await expect(fixture.engine.library.verify(changed, 'full', keys).result).rejects.toMatchObject({ code: 'ARCHIVE_DAMAGED', message: expect.stringMatching(message) });
    expectJsonRefusal(await lifeboat(home, ['verify', changed, '--full', '--identity', keyFile, '--json']), ['ARCHIVE_DAMAGED'], message, 'verify --full (CLI)');
    await expect(fixture.engine.library.extract(changed, path.join(tmp.dir, 'changed-out'), keys)).rejects.toMatchObject({ code: 'ARCHIVE_DAMAGED', message: expect.stringMatching(message) });
    expect(exists(path.join(tmp.dir, 'changed-out'))).toBe(false);

    // As written before checksums covered the manifest: no field, nothing to compare, still verifies.
    const older = path.join(tmp.dir, 'older-format.lifeboat');
    await writeFile(older, await ageEncrypt(writeTar(editJsonEntry(entries, 'checksums.json', (c) => delete c.manifest)), key.recipient));
    const verified = await fixture.engine.library.verify(older, 'full', keys).result;
    expect(verified.ok).toBe(true);
    await expectUntouched('manifest checksums');
  });
});
