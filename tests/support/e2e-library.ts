// The Backups screen's archive library table, as the E2E tests find it: an archive's rows (its row
// and, when open, its second row of details and actions) by connection and database.
import type { Locator, Page } from 'playwright-core';

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
