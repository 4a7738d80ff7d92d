// Restoring a whole-server run onto another server from the Backups screen, end to end (the migration
// case): a profile whose scope is two small databases on an old server (PostgreSQL 16 when this
// machine has it) is backed up from the app (real pg_dump 18, real keychain and age encryption); then
// "Restore the run…" onto a connection to a second, new server (PostgreSQL 18) where one of the names
// is already taken. The one checklist shows that blocker with its fix and Restore stays disabled; with
// a new name for that database and a second check, Restore restores both, the progress names each
// database, and the result says both were restored and verified. On the new server the rows arrived,
// the role the tables belong to was created from the run's globals, and the database that had the
// name is untouched.
import type { Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import type { JobOutcome } from '../../main/ipc/contract.ts';
import { expectVisible, IDENTITY_ACCOUNT, navButton, PASSPHRASE_ACCOUNT, useE2EApp } from '../support/e2e-app.ts';
import type { E2EApp } from '../support/e2e-bridge.ts';
import { availableMajors, startCluster, type Cluster } from '../support/pg-cluster.ts';

const SOURCE = 'Old server';
const TARGET = 'New server';
const SOURCE_MAJOR = availableMajors().includes(16) ? 16 : 18;
const SHOP_SQL = `
CREATE TABLE public.items AS SELECT g AS id, 'item ' || g AS name FROM generate_series(1, 500) g;
ALTER TABLE public.items ADD PRIMARY KEY (id);
ALTER TABLE public.items OWNER TO shop_owner;
`;
const CRM_SQL = `
CREATE SCHEMA sales;
CREATE TABLE sales.contacts (id int PRIMARY KEY, email text NOT NULL);
INSERT INTO sales.contacts SELECT g, 'c' || g || '@example.com' FROM generate_series(1, 300) g;
`;

/** The old server the run is taken from; the harness's PostgreSQL 18 cluster is the new one. */
let source: Cluster;

const e2e = useE2EApp({
  // On the new server, "crm" is taken already: a database of its own that the restore must not touch.
  databases: { crm: 'CREATE TABLE already_here (note text); INSERT INTO already_here VALUES (\'the new server\'\'s own crm\')' },
  keychain: { why: "the run's first archive creates Lifeboat's key there, and the restore opens the archives with it", accounts: [IDENTITY_ACCOUNT, PASSPHRASE_ACCOUNT] },
  prepare: async ({ engine, connection, password }) => {
    source = await startCluster(SOURCE_MAJOR, { password });
    await source.query('CREATE ROLE shop_owner NOLOGIN');
    for (const [name, sql] of [['shop', SHOP_SQL], ['crm', CRM_SQL]] as const) {
      await source.createDatabase(name);
      await source.query(sql, [], name);
    }
    await engine.profiles.add({ ...connection, port: source.port, name: SOURCE, database: 'postgres', color: 'purple', scope: { kind: 'list', databases: ['shop', 'crm'] } });
    await engine.profiles.add({ ...connection, name: TARGET, database: 'postgres', color: 'green' });
  },
});
let app: E2EApp;
let page: Page;
beforeAll(() => void ({ app, page } = e2e));

const nav = (name: string) => navButton(page, name);
const runs = () => page.getByRole('region', { name: 'Archive library' }).getByRole('region', { name: 'Whole-server runs' });
const dialog = () => page.getByRole('dialog', { name: 'Restore the run' });
const checklist = () => dialog().getByRole('region', { name: 'Checklist' });
const checksFor = (database: string) => checklist().getByRole('list', { name: `Checks for ${database}` });
const restoreButton = () => dialog().getByRole('button', { name: /^Restore \d+ databases?$/ });
const text = async (locator: Locator) => ((await locator.textContent()) ?? '').replace(/\s+/g, ' ');
const finishedJobs = () => app.traffic.filter((t) => t.kind === 'event' && t.channel === 'jobs:finished').map((t) => (t.payload as [JobOutcome])[0]);
const databasesOnTarget = async () => (await e2e.cluster.query<{ datname: string }>('SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1')).map((r) => r.datname);

/** Records, in the page, every text the restore's progress showed. */
async function watchProgress(): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __restoreTexts: string[] };
    w.__restoreTexts = [];
    const record = () => {
      document.querySelectorAll('.run-restore-progress[aria-busy="true"]').forEach((row) => w.__restoreTexts.push(row.textContent ?? ''));
    };
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
}

