// Charts end to end (uPlot on a canvas, under the renderer's CSP): backup size and duration per
// connection on the Backups screen, and drill recovery time per connection on the Drills screen with
// pass and fail markers and the recovery target. Two connections on a real PostgreSQL 18, backups
// and drills made by the engine; CRM's canary reads the database's own name, so its drill fails.
// The canvas is checked through its pixels (theme colours, the target line, the failure crosses),
// the words through each chart's accessible name.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { expectVisible, IDENTITY_ACCOUNT, navButton, useE2EApp } from '../support/e2e-app.ts';
import type { E2EApp } from '../support/e2e-bridge.ts';
import { SAMPLE_SCHEMA_SQL } from '../support/sample-schema.ts';

const CRM_SQL = `CREATE TABLE public.contacts (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO public.contacts SELECT g, 'Contact ' || g FROM generate_series(1, 200) g;`;

const e2e = useE2EApp({
  databases: { shop: SAMPLE_SCHEMA_SQL, crm: CRM_SQL },
  keychain: { why: "backups and drills use Lifeboat's key", accounts: [IDENTITY_ACCOUNT] },
  prepare: async ({ engine, connection }) => {
    await engine.keys.ensureIdentity();
    await engine.profiles.add({ ...connection, name: 'Shop', database: 'shop', color: 'teal' });
    // The scratch database has another name: this canary cannot match, so CRM's drill fails.
    await engine.profiles.add({ ...connection, name: 'CRM', database: 'crm', color: 'amber', canaryQueries: [{ name: 'Name', sql: 'SELECT current_database()' }] });
    const backup = async (profile: string) => (await engine.backups.start({ profile, encryption: { kind: 'settings' } }).result).archive;
    const shop = [await backup('Shop'), await backup('Shop')];
    const crm = await backup('CRM');
    await backup('CRM');
    // On the connection's own server: much quicker than starting the embedded one.
    for (const file of [...shop, crm]) await engine.drills.start({ file, scratch: { kind: 'profile', profile: 'Shop' } }).result;
  },
});
let app: E2EApp;
let page: Page;
beforeAll(() => void ({ app, page } = e2e));

const nav = (name: string) => navButton(page, name);
const trend = () => page.getByRole('region', { name: 'Backup size and duration' });
const history = () => page.getByRole('region', { name: 'Drill history' });

/** The hex value of one of styles.css's colour variables, as the page sees it now. */
async function cssColor(name: string): Promise<string> {
  return page.evaluate((n) => getComputedStyle(document.documentElement).getPropertyValue(n).trim(), name);
}

/** Opaque canvas pixels within a small distance of `hex` (the core of a line or a glyph drawn in it). */
async function pixelsOf(chart: Locator, hex: string): Promise<number> {
  const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return chart.locator('canvas').evaluate((canvas: HTMLCanvasElement, [r, g, b]) => {
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3]! > 200 && Math.abs(data[i]! - r!) < 12 && Math.abs(data[i + 1]! - g!) < 12 && Math.abs(data[i + 2]! - b!) < 12) n++;
    return n;
  }, rgb);
}

