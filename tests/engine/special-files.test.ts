// A dropped, chosen or typed "backup file" that is a named pipe, a device or a socket is refused at
// once with a clear error — before this change open() on a FIFO waited forever for a writer, holding
// one of the thread pool's four threads (`lifeboat inspect FIFO` never returned).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import { lstat, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectArchiveEncoding, walkArchive } from '../../main/engine/archive/archive-reader.ts';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { connectProfile } from '../../main/engine/db/pg-connect.ts';
import { LifeboatError } from '../../main/engine/errors.ts';
import { sha256File } from '../../main/engine/files/sha256-file.ts';
import { readSmallUserFile } from '../../main/engine/files/user-file.ts';
import { readKeyFileText } from '../../main/engine/keys/key-file.ts';
import { inspectFile } from '../../main/engine/restore/restore-inspect.ts';
import { readCustomToc } from '../../main/engine/restore/toc-dat.ts';
import { ageEncrypt } from '../support/archive-craft.ts';
import { CLI, lifeboat } from '../support/cli-runner.ts';
import { createTestEngine, NODE_BIN_DIR } from '../support/engine-fixture.ts';

const run = promisify(execFile);
const noKeys = { identities: [] };
const noPgRestore = async (): Promise<never> => {
  throw new Error('pg_restore is not needed to refuse a file');
};

let dir: string;
let fifo: string;
let device: string;
let socketFile: string;
let server: net.Server;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-special-files-'));
  fifo = path.join(dir, 'shop_20260101T000000Z.lifeboat');
  await run('mkfifo', [fifo]);
  device = path.join(dir, 'zero.dump');
  await symlink('/dev/zero', device); // a drop follows the link, as a file manager's does
  socketFile = path.join(dir, 'socket.sql');
  server = net.createServer();
  await new Promise<void>((resolve) => server.listen(socketFile, resolve));
});

afterAll(async () => {
  // Should a reader still wait on the FIFO (the bug this guards against), a writer's open releases it.
  try {
    closeSync(openSync(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK));
  } catch {
    // no reader waiting: nothing to release
  }
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  if (dir) await rm(dir, { recursive: true, force: true });
});

const refusal = (kind: RegExp) => ({ code: 'INVALID_INPUT', message: expect.stringMatching(kind) });

describe('files that are not files', () => {
  it.each([
    ['a named pipe', () => fifo, /named pipe \(FIFO\), not a plain file/],
    ['a device (through a symbolic link)', () => device, /a device file, not a plain file/],
    ['a socket', () => socketFile, /a socket, not a plain file/],
  ])('%s is refused by every reader of a user\'s file, without waiting', async (_what, file, kind) => {
    await expect(inspectFile(file(), noKeys, noPgRestore)).rejects.toMatchObject(refusal(kind));
    await expect(detectArchiveEncoding(file())).rejects.toMatchObject(refusal(kind));
    await expect(walkArchive(file(), noKeys)).rejects.toMatchObject(refusal(kind));
    await expect(sha256File(file())).rejects.toMatchObject(refusal(kind));
    await expect(readCustomToc(file())).rejects.toMatchObject(refusal(kind));
    await expect(readKeyFileText(file())).rejects.toMatchObject(refusal(kind));
  }, 10_000);

  it('a plain file and a missing one are what they were', async () => {
    const plain = path.join(dir, 'plain.bin');
    await writeFile(plain, 'some bytes');
    expect(await sha256File(plain)).toBe(createHash('sha256').update('some bytes').digest('hex'));
    await expect(detectArchiveEncoding(plain)).rejects.toMatchObject({ code: 'NOT_AN_ARCHIVE', message: expect.stringMatching(/neither an age file nor a Lifeboat tar stream/) });
    await expect(inspectFile(path.join(dir, 'missing.lifeboat'), noKeys, noPgRestore)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', message: expect.stringMatching(/no such file or folder/) });
  });

  it('the CLI says so for inspect, verify and a drill (it could not run: exit 2), returns, and leaves the sidecar beside the pipe as it was', async () => {
    const home = path.join(dir, 'home');
    await writeFile(`${fifo}.json`, '{}');
    const report = path.join(dir, 'report.html');
    await run('mkfifo', [report]);
    for (const command of ['inspect', 'verify', 'drill']) {
      // The drill's report goes where asked even when it could not run: a pipe there is replaced, not waited on.
      const result = await lifeboat(home, [command, fifo, ...(command === 'drill' ? ['--report', report] : []), '--json']);
      expect(result.code, result.stderr).toBe(command === 'drill' ? 2 : 1);
      expect(result.json?.error ?? result.json).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/named pipe \(FIFO\)/) });
    }
    expect(await readFile(`${fifo}.json`, 'utf8')).toBe('{}');
    expect((await lstat(report)).isFile()).toBe(true);
    // The keys to open a file are read the same way.
    const keyed = await lifeboat(home, ['inspect', path.join(dir, 'plain.bin'), '--identity', fifo, '--json']);
    expect(keyed.json?.error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/named pipe \(FIFO\), not a plain file/) });
  }, 60_000);
});