describe('Restoring a whole-server run onto another server', () => {
  test('a run of two databases is backed up from the app and offers "Restore the run…"', async () => {
    await nav('Backups').click();
    const launcher = page.getByRole('region', { name: 'Back up a connection' });
    await launcher.getByLabel('Connection').selectOption({ label: `${SOURCE} — 2 databases: shop, crm` });
    await launcher.getByRole('button', { name: 'Back up now' }).click();
    await expectVisible(page.getByRole('region', { name: `Backup of ${SOURCE}: all 2 databases backed up` }), 120_000);

    await expectVisible(runs());
    const row = runs().getByRole('list', { name: 'Whole-server runs' }).locator('.run-toggle').first();
    expect(await text(row)).toContain(`(PostgreSQL ${SOURCE_MAJOR}`);
    await row.click();
    const panel = runs().locator('.run-panel:not([hidden])');
    await panel.getByRole('button', { name: 'Restore the run…' }).click();

    // The dialog opens with the focus on its heading; nothing is chosen for the user but the databases and roles.
    await expectVisible(dialog());
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName + ':' + document.activeElement?.textContent?.trim())).toBe('H2:Restore the run');
    expect(await dialog().getByLabel('Restore onto (connection)').inputValue()).toBe('');
    for (const database of ['shop', 'crm']) expect(await dialog().getByRole('checkbox', { name: database, exact: true }).isChecked(), database).toBe(true);
    expect(await dialog().getByRole('checkbox', { name: 'Create missing roles' }).isChecked()).toBe(true);
    expect(await text(dialog())).toContain('without passwords');
    expect(await dialog().getByRole('button', { name: 'Check', exact: true }).isDisabled()).toBe(true);
    expect(await restoreButton().isDisabled()).toBe(true);
  }, 180_000);

  test('onto a server where "crm" exists, the one checklist blocks with the fix, and Restore stays disabled', async () => {
    const before = await databasesOnTarget();
    await dialog().getByLabel('Restore onto (connection)').selectOption({ label: `${TARGET} — 127.0.0.1:${e2e.cluster.port}` });
    await dialog().getByRole('button', { name: 'Check', exact: true }).click();
    await expectVisible(checklist().getByText('1 blocker to resolve'), 90_000);

    // The run-level items first, then each database's under its name.
    const groups = await checklist().locator('.run-check-title').allTextContents();
    expect(groups[0]).toBe('The whole run');
    expect(groups.slice(1).map((g) => g.replace(/\s+/g, ' ')).sort()).toEqual(['crm → “crm”', 'shop → “shop”']);
    expect(await text(checklist().getByRole('list', { name: 'Checks for the whole run' }))).toContain('Disk space for all databases');

    const blocker = checksFor('crm').locator('.check-blocker');
    expect(await blocker.count()).toBe(1);
    const said = await text(blocker);
    expect(said).toContain('A database named "crm" already exists');
    expect(said).toContain('How to fix: A database with this name exists on the target: give crm a new name under “Restore as”');
    expect(await checksFor('shop').locator('.check-blocker').count()).toBe(0);
    // The role shop's table belongs to is created from the run's globals.
    expect(await text(checksFor('shop'))).toContain('Will create shop_owner');

    const crmName = dialog().getByLabel('New name for crm');
    expect(await crmName.getAttribute('aria-invalid')).toBe('true');
    expect(await restoreButton().isDisabled()).toBe(true);
    await page.mouse.move(0, 0);
    await app.screenshot('run-restore-blocked', { fullPage: false });
    expect(await databasesOnTarget()).toEqual(before);
  }, 120_000);

  test('with a new name for crm and a second check, Restore restores both databases, the progress naming each', async () => {
    await dialog().getByLabel('New name for crm').fill('crm_from_old');
    // The checklist shown is no longer the one of these choices.
    await expectVisible(checklist().getByText('Changed since the check: check again.'));
    expect(await restoreButton().isDisabled()).toBe(true);
    await dialog().getByRole('button', { name: 'Check again' }).click();
    await expectVisible(checklist().getByText('Ready to restore'), 90_000);
    expect(await text(checklist())).toContain('crm → “crm_from_old”');
    expect(await restoreButton().textContent()).toContain('Restore 2 databases');

    await watchProgress();
    await restoreButton().click();
    const verdict = dialog().getByRole('region', { name: 'Restored all 2 databases of the run' });
    await expectVisible(verdict, 300_000);
    const seen = await page.evaluate(() => (window as unknown as { __restoreTexts: string[] }).__restoreTexts);
    expect(seen.some((t) => /Restoring the run: (shop → shop|crm → crm_from_old): .+ \([12] of 2\)/.test(t)), `the progress named the database being restored (saw ${seen.length} texts)`).toBe(true);

    for (const [database, into] of [['shop', 'shop'], ['crm', 'crm_from_old']] as const) {
      const line = await text(verdict.getByRole('row', { name: new RegExp(`^${database}\\b`) }));
      expect(line).toContain(into);
      expect(line).toContain('Restored');
      expect(line).not.toContain('FAILED');
    }
    expect(await text(verdict.getByRole('row', { name: /^shop\b/ }))).toContain('Created roles: shop_owner');
    await expectVisible(page.getByRole('status').getByText(`onto ${TARGET}: all 2 databases (`, { exact: false }));
    const restored = finishedJobs().findLast((o) => o.kind === 'restore');
    expect(restored).toMatchObject({ ok: true, runRestore: { outcome: 'ok' } });
    const databases = restored?.ok && restored.kind === 'restore' ? (restored.runRestore?.databases ?? []) : [];
    expect(databases.map((d) => [d.source, d.target, d.error]).sort()).toEqual([['crm', 'crm_from_old', null], ['shop', 'shop', null]]);
    await page.mouse.move(0, 0);
    await app.screenshot('run-restore-done', { fullPage: false });

    // On the new server: the rows, the role, and the crm that was there before, untouched.
    expect(await e2e.cluster.query('SELECT count(*)::int AS n, max(name) AS last FROM public.items', [], 'shop')).toEqual([{ n: 500, last: 'item 99' }]);
    expect(await e2e.cluster.query("SELECT tableowner FROM pg_tables WHERE tablename = 'items'", [], 'shop')).toEqual([{ tableowner: 'shop_owner' }]);
    expect(await e2e.cluster.query('SELECT count(*)::int AS n FROM sales.contacts', [], 'crm_from_old')).toEqual([{ n: 300 }]);
    expect(await e2e.cluster.query("SELECT email FROM sales.contacts WHERE id = 7", [], 'crm_from_old')).toEqual([{ email: 'c7@example.com' }]);
    expect(await e2e.cluster.query('SELECT note FROM already_here', [], 'crm')).toEqual([{ note: "the new server's own crm" }]);
    expect(await e2e.cluster.query("SELECT to_regclass('sales.contacts') AS t", [], 'crm')).toEqual([{ t: null }]);
    expect(await e2e.cluster.query("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'shop_owner'")).toEqual([{ rolcanlogin: false }]);
    // The old server is as it was.
    expect(await source.query('SELECT count(*)::int AS n FROM sales.contacts', [], 'crm')).toEqual([{ n: 300 }]);
  }, 420_000);

  test('Escape closes the dialog and the focus returns to "Restore the run…", which shows the result again', async () => {
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog().count()).toBe(0);
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent?.trim() ?? '')).toContain('Restore the run…');
    const panel = runs().locator('.run-panel:not([hidden])');
    await panel.getByRole('button', { name: /Restore the run…/ }).click();
    await expectVisible(dialog().getByRole('region', { name: 'Restored all 2 databases of the run' }));
    await dialog().getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => dialog().count()).toBe(0);
  });
});