/** axe-core (WCAG 2.0–2.2 A/AA, as tests/e2e/accessibility.test.ts) on the parts of the page `selectors` name. */
async function axeViolations(selectors: string[]): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));
  return page.evaluate(async (include) => {
    type Result = { id: string; nodes: { target: unknown[] }[] };
    const axe = (window as unknown as { axe: { run(ctx: object, options: object): Promise<{ violations: Result[] }> } }).axe;
    const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
    const { violations } = await axe.run({ include: include.map((s) => [s]) }, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.flat().join(' ')).join(', ')}`);
  }, selectors);
}

describe('Charts', () => {
  test('Backups: size and duration per connection, in words and on a canvas that follows the window', async () => {
    await nav('Backups').click();
    await expectVisible(trend());
    const charts = trend().getByRole('img');
    expect(await charts.count()).toBe(2);
    const size = (await charts.nth(0).getAttribute('aria-label')) ?? '';
    const duration = (await charts.nth(1).getAttribute('aria-label')) ?? '';
    expect(size).toMatch(/^Backup size, oldest to newest\. Shop: 2 backups from .+ to .+, latest \d.* (KB|MB) \(first .+\); smallest .+, largest .+\. CRM: 2 backups .+\.$/);
    expect(duration).toMatch(/^Backup duration, oldest to newest\. Shop: 2 backups .+, latest \d.*(ms|s) \(first .+\); fastest .+, slowest .+\. CRM: 2 backups .+\.$/);
    expect(await trend().locator('canvas').count()).toBe(2);
    expect(await trend().textContent()).toMatch(/Shop.*CRM/);

    // A real time axis in the theme's text colour, and each connection's own colour for its line.
    expect(await pixelsOf(charts.nth(0), await cssColor('--text-2'))).toBeGreaterThan(20);
    expect(await pixelsOf(charts.nth(0), await cssColor('--c-teal'))).toBeGreaterThan(20);
    expect(await pixelsOf(charts.nth(0), await cssColor('--c-amber'))).toBeGreaterThan(20);

    // The library's filter narrows the charts to one connection.
    await page.getByRole('region', { name: 'Archive library' }).getByLabel('Connection').selectOption('Shop');
    await expect.poll(async () => (await charts.nth(0).getAttribute('aria-label')) ?? '').not.toContain('CRM');
    await expect.poll(async () => pixelsOf(charts.nth(0), await cssColor('--c-amber'))).toBe(0);
    await app.screenshot('backups-trend');
    await page.getByRole('region', { name: 'Archive library' }).getByLabel('Connection').selectOption('');

    // The canvas follows its container (side by side, then one above the other, then side by side).
    const fits = () => charts.nth(0).locator('.uplot-host').evaluate((host: HTMLElement) => Math.abs(host.querySelector('canvas')!.width - host.clientWidth) <= 1);
    const width = () => charts.nth(0).locator('canvas').evaluate((c: HTMLCanvasElement) => c.width);
    const before = await width();
    expect(await fits()).toBe(true);
    await page.setViewportSize({ width: 900, height: 800 });
    await expect.poll(width).not.toBe(before);
    await expect.poll(fits).toBe(true);
    await page.setViewportSize({ width: 1280, height: 800 });
    await expect.poll(width).toBe(before);
    expect(app.problems()).toEqual([]);
  });

  test('Drills: recovery time per connection, crosses for failed drills, and the recovery target as a line', async () => {
    await nav('Drills').click();
    const chart = history().getByRole('img');
    await expectVisible(chart);
    const label = (await chart.getAttribute('aria-label')) ?? '';
    expect(label).toMatch(/^Recovery time \(restore and verify\) of the last 2 drills of Shop, oldest to newest: .+, .+\. .+ All passed\. Recovery time \(restore and verify\) of the one drill of CRM so far: .+ \(failed\)\. Not counted: starting the scratch server, .+ on average\.$/);
    expect(await chart.locator('canvas').count()).toBe(1);
    // Failed is a cross in the error colour: a shape, not only a colour.
    expect(await pixelsOf(chart, await cssColor('--err'))).toBeGreaterThan(10);
    expect(await pixelsOf(chart, await cssColor('--warn'))).toBe(0);
    await expectVisible(history().getByText('No target: set the time a recovery may take'));
    // The pointer snaps to the nearest drill, whose values show under the chart.
    await chart.locator('.u-over').hover({ position: { x: 2, y: 10 } });
    await expectVisible(history().locator('.chart-note').getByText(/^.+ · Shop · \d\S* m?s · passed$/));
    await chart.locator('.u-over').hover({ position: { x: (await chart.locator('.u-over').boundingBox())!.width - 2, y: 10 } });
    await expectVisible(history().locator('.chart-note').getByText(/^.+ · CRM · \d\S* m?s · failed$/));
    await page.mouse.move(0, 0);

    const target = history().getByLabel('Recovery target');
    await target.fill('5');
    await history().getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => e2e.engine.settings.get().recoveryTargetSeconds).toBe(300);
    await expect.poll(async () => (await chart.getAttribute('aria-label')) ?? '').toContain('Target 5 min: all within.');
    await expectVisible(history().getByText('Target 5 min: all within.'));
    // Far above sub-second drills: marked at the top rather than flattening them against the axis.
    await expect.poll(async () => pixelsOf(chart, await cssColor('--warn'))).toBeGreaterThan(10);
    const offScale = await pixelsOf(chart, await cssColor('--warn'));

    // A target near the drills' times (whole seconds, within 3× the slowest — zeroBasedScale's reach —
    // unless every drill took under a third of a second): a dashed line across the plot.
    const slowest = Math.max(...(await e2e.engine.drills.history()).map((d) => d.timings.restoreMs + d.timings.verifyMs));
    const seconds = Math.ceil((slowest * 1.5) / 1000);
    const onScale = seconds * 1000 <= slowest * 3;
    await target.fill(String(seconds / 60));
    await history().getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => e2e.engine.settings.get().recoveryTargetSeconds).toBe(seconds);
    await expect.poll(async () => (await chart.getAttribute('aria-label')) ?? '').toMatch(/Target [\d.]+ s: all within\./);
    // The chart is rebuilt after React commits the new words: wait for the canvas.
    if (onScale) await expect.poll(async () => pixelsOf(chart, await cssColor('--warn'))).toBeGreaterThan(offScale + 100);
    else console.info(`The drills took under ${slowest} ms: a 1 s target stays above the scale, no line to check.`);
    await app.screenshot('drills-trend');

    // Dark: the chart is drawn again in the dark theme's colours (the axis text's colour outnumbers
    // the other theme's, which only the edges of glyphs can come close to).
    const lightText = await cssColor('--text-2');
    const lead = async (a: string, b: string) => (await pixelsOf(chart, a)) - (await pixelsOf(chart, b));
    await page.emulateMedia({ colorScheme: 'dark' });
    const darkText = await cssColor('--text-2');
    expect(darkText).not.toBe(lightText);
    await expect.poll(() => lead(darkText, lightText)).toBeGreaterThan(50);
    expect(await pixelsOf(chart, await cssColor('--warn'))).toBeGreaterThan(50);
    await app.screenshot('drills-trend-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(() => lead(lightText, darkText)).toBeGreaterThan(50);

    // Cleared: no line, no target in the words.
    await target.fill('');
    await history().getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => e2e.engine.settings.get().recoveryTargetSeconds).toBeNull();
    await expect.poll(async () => (await chart.getAttribute('aria-label')) ?? '').not.toContain('Target');
    await expect.poll(async () => pixelsOf(chart, await cssColor('--warn'))).toBe(0);
    expect(app.problems()).toEqual([]);
  });

  test('axe-core finds nothing to fix in either chart, light or dark', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await nav('Backups').click();
      await expectVisible(trend().getByRole('img'));
      expect(await axeViolations(['.backup-trend']), `Backups (${scheme})`).toEqual([]);
      await nav('Drills').click();
      await expectVisible(history().getByRole('img'));
      expect(await axeViolations(['.drill-history']), `Drills (${scheme})`).toEqual([]);
    }
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('a target the settings refuse is explained, and nothing is saved', async () => {
    const target = history().getByLabel('Recovery target');
    await target.fill('-3');
    await history().getByRole('button', { name: 'Save' }).click();
    await expectVisible(history().getByRole('alert').getByText('The recovery target was not saved'));
    expect(e2e.engine.settings.get().recoveryTargetSeconds).toBeNull();
  });
});
