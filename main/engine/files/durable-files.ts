// Putting finished files in place so that a crash or a second writer never leaves half a file, or
// replaces someone else's, under the name a reader looks for.
import { randomBytes } from 'node:crypto';
import { access, open, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

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
 * Writes `text` durably under `<stem><extension>`, or `<stem>-2<extension>`… when that name is taken:
 * the name is claimed by an exclusive create first, so a second writer in the same second (another
 * run, another process) never renames its file over this one. Returns the name used.
 */
export async function writeFileUnderFreeName(stem: string, extension: string, text: string): Promise<string> {
  for (let n = 1; ; n++) {
    const file = n === 1 ? `${stem}${extension}` : `${stem}-${n}${extension}`;
    const claimed = await open(file, 'wx', 0o600).then(async (handle) => { await handle.close(); return true; }, (error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') return false;
      throw error;
    });
    if (!claimed) continue;
    try {
      await writeFileDurably(file, text);
      return file;
    } catch (error) {
      await rm(file, { force: true }).catch(() => {});
      throw error;
    }
  }
}

/** The first of file, file-2, file-3… (before the extension) that does not exist yet. */
export async function unusedName(file: string): Promise<string> {
  const extension = path.extname(file);
  const base = file.slice(0, -extension.length);
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? file : `${base}-${n}${extension}`;
    const taken = await access(candidate).then(() => true, () => false);
    if (!taken) return candidate;
  }
}

/** Makes a rename in `dir` survive a crash (its entry is on disk), where the platform allows it. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => null);
  if (!handle) return;
  await handle.sync().catch(() => {}); // not supported on every platform/filesystem
  await handle.close();
}
