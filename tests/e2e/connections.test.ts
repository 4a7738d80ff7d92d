// Connections screen end to end: real PostgreSQL 18, real engine (keychain or session store),
// the built renderer in Chromium, every call through the zod-validating IPC dispatcher.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import type { Api } from '../../preload/api.ts';
import { expectVisible, navButton, useE2EApp } from '../support/e2e-app.ts';
import type { E2EApp } from '../support/e2e-bridge.ts';
import { readAllFiles } from '../support/engine-fixture.ts';

const PROFILE = 'Local PostgreSQL 18';

const e2e = useE2EApp({
  databases: { analytics: 'CREATE TABLE events AS SELECT g AS id, md5(g::text) AS payload FROM generate_series(1, 20000) g' },
  folders: false,
  // 2× pixels: the connections screenshot heads the README.
  open: { deviceScaleFactor: 2 },
});
let app: E2EApp;
let page: Page;

beforeAll(() => {
  ({ app, page } = e2e);
  // Which password store this run exercised: the OS keychain (keyring session) or memory only.
  console.info(`[e2e] password store: ${e2e.engine.secrets.storage} — ${e2e.engine.secrets.status().message}`);
});

const nav = (name: string) => navButton(page, name);
const card = (name: string): Locator => page.getByRole('article', { name, exact: true });
const dialog = () => page.getByRole('dialog');

async function fillProfileForm(fields: { name: string; port: number; password: string; database?: string }) {
  const form = dialog();
  await form.getByLabel('Name', { exact: true }).fill(fields.name);
  await form.getByLabel('Host', { exact: true }).fill('127.0.0.1');
  await form.getByLabel('Port', { exact: true }).fill(String(fields.port));
  await form.getByLabel('Database', { exact: true }).fill(fields.database ?? 'postgres');
  await form.getByLabel('User', { exact: true }).fill('postgres');
  await form.getByLabel('Password', { exact: true }).fill(fields.password);
  await form.getByLabel('SSL mode').selectOption('disable');
}

