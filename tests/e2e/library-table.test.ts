// The archive library as a dense table at scale: 2,000 archives listed by the real engine from a
// real backup folder, in the built renderer in Chromium. One archive is a real backup; the others are
// hard links to it with sidecars written here (other names, dates, sizes, databases, hosts and
// statuses — untagged, so the library lists them without counting them as its own), and a few with
// broken sidecars, which list as problems. The table sorts, filters and totals them; only the rows
// near the visible part are in the page, and keyboard focus still walks through them. How long each
// interaction took in the page is printed, not asserted: what is asserted is that the result is right.
import { link, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import type { ArchiveEntry } from '../../main/ipc/contract.ts';
import { expectVisible, IDENTITY_ACCOUNT, navButton, useE2EApp } from '../support/e2e-app.ts';
import { openMore } from '../support/e2e-library.ts';
import type { E2EApp } from '../support/e2e-bridge.ts';

const ARCHIVES = 2000;
const PROFILES = ['Shop', 'Billing', 'Analytics'];
const DATABASES = ['shop', 'crm', 'ledger', 'events'];
const FIRST_COPY = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;
/** Copies whose sidecar is not JSON: listed as problems (their facts come from the file name). */
const BROKEN = new Set([250, 750, 1250, 1750]);

let realArchive: string;

/** 20240101T040000Z, as Lifeboat names archives. */
const stamp = (date: Date) => date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
// Distinct sizes (7919 and 1999 are coprime), from 10 MB to about 2 GB.
const sizeOf = (i: number) => 10_000_000 + ((i * 7919) % 1999) * 1_000_003;

/** The sidecar of copy `i`: the real one's facts under another name, date, size, source and status. */
function copySidecar(real: Record<string, unknown>, i: number, name: string, created: Date): Record<string, unknown> {
  const { libraryTag: _tag, verification: _verification, drill: _drill, ...facts } = real;
  const at = new Date(created.getTime() + HOUR).toISOString();
  const sidecar: Record<string, unknown> = {
    ...facts,
    archive: name,
    profile: PROFILES[i % PROFILES.length],
    database: DATABASES[i % DATABASES.length],
    host: `db${i % 5}.example.internal`,
    createdAt: created.toISOString(),
    finishedAt: created.toISOString(),
    bytes: sizeOf(i),
  };
  if (i % 10 === 3) sidecar.verification = { at, level: 'quick', ok: false, message: 'The file’s SHA-256 does not match the one recorded when it was written.' };
  else if (i % 3 === 0) sidecar.verification = { at, level: i % 2 ? 'full' : 'quick', ok: true, message: 'SHA-256 matches the sidecar.' };
  if (i % 50 === 9) sidecar.drill = { at, passed: i % 100 !== 9, recoveryMs: 4200 };
  return sidecar;
}

async function writeCopies(backupDir: string, real: string): Promise<void> {
  const sidecar = JSON.parse(await readFile(`${real}.json`, 'utf8')) as Record<string, unknown>;
  for (let i = 0; i < ARCHIVES - 1; i++) {
    const created = new Date(FIRST_COPY + i * 4 * HOUR);
    const name = `${PROFILES[i % PROFILES.length]}_${DATABASES[i % DATABASES.length]}_${stamp(created)}.lifeboat`;
    const file = path.join(backupDir, name);
    // A hard link: the bytes of a real archive, for the price of a directory entry.
    await link(real, file);
    await writeFile(`${file}.json`, BROKEN.has(i) ? '{ "sidecarVersion": 1, ' : JSON.stringify(copySidecar(sidecar, i, name, created)));
  }
}

const e2e = useE2EApp({
  databases: { shop: 'CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, 500) g;' },
  keychain: { why: "the real archive is encrypted to Lifeboat's own key, and Restore opens it with that key", accounts: [IDENTITY_ACCOUNT] },
  prepare: async ({ engine, connection, backupDir }) => {
    await engine.keys.ensureIdentity();
    await engine.profiles.add({ ...connection, name: 'Shop', database: 'shop', color: 'teal' });
    realArchive = (await engine.backups.start({ profile: 'Shop', encryption: { kind: 'settings' } }).result).archive;
    await writeCopies(backupDir, realArchive);
  },
});
let app: E2EApp;
let page: Page;
let listed: ArchiveEntry[];
let engineListMs = 0;
beforeAll(async () => {
  ({ app, page } = e2e);
  const start = performance.now();
  listed = await e2e.engine.library.list();
  engineListMs = performance.now() - start;
});

const library = () => page.getByRole('region', { name: 'Archive library' });
const table = () => library().getByRole('table', { name: 'Archives' });
/** Each archive of the table (its row, and its second row when open), as far as it is in the page. */
const archives = () => table().getByRole('rowgroup').filter({ has: page.getByRole('rowheader') });
const count = async () => ((await library().locator('.library-count').textContent()) ?? '').trim();
const createdOf = (archive: Locator) => archive.getByRole('rowheader').locator('time').getAttribute('datetime');
/** The datetimes of the first `n` archives in the table's order (unique per archive here). */
const firstCreated = (n: number) => archives().evaluateAll((groups, n) => groups.slice(0, n).map((g) => g.querySelector('time')!.getAttribute('datetime')), n);
/** Until the virtual table has re-rendered after a scroll: the next frame, and a little more. */
const afterScroll = () => page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 50))));
const cellsOf = async (archive: Locator) => archive.getByRole('row').first().getByRole('cell').allTextContents();

