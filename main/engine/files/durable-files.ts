// Putting finished files in place so that a crash or a second writer never leaves half a file, or
// replaces someone else's, under the name a reader looks for.
import { randomBytes } from 'node:crypto';
import { link, open, rename, rm, writeFile } from 'node:fs/promises';

/**
 * Writes next to the target and renames, so a crash leaves the old file or the new, never half. The
 * temporary name is unpredictable and created exclusively ('wx': an existing file or a symlink
 * planted there is never written through), readable by this user only.
 */
export async function writeFileDurably(file: string, text: string): Promise<void> {
  const temp = `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    await writeFile(temp, text, { mode: 0o600, flag: 'wx', flush: true });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {});
    throw error;
  }
}

/**
 * Moves the finished `temp` to `file` unless something is there already (EEXIST, and `temp` stays):
 * link() is atomic and never replaces, so a second writer choosing the same name in the same moment
 * cannot rename over the first. Where link() fails otherwise — a filesystem without hard links (FAT
 * and exFAT drives, some network shares; Windows reports those in more than one way) — the name is
 * claimed by an exclusive create, and the claim is taken back if the rename over it fails.
 */
export async function placeExclusively(temp: string, file: string): Promise<void> {
  try {
    await link(temp, file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOENT') throw error;
    await (await open(file, 'wx', 0o600)).close();
    await rename(temp, file).catch(async (renameError: unknown) => {
      await rm(file, { force: true }).catch(() => {});
      throw renameError;
    });
    return;
  }
  // The file is in place: a temporary name that cannot be removed (a scanner holding it) is only litter.
  await rm(temp, { force: true }).catch(() => {});
}

/**
 * Writes `text` durably as `file` unless something has that name (false then): written beside it, then
 * placed exclusively, so neither a crash nor a second writer leaves half a file or replaces another's.
 */
export async function writeFileExclusively(file: string, text: string): Promise<boolean> {
  const temp = `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    await writeFile(temp, text, { mode: 0o600, flag: 'wx', flush: true });
    return await placeExclusively(temp, file).then(() => true, (error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') return false;
      throw error;
    });
  } finally {
    await rm(temp, { force: true }).catch(() => {});
  }
}

/** Names tried (`X`, `X-2`, …) before a folder this full of one name is reported instead of searched on. */
export const MAX_NAME_TRIES = 10_000;

/** The n-th candidate for a file name: `<stem><extension>`, then `<stem>-2<extension>`, `<stem>-3<extension>`… */
export function numberedName(stem: string, extension: string, n: number): string {
  return n === 1 ? `${stem}${extension}` : `${stem}-${n}${extension}`;
}

/** The codes a write fails with when the disk (or the user's quota, or the file size limit) has no room left. */
export function isDiskFull(code: string | undefined): boolean {
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG';
}

/**
 * Writes `text` durably under `<stem><extension>`, or `<stem>-2<extension>`… when that name is taken
 * (two whole-server runs in one second); returns the name used.
 */
export async function writeFileUnderFreeName(stem: string, extension: string, text: string): Promise<string> {
  for (let n = 1; n <= MAX_NAME_TRIES; n++) {
    const file = numberedName(stem, extension, n);
    if (await writeFileExclusively(file, text)) return file;
  }
  throw new Error(`${stem}${extension} and ${MAX_NAME_TRIES - 1} numbered names after it are all taken.`);
}

/** Makes a rename in `dir` survive a crash (its entry is on disk), where the platform allows it. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => null);
  if (!handle) return;
  await handle.sync().catch(() => {}); // not supported on every platform/filesystem
  await handle.close();
}