describe('Connections', () => {
  test('shows the frame with landmarks, the Overview first, and the Connections screen a click away', async () => {
    await expectVisible(page.getByRole('navigation', { name: 'Main' }));
    await expectVisible(page.getByRole('main'));
    expect(await nav('Overview').getAttribute('aria-current')).toBe('page');
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Overview' }));
    await expectVisible(page.getByText('Nothing to protect yet'));
    await nav('Connections').click();
    expect(await nav('Connections').getAttribute('aria-current')).toBe('page');
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Connections' }));
    await expectVisible(page.getByText('No connections yet'));
  });

  test('invalid input: the form shows the message and the fix, from the form and from the engine', async () => {
    await page.getByRole('button', { name: 'Add connection' }).click();
    await expectVisible(dialog());
    await dialog().getByLabel('Name', { exact: true }).fill('');
    await dialog().getByRole('button', { name: 'Save' }).click();
    const alert = dialog().getByRole('alert');
    await expectVisible(alert);
    expect(await alert.textContent()).toContain('The connection needs a name.');

    // verify-full without a CA certificate passes the IPC schema and is refused by the engine.
    await dialog().getByLabel('Name', { exact: true }).fill('needs a CA');
    await dialog().getByLabel('SSL mode').selectOption('verify-full');
    await dialog().getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => alert.textContent()).toContain('SSL mode verify-full needs the server');
    expect(await alert.textContent()).toContain('How to fix: Choose the CA certificate file');
    expect(await e2e.engine.profiles.list()).toEqual([]);
    await dialog().getByRole('button', { name: 'Cancel' }).click();
    await dialog().waitFor({ state: 'detached' });
  });

  test('adds a profile in the UI, and its test shows PostgreSQL 18 and the pg_dump 18 Lifeboat will use', async () => {
    await page.getByRole('button', { name: 'Add connection' }).click();
    await fillProfileForm({ name: PROFILE, port: e2e.cluster.port, password: e2e.password });
    await dialog().getByRole('radio', { name: 'blue' }).check();
    await dialog().getByRole('button', { name: 'Save' }).click();
    await dialog().waitFor({ state: 'detached' });

    const profile = card(PROFILE);
    await expectVisible(profile);
    expect(await profile.textContent()).toContain(`postgres@127.0.0.1:${e2e.cluster.port}/postgres`);
    const storage = e2e.engine.secrets.storage === 'keychain' ? 'keychain' : 'this session only';
    expect(await profile.textContent()).toContain(`Password: ${storage}`);

    await profile.getByRole('button', { name: 'Test connection' }).click();
    const result = profile.getByRole('region', { name: /Connected/ });
    await expectVisible(result);
    const text = (await result.textContent()) ?? '';
    expect(text).toMatch(/PostgreSQL 18\.\d+/);
    expect(text).toMatch(/pg_dump 18\.\d+/);
    expect(text).toMatch(/pg_restore 18\.\d+/);
    expect(text).toMatch(/\d+(\.\d)? MB/);
    expect(text).toMatch(/\d+ ms/);
    await expectVisible(page.getByRole('status').getByText(/Connection to .* succeeded/));

    // Saved: the password is gone from the page, the store and every file Lifeboat wrote.
    expect(await page.content()).not.toContain(e2e.password);
    expect(await page.evaluate(() => document.body.innerText)).not.toContain(e2e.password);
    const files = await readAllFiles(e2e.fixture.dataDir);
    expect(files.length).toBeGreaterThan(0);
    for (const { file, content } of files) expect(content.includes(e2e.password), `password found in ${file}`).toBe(false);
    // The renderer never gets it back either.
    const listed = await page.evaluate(() => (window as unknown as { api: Api }).api.profiles.list());
    expect(JSON.stringify(listed)).not.toContain(e2e.password);
  });

  test('a wrong password fails the test with the message and the fix', async () => {
    const profile = card(PROFILE);
    await profile.getByRole('button', { name: 'Edit' }).click();
    await expectVisible(dialog());
    expect(await dialog().getByLabel('Password', { exact: true }).inputValue()).toBe('');
    await dialog().getByLabel('Password', { exact: true }).fill('not-the-password');
    await dialog().getByRole('button', { name: 'Save' }).click();
    await dialog().waitFor({ state: 'detached' });

    await profile.getByRole('button', { name: 'Test connection' }).click();
    const alert = profile.getByRole('alert');
    await expectVisible(alert);
    const text = (await alert.textContent()) ?? '';
    expect(text).toContain('Wrong password');
    expect(text).toContain('How to fix:');
    await app.screenshot('connections-failed');

    // Put the right one back: an empty password on edit keeps the saved one, so type it again.
    await profile.getByRole('button', { name: 'Edit' }).click();
    await dialog().getByLabel('Password', { exact: true }).fill(e2e.password);
    await dialog().getByRole('button', { name: 'Save' }).click();
    await dialog().waitFor({ state: 'detached' });
    await profile.getByRole('button', { name: 'Test connection' }).click();
    await expectVisible(profile.getByRole('region', { name: /Connected/ }));
    expect(await page.content()).not.toContain(e2e.password);
  });

  test('"Test connection" inside the add dialog tests the fields as typed, before saving, and offers the server\'s databases', async () => {
    await page.getByRole('button', { name: 'Add connection' }).click();
    await fillProfileForm({ name: 'Typed', port: e2e.cluster.port, password: 'not-the-password' });
    const form = dialog();
    await form.getByRole('button', { name: 'Test connection' }).click();
    await expect.poll(async () => (await form.getByRole('alert').first().textContent()) ?? '').toContain('Wrong password');

    await form.getByLabel('Password', { exact: true }).fill(e2e.password);
    await form.getByRole('button', { name: 'Test connection' }).click();
    const result = form.getByRole('region', { name: /Connected/ });
    await expectVisible(result);
    expect(await result.textContent()).toMatch(/PostgreSQL 18\.\d+/);
    // The server's databases (templates left out) to pick from; the field stays typeable.
    const picker = form.getByRole('combobox', { name: 'Databases on the server' });
    expect(await picker.locator('option').allTextContents()).toEqual(['Pick from the server…', 'analytics', 'postgres']);
    await picker.selectOption('analytics');
    expect(await form.getByLabel('Database', { exact: true }).inputValue()).toBe('analytics');
    await form.getByLabel('Database', { exact: true }).fill('postgres');
    await app.screenshot('connection-form-test', { fullPage: false });

    // Nothing was saved, and no result the page received holds the password.
    await form.getByRole('button', { name: 'Cancel' }).click();
    await dialog().waitFor({ state: 'detached' });
    expect((await e2e.engine.profiles.list()).map((p) => p.name)).not.toContain('Typed');
    expect(app.calls.filter((c) => c.channel === 'profiles:test-input')).toHaveLength(2);
    expect(JSON.stringify(app.traffic)).not.toContain(e2e.password);
    expect(await page.content()).not.toContain(e2e.password);
  });

  test('imports a connection from a postgres:// URI (preview, then save)', async () => {
    await page.getByRole('button', { name: 'Import…' }).click();
    const uri = `postgres://postgres:${e2e.password}@127.0.0.1:${e2e.cluster.port}/analytics?sslmode=disable`;
    await page.getByLabel('Connection URI').fill(uri);
    await page.getByRole('button', { name: 'Preview URI' }).click();
    await expectVisible(page.getByText('Found 1 connection'));
    await expectVisible(page.getByText('password found'));
    await page.getByLabel('Name for the imported connection').fill('Analytics');
    await app.screenshot('connections-import');
    await page.getByRole('button', { name: 'Save imported connection' }).click();
    const imported = card('Analytics');
    await expectVisible(imported);
    expect(await imported.textContent()).toContain(`postgres@127.0.0.1:${e2e.cluster.port}/analytics`);
    const storage = e2e.engine.secrets.storage === 'keychain' ? 'keychain' : 'this session only';
    expect(await imported.textContent()).toContain(`Password: ${storage}`);
    // The URI held the password: the field is gone and nothing on the page still has it.
    expect(await page.getByLabel('Connection URI').count()).toBe(0);
    expect(await page.content()).not.toContain(e2e.password);

    // Give it its own colour label through the edit form.
    await imported.getByRole('button', { name: 'Edit' }).click();
    await dialog().getByRole('radio', { name: 'purple' }).check();
    await dialog().getByRole('button', { name: 'Save' }).click();
    await dialog().waitFor({ state: 'detached' });
    await expectVisible(imported.getByRole('img', { name: 'Colour label purple' }));
    expect((await e2e.engine.profiles.get('Analytics')).color).toBe('purple');
  });

  test('edit: a backup folder chosen in the dialog and a canary are saved, Test uses the saved password, and later edits keep both', async () => {
    const analytics = card('Analytics');
    await analytics.getByRole('button', { name: 'Edit' }).click();
    const form = dialog();
    const folderGroup = form.getByRole('group', { name: 'Backup folder' });
    await expect.poll(() => folderGroup.textContent()).toMatch(/Default: \//);
    const folder = path.join(e2e.fixture.dataDir, 'analytics-backups');
    app.queueChosenFile(folder);
    await folderGroup.getByRole('button', { name: 'Choose the backup folder' }).click();
    await expect.poll(() => folderGroup.textContent()).toContain(folder);

    // The password field is left empty: main tests with the saved password, which never comes back.
    await form.getByRole('button', { name: 'Test connection' }).click();
    await expectVisible(form.getByRole('region', { name: /Connected/ }));
    expect(await form.getByRole('region', { name: /Connected/ }).textContent()).toMatch(/PostgreSQL 18\.\d+/);

    // A canary of two statements is refused by the engine, and the form says why.
    await form.getByRole('button', { name: 'Add canary' }).click();
    const canary = form.getByRole('group', { name: 'Canary 1' });
    await canary.getByLabel('Canary name').fill('events');
    await canary.getByLabel('Canary SQL').fill('SELECT count(*) FROM events; SELECT 1');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => (await form.getByRole('alert').last().textContent()) ?? '').toContain('Canary "events" holds 2 statements');
    await canary.getByLabel('Canary SQL').fill('SELECT count(*) FROM events;');
    await app.screenshot('connection-form-canary', { fullPage: false });
    await form.getByRole('button', { name: 'Save' }).click();
    await dialog().waitFor({ state: 'detached' });
    // New SQL that runs at every backup was confirmed in main.
    expect(app.confirmations.at(-1)).toContain('Run this canary query on Analytics at every backup?');
    expect(app.confirmations.at(-1)).toContain('events: SELECT count(*) FROM events');
    const events = [{ name: 'events', sql: 'SELECT count(*) FROM events' }];
    expect(await e2e.engine.profiles.get('Analytics')).toMatchObject({ backupFolder: folder, canaryQueries: events });

    // Another edit (the colour, then back) keeps the folder and the canary, and asks nothing.
    const asked = app.confirmations.length;
    for (const color of ['teal', 'purple']) {
      await analytics.getByRole('button', { name: 'Edit' }).click();
      await expect.poll(() => dialog().getByRole('group', { name: 'Backup folder' }).textContent()).toContain(folder);
      expect(await dialog().getByRole('group', { name: 'Canary 1' }).getByLabel('Canary SQL').inputValue()).toBe(events[0]!.sql);
      await dialog().getByRole('radio', { name: color }).check();
      await dialog().getByRole('button', { name: 'Save' }).click();
      await dialog().waitFor({ state: 'detached' });
      expect(await e2e.engine.profiles.get('Analytics')).toMatchObject({ color, backupFolder: folder, canaryQueries: events });
    }
    expect(app.confirmations).toHaveLength(asked);
    expect(JSON.stringify(app.traffic)).not.toContain(e2e.password);
  });

  test('duplicates and deletes with a confirm step', async () => {
    await card('Analytics').getByRole('button', { name: 'Duplicate' }).click();
    const copy = card('Analytics copy');
    await expectVisible(copy);
    await copy.getByRole('button', { name: 'Delete' }).click();
    // Nothing is deleted before the confirmation.
    expect((await e2e.engine.profiles.list()).map((p) => p.name)).toContain('Analytics copy');
    await copy.getByRole('button', { name: 'Delete connection' }).click();
    await copy.waitFor({ state: 'detached' });
    expect((await e2e.engine.profiles.list()).map((p) => p.name)).not.toContain('Analytics copy');
    // Focus stays where the user was: on the connection that took the deleted one's place.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Analytics');
  });

  test('the CA certificate "Choose…" button fills the path from the native dialog', async () => {
    const ca = path.join(e2e.fixture.dataDir, 'root.crt');
    await writeFile(ca, 'not really a certificate\n');
    app.queueChosenFile(ca);
    await card('Analytics').getByRole('button', { name: 'Edit' }).click();
    await dialog().getByRole('button', { name: 'Choose CA certificate file' }).click();
    await expect.poll(() => dialog().getByLabel('CA certificate', { exact: true }).inputValue()).toBe(ca);
    await dialog().getByRole('button', { name: 'Cancel' }).click();
    await dialog().waitFor({ state: 'detached' });
  });

  test('menu events navigate and open the new-connection form', async () => {
    expect(await app.emit('menu:navigate', 'settings')).toBe(1);
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Settings' }));
    expect(await app.emit('menu:new-profile')).toBe(1);
    await expectVisible(dialog().getByRole('heading', { name: 'Add connection' }));
    await page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'detached' });
    expect(await nav('Connections').getAttribute('aria-current')).toBe('page');
  });

  test('Settings: tools report, and the configured tools folder (validated in main)', async () => {
    await nav('Settings').click();
    const folder = page.getByRole('group', { name: 'PostgreSQL tools folder' });
    // Cancelled in the folder dialog: nothing changes and nothing is asked.
    app.queueChosenFile(null);
    await folder.getByRole('button', { name: 'Choose folder…' }).click();
    expect(e2e.engine.settings.get().pgToolsDir).toBeNull();
    // Chosen, then declined in main's own question: still nothing.
    app.queueChosenFile('/usr/lib/postgresql/15/bin');
    app.answerNextConfirm(false);
    await folder.getByRole('button', { name: 'Choose folder…' }).click();
    await expect.poll(async () => (await page.getByRole('alert').textContent()) ?? '').toContain('The settings were not changed');
    expect(app.confirmations.at(-1)).toContain('Run PostgreSQL tools from /usr/lib/postgresql/15/bin');
    expect(e2e.engine.settings.get().pgToolsDir).toBeNull();

    app.queueChosenFile('/usr/lib/postgresql/15/bin');
    await folder.getByRole('button', { name: 'Choose folder…' }).click();
    await expectVisible(page.getByRole('cell', { name: 'configured folder' }));
    expect(e2e.engine.settings.get().pgToolsDir).toBe('/usr/lib/postgresql/15/bin');
    // The bundled 18 stays chosen: newest first.
    expect(await page.getByRole('row', { name: /pg_dump\s*chosen/ }).textContent()).toMatch(/18\.\d+/);

    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => page.getByRole('cell', { name: 'configured folder' }).count()).toBe(0);
    expect(e2e.engine.settings.get().pgToolsDir).toBeNull();
    await nav('Connections').click();
  });

  test('the navigation works from the keyboard, and focus moves to the new screen\'s heading', async () => {
    const focused = () => page.evaluate(() => `${document.activeElement?.tagName} ${document.activeElement?.textContent}`);
    await page.getByRole('link', { name: 'Skip to content' }).focus();
    await expectVisible(page.getByRole('link', { name: 'Skip to content' }));
    await nav('Connections').focus();
    await page.keyboard.press('ArrowDown');
    expect(await focused()).toBe('BUTTON Backups');
    await page.keyboard.press('Enter');
    expect(await nav('Backups').getAttribute('aria-current')).toBe('page');
    await expect.poll(focused).toBe('H1 Backups');
    await nav('Backups').focus();
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Settings' }));
    await expect.poll(focused).toBe('H1 Settings');
    await nav('Settings').focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('Enter');
    expect(await nav('Overview').getAttribute('aria-current')).toBe('page');
    // Ctrl+, opens Settings from anywhere.
    await page.keyboard.press('Control+Comma');
    expect(await nav('Settings').getAttribute('aria-current')).toBe('page');
    await nav('Connections').click();
  });

  test('screenshots of every screen', async () => {
    // The README's picture: the PG 18 profile with a fresh successful test.
    const profile = card(PROFILE);
    await profile.getByRole('button', { name: 'Test connection' }).click();
    await expectVisible(profile.getByRole('region', { name: /Connected/ }));
    await page.mouse.move(0, 0);
    await app.screenshot('connections');
    await page.emulateMedia({ colorScheme: 'dark' });
    await app.screenshot('connections-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    await page.getByRole('button', { name: 'Add connection' }).click();
    await dialog().getByLabel('Name', { exact: true }).fill('production');
    await dialog().getByLabel('Host', { exact: true }).fill('db.example.com');
    await dialog().getByLabel('Database', { exact: true }).fill('shop');
    await dialog().getByLabel('User', { exact: true }).fill('backup');
    await dialog().getByLabel('SSL mode').selectOption('verify-full');
    await dialog().getByRole('radio', { name: 'red' }).check();
    await app.screenshot('connection-form');
    await dialog().getByRole('button', { name: 'Cancel' }).click();
    await dialog().waitFor({ state: 'detached' });

    for (const screen of ['Backups', 'Restore', 'Drills', 'Schedules', 'Activity', 'Settings']) {
      await nav(screen).click();
      await expectVisible(page.getByRole('heading', { level: 1, name: screen }));
      if (screen === 'Settings') await expectVisible(page.getByRole('table'));
      await page.mouse.move(0, 0);
      // backups.png and settings.png come from backups.test.ts, restore.png and drills.png from their own
      // tests, each with something to show.
      if (!['Backups', 'Restore', 'Drills', 'Settings'].includes(screen)) await app.screenshot(screen.toLowerCase());
    }

    const settings = page.getByRole('main');
    expect(await settings.textContent()).toContain(e2e.fixture.dataDir);
    expect(await settings.textContent()).toMatch(/pg_dump\s*chosen/);
    expect(app.problems()).toEqual([]);
  });
});

