// The Overview end to end, as a new user's first five minutes: the demo started from the first
// screen, then only the next-step prompts — back it up, drill it, open its backups, restore one from
// its library row — without touching the sidebar. Real demo PostgreSQL, real engine and keychain
// (Lifeboat's own key), real embedded scratch server, the built renderer in Chromium.
import type { Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { expectVisible, IDENTITY_ACCOUNT, navButton, useE2EApp } from '../support/e2e-app.ts';
import type { E2EApp } from '../support/e2e-bridge.ts';
import { withUnreadableLibraryFolder } from '../support/e2e-library.ts';

const DEMO = 'Demo shop (local)';

const e2e = useE2EApp({
  databases: {},
  keychain: { why: "the demo's backup is encrypted to Lifeboat's own key and restored with it", accounts: [IDENTITY_ACCOUNT] },
  cleanup: ({ engine }) => engine.demo.remove().catch(() => {}),
  open: { deviceScaleFactor: 2 },
});
let app: E2EApp;
let page: Page;

beforeAll(() => {
  ({ app, page } = e2e);
});

const healthRow = (): Locator => page.getByRole('table', { name: 'Health of each connection' }).getByRole('row', { name: DEMO });
const sidebarJobs = () => page.getByRole('list', { name: 'Running jobs' });

describe('Overview: the first five minutes', () => {
  test('opens first, offers the demo, and shows the demo connection with "Back it up" as the next step', async () => {
    expect(await navButton(page, 'Overview').getAttribute('aria-current')).toBe('page');
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Overview' }));
    const card = page.getByRole('region', { name: 'Try Lifeboat with a demo database' });
    await card.getByRole('button', { name: 'Start the demo' }).click();
    await expectVisible(healthRow(), 120_000);
    expect(await healthRow().textContent()).toContain('No backup yet');
    await expectVisible(page.getByRole('status').filter({ hasText: '1 connection needs attention.' }));
    expect(await healthRow().getByRole('button', { name: 'Drill' }).isDisabled()).toBe(true);
  }, 180_000);

  test('"Back it up" runs on the row and in the sidebar; then the row says how fresh it is and offers "Drill it"', async () => {
    await healthRow().getByRole('button', { name: 'Back it up' }).click();
    // The job shows on every screen while it runs (it may also be done before the first look).
    await expectVisible(sidebarJobs().getByRole('button', { name: /Backing up Demo shop/ }), 10_000).catch(() => {});
    await expectVisible(healthRow().getByText('No limit set'), 120_000);
    expect(await sidebarJobs().count()).toBe(0);
    const [archive] = await e2e.engine.library.list({ profile: DEMO });
    expect(archive).toBeDefined();
    expect(await healthRow().getByRole('button', { name: 'Drill it' }).getAttribute('class')).toContain('btn-primary');
    // No schedule and no stale alert: backed up, but never "within its limit".
    await expectVisible(page.getByRole('status').filter({ hasText: 'Backed up, but with no limit to judge by' }));
  }, 180_000);

  test('"Drill it" proves the backup restores: the row shows the verdict and the recovery time without the scratch start', async () => {
    await healthRow().getByRole('button', { name: 'Drill it' }).click();
    await expectVisible(healthRow().getByText('Passed'), 180_000);
    const [record] = await e2e.engine.drills.history();
    expect(record?.passed).toBe(true);
    const text = (await healthRow().textContent()) ?? '';
    expect(text).toMatch(/Recovery \d/);
    expect(text).toContain('to start the scratch server');
    expect(text).not.toMatch(/\bin a few seconds\b/);
    await healthRow().getByRole('button', { name: 'Open the report' }).click();
    await expect.poll(() => app.revealed.at(-1)).toBe(e2e.engine.drills.reportPath(record!.id));
    expect(await healthRow().getByRole('alert').count()).toBe(0);
    await app.screenshot('overview-health');
  }, 240_000);

  test('with a daily schedule the row is "On time" and says which run it is judged by', async () => {
    const [profile] = (await e2e.engine.profiles.list()).filter((p) => p.name === DEMO);
    await e2e.engine.schedules.set(profile!.id, { backup: { preset: 'daily', time: '01:00', enabled: true } });
    try {
      // The Overview reads health when it opens: leave it and come back.
      await navButton(page, 'Backups').click();
      await navButton(page, 'Overview').click();
      await expectVisible(healthRow().getByText('On time', { exact: true }), 30_000);
      expect(await healthRow().textContent()).toMatch(/Limit: a backup since .+, the scheduled run before the last/);
    } finally {
      await e2e.engine.schedules.set(profile!.id, { backup: { preset: 'daily', time: '01:00', enabled: false } });
    }
  }, 120_000);

  test('a backup folder that cannot be read is said in the library and the Overview, which still show the other folders\' backups', async () => {
    await withUnreadableLibraryFolder(e2e.engine, async (problem) => {
      const alert = page.getByRole('alert').filter({ hasText: problem });
      // The library says it above its archives, which still list…
      await navButton(page, 'Backups').click();
      await expectVisible(alert, 30_000);
      await expectVisible(page.getByRole('table', { name: 'Archives' }).getByRole('button', { name: 'Restore…' }).first());
      // …and so does the Overview, above its rows.
      await navButton(page, 'Overview').click();
      await expectVisible(alert, 30_000);
      expect(await healthRow().textContent()).toContain('Passed');
    });
  }, 120_000);

  test('its backups open in the library, and "Restore…" on the row opens Restore with the file and its checklist', async () => {
    await healthRow().getByRole('button', { name: `Its backups of ${DEMO}` }).click();
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Backups' }));
    // The demo's one backup: its row in the library table.
    const row = page.getByRole('table', { name: 'Archives' }).getByRole('row').filter({ has: page.getByRole('button', { name: 'Restore…' }) });
    expect(await row.count()).toBe(1);
    await row.getByRole('button', { name: 'Restore…' }).click();
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Restore' }));
    const options = page.getByRole('region', { name: 'How to restore' });
    await expectVisible(options, 60_000);
    const checklist = page.getByRole('region', { name: 'Checklist' });
    const restore = checklist.getByRole('button', { name: /^Restore into “/ });
    await expectVisible(restore, 60_000);
    await expect.poll(() => restore.isDisabled(), { timeout: 60_000 }).toBe(false);
    await restore.click();
    await expectVisible(page.getByRole('region', { name: /^Restored into “/ }), 120_000);
  }, 300_000);
});
