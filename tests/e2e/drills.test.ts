// Drills screen end to end: a real PostgreSQL 18 with the sample schema, a Lifeboat backup made by
// the engine with Lifeboat's own key (real keychain), drills on the embedded PostgreSQL 18 scratch
// server and on the connection's server, the evidence report, the history and its recovery-time chart
// (uPlot) with the recovery target, and the backup size and duration chart.
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { expectVisible, IDENTITY_ACCOUNT, navButton, useE2EApp } from '../support/e2e-app.ts';
import type { E2EApp } from '../support/e2e-bridge.ts';
import { withUnreadableLibraryFolder } from '../support/e2e-library.ts';
import { databases } from '../support/restore-fixtures.ts';
import { TRUST_PHRASE } from '../../main/engine/restore/trust-phrase.ts';
import { SAMPLE_SCHEMA_SQL } from '../support/sample-schema.ts';

let archive: string;

const e2e = useE2EApp({
  databases: { shop: SAMPLE_SCHEMA_SQL },
  keychain: { why: "drills open the backup with Lifeboat's key", accounts: [IDENTITY_ACCOUNT] },
  prepare: async ({ engine, connection }) => {
    await engine.keys.ensureIdentity();
    await engine.profiles.add({
      ...connection,
      name: 'Shop',
      database: 'shop',
      color: 'teal',
      // Values the drill re-computes in the restored copy and compares.
      canaryQueries: [
        { name: 'Customers', sql: 'SELECT count(*) FROM shop.customers' },
        { name: 'Revenue', sql: 'SELECT sum(total) FROM shop.orders' },
      ],
    });
    archive = (await engine.backups.start({ profile: 'Shop', encryption: { kind: 'settings' } }).result).archive;
  },
});
let app: E2EApp;
let page: Page;
beforeAll(() => void ({ app, page } = e2e));

const nav = (name: string) => navButton(page, name);
const launcher = () => page.getByRole('region', { name: 'Run a drill' });
const history = () => page.getByRole('region', { name: 'Drill history' });
const passed = () => page.getByRole('region', { name: 'Drill passed: this backup restores' });
const historyRows = () => history().getByRole('table').getByRole('row').filter({ has: page.getByRole('rowheader') });

/** Records, in the page, every drill phase marked current (a drill on a small database is quick). */
async function watchPhases(): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __phases: string[] };
    w.__phases = [];
    new MutationObserver(() => {
      const current = document.querySelector('[aria-label="Phases"] [aria-current="step"] .step-label')?.firstChild?.textContent;
      if (current && w.__phases[w.__phases.length - 1] !== current) w.__phases.push(current);
    }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
}

/** "388 ms" or "1.2 s" (as the history shows a duration under a minute) in milliseconds. */
function msOf(text: string): number {
  const [, value, unit] = /^([\d.]+) (ms|s)$/.exec(text) ?? [];
  if (!value) throw new Error(`not a duration under a minute: ${text}`);
  return Number(value) * (unit === 's' ? 1000 : 1);
}

