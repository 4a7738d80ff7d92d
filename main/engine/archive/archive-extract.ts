// `lifeboat extract`: an archive's files written into a folder. They are written into a private
// folder inside the destination while the same bytes are checked whole (structure, member kinds and
// names, checksums — walkPlaintext), and renamed into place only once everything verified: a refusal
// (a symlink member, a duplicate, damage, a wrong checksum) leaves nothing half-written behind.
import { link, lstat, mkdir, mkdtemp, open, readdir, rename, rm, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { LifeboatError } from '../errors.ts';
import { damaged, walkPlaintext } from './archive-reader.ts';
import { TarFormatError } from './tar-format.ts';
import { readTar } from './tar-reader.ts';

/** The work folder's prefix: a name no archive member can have (members never start with "."). */
const WORK_PREFIX = '.lifeboat-extract-';

/**
 * Extracts into `toDir` (created when missing; it must be empty). `open` gives the plaintext tar
 * stream; it runs after the folder checks, so a wrong key is reported with nothing created.
 */
export async function extractArchive(toDir: string, openPlaintext: () => Promise<AsyncIterable<Buffer>>): Promise<{ files: string[] }> {
  const existing = await readdir(toDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw new LifeboatError('INVALID_INPUT', `Cannot use ${toDir} as the destination: ${error.code ?? error.message}.`, 'Choose a new or empty folder.');
  });
  if (existing.length) throw new LifeboatError('INVALID_INPUT', `${toDir} is not empty.`, 'Extract into a new or empty folder; Lifeboat never overwrites files there.');
  const plaintext = await openPlaintext();
  const created = await mkdir(toDir, { recursive: true });
  let work: string | null = null;
  try {
    work = await mkdtemp(path.join(toDir, WORK_PREFIX));
    const names = await writeVerified(plaintext, work);
    return { files: await moveIntoPlace(work, toDir, names) };
  } catch (error) {
    if (work) await rm(work, { recursive: true, force: true });
    if (created) await removeCreatedFolders(toDir, created);
    throw error;
  }
}

/** Writes each member into `work` while walkPlaintext checks the same bytes; resolves only when both finished cleanly. */
async function writeVerified(plaintext: AsyncIterable<Buffer>, work: string): Promise<string[]> {
  const copy = new PassThrough();
  const names: string[] = [];
  const writing = writeMembers(copy, work, names);
  // Each chunk goes to the writer first; reading waits while the writer is behind (bounded memory).
  const checked = (async function* () {
    let finished = false;
    try {
      for await (const chunk of plaintext) {
        if (!copy.write(chunk)) await Promise.race([once(copy, 'drain'), writing]);
        yield chunk;
      }
      copy.end();
      finished = true;
    } finally {
      if (!finished) copy.destroy(new Error('the archive was not read to its end'));
    }
  })();
  const [walked, wrote] = await Promise.allSettled([walkPlaintext(checked), writing]);
  if (walked.status === 'rejected') throw walked.reason;
  if (wrote.status === 'rejected') throw wrote.reason;
  return names;
}

/** readTar (which refuses any member that is not a plain, uniquely named regular file) into `work`. */
async function writeMembers(tar: AsyncIterable<Buffer>, work: string, names: string[]): Promise<void> {
  let handle: FileHandle | null = null;
  try {
    await readTar(tar, {
      async entry(header) {
        handle = await open(path.join(work, header.name), 'wx', 0o600);
        names.push(header.name);
      },
      async data(chunk) {
        await handle!.write(chunk);
      },
      async entryEnd() {
        const done = handle!;
        handle = null;
        await done.close();
      },
    });
  } catch (error) {
    throw error instanceof TarFormatError ? damaged(error.message) : error;
  } finally {
    await (handle as FileHandle | null)?.close().catch(() => {});
  }
}

/**
 * Moves the verified files from `work` into `toDir`, never over a file that appeared there meanwhile
 * (link fails on an existing name; where links are unsupported, checked just before a rename).
 */
async function moveIntoPlace(work: string, toDir: string, names: string[]): Promise<string[]> {
  const moved: string[] = [];
  try {
    for (const name of names) {
      const from = path.join(work, name);
      const to = path.join(toDir, name);
      await link(from, to).then(() => unlink(from), async (error: NodeJS.ErrnoException) => {
        if (error.code === 'EEXIST') throw new LifeboatError('INVALID_INPUT', `${to} appeared while the archive was being extracted.`, 'Extract into a new or empty folder that nothing else writes to.');
        const taken = await lstat(to).then(() => true, () => false);
        if (taken) throw new LifeboatError('INVALID_INPUT', `${to} appeared while the archive was being extracted.`, 'Extract into a new or empty folder that nothing else writes to.');
        await rename(from, to);
      });
      moved.push(to);
    }
    await rmdir(work);
    return moved;
  } catch (error) {
    for (const file of moved) await rm(file, { force: true });
    throw error;
  }
}

/** Removes `toDir` and the parents mkdir created for it, only while they are empty. */
async function removeCreatedFolders(toDir: string, created: string): Promise<void> {
  for (let dir = path.resolve(toDir); ; dir = path.dirname(dir)) {
    const removed = await rmdir(dir).then(() => true, () => false);
    if (!removed || dir === path.resolve(created) || dir === path.dirname(dir)) return;
  }
}
