// Backups screen and Settings → Encryption & backups end to end: a real PostgreSQL 18, the real
// engine (real keychain, real pg_dump 18, real age encryption), the built renderer in Chromium.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, test } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import type { Api } from '../../preload/api.ts';
import { expectVisible, IDENTITY_ACCOUNT, navButton, PASSPHRASE_ACCOUNT, useE2EApp } from '../support/e2e-app.ts';
import type { E2EApp } from '../support/e2e-bridge.ts';

const run = promisify(execFile);

const SHOP_SQL = `
CREATE SCHEMA billing;
CREATE TABLE public.customers (id int PRIMARY KEY, email text NOT NULL, joined date NOT NULL);
INSERT INTO public.customers SELECT g, 'user' || g || '@example.com', date '2024-01-01' + g % 365 FROM generate_series(1, 500) g;
CREATE TABLE public.products (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL);
INSERT INTO public.products SELECT g, 'Product ' || g, (g * 3.17)::numeric(10,2) FROM generate_series(1, 120) g;
CREATE TABLE public.orders (id bigint PRIMARY KEY, customer_id int REFERENCES public.customers, product_id int REFERENCES public.products, note jsonb);
INSERT INTO public.orders SELECT g, 1 + g % 500, 1 + g % 120, jsonb_build_object('n', g, 'gift', g % 7 = 0) FROM generate_series(1, 3000) g;
CREATE TABLE billing.invoices (id int PRIMARY KEY, order_id bigint REFERENCES public.orders, total numeric(12,2));
INSERT INTO billing.invoices SELECT g, g, (g * 9.99)::numeric(12,2) FROM generate_series(1, 1500) g;
CREATE TABLE public.audit_log (id serial PRIMARY KEY, what text);
`;
const SHOP_TABLES = 5;
const SHOP_ROWS = 500 + 120 + 3000 + 1500;

let archive: string;

// Warehouse is large enough that pg_dump runs for several seconds: something to watch, and to cancel.
const WAREHOUSE_SQL = `CREATE TABLE public.movements AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) || md5((g * 17)::text) AS payload, now() - g * interval '1 second' AS at FROM generate_series(1, 4000000) g`;

const e2e = useE2EApp({
  databases: { shop: SHOP_SQL, warehouse: WAREHOUSE_SQL },
  // The key is per keychain, not per data directory: the first backup here creates it.
  keychain: { why: "the first backup creates Lifeboat's key there", accounts: [IDENTITY_ACCOUNT, PASSPHRASE_ACCOUNT] },
  prepare: async ({ engine, connection }) => {
    await engine.profiles.add({ ...connection, name: 'Shop', database: 'shop', color: 'teal' });
    await engine.profiles.add({ ...connection, name: 'Warehouse', database: 'warehouse', color: 'amber' });
  },
});
let app: E2EApp;
let page: Page;
beforeAll(() => void ({ app, page } = e2e));

const nav = (name: string) => navButton(page, name);
const launcher = () => page.getByRole('region', { name: 'Back up a connection' });
const library = () => page.getByRole('region', { name: 'Archive library' });
/** Each archive of the library table: its row and, when open, its second row (one row group each). */
const archiveRows = () => library().getByRole('table', { name: 'Archives' }).getByRole('rowgroup').filter({ has: page.getByRole('rowheader') });

/** Opens an archive's second row ("More"): its facts and the less frequent actions. */
async function openMore(row: Locator): Promise<void> {
  const more = row.getByRole('button', { name: 'More', exact: true });
  if ((await more.getAttribute('aria-expanded')) !== 'true') await more.click();
}
const warning = () => page.getByRole('region', { name: 'Lifeboat created your backup key' });

async function backupFolderFiles(): Promise<string[]> {
  return (await readdir(e2e.backupDir)).sort();
}

/** Records, in the page, every value the progress bar showed (a small backup may finish in a blink). */
async function watchProgressBars(): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __progressSeen: string[] };
    w.__progressSeen = [];
    const record = () => {
      document.querySelectorAll('[role="progressbar"]').forEach((bar) => w.__progressSeen.push(bar.getAttribute('aria-valuenow') ?? 'indeterminate'));
    };
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
}