describe('the files a profile names', () => {
  const profile = (over: object) => ({ id: 'p', name: 'p', host: '127.0.0.1', port: 1, database: 'postgres', user: 'postgres', sslmode: 'verify-full' as const, color: 'green' as const, createdAt: '2026-12-07T00:00:00Z', updatedAt: '2026-12-07T00:00:00Z', ...over });

  it('an SSL certificate or key that is a pipe, device or socket is refused before connecting (it was read with a blocking read on the main thread)', async () => {
    await expect(connectProfile(profile({ sslRootCert: fifo }), null)).rejects.toMatchObject(refusal(/named pipe \(FIFO\), not a plain file/));
    await expect(connectProfile(profile({ sslRootCert: path.join(dir, 'plain.bin'), sslCert: device, sslKey: device }), null)).rejects.toMatchObject(refusal(/a device file, not a plain file/));
    await expect(connectProfile(profile({ sslRootCert: socketFile }), null)).rejects.toMatchObject(refusal(/a socket, not a plain file/));
    await expect(connectProfile(profile({ sslRootCert: path.join(dir, 'missing.crt') }), null)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/The CA certificate file .*missing\.crt does not exist/) });
  }, 10_000);

  it('a .pgpass to import that is a pipe is refused, not waited on', async () => {
    const fixture = await createTestEngine();
    try {
      await expect(fixture.engine.profiles.importCandidates({ kind: 'pgpass', file: fifo })).rejects.toMatchObject({ code: 'IMPORT_FAILED', message: expect.stringMatching(/named pipe \(FIFO\)/) });
      await expect(fixture.engine.profiles.importCandidates({ kind: 'pgpass', file: path.join(dir, 'missing') })).rejects.toMatchObject({ code: 'IMPORT_FAILED', message: expect.stringMatching(/does not exist/) });
    } finally {
      await fixture.dispose();
    }
  }, 20_000);

  it('a small file is read whole up to its bound, and refused one byte past it', async () => {
    const file = path.join(dir, 'bounded.bin');
    const bytes = Buffer.from(Array.from({ length: 40_000 }, (_, i) => i % 251));
    await writeFile(file, bytes);
    const tooBig = () => new LifeboatError('INVALID_INPUT', 'too big');
    expect((await readSmallUserFile(file, bytes.length, tooBig)).equals(bytes)).toBe(true);
    await expect(readSmallUserFile(file, bytes.length - 1, tooBig)).rejects.toThrow('too big');
    await writeFile(file, '');
    expect((await readSmallUserFile(file, 10, tooBig)).length).toBe(0);
  });
});

describe('importing an archive into the library', () => {
  it('copies it whole from the file it checked, never over a file of that name, and refuses a pipe without leaving a partial copy', async () => {
    const fixture = await createTestEngine();
    try {
      const archive = path.join(dir, 'old_shop_20250101T000000Z.lifeboat');
      const bytes = await ageEncrypt(Buffer.alloc(300_000, 7), generateAgeKeyPair().recipient); // a key this Lifeboat lacks: imported by name and bytes
      await writeFile(archive, bytes);
      const library = path.join(dir, 'library');
      const entry = await fixture.engine.library.importArchive(archive, library);
      expect(entry.path).toBe(path.join(library, path.basename(archive)));
      expect((await readFile(entry.path)).equals(bytes)).toBe(true);
      expect(entry.sidecar.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      // A second import of the same name is refused and leaves the first copy as it was.
      await writeFile(archive, await ageEncrypt(Buffer.alloc(1000, 1), generateAgeKeyPair().recipient));
      await expect(fixture.engine.library.importArchive(archive, library)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/already exists in the library/) });
      expect((await readFile(entry.path)).equals(bytes)).toBe(true);
      await expect(fixture.engine.library.importArchive(fifo, library)).rejects.toMatchObject(refusal(/named pipe \(FIFO\), not a plain file/));
      expect((await readdir(library)).sort()).toEqual([path.basename(archive), `${path.basename(archive)}.json`]); // no partial file left behind
    } finally {
      await fixture.dispose();
    }
  }, 30_000);
});

describe('lifeboat import', () => {
  it('imports through the CLI; a disk that fills up mid-copy (a real EFBIG under ulimit -f) says so and leaves no partial file', async () => {
    const home = path.join(dir, 'import-home');
    const archive = path.join(dir, 'big_shop_20250102T000000Z.lifeboat');
    await writeFile(archive, await ageEncrypt(Buffer.alloc(2_000_000, 3), generateAgeKeyPair().recipient));
    const cramped = path.join(dir, 'cramped');
    // ulimit -f counts 1024-byte blocks in bash: 500 KiB lets Lifeboat's own small files through, not the 2 MB copy.
    const env = { ...process.env, PATH: `${NODE_BIN_DIR}${path.delimiter}${process.env.PATH}`, LIFEBOAT_HOME: home };
    const full = await run('bash', ['-c', 'ulimit -f 500; exec "$0" "$@"', CLI, 'import', archive, '--to', cramped, '--json'], { env }).then(() => null, (error: { code: number; stdout: string }) => error);
    expect(full?.code).toBe(1);
    expect(JSON.parse(full!.stdout).error).toMatchObject({ code: 'DISK_FULL', message: expect.stringMatching(/has no room for big_shop_20250102T000000Z\.lifeboat \(EFBIG\); the incomplete copy was removed/) });
    expect(await readdir(cramped)).toEqual([]);
    const imported = await lifeboat(home, ['import', archive, '--to', cramped]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/Imported: .*big_shop_20250102T000000Z\.lifeboat\n {2}not opened with the keys given/);
    expect((await readFile(path.join(cramped, path.basename(archive)))).equals(await readFile(archive))).toBe(true);
  }, 60_000);
});