// What the tests expect, worked out from the engine's own listing.
const failed = (e: ArchiveEntry) => !e.problem && (e.sidecar.verification?.ok === false || e.sidecar.drill?.passed === false);
/** Archives with a second row that is always shown: a problem, or a recorded failed verification. */
const withSecondRow = (entries: ArchiveEntry[]) => entries.filter((e) => e.problem || e.sidecar.verification?.ok === false).length;
const bytes = (entries: ArchiveEntry[]) => entries.reduce((sum, e) => sum + e.sidecar.bytes, 0);
const UNITS: Record<string, number> = { bytes: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** "N archives · total X GB" (or "N of 2,000 …"): the count exactly, the total to its rounding. */
async function expectSummary(entries: ArchiveEntry[]): Promise<void> {
  const shown = entries.length === ARCHIVES ? ARCHIVES.toLocaleString('en-GB') : `${entries.length.toLocaleString('en-GB')} of ${ARCHIVES.toLocaleString('en-GB')}`;
  await expect.poll(count).toMatch(new RegExp(`^${shown} archives? · total [\\d.]+ (bytes|KB|MB|GB|TB)$`));
  const [, value, unit] = /total ([\d.]+) (\w+)$/.exec(await count())!;
  expect(Math.abs(Number(value) * UNITS[unit!]! - bytes(entries)) / bytes(entries)).toBeLessThan(0.05);
}

/**
 * Milliseconds from an interaction, done in the page (a header click, or a filter's new value), until
 * the frame after React's update was drawn. A value is set the way typing sets it, so React sees it.
 */
async function timed(act: 'sort' | 'Search' | 'Status' | 'From' | 'To', arg: string): Promise<number> {
  return page.evaluate(
    async ({ act, arg }) => {
      const start = performance.now();
      if (act === 'sort') {
        Array.from(document.querySelectorAll<HTMLButtonElement>('.library-table thead button')).find((b) => b.textContent?.trim() === arg)!.click();
      } else {
        const control = Array.from(document.querySelectorAll<HTMLLabelElement>('.library-filters label')).find((l) => l.textContent === act)!.control!;
        if (control instanceof HTMLInputElement) {
          Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(control, arg);
          control.dispatchEvent(new Event('input', { bubbles: true }));
        } else {
          (control as HTMLSelectElement).value = arg;
          control.dispatchEvent(new Event('change', { bubbles: true }));
        }
      }
      await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
      return performance.now() - start;
    },
    { act, arg },
  );
}

/** Clicks the Backups button in the page and waits for the first archive row to be drawn. */
async function timedOpen(): Promise<number> {
  return page.evaluate(async () => {
    const start = performance.now();
    Array.from(document.querySelectorAll<HTMLButtonElement>('nav button')).find((b) => b.textContent?.trim() === 'Backups')!.click();
    await new Promise<void>((resolve) => {
      const tick = () => (document.querySelector('.library-table tbody[data-index]') ? resolve() : requestAnimationFrame(tick));
      tick();
    });
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    return performance.now() - start;
  });
}

const timings: string[] = [];
const ms = (label: string, value: number) => timings.push(`${label} ${Math.round(value)} ms`);
/** The median of three: this machine's two cores are shared, and one slow frame says little. */
async function median(label: string, measure: () => Promise<number>, undo: () => Promise<unknown>): Promise<void> {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    runs.push(await measure());
    await undo();
  }
  ms(label, runs.sort((a, b) => a - b)[1]!);
}