describe('Backups', () => {
  test('the screen explains the empty library before any backup', async () => {
    await nav('Backups').click();
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Backups' }));
    await expectVisible(library().getByText('No archives yet'));
    expect(await library().textContent()).toContain(e2e.backupDir);
    // How the backup will be made is said before the click.
    const facts = (await launcher().getByRole('list', { name: 'How the backup is made' }).textContent()) ?? '';
    expect(facts).toContain('Encrypted with Lifeboat’s key (created by this first backup)');
    expect(facts).toContain(e2e.backupDir);
    expect(facts).toContain('zstd level 3');
  });

  test('one click backs up with live progress, then the summary and the recovery-key warning', async () => {
    await launcher().getByLabel('Connection').selectOption({ label: 'Shop — shop' });
    await watchProgressBars();
    await launcher().getByRole('button', { name: 'Back up now' }).click();

    const summary = page.getByRole('region', { name: 'Backup of Shop complete' });
    await expectVisible(summary, 60_000);
    const seen = await page.evaluate(() => (window as unknown as { __progressSeen: string[] }).__progressSeen);
    expect(seen.length, 'the progress panel was shown while the backup ran').toBeGreaterThan(0);

    const [file] = (await backupFolderFiles()).filter((f) => f.endsWith('.lifeboat'));
    expect(file).toMatch(/^Shop_shop_\d{8}T\d{6}Z\.lifeboat$/);
    archive = path.join(e2e.backupDir, file!);
    const text = (await summary.textContent()) ?? '';
    expect(text).toContain(archive);
    expect(text).toContain(`Tables${SHOP_TABLES}`);
    expect(text).toContain(`Rows${SHOP_ROWS.toLocaleString('en-GB')}`);
    expect(text).toMatch(/Size\d+(\.\d)? KB/);
    expect(text).toMatch(/Duration\d/);
    expect(text).toContain('Encrypted · age key');
    await expectVisible(page.getByRole('status').getByText(/Backup of Shop finished/));

    // First backup with Lifeboat's key: a warning that cannot be closed until the key is exported.
    await expectVisible(warning());
    expect(await warning().textContent()).toContain('Export the recovery key now');
    expect(await warning().getByRole('button').allTextContents()).toEqual(['Export recovery key…']);
    await page.mouse.move(0, 0);
    await app.screenshot('backups-recovery-key');
    // It stays across navigation.
    await nav('Connections').click();
    await nav('Backups').click();
    await expectVisible(warning());
    // Ready for the next backup of this connection.
    expect(await launcher().getByRole('button', { name: 'Back up now' }).isEnabled()).toBe(true);
  });

  test('the recovery key is exported to the chosen file, and `age -d -i` opens the archive with it', async () => {
    const keyFile = path.join(e2e.workDir, 'lifeboat-recovery-key.txt');
    app.queueChosenFile(keyFile);
    await warning().getByRole('button', { name: 'Export recovery key…' }).click();
    const saved = page.getByRole('region', { name: 'Recovery key saved' });
    await expectVisible(saved);
    expect(await saved.textContent()).toContain(keyFile);
    expect(await warning().count()).toBe(0);

    const key = await readFile(keyFile, 'utf8');
    expect(key.startsWith('# created:')).toBe(true);
    expect(key).toContain('AGE-SECRET-KEY-1');
    // The secret never reaches the page.
    expect(await page.content()).not.toContain('AGE-SECRET-KEY-1');

    // Recovery without Lifeboat: the Debian age CLI decrypts it to a tar holding the manifest.
    const tarFile = path.join(e2e.workDir, 'archive.tar');
    await run('age', ['-d', '-i', keyFile, '-o', tarFile, archive]);
    const { stdout } = await run('tar', ['-tf', tarFile]);
    const entries = stdout.trim().split('\n');
    expect(entries[0]).toBe('manifest.json');
    expect(entries).toContain('globals.sql');
    expect(entries).toContain('database.dump.0001');
    expect(entries).toContain('checksums.json');

    await saved.getByRole('button', { name: 'Done' }).click();
    await saved.waitFor({ state: 'detached' });
  });

  test('the library lists the archive, and Details shows its tables with their row counts', async () => {
    await expect.poll(() => archiveRows().count()).toBe(1);
    const row = archiveRows().first();
    // The dense row: connection, database, encryption and status in cells of their own.
    const cells = await row.getByRole('row').first().getByRole('cell').allTextContents();
    expect(cells.slice(0, 5)).toEqual(['Shop', 'shop', expect.stringMatching(/^\d+(\.\d)? KB$/), 'Not verified', 'age key']);
    // "More" opens the rest under it.
    await openMore(row);
    const text = (await row.getByRole('list', { name: 'Facts' }).textContent()) ?? '';
    expect(text).toContain('Shop · shop');
    expect(text).toMatch(/PostgreSQL 18\.\d+/);
    expect(text).toContain('Encrypted · age key');
    expect(text).toContain(`${SHOP_TABLES} tables · ${SHOP_ROWS.toLocaleString('en-GB')} rows`);
    expect(text).toContain(path.basename(archive));

    await row.getByRole('button', { name: 'Details' }).click();
    const drawer = page.getByRole('dialog', { name: 'Archive details' });
    await expectVisible(drawer);
    const tables = drawer.getByRole('table');
    await expectVisible(tables);
    const rowOf = async (name: string) => ((await tables.getByRole('row', { name: new RegExp(`^${name.replace('.', '\\.')}\\b`) }).textContent()) ?? '').replace(/\s+/g, ' ');
    expect(await rowOf('public.orders')).toContain('3,000');
    expect(await rowOf('public.customers')).toContain('500');
    expect(await rowOf('billing.invoices')).toContain('1,500');
    expect(await rowOf('public.audit_log')).toMatch(/table\s*0/);
    expect(await tables.getByRole('row', { name: /^Total/ }).textContent()).toContain(SHOP_ROWS.toLocaleString('en-GB'));
    const drawerText = (await drawer.textContent()) ?? '';
    expect(drawerText).toMatch(/Consistent: dump and row counts read snapshot/);
    expect(drawerText).toMatch(/pg_dump18\.\d+/);
    expect(drawerText).toContain('roles, without passwords');
    const sidecar = JSON.parse(await readFile(`${archive}.json`, 'utf8')) as { sha256: string };
    expect(drawerText).toContain(sidecar.sha256);
    // The drawer is as tall as the window: a taller window shows the summary and the tables together.
    await page.setViewportSize({ width: 1280, height: 1500 });
    await app.screenshot('archive-details', { fullPage: false });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
  });

  test('Verify fully runs as a job and the row gets the verified badge; Reveal asks the shell', async () => {
    const row = archiveRows().first();
    await openMore(row);
    await row.getByRole('button', { name: 'Verify fully', exact: true }).click();
    await expectVisible(row.getByText(/Verified \(full\)/), 60_000);
    const sidecar = JSON.parse(await readFile(`${archive}.json`, 'utf8')) as { verification?: { level: string; ok: boolean } };
    expect(sidecar.verification).toMatchObject({ level: 'full', ok: true });
    await expectVisible(page.getByRole('status').getByText(/Verified \(full\)/));

    await row.getByRole('button', { name: 'Reveal in folder' }).click();
    await expect.poll(() => app.revealed).toEqual([archive]);

    // The README picture: a finished backup above a library with one verified archive.
    await page.getByRole('button', { name: 'Back up now' }).scrollIntoViewIfNeeded();
    await page.mouse.move(0, 0);
    await app.screenshot('backups');
    await page.emulateMedia({ colorScheme: 'dark' });
    await app.screenshot('backups-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('Delete names the file, asks to confirm, then removes the archive and its sidecar', async () => {
    await copyFile(archive, path.join(e2e.workDir, path.basename(archive)));
    const row = archiveRows().first();
    await openMore(row);
    await row.getByRole('button', { name: 'Delete', exact: true }).click();
    const confirm = row.getByRole('group', { name: /^Delete / });
    expect(await confirm.textContent()).toContain(path.basename(archive));
    // Nothing is deleted before the confirmation.
    expect(existsSync(archive)).toBe(true);
    await confirm.getByRole('button', { name: 'Delete archive' }).click();
    await expectVisible(library().getByText('No archives yet'));
    expect(existsSync(archive)).toBe(false);
    expect(existsSync(`${archive}.json`)).toBe(false);
  });

  test('Import archive… copies a file into the library and rebuilds its facts from inside it', async () => {
    app.queueChosenFile(path.join(e2e.workDir, path.basename(archive)));
    await library().getByRole('button', { name: 'Import archive…' }).click();
    await expect.poll(() => archiveRows().count()).toBe(1);
    await openMore(archiveRows().first());
    const text = (await archiveRows().first().getByRole('list', { name: 'Facts' }).textContent()) ?? '';
    expect(text).toContain('Shop · shop');
    expect(text).toContain(`${SHOP_ROWS.toLocaleString('en-GB')} rows`);
    expect(existsSync(archive)).toBe(true);
    await expectVisible(page.getByRole('status').getByText(`Imported ${path.basename(archive)}.`));
    // Imported twice: the engine refuses, and says why.
    app.queueChosenFile(path.join(e2e.workDir, path.basename(archive)));
    await library().getByRole('button', { name: 'Import archive…' }).click();
    await expect.poll(async () => (await library().getByRole('alert').textContent()) ?? '').toContain('already exists in the library');
  });

  test('a damaged archive fails Verify, and its row says why', async () => {
    // Flip one byte in the middle: same size, different sha256.
    const bytes = await readFile(archive);
    bytes[bytes.length >> 1]! ^= 0xff;
    await writeFile(archive, bytes);
    const row = archiveRows().first();
    await row.getByRole('button', { name: 'Verify', exact: true }).click();
    await expectVisible(row.getByText(/Verify failed/));
    expect(await row.textContent()).toContain('does not match the one recorded when it was written');
    await expectVisible(page.getByRole('status').getByText(/Verification failed/));
  });

  test('Cancel stops a long backup calmly, and nothing is left in the backup folder', async () => {
    const before = await backupFolderFiles();
    await page.getByRole('region', { name: 'Backup of Shop complete' }).getByRole('button', { name: 'Dismiss' }).click();
    await launcher().getByLabel('Connection').selectOption({ label: 'Warehouse — warehouse' });
    await launcher().getByRole('button', { name: 'Back up now' }).click();

    const panel = page.getByRole('region', { name: 'Backing up Warehouse' });
    await expectVisible(panel);
    // Disabled while this connection's backup runs.
    expect(await launcher().getByRole('button', { name: 'Back up now' }).isDisabled()).toBe(true);
    const bar = panel.getByRole('progressbar');
    // Live progress inside the one big table (pg_stat_progress_copy), with bytes and speed.
    await expect.poll(async () => Number((await bar.getAttribute('aria-valuenow')) ?? 0), { timeout: 30_000 }).toBeGreaterThan(0);
    await expect.poll(async () => (await panel.textContent()) ?? '', { timeout: 10_000 }).toContain('public.movements');

    // A reloaded window re-attaches to the running job (jobs:active) and keeps its subject.
    await page.reload();
    await page.waitForSelector('main#main');
    await nav('Backups').click();
    await expectVisible(panel);
    expect(await launcher().getByRole('button', { name: 'Back up now' }).isDisabled()).toBe(true);
    await expect.poll(async () => Number((await bar.getAttribute('aria-valuenow')) ?? 0), { timeout: 10_000 }).toBeGreaterThan(0);
    await expect.poll(async () => (await panel.textContent()) ?? '', { timeout: 10_000 }).toMatch(/Speed\d+(\.\d)? (KB|MB)\/s/);
    expect(await panel.textContent()).toMatch(/Written\d+(\.\d)? (KB|MB)/);
    expect(await panel.textContent()).toContain('Dumping');
    await expect.poll(async () => (await panel.textContent()) ?? '', { timeout: 10_000 }).toMatch(/Time left(about \d|a few seconds)/);
    expect((await e2e.engine.library.list()).map((e) => e.sidecar.profile)).not.toContain('Warehouse');
    await page.mouse.move(0, 0);
    await app.screenshot('backups-progress');

    await panel.getByRole('button', { name: 'Cancel' }).click();
    await expectVisible(page.getByText('Backup cancelled; nothing was kept.'), 30_000);
    expect(await panel.count()).toBe(0);
    expect(await page.getByRole('alert').filter({ hasText: /cancel/i }).count(), 'a cancel is not shown as an error').toBe(0);
    expect(await launcher().getByRole('button', { name: 'Back up now' }).isEnabled()).toBe(true);

    const after = await backupFolderFiles();
    expect(after.filter((f) => f.startsWith('Warehouse') || f.endsWith('.partial'))).toEqual([]);
    expect(after).toEqual(before);
    expect(await page.evaluate(() => (window as unknown as { api: Api }).api.jobs.active())).toEqual({ ok: true, value: [] });
  });
});

describe('Settings → Encryption & backups', () => {
  const section = () => page.getByRole('region', { name: 'Encryption & backups' });

  test('shows the key, exports the recovery key, and says plainly what the file means', async () => {
    await nav('Settings').click();
    await expectVisible(section());
    const status = await e2e.engine.keys.status();
    expect(status.recipient).toMatch(/^age1/);
    const key = section().getByRole('group', { name: 'Lifeboat’s key' });
    expect(await key.textContent()).toContain(status.recipient);
    expect(await key.textContent()).toContain('The OS keychain');
    expect(await key.textContent()).toContain('Whoever has this file can open your backups; if you lose it and this computer, the backups are lost.');
    expect(await section().getByRole('radio', { name: /Lifeboat’s key \(recommended\)/ }).isChecked()).toBe(true);

    const second = path.join(e2e.workDir, 'second-copy.txt');
    app.queueChosenFile(second);
    await key.getByRole('button', { name: 'Export recovery key…' }).click();
    await expectVisible(key.getByText('Recovery key saved to'));
    expect(await readFile(second, 'utf8')).toContain('AGE-SECRET-KEY-1');
    // Never overwrites: the same file again is refused with the engine's message and fix.
    app.queueChosenFile(second);
    await key.getByRole('button', { name: 'Export recovery key…' }).click();
    await expect.poll(async () => (await key.getByRole('alert').textContent()) ?? '').toContain('already exists');
  });

  test('passphrase: engine validation, saved without ever being shown; encryption mode switches', async () => {
    const group = section().getByRole('group', { name: 'Backup passphrase' });
    expect(await group.textContent()).toContain('No passphrase is saved.');
    await group.getByLabel('Passphrase', { exact: true }).fill('short');
    await group.getByLabel('Repeat it').fill('short');
    await group.getByRole('button', { name: 'Save passphrase' }).click();
    await expect.poll(async () => (await group.getByRole('alert').textContent()) ?? '').toContain('shorter than 8 characters');

    const passphrase = `correct horse ${randomBytes(6).toString('hex')} staple`;
    await group.getByLabel('Passphrase', { exact: true }).fill(passphrase);
    await group.getByLabel('Repeat it').fill(`${passphrase}x`);
    await group.getByRole('button', { name: 'Save passphrase' }).click();
    await expect.poll(async () => (await group.getByRole('alert').textContent()) ?? '').toContain('The two passphrases differ.');

    await group.getByLabel('Repeat it').fill(passphrase);
    await group.getByRole('button', { name: 'Save passphrase' }).click();
    await expectVisible(group.getByText('Passphrase saved.'));
    expect((await e2e.engine.keys.status()).passphraseSaved).toBe(true);
    expect(await group.getByLabel('New passphrase', { exact: true }).inputValue()).toBe('');
    expect(await page.content()).not.toContain(passphrase);

    // A mode is switched only once its consequences were confirmed (tests/e2e/settings-keys.test.ts).
    await section().getByRole('radio', { name: 'Passphrase' }).check();
    await section().getByRole('button', { name: 'Switch to the passphrase' }).click();
    await expect.poll(() => e2e.engine.settings.get().encryptionMode).toBe('passphrase');
    await section().getByRole('radio', { name: /Lifeboat’s key/ }).check();
    await section().getByRole('button', { name: 'Switch to Lifeboat’s key' }).click();
    await expect.poll(() => e2e.engine.settings.get().encryptionMode).toBe('key');
  });

  test('extra recipients: the engine refuses a bad key; a good one is added and removed', async () => {
    const group = section().getByRole('group', { name: 'Extra recipients' });
    await group.getByLabel('Add a recipient').fill('age1notakey');
    await group.getByRole('button', { name: 'Add recipient' }).click();
    await expect.poll(async () => (await group.getByRole('alert').textContent()) ?? '').toContain('must be an age1… public key');
    expect(e2e.engine.settings.get().extraRecipients).toEqual([]);

    const { stdout } = await run('age-keygen', []);
    const recipient = /# public key: (age1\w+)/.exec(stdout)![1]!;
    await group.getByLabel('Add a recipient').fill(recipient);
    await group.getByRole('button', { name: 'Add recipient' }).click();
    await expectVisible(group.getByRole('list', { name: 'Extra recipients' }).getByText(recipient));
    expect(e2e.engine.settings.get().extraRecipients).toEqual([recipient]);
    expect(await group.getByRole('alert').count()).toBe(0);

    await group.getByRole('button', { name: `Remove recipient ${recipient}` }).click();
    await expectVisible(group.getByText('No extra recipients.'));
    expect(e2e.engine.settings.get().extraRecipients).toEqual([]);
  });

  test('backup folder, row counts, role passwords and compression are saved through the engine', async () => {
    const group = section().getByRole('group', { name: 'Backups', exact: true });
    expect(await group.textContent()).toContain(e2e.backupDir);

    await group.getByRole('button', { name: 'Use default' }).click();
    await expect.poll(() => e2e.engine.settings.get().backupFolder).toBeNull();
    await expectVisible(group.getByText('default', { exact: true }));
    const other = path.join(e2e.workDir, 'elsewhere');
    app.queueChosenFile(other);
    await group.getByRole('button', { name: 'Choose the default backup folder' }).click();
    await expect.poll(() => e2e.engine.settings.get().backupFolder).toBe(other);
    expect(await group.textContent()).toContain(other);

    const roles = group.getByRole('switch', { name: 'Include role passwords' });
    expect(await roles.isChecked()).toBe(false);
    expect(await group.textContent()).toContain('anyone who can open an archive could log in as those roles');
    await roles.check();
    await expect.poll(() => e2e.engine.settings.get().includeRolePasswords).toBe(true);
    await roles.uncheck();
    await expect.poll(() => e2e.engine.settings.get().includeRolePasswords).toBe(false);

    const counts = group.getByRole('switch', { name: 'Exact row counts' });
    expect(await counts.isChecked()).toBe(true);
    await counts.uncheck();
    await expect.poll(() => e2e.engine.settings.get().exactRowCounts).toBe(false);
    await counts.check();
    await expect.poll(() => e2e.engine.settings.get().exactRowCounts).toBe(true);

    await group.getByLabel('Method').selectOption('gzip');
    await expect.poll(() => e2e.engine.settings.get()).toMatchObject({ compression: 'gzip', compressionLevel: 6 });
    await group.getByLabel('Level').selectOption('9');
    await expect.poll(() => e2e.engine.settings.get().compressionLevel).toBe(9);
    await group.getByLabel('Method').selectOption('zstd');
    await expect.poll(() => e2e.engine.settings.get()).toMatchObject({ compression: 'zstd', compressionLevel: 3 });

    const atATime = group.getByLabel('Databases at a time');
    expect(await atATime.inputValue()).toBe('2');
    await atATime.selectOption('3');
    await expect.poll(() => e2e.engine.settings.get().serverRunConcurrency).toBe(3);
    await atATime.selectOption('2');
    await expect.poll(() => e2e.engine.settings.get().serverRunConcurrency).toBe(2);

    // The README picture, freshly opened: a key, a saved passphrase and a team recipient.
    const { stdout } = await run('age-keygen', []);
    e2e.engine.settings.update({ extraRecipients: [/# public key: (age1\w+)/.exec(stdout)![1]!], backupFolder: e2e.backupDir });
    await nav('Connections').click();
    await nav('Settings').click();
    await expectVisible(section().getByRole('list', { name: 'Extra recipients' }));
    await expectVisible(page.getByRole('table'));
    await page.mouse.move(0, 0);
    await app.screenshot('settings');

    expect(app.problems()).toEqual([]);
  });
});
