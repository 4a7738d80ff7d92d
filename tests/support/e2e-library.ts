// The Backups screen's archive library table, as the E2E tests find it: an archive's rows (its row
// and, when open, its second row of details and actions) by connection and database; and a library
// folder that cannot be read, for the screens that say so.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import type { Engine } from '../../main/engine/index.ts';

export const libraryRegion = (page: Page): Locator => page.getByRole('region', { name: 'Archive library' });

/** An archive of the library table by its connection and database: its row, and its second row when open. */
export function libraryRow(page: Page, profile: string, database: string): Locator {
  return libraryRegion(page)
    .getByRole('table', { name: 'Archives' })
    .getByRole('rowgroup')
    .filter({ has: page.getByRole('cell', { name: profile, exact: true }) })
    .filter({ has: page.getByRole('cell', { name: database, exact: true }) });
}

/** Opens an archive's second row ("More"), where "Copy to…", Details and Delete are. */
export async function openMore(archive: Locator): Promise<void> {
  const more = archive.getByRole('button', { name: 'More', exact: true });
  if ((await more.getAttribute('aria-expanded')) !== 'true') await more.click();
}

/**
 * Runs `check` while a library folder of the engine cannot be read — a file where the folder should
 * be (readdir: ENOTDIR), as a folder without permission would be for anyone but root — with the
 * text the app shows for it; the folder setting is put back afterwards.
 */
export async function withUnreadableLibraryFolder(engine: Engine, check: (problem: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-e2e-folder-'));
  const notAFolder = path.join(dir, 'not-a-folder');
  await writeFile(notAFolder, 'x');
  engine.settings.update({ libraryFolders: [notAFolder] });
  try {
    await check(`Cannot read the backup folder ${notAFolder} (ENOTDIR)`);
  } finally {
    engine.settings.update({ libraryFolders: [] });
    await rm(dir, { recursive: true, force: true });
  }
}