/** Cells of a table row as text, header cell first. */
async function cells(row: Locator): Promise<string[]> {
  return (await row.locator('th, td').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
}

describe('Drills', () => {
  test('the screen offers the latest backup of each connection, on the embedded PostgreSQL by default', async () => {
    await nav('Drills').click();
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Drills' }));
    expect(await launcher().getByRole('radio', { name: /Embedded PostgreSQL \(recommended\)/ }).isChecked()).toBe(true);
    expect(await launcher().textContent()).toContain('A throwaway local PostgreSQL 18');
    const latest = launcher().getByRole('list', { name: 'Latest backup of each connection' }).getByRole('listitem');
    await expect.poll(() => latest.count()).toBe(1);
    expect(await latest.first().textContent()).toContain(path.basename(archive));
    await expectVisible(history().getByText('No drills yet'));
  });

  test('a backup folder that cannot be read is said above the latest backups, which still list the others', async () => {
    await withUnreadableLibraryFolder(e2e.engine, async (problem) => {
      // The Drills screen reads the library when it opens: leave it and come back.
      await nav('Backups').click();
      await nav('Drills').click();
      await expectVisible(launcher().getByRole('alert').filter({ hasText: problem }), 30_000);
      const latest = launcher().getByRole('list', { name: 'Latest backup of each connection' }).getByRole('listitem');
      expect(await latest.first().textContent()).toContain(path.basename(archive));
    });
  });

  test('Drill latest backup: live phases, then the verdict with expected vs actual, timings and the report', async () => {
    await watchPhases();
    await launcher().getByRole('button', { name: 'Drill latest backup of Shop' }).click();
    const progress = page.getByRole('region', { name: `Drilling ${path.basename(archive)}` });
    await expectVisible(progress, 10_000);
    // Best effort: a picture of the live phases (the drill may already be past them).
    await progress.getByRole('listitem').filter({ hasText: 'Starting the scratch server' }).and(page.locator('[aria-current="step"]')).waitFor({ timeout: 3000 }).catch(() => {});
    await app.screenshot('drills-progress', { fullPage: false });
    await expectVisible(passed(), 120_000);
    const phases = await page.evaluate(() => (window as unknown as { __phases: string[] }).__phases);
    expect(phases, phases.join(' → ')).toEqual(expect.arrayContaining(['Starting the scratch server', 'Restoring']));
    // Phases only move forward.
    const order = ['Reading the archive', 'Starting the scratch server', 'Restoring', 'Verifying', 'Cleaning up'];
    expect(phases.map((p) => order.indexOf(p))).toEqual([...phases.map((p) => order.indexOf(p))].sort((a, b) => a - b));
    await expectVisible(page.getByRole('status').getByText(`Drill of ${path.basename(archive)} passed.`));

    const result = passed();
    const text = (await result.textContent()) ?? '';
    expect(text).toContain(path.basename(archive));
    expect(text).toMatch(/Recovery time\s*\d+(\.\d)? s|Recovery time\s*\d+ ms/);
    expect(text).toMatch(/embedded PostgreSQL 18\.\d+ on 127\.0\.0\.1:\d+/);
    expect(text).toContain('removed afterwards');
    const [, matched, total] = /Checks\s*(\d+) of (\d+) match/.exec(text) ?? [];
    expect(Number(matched)).toBeGreaterThan(10);
    expect(matched).toBe(total);
    expect(await result.getByRole('list', { name: 'Where the recovery time went' }).textContent()).toMatch(/Restore \d/);

    const table = result.getByRole('region', { name: 'Expected and actual' }).getByRole('table');
    expect(await cells(table.getByRole('row', { name: /Row count shop\.customers/ }))).toEqual(['✓match', 'Row count shop.customers', '500', '500']);
    expect(await cells(table.getByRole('row', { name: /Canary Customers/ }))).toEqual(['✓match', 'Canary Customers', '500', '500']);
    expect(await cells(table.getByRole('row', { name: /Objects Tables/ }))).toEqual(expect.arrayContaining(['✓match']));
    const integrity = await cells(table.getByRole('row', { name: /Integrity/ }));
    const sidecar = JSON.parse(await readFile(`${archive}.json`, 'utf8')) as { sha256: string; drill?: { passed: boolean } };
    expect(integrity.slice(2)).toEqual([sidecar.sha256, sidecar.sha256]);
    expect(await table.locator('.row-mismatch').count()).toBe(0);
    expect(sidecar.drill?.passed).toBe(true);

    // The evidence report: opened by the shell, and it says PASSED.
    await result.getByRole('button', { name: 'Open report' }).click();
    await expect.poll(() => app.revealed.length).toBe(1);
    const report = app.revealed[0]!;
    expect(report.startsWith(path.join(e2e.fixture.dataDir, 'drill-reports'))).toBe(true);
    expect(await readFile(report, 'utf8')).toContain('PASSED');

    // Exported where the user says.
    const exported = path.join(e2e.workDir, 'drill-report.html');
    app.queueChosenFile(exported);
    await result.getByRole('button', { name: 'Export report…' }).click();
    await expectVisible(result.getByText(`Report exported to ${exported}.`));
    expect(await readFile(exported, 'utf8')).toContain('PASSED');
  }, 180_000);

  test('the history lists the drill with its recovery time, and the trend chart summarises it', async () => {
    await expect.poll(() => historyRows().count()).toBe(1);
    const row = await cells(historyRows().first());
    expect(row[1]).toBe('Shop · shop');
    expect(row[2]).toBe('passed');
    // Restore + verify, and the embedded server's start apart.
    const [, recovery, start] = /^(\d\S* m?s) \+ (\d\S* m?s) scratch start$/.exec(row[3] ?? '') ?? [];
    expect(recovery, row[3]).toBeDefined();
    const [record] = await e2e.engine.drills.history();
    expect(Math.abs(msOf(recovery!) - (record!.timings.restoreMs + record!.timings.verifyMs))).toBeLessThanOrEqual(50);
    expect(Math.abs(msOf(start!) - record!.timings.startMs)).toBeLessThanOrEqual(50);
    // A canvas drawn by uPlot, hidden from assistive technology; the words are the chart's name.
    const chart = history().getByRole('img');
    expect(await chart.locator('canvas').count()).toBe(1);
    expect(await chart.locator('[aria-hidden="true"] canvas').count()).toBe(1);
    expect(await chart.getAttribute('aria-label')).toBe(
      `Recovery time (restore and verify) of the one drill so far: ${recovery} (passed). Not counted: starting the scratch server, ${start} on average.`,
    );
  });

  test('the library row shows “Drilled ✓”, and its Drill action runs another drill in the Drills screen', async () => {
    await nav('Backups').click();
    // The library is a table: each archive is a row group (its row, and the "More" row when open).
    const row = page.getByRole('region', { name: 'Archive library' }).getByRole('table', { name: 'Archives' }).getByRole('rowgroup').filter({ has: page.getByRole('rowheader') }).first();
    await expectVisible(row.getByText(/Drilled ✓/));
    await row.getByRole('button', { name: 'Drill', exact: true }).click();
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Drills' }));
    await expect.poll(() => historyRows().count(), { timeout: 120_000 }).toBe(2);
    await expectVisible(passed());
    const label = (await history().getByRole('img').getAttribute('aria-label')) ?? '';
    expect(label).toMatch(/^Recovery time \(restore and verify\) of the last 2 drills, oldest to newest: .+, .+\. The latest, .+, is .+ the first; fastest .+, slowest .+\. All passed\. Not counted: starting the scratch server, .+ on average\.$/);
    // The numbers are also in the table, newest first, in the same words.
    const times = [];
    for (const r of await historyRows().all()) times.unshift(/^(\S+ m?s) \+/.exec((await cells(r))[3] ?? '')?.[1]);
    expect(label).toContain(`oldest to newest: ${times.join(', ')}.`);
  }, 180_000);

  test('the recovery target is saved in the settings, drawn on the chart and stated in its words', async () => {
    const chart = history().getByRole('img');
    await expectVisible(history().getByText('No target: set the time a recovery may take'));
    await history().getByLabel('Recovery target').fill('5');
    await history().getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => e2e.engine.settings.get().recoveryTargetSeconds).toBe(300);
    await expectVisible(page.getByRole('status').getByText('Recovery target set to 5 min.'));
    await expect.poll(async () => (await chart.getAttribute('aria-label')) ?? '').toContain('. Target 5 min: all within. Not counted');
    await expectVisible(history().getByText('Target 5 min: all within.'));
    // Read again after a reload: it is a setting, not the page's state.
    await page.reload();
    await page.waitForSelector('main#main');
    await nav('Drills').click();
    expect(await history().getByLabel('Recovery target').inputValue()).toBe('5');
    await expect.poll(async () => (await history().getByRole('img').getAttribute('aria-label')) ?? '').toContain('Target 5 min: all within.');
  });

  test('a scratch database on the connection’s server can be kept for inspection', async () => {
    await launcher().getByRole('radio', { name: /A server of a connection/ }).check();
    expect(await launcher().getByLabel('Server', { exact: true }).inputValue()).toBe((await e2e.engine.profiles.list())[0]!.id);
    await launcher().getByLabel('Keep the scratch database for inspection').check();
    await launcher().getByRole('button', { name: 'Drill latest backup of Shop' }).click();
    await expect.poll(() => historyRows().count(), { timeout: 120_000 }).toBe(3);
    const result = passed();
    await expectVisible(result.getByText('kept for inspection'));
    const kept = /Scratch database (lifeboat_drill_\w+) · Shop \(/.exec((await result.textContent()) ?? '')?.[1];
    expect(await databases(e2e.cluster)).toContain(kept);
    await e2e.cluster.query(`DROP DATABASE "${kept}"`);
    // Back to the default for what follows.
    await launcher().getByRole('radio', { name: /Embedded PostgreSQL/ }).check();
  }, 180_000);

  test('Settings → “Drill after every backup”: a backup made in the UI is drilled on its own', async () => {
    await nav('Settings').click();
    const toggle = page.getByRole('switch', { name: 'Drill after every backup' });
    expect(await toggle.isChecked()).toBe(false);
    await toggle.check();
    await expect.poll(() => e2e.engine.settings.get().drillAfterBackup).toBe(true);

    await nav('Backups').click();
    await page.getByRole('region', { name: 'Back up a connection' }).getByRole('button', { name: 'Back up now' }).click();
    await expectVisible(page.getByRole('region', { name: 'Backup of Shop complete' }), 60_000);
    await nav('Drills').click();
    await expect.poll(() => historyRows().count(), { timeout: 120_000 }).toBe(4);
    await expectVisible(passed());
    const newest = (await e2e.engine.library.list()).map((e) => e.path).filter((p) => p !== archive);
    expect(newest).toHaveLength(1);
    expect(await passed().textContent()).toContain(path.basename(newest[0]!));
    expect(JSON.parse(await readFile(`${newest[0]!}.json`, 'utf8')).drill?.passed).toBe(true);
    e2e.engine.settings.update({ drillAfterBackup: false });

    // Two backups now: the Backups screen charts their size and duration.
    await nav('Backups').click();
    const sizes = page.getByRole('region', { name: 'Backup size and duration' }).getByRole('img');
    await expect.poll(() => sizes.count()).toBe(2);
    expect(await sizes.nth(0).getAttribute('aria-label')).toMatch(/^Backup size, oldest to newest\. Shop: 2 backups from .+ to .+, latest .+ \(first .+\); smallest .+, largest .+\.$/);
    expect(await sizes.nth(1).getAttribute('aria-label')).toMatch(/^Backup duration, oldest to newest\. Shop: 2 backups .+; fastest .+, slowest .+\.$/);
    await nav('Drills').click();

    // The README picture: a passed drill, its checks, and the history with the trend.
    await history().getByRole('combobox').selectOption('Shop');
    await expect.poll(() => historyRows().count()).toBe(4);
    await page.mouse.move(0, 0);
    await app.screenshot('drills');
    await page.emulateMedia({ colorScheme: 'dark' });
    await app.screenshot('drills-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(app.problems()).toEqual([]);
  }, 240_000);

  test('a backup that would start a program on this machine fails its drill without superuser rights; typed trust drills it again', async () => {
    const hostDir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-e2e-host-'));
    await chmod(hostDir, 0o777);
    const marker = path.join(hostDir, 'ran');
    // Harmless in "shop"; in the drill's scratch database its check constraint starts a program.
    await e2e.cluster.query(`CREATE FUNCTION shop.sneaky(a int) RETURNS boolean LANGUAGE plpgsql AS $$BEGIN
        IF current_database() <> 'shop' THEN EXECUTE 'COPY (SELECT 1) TO PROGRAM ''touch ${marker}'''; END IF; RETURN true; END$$;
      CREATE TABLE shop.guarded (a int CHECK (shop.sneaky(a))); INSERT INTO shop.guarded VALUES (1);`, [], 'shop');
    try {
      await e2e.engine.backups.start({ profile: 'Shop', encryption: { kind: 'settings' } }).result;
      await nav('Backups').click();
      await nav('Drills').click();
      await launcher().getByRole('button', { name: 'Drill latest backup of Shop' }).click();
      const retry = page.getByLabel(/Only if you trust where this file came from/);
      await expectVisible(retry, 120_000);
      expect(await page.getByRole('main').textContent()).toMatch(/permission denied|pg_execute_server_program/);
      expect(existsSync(marker), 'the drill ran as a role that cannot start programs').toBe(false);
      await retry.fill(TRUST_PHRASE);
      await page.getByRole('button', { name: 'Drill again' }).click();
      await expectVisible(passed(), 120_000);
      expect(existsSync(marker), 'trusted, the scratch server ran the program: the refusal came from the role').toBe(true);
    } finally {
      await e2e.cluster.query('DROP TABLE shop.guarded; DROP FUNCTION shop.sneaky(int);', [], 'shop');
      await rm(hostDir, { recursive: true, force: true });
    }
  }, 300_000);
});