describe('Library table with 2,000 archives', () => {
  test('lists them all in a table whose page holds only the visible rows, with the count and total size', async () => {
    expect(listed).toHaveLength(ARCHIVES);
    expect(listed.filter((e) => e.problem)).toHaveLength(BROKEN.size);
    // The first time, the engine lists 2,000 sidecars; then the table is drawn from what the page holds.
    ms('engine list', engineListMs);
    ms('open (list + render)', await timedOpen());
    await expectVisible(archives().first());
    await expectSummary(listed);
    await navButton(page, 'Connections').click();
    ms('render', await timedOpen());

    expect(await table().getAttribute('aria-rowcount')).toBe(String(1 + ARCHIVES + withSecondRow(listed)));
    const inPage = await archives().count();
    expect(inPage).toBeGreaterThan(5);
    expect(inPage).toBeLessThan(60);
    // Newest first: the real backup, made today.
    const created = table().getByRole('columnheader', { name: 'Created' });
    expect(await created.getAttribute('aria-sort')).toBe('descending');
    expect(await createdOf(archives().first())).toBe(listed[0]!.sidecar.createdAt);
    expect((await cellsOf(archives().first())).slice(0, 2)).toEqual(['Shop', 'shop']);
    await page.mouse.move(0, 0);
    await app.screenshot('library-table');
  });

  test('sorts by size, database and status from the headers, and back by date', async () => {
    const bySize = [...listed].sort((a, b) => b.sidecar.bytes - a.sidecar.bytes);
    await median('sort by size', () => timed('sort', 'Size'), () => timed('sort', 'Created'));
    await timed('sort', 'Size');
    expect(await table().getByRole('columnheader', { name: 'Size' }).getAttribute('aria-sort')).toBe('descending');
    expect(await table().getByRole('columnheader', { name: 'Created' }).getAttribute('aria-sort')).toBe('none');
    expect(await firstCreated(5)).toEqual(bySize.slice(0, 5).map((e) => e.sidecar.createdAt));
    await timed('sort', 'Size');
    expect(await table().getByRole('columnheader', { name: 'Size' }).getAttribute('aria-sort')).toBe('ascending');
    // The smallest: the real backup and the broken copies (hard links to it), in listing order.
    const smallest = bySize.filter((e) => e.sidecar.bytes === bySize.at(-1)!.sidecar.bytes).map((e) => e.sidecar.createdAt);
    expect(await firstCreated(smallest.length)).toEqual(listed.map((e) => e.sidecar.createdAt).filter((c) => smallest.includes(c)));

    await timed('sort', 'Database');
    expect(await table().getByRole('columnheader', { name: 'Database' }).getAttribute('aria-sort')).toBe('ascending');
    expect((await cellsOf(archives().first()))[1]).toBe('crm');

    // Ascending status puts what needs attention first: the problems, then the failures.
    await timed('sort', 'Status');
    const statuses = await archives().evaluateAll((groups) => groups.slice(0, 6).map((g) => g.querySelector('.col-status')!.textContent));
    expect(statuses.slice(0, BROKEN.size)).toEqual(Array(BROKEN.size).fill('Problem'));
    expect(statuses[BROKEN.size]).toMatch(/failed/);

    await timed('sort', 'Created');
    expect(await table().getByRole('columnheader', { name: 'Created' }).getAttribute('aria-sort')).toBe('descending');
  });

  test('filters by text, status and date range; the count and the total follow what is shown', async () => {
    const words = (e: ArchiveEntry) => `${path.basename(e.path)} ${e.sidecar.profile} ${e.sidecar.database} ${e.sidecar.host}`.toLowerCase();
    const ledgerOnDb3 = listed.filter((e) => words(e).includes('ledger') && words(e).includes('db3'));
    expect(ledgerOnDb3.length).toBeGreaterThan(10);
    await median('filter by text', () => timed('Search', 'ledger db3'), () => timed('Search', ''));
    await timed('Search', 'ledger db3');
    await expectSummary(ledgerOnDb3);
    expect(await table().getAttribute('aria-rowcount')).toBe(String(1 + ledgerOnDb3.length + withSecondRow(ledgerOnDb3)));
    for (const cells of await Promise.all((await archives().all()).slice(0, 5).map(cellsOf))) expect(cells[1]).toBe('ledger');
    await timed('Search', '');
    await expectSummary(listed);

    await median('filter by status', () => timed('Status', 'failed'), () => timed('Status', ''));
    await timed('Status', 'failed');
    await expectSummary(listed.filter(failed));
    await timed('Status', 'problem');
    await expectSummary(listed.filter((e) => e.problem));
    await timed('Status', '');

    // 1 to 10 March 2024, both days whole, in the computer's time zone.
    const from = new Date(2024, 2, 1).getTime();
    const to = new Date(2024, 2, 11).getTime();
    const march = listed.filter((e) => Date.parse(e.sidecar.createdAt) >= from && Date.parse(e.sidecar.createdAt) < to);
    await timed('From', '2024-03-01');
    await median('filter by date', () => timed('To', '2024-03-10'), () => timed('To', ''));
    await timed('To', '2024-03-10');
    await expectSummary(march);
    await library().getByRole('button', { name: 'Clear filters' }).click();
    await expectSummary(listed);
  });

  test('Tab reaches the rows, and walking down them with the keyboard brings the next ones into the page', async () => {
    await library().getByLabel('Search').focus();
    const focusedRow = () => page.evaluate(() => Number(document.activeElement?.closest('tr[aria-rowindex]')?.getAttribute('aria-rowindex') ?? 0));
    for (let i = 0; i < 8 && (await focusedRow()) < 2; i++) await page.keyboard.press('Tab');
    expect(await focusedRow(), 'Tab from the filters reaches the first archive row').toBe(2);
    // Four buttons a row (Restore…, Verify, Drill, More): 120 presses go some thirty rows down.
    for (let i = 0; i < 120; i++) await page.keyboard.press('Tab');
    expect(await focusedRow()).toBeGreaterThan(25);
    const focused = await page.evaluate(() => document.activeElement?.textContent);
    // Scrolled far away with the wheel, the focused row stays in the page, and focused.
    await library().locator('.library-scroll').evaluate((box) => box.scrollTo({ top: box.scrollHeight }));
    await afterScroll();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(focused);
    expect(await focusedRow()).toBeGreaterThan(25);
    // At the bottom, the last archive's rows end at aria-rowcount.
    const rowCount = Number(await table().getAttribute('aria-rowcount'));
    await expect.poll(() => table().evaluate((t) => Math.max(...Array.from(t.querySelectorAll('tr[aria-rowindex]')).map((r) => Number(r.getAttribute('aria-rowindex')))))).toBe(rowCount);
  });

  test('axe finds nothing serious in the table at this size, with a second row open, in either theme', async () => {
    await timed('Search', '');
    // Back at the top, and the archive pinned by its date: `.first()` alone is whichever archive is
    // first in the page at the moment, and the previous test left the table scrolled to the bottom with
    // a far-away row kept in the page for its focus, so opening one row re-rendered which is first.
    await library().locator('.library-scroll').evaluate((box) => box.scrollTo({ top: 0 }));
    await afterScroll();
    const created = await createdOf(archives().first());
    const first = archives().filter({ has: page.locator(`time[datetime="${created}"]`) });
    await openMore(first);
    await expectVisible(first.getByRole('group', { name: /^More for / }));
    await page.evaluate(await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));
    for (const theme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: theme });
      const violations = await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run(ctx: object, options: object): Promise<{ violations: { id: string; impact: string | null; nodes: unknown[] }[] }> } }).axe;
        const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
        const { violations } = await axe.run({ include: [['section.library']] }, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
        return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} ×${v.nodes.length}`);
      });
      expect(violations, theme).toEqual([]);
    }
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('Restore… on a row opens the Restore screen with that file', async () => {
    const name = path.basename(realArchive);
    await timed('Search', name);
    await expectSummary(listed.filter((e) => e.path === realArchive));
    await archives().first().getByRole('button', { name: 'Restore…' }).click();
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Restore' }));
    await expectVisible(page.getByRole('region', { name: 'Backup file' }).getByText(name));

    console.info(`[e2e] library ${ARCHIVES} archives: ${timings.join(', ')}`);
    expect(app.problems()).toEqual([]);
  });
});
