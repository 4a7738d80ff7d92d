// Whole-server backups end to end: a profile made in the form backs up "all databases on the server"
// with a leave-out pattern, against a real PostgreSQL 18, with the real engine (real keychain, real
// pg_dump 18, real age encryption), in the built renderer in Chromium. Then the scope becomes a list
// naming a database the server does not have, and a database of the first run is dropped: the run is
// PARTIAL, says why, and says what is gone.
import { readdir } from 'node:fs/promises';
import { beforeAll, describe, expect, test } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { expectVisible, IDENTITY_ACCOUNT, navButton, PASSPHRASE_ACCOUNT, useE2EApp } from '../support/e2e-app.ts';
import type { E2EApp } from '../support/e2e-bridge.ts';

const PROFILE = 'Whole server';

// Large enough that the run is seen dumping for a moment (its progress card is checked), small enough to be quick.
const SHOP_SQL = `
CREATE TABLE public.orders AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS payload FROM generate_series(1, 300000) g;
CREATE TABLE public.customers (id int PRIMARY KEY, email text NOT NULL);
INSERT INTO public.customers SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 500) g;
`;
const CRM_SQL = `CREATE TABLE public.contacts AS SELECT g AS id, 'contact ' || g AS name FROM generate_series(1, 2000) g`;
const TMP_SQL = `CREATE TABLE public.junk AS SELECT g AS id FROM generate_series(1, 10) g`;

const e2e = useE2EApp({
  databases: { shop: SHOP_SQL, crm: CRM_SQL, tmp_scratch: TMP_SQL },
  keychain: { why: "the run's first archive creates Lifeboat's key there", accounts: [IDENTITY_ACCOUNT, PASSPHRASE_ACCOUNT] },
});
let app: E2EApp;
let page: Page;
beforeAll(() => void ({ app, page } = e2e));

const nav = (name: string) => navButton(page, name);
const card = (): Locator => page.getByRole('article', { name: PROFILE, exact: true });
const dialog = () => page.getByRole('dialog');
const launcher = () => page.getByRole('region', { name: 'Back up a connection' });
const rowOf = (summary: Locator, database: string) => summary.getByRole('row', { name: new RegExp(`^${database}\\b`) });
const text = async (locator: Locator) => ((await locator.textContent()) ?? '').replace(/\s+/g, ' ');

/** Records, in the page, every text a running job's card showed (a run may pass its phases quickly). */
async function watchJobCards(): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __jobTexts: string[] };
    w.__jobTexts = [];
    const record = () => {
      document.querySelectorAll('.job-panel[aria-busy="true"]').forEach((panel) => w.__jobTexts.push(panel.textContent ?? ''));
    };
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
}

/** The launcher names a whole-server profile by its scope, as the profile card does. */
async function startBackup(scope: string): Promise<void> {
  await nav('Backups').click();
  await launcher().getByLabel('Connection').selectOption({ label: `${PROFILE} — ${scope}` });
  await launcher().getByRole('button', { name: 'Back up now' }).click();
}

describe('Whole-server backups', () => {
  test('the form saves "all databases on the server" with a leave-out pattern, and the card says so', async () => {
    await page.getByRole('button', { name: 'Add connection' }).click();
    const form = dialog();
    await form.getByLabel('Name', { exact: true }).fill(PROFILE);
    await form.getByLabel('Host', { exact: true }).fill('127.0.0.1');
    await form.getByLabel('Port', { exact: true }).fill(String(e2e.cluster.port));
    await form.getByLabel('Database', { exact: true }).fill('postgres');
    await form.getByLabel('User', { exact: true }).fill('postgres');
    await form.getByLabel('Password', { exact: true }).fill(e2e.password);
    await form.getByLabel('SSL mode').selectOption('disable');
    // The default is today's behaviour: the one database.
    expect(await form.getByRole('radio', { name: /^Only this database/ }).isChecked()).toBe(true);
    await form.getByRole('radio', { name: /^All databases on the server/ }).check();
    const choice = await text(form.getByRole('group', { name: 'Databases to back up' }));
    expect(choice).toContain('new databases are picked up at each run');
    expect(choice).toContain('Each database is consistent on its own');
    await form.getByLabel('Leave out (patterns, * and ?)').fill('tmp_*');
    expect(await form.getByRole('checkbox', { name: 'Include the postgres database' }).isChecked()).toBe(false);
    expect(await form.getByRole('checkbox', { name: 'Include template databases' }).isChecked()).toBe(false);
    await form.getByRole('group', { name: 'Databases to back up' }).scrollIntoViewIfNeeded();
    await app.screenshot('server-run-form', { fullPage: false });
    await form.getByRole('button', { name: 'Save' }).click();
    await dialog().waitFor({ state: 'detached' });

    await expectVisible(card());
    expect(await text(card())).toContain('Backs up All databases except tmp_*');
    const [saved] = await e2e.engine.profiles.list();
    expect(saved?.scope).toEqual({ kind: 'all', exclude: ['tmp_*'], includeMaintenance: false, includeTemplates: false });

    // Editing shows the saved scope.
    await card().getByRole('button', { name: 'Edit' }).click();
    await expectVisible(dialog());
    expect(await dialog().getByRole('radio', { name: /^All databases on the server/ }).isChecked()).toBe(true);
    expect(await dialog().getByLabel('Leave out (patterns, * and ?)').inputValue()).toBe('tmp_*');
    await dialog().getByRole('button', { name: 'Cancel' }).click();
    await dialog().waitFor({ state: 'detached' });
  });

  test('one click backs up every database but the left-out ones, each into its own archive, with a run summary', async () => {
    await nav('Backups').click();
    await watchJobCards();
    await startBackup('All databases except tmp_*');

    const summary = page.getByRole('region', { name: `Backup of ${PROFILE}: all 2 databases backed up` });
    await expectVisible(summary, 90_000);
    // While it ran, the card said how many databases were done and which were being dumped.
    const seen = await page.evaluate(() => (window as unknown as { __jobTexts: string[] }).__jobTexts);
    expect(seen.some((t) => /\d of 2 databases done/.test(t)), `the progress card showed the run's count (saw ${seen.length} texts)`).toBe(true);
    expect(seen.some((t) => /Dumping now(shop|crm)/.test(t)), 'the progress card named a database being dumped').toBe(true);

    for (const database of ['shop', 'crm']) {
      const row = await text(rowOf(summary, database));
      expect(row).toContain('Backed up');
      expect(row).toMatch(new RegExp(`${database}_\\d{8}T\\d{6}Z\\.lifeboat`));
    }
    expect(await rowOf(summary, 'tmp_scratch').count()).toBe(0);
    const all = await text(summary);
    expect(all).toContain('Left out: postgres, template1, tmp_scratch');
    expect(all).toContain('Each database is consistent on its own (its own snapshot); the databases are not consistent with each other.');
    expect(all).toContain('Databases2 of 2');
    expect(all).not.toContain('Roles and tablespaces were not saved');
    await expectVisible(page.getByRole('status').getByText(`Backup of ${PROFILE} finished: all 2 databases backed up.`, { exact: false }));

    const files = await readdir(e2e.backupDir);
    expect(files.filter((f) => f.endsWith('.lifeboat')).sort()).toEqual([expect.stringMatching(/_crm_/), expect.stringMatching(/_shop_/)]);
    expect(files.filter((f) => f.endsWith('.lifeboat-run.json'))).toHaveLength(1);
    await page.mouse.move(0, 0);
    await app.screenshot('server-run');
  });

  test('a list naming a database the server lacks, after a database was dropped: PARTIAL, with the reason and what is gone', async () => {
    await e2e.cluster.query('DROP DATABASE crm');
    await nav('Connections').click();
    await card().getByRole('button', { name: 'Edit' }).click();
    await expectVisible(dialog());
    await dialog().getByRole('radio', { name: /^These databases/ }).check();
    await dialog().getByLabel('Databases (separated by commas or lines)').fill('shop,\nghost');
    await dialog().getByRole('button', { name: 'Save' }).click();
    await dialog().waitFor({ state: 'detached' });
    expect(await text(card())).toContain('Backs up 2 databases: shop, ghost');

    await startBackup('2 databases: shop, ghost');
    const summary = page.getByRole('region', { name: `PARTIAL: 1 of 2 databases of ${PROFILE} backed up, the others failed` });
    await expectVisible(summary, 90_000);
    expect(await text(rowOf(summary, 'shop'))).toContain('Backed up');
    const ghost = await text(rowOf(summary, 'ghost'));
    expect(ghost).toContain('Not on the server');
    expect(ghost).toContain('The database "ghost" is not on the server.');
    expect(ghost).toContain('How to fix: Remove it from the profile\'s list, or create it on the server.');
    const all = await text(summary);
    expect(all).toContain('No longer on the server since the last run: crm');
    expect(all).not.toContain('Left out:');
    await page.mouse.move(0, 0);
    await app.screenshot('server-run-partial');
    await expectVisible(page.getByRole('status').getByText(`Backup of ${PROFILE} PARTIAL: 1 of 2 databases backed up; failed: ghost.`, { exact: false }));

    // Back to one database: the saved scope is removed.
    await nav('Connections').click();
    await card().getByRole('button', { name: 'Edit' }).click();
    await dialog().getByRole('radio', { name: /^Only this database/ }).check();
    await dialog().getByRole('button', { name: 'Save' }).click();
    await dialog().waitFor({ state: 'detached' });
    expect(await text(card())).not.toContain('Backs up');
    expect((await e2e.engine.profiles.list())[0]?.scope).toBeUndefined();
  });
});
