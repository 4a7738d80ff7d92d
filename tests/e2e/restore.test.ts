// Restore screen end to end: a real PostgreSQL 18 with the sample schema, the real engine (real
// pg_restore 18 and psql, real age decryption, real keychain for the safety backup), the built
// renderer in Chromium. Files arrive the way users bring them: dropped on the window, or opened by the OS.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { expectVisible, IDENTITY_ACCOUNT, useE2EApp } from '../support/e2e-app.ts';
import type { E2EApp } from '../support/e2e-bridge.ts';
import { withUnreadableLibraryFolder } from '../support/e2e-library.ts';
import { dataFingerprint } from '../support/pg-tools.ts';
import { databases } from '../support/restore-fixtures.ts';
import { SAMPLE_SCHEMA_SQL } from '../support/sample-schema.ts';

const key = generateAgeKeyPair();

let archive: string;
let identityFile: string;
/** The source database as it was backed up. */
let backedUp: Record<string, string>;

const e2e = useE2EApp({
  databases: { shop: SAMPLE_SCHEMA_SQL },
  // The safety backup before a replace creates Lifeboat's key.
  keychain: { why: "the safety backup uses Lifeboat's key", accounts: [IDENTITY_ACCOUNT] },
  prepare: async ({ engine, connection, cluster, workDir }) => {
    await engine.profiles.add({ ...connection, name: 'Shop', database: 'shop', color: 'teal' });
    // Encrypted to a key of the user's own (not Lifeboat's): the Restore screen must ask for it.
    archive = (await engine.backups.start({ profile: 'Shop', encryption: { kind: 'recipients', recipients: [key.recipient] } }).result).archive;
    backedUp = await dataFingerprint(cluster, 'shop');
    identityFile = path.join(workDir, 'my-age-key.txt');
    await writeFile(identityFile, `# created by the restore E2E test\n${key.identity}\n`, { mode: 0o600 });
  },
});
let app: E2EApp;
let page: Page;
beforeAll(() => void ({ app, page } = e2e));

const identity = () => page.getByRole('region', { name: 'Backup file' });
const options = () => page.getByRole('region', { name: 'How to restore' });
const checklist = () => page.getByRole('region', { name: 'Checklist' });
const checklistState = async () => ((await checklist().locator('.checklist-state').textContent()) ?? '').trim();

/** The checklist for the current inputs has settled (not "Checking…"). */
async function settledChecklist(): Promise<string> {
  await expect.poll(checklistState, { timeout: 30_000 }).not.toMatch(/Checking/);
  return checklistState();
}

describe('Restore', () => {
  test('a backup dropped anywhere on the window opens in Restore, and asks for the key that opens it', async () => {
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Overview' }));
    // While a file is dragged over the window, the whole window says what a drop will do.
    await app.dropFile(archive, { hold: true });
    await expectVisible(page.getByText('Drop a backup to restore it'));
    await page.mouse.move(0, 0);
    await app.dropFile(archive);
    expect(await page.getByText('Drop a backup to restore it').count()).toBe(0);
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Restore' }));
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Restore' }).getAttribute('aria-current')).toBe('page');
    await expectVisible(identity().getByText(path.basename(archive)));

    // Encrypted to a key Lifeboat does not hold: a passphrase or an identity file is asked for.
    const unlock = identity().getByRole('group', { name: /encrypted/ });
    await expectVisible(unlock);
    expect(await unlock.textContent()).toMatch(/no key is available|None of the keys given can open/);
    // A wrong passphrase is refused, and the file stays locked.
    await unlock.getByLabel('Passphrase').fill('not the right key');
    await unlock.getByRole('button', { name: 'Unlock' }).click();
    await expectVisible(identity().getByRole('group', { name: 'That key does not open this file' }));
    expect(await page.content()).not.toContain('not the right key');

    app.queueChosenFile(identityFile);
    await identity().getByRole('button', { name: 'Choose identity file…' }).click();
    await expectVisible(identity().getByText('Source database'), 60_000);
  });

  test('the identity card says what the file holds; the checklist is all ✓ / i for a new database', async () => {
    const text = (await identity().textContent()) ?? '';
    expect(text).toContain('Age-encrypted Lifeboat archive');
    expect(text).toMatch(/Source database\s*shop/);
    expect(text).toMatch(/PostgreSQL\s*18\.\d+/);
    expect(text).toContain(`Encrypted (age), opened with ${path.basename(identityFile)}`);
    expect(text).toContain(`Shop · postgres@127.0.0.1:${e2e.cluster.port}/shop`);
    const tables = identity().getByRole('table');
    const row = async (name: string) => ((await tables.getByRole('row', { name: new RegExp(`^${name.replace('.', '\\.')}\\b`) }).textContent()) ?? '').replace(/\s+/g, ' ');
    expect(await row('shop.customers')).toContain('500');
    expect(await row('shop.documents')).toContain('20');
    expect(await identity().getByRole('list', { name: 'Roles' }).textContent()).toContain('postgres');

    // Defaults: a new database named after the source, on the connection it came from.
    expect(await options().getByRole('radio', { name: /Into a new database/ }).isChecked()).toBe(true);
    expect(await options().getByLabel('New database name').inputValue()).toBe('shop_restored');
    expect(await options().getByLabel('Restore to').inputValue()).toBe((await e2e.engine.profiles.list())[0]!.id);

    expect(await settledChecklist()).toBe('Ready to restore');
    const items = checklist().getByRole('list', { name: 'Checks' }).getByRole('listitem');
    expect(await items.count()).toBeGreaterThanOrEqual(5);
    expect(await checklist().locator('.check-warning, .check-blocker').count(), 'no warning or blocker').toBe(0);
    const checks = (await checklist().getByRole('list', { name: 'Checks' }).textContent()) ?? '';
    expect(checks).toContain('Archive identity and integrity');
    expect(checks).toContain("The file's sha256 matches its sidecar");
    expect(checks).toContain('A new database "shop_restored" will be created');
    expect(await checklist().textContent()).toMatch(/Shop · PostgreSQL 18\.\d+/);
    const restore = checklist().getByRole('button', { name: 'Restore into “shop_restored”' });
    expect(await restore.isEnabled()).toBe(true);

    // A name that exists is a blocker, and Restore is disabled until it is changed back.
    await options().getByLabel('New database name').fill('shop');
    expect(await settledChecklist()).toBe('1 blocker to resolve');
    expect(await checklist().locator('.check-blocker').textContent()).toContain('A database named "shop" already exists');
    expect(await checklist().getByRole('button', { name: 'Restore into “shop”' }).isDisabled()).toBe(true);
    await options().getByLabel('New database name').fill('shop_restored');
    expect(await settledChecklist()).toBe('Ready to restore');

    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.mouse.move(0, 0);
    await app.screenshot('restore');
  });

  test('Restore into a new database: progress, then the verified row counts; the data equals the source', async () => {
    // Records, in the page, every progress panel title and bar value shown (a small restore is quick).
    await page.evaluate(() => {
      const w = window as unknown as { __seen: string[] };
      w.__seen = [];
      new MutationObserver(() => {
        document.querySelectorAll('[role="progressbar"]').forEach((bar) => w.__seen.push(`${bar.getAttribute('aria-label')}=${bar.getAttribute('aria-valuenow') ?? '?'}`));
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await checklist().getByRole('button', { name: 'Restore into “shop_restored”' }).click();
    // The options and checklist give way to the job; the file stays in view.
    const done = page.getByRole('region', { name: 'Restored into “shop_restored”' });
    await expectVisible(done, 60_000);
    const seen = await page.evaluate(() => (window as unknown as { __seen: string[] }).__seen);
    expect(seen.some((s) => s.startsWith('Restoring into “shop_restored”: progress=')), seen.join('\n')).toBe(true);
    expect(await options().count()).toBe(0);

    const text = (await done.textContent()) ?? '';
    const tables = Number(/Verified: (\d+) tables: row counts equal the backup's snapshot\./.exec(text)?.[1]);
    // Every table of the source (the fingerprint lists them) is among those checked.
    expect(tables).toBeGreaterThanOrEqual(Object.keys(backedUp).length - 1);
    expect(text).toMatch(new RegExp(`Tables checked\\s*${tables}`));
    expect(text).toMatch(/Mismatches\s*0/);
    const counts = done.getByRole('region', { name: 'Row counts per table' });
    expect(await counts.getByRole('row').count()).toBe(tables + 1);
    expect(await counts.getByRole('row', { name: /^shop\.customers\b/ }).locator('th, td').allTextContents()).toEqual(['shop.customers', '500', '500', '✓equal']);
    expect(await counts.locator('.row-mismatch').count()).toBe(0);
    await expectVisible(page.getByRole('status').getByText(/Restore finished/));

    expect(await dataFingerprint(e2e.cluster, 'shop_restored')).toEqual(backedUp);
    await page.mouse.move(0, 0);
    await app.screenshot('restore-done');
  });

  test('Replace: the session is listed, the name must be typed, the old database is kept and can be dropped', async () => {
    // The live database moved on since the backup, and an application is connected to it.
    await e2e.cluster.query(`INSERT INTO public.empty_table VALUES (42); DELETE FROM shop.audit_log WHERE id % 2 = 0`, [], 'shop');
    const before = await dataFingerprint(e2e.cluster, 'shop');
    expect(before).not.toEqual(backedUp);
    const idle = new pg.Client({ host: '127.0.0.1', port: e2e.cluster.port, user: 'postgres', password: e2e.password, database: 'shop', application_name: 'e2e-idle-app' });
    const idleErrors: Error[] = [];
    idle.on('error', (error) => idleErrors.push(error));
    await idle.connect();

    try {
      await page.getByRole('button', { name: 'Done' }).click();
      await options().getByRole('radio', { name: /Replace an existing database/ }).check();
      // The database to replace is picked from the server's databases (the source's name, when it is there, first).
      const target = options().getByRole('combobox', { name: 'Database to replace' });
      await expect.poll(() => target.inputValue()).toBe('shop');
      const listed = await target.locator('option').allTextContents();
      expect(listed).toEqual(expect.arrayContaining(['shop', 'shop_restored', 'postgres']));
      expect(listed.some((name) => name.startsWith('template'))).toBe(false);
      await target.selectOption('shop_restored');
      expect(await settledChecklist()).toBe('1 blocker to resolve');
      expect(await checklist().textContent()).toContain('database “shop_restored”');
      await target.selectOption('shop');
      expect(await options().getByRole('switch', { name: 'Safety backup first' }).isChecked()).toBe(true);

      expect(await settledChecklist()).toBe('1 blocker to resolve');
      const checks = (await checklist().getByRole('list', { name: 'Checks' }).textContent()) ?? '';
      expect(checks).toMatch(/1 active session.* on "shop"/);
      expect(checks).toContain('Confirmation needed');
      const sessions = checklist().getByRole('table', { name: 'Connected to “shop” now' });
      const session = ((await sessions.getByRole('row', { name: /^postgres\b/ }).textContent()) ?? '').replace(/\s+/g, ' ');
      expect(session).toContain('e2e-idle-app');
      expect(session).toContain('idle');
      expect(session).toContain('127.0.0.1');
      const replace = checklist().getByRole('button', { name: 'Replace “shop”' });
      expect(await replace.isDisabled()).toBe(true);

      // A wrong confirmation keeps it disabled; the exact name enables it.
      await options().getByLabel('Type “shop” to confirm the replace').fill('shop2');
      expect(await settledChecklist()).toBe('1 blocker to resolve');
      expect(await replace.isDisabled()).toBe(true);
      await options().getByLabel('Type “shop” to confirm the replace').fill('shop');
      expect(await settledChecklist()).toBe('Ready to restore');
      expect(await checklist().locator('.check-warning').textContent()).toContain('e2e-idle-app');
      await replace.click();

      const done = page.getByRole('region', { name: '“shop” replaced from the backup' });
      await expectVisible(done, 120_000);
      const text = (await done.textContent()) ?? '';
      const kept = /The previous database is kept as (shop_before_restore_\d{8}T\d{6}Z)/.exec(text)?.[1];
      expect(kept, text).toBeTruthy();
      expect(text).toContain('1 session was ended at the swap.');
      expect(text).toContain(`To undo: rename “shop” to another name, then rename “${kept}” back to “shop”`);
      const safety = /Safety backup(\/\S+?\.lifeboat)/.exec(text)?.[1];
      expect(safety && existsSync(safety), `safety backup ${safety}`).toBe(true);
      expect(path.dirname(safety!)).toBe(e2e.backupDir);

      // The live name now holds the backup; the kept copy still holds what was there before.
      expect(await dataFingerprint(e2e.cluster, 'shop')).toEqual(backedUp);
      expect(await dataFingerprint(e2e.cluster, kept!)).toEqual(before);
      await expect.poll(() => idleErrors.length).toBeGreaterThan(0);

      await page.mouse.move(0, 0);
      await app.screenshot('restore-replaced');

      await done.getByRole('button', { name: 'Drop the kept copy' }).click();
      const confirm = done.getByRole('group', { name: /Drop shop_before_restore_/ });
      expect(await confirm.textContent()).toContain(kept);
      expect(await databases(e2e.cluster)).toContain(kept);
      await confirm.getByRole('button', { name: 'Drop database' }).click();
      await expectVisible(done.getByText(`Dropped the kept copy “${kept}”.`));
      expect(await databases(e2e.cluster)).not.toContain(kept);
      expect(await databases(e2e.cluster)).toContain('shop');
    } finally {
      await idle.end().catch(() => {});
    }
  });

  test('Bring back rows of chosen tables: only the ticked table’s rows are added to the existing database', async () => {
    const mixed = 'public."Mixed Case ""Name"""';
    // Someone deleted the rows of one table by mistake.
    await e2e.cluster.query(`DELETE FROM ${mixed}`, [], 'shop');
    const others = await dataFingerprint(e2e.cluster, 'shop');
    expect(others[mixed]).not.toEqual(backedUp[mixed]);
    await page.getByRole('button', { name: 'Done' }).click();
    await options().getByRole('radio', { name: /Bring back rows of chosen tables/ }).check();
    expect(await options().getByLabel('Existing database', { exact: true }).inputValue()).toBe('shop');
    expect(await settledChecklist()).toBe('1 blocker to resolve');
    expect(await checklist().locator('.check-blocker').textContent()).toContain('No tables chosen');

    const picker = options().getByRole('group', { name: 'Tables to bring back' });
    await picker.getByRole('checkbox', { name: /Mixed Case "Name"/ }).check();
    await expectVisible(picker.getByText(/^1 of \d+ chosen$/));
    expect(await settledChecklist()).toBe('Ready to restore');
    await checklist().getByRole('button', { name: 'Bring back the rows' }).click();

    const done = page.getByRole('region', { name: 'Rows restored into “shop”' });
    await expectVisible(done, 60_000);
    expect(await done.textContent()).toContain('Rows of the chosen tables were restored without errors.');
    // That table has its rows back; nothing else changed.
    expect(await dataFingerprint(e2e.cluster, 'shop')).toEqual({ ...others, [mixed]: backedUp[mixed] });
  });

  test('a plain SQL script without a version header: what cannot be known shows as unknown (never ✓) and does not block; time left while it restores', async () => {
    // The restore must run for seconds however fast the machine, so the card has something to estimate:
    // ten COPY blocks, each followed by a pause (psql then stops reading, and so does the restore).
    const script = path.join(e2e.workDir, 'handmade.sql');
    const block = (n: number) => Array.from({ length: 30_000 }, (_, i) => `${n * 30_000 + i}\tpayload row ${i} ${'x'.repeat(60)}`).join('\n');
    const blocks = Array.from({ length: 10 }, (_, n) => `COPY public.big (id, payload) FROM stdin;\n${block(n)}\n\\.\nSELECT pg_sleep(0.3);\n`).join('');
    await writeFile(script, `CREATE TABLE public.big (id int, payload text);\n${blocks}`);
    await app.dropFile(script);
    await expectVisible(identity().getByText('handmade.sql'));
    expect(await settledChecklist()).toBe('Ready to restore');
    const unknown = checklist().locator('.check-unknown');
    expect(await unknown.count()).toBe(2);
    const [version, space] = await unknown.allTextContents();
    expect(version).toMatch(/^\?Unknown: Source version unknown/);
    expect(version).toContain('The file does not say which PostgreSQL it came from');
    expect(version).toContain('What to do: Restore it if it came from PostgreSQL 18 or older.');
    expect(space).toMatch(/^\?Unknown: Space needed unknown.*free where the server keeps its data; how much the restore needs is unknown before restoring/);
    // Their marks are their own, never the ✓ of a passed check.
    expect(await unknown.locator('.check-mark').allTextContents()).toEqual(['?', '?']);
    await page.mouse.move(0, 0);
    await app.screenshot('restore-unknown');

    // Records every "Time left" the progress card shows.
    await page.evaluate(() => {
      const w = window as unknown as { __timeLeft: string[] };
      w.__timeLeft = [];
      new MutationObserver(() => {
        document.querySelectorAll('.job-stats > div').forEach((stat) => {
          if (stat.querySelector('dt')?.textContent === 'Time left') w.__timeLeft.push(stat.querySelector('dd')?.textContent ?? '');
        });
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    const before = app.traffic.length;
    await checklist().getByRole('button', { name: 'Restore into “handmade_restored”' }).click();
    await expectVisible(page.getByRole('region', { name: 'Restored into “handmade_restored”' }), 120_000);
    const shown = await page.evaluate(() => (window as unknown as { __timeLeft: string[] }).__timeLeft);
    expect(shown.length, 'the card has a Time left figure').toBeGreaterThan(0);
    // The engine's estimate (its progress events), and the card saying it in words.
    const etas = app.traffic.slice(before).filter((t) => t.kind === 'event' && t.channel === 'jobs:progress').map((t) => (t.payload as [{ kind: string; etaSeconds: number | null }])[0]).filter((p) => p.kind === 'restore').map((p) => p.etaSeconds);
    expect(etas.some((eta) => typeof eta === 'number'), `etaSeconds seen: ${JSON.stringify(etas.slice(0, 40))}`).toBe(true);
    expect(shown.some((text) => /^(about \d+ (s|min)|a few seconds)$/.test(text)), shown.join(' | ')).toBe(true);
    expect(await e2e.cluster.query('SELECT count(*)::int AS n FROM public.big', [], 'handmade_restored')).toEqual([{ n: 300_000 }]);
    await e2e.cluster.query('DROP DATABASE handmade_restored');
  });

  test('a SQL script with a shell command is refused: a blocker names the line, Restore stays disabled, nothing runs', async () => {
    const marker = path.join(os.tmpdir(), `lifeboat-e2e-${randomBytes(6).toString('hex')}`);
    const script = path.join(e2e.workDir, 'innocent-looking.sql');
    await writeFile(script, `-- looks like a dump\nCREATE TABLE public.t (id int);\n\\! touch ${marker}\nINSERT INTO public.t VALUES (1);\n`);
    const before = await databases(e2e.cluster);

    await app.dropFile(script);
    await expectVisible(identity().getByText('innocent-looking.sql'));
    await expectVisible(identity().getByText('Plain SQL script', { exact: false }), 30_000);
    expect(await identity().textContent()).toContain('Lifeboat will not restore this file as it is');
    expect(await options().getByLabel('New database name').inputValue()).toBe('innocent_looking_restored');

    expect(await settledChecklist()).toMatch(/^\d+ blockers? to resolve$/);
    const blocker = (await checklist().locator('.check-blocker').first().textContent()) ?? '';
    expect(blocker).toContain('Line 3 of the SQL file runs the psql command "\\!"');
    expect(blocker).toContain('How to fix:');
    expect(await checklist().getByRole('button', { name: 'Restore into “innocent_looking_restored”' }).isDisabled()).toBe(true);
    expect(existsSync(marker)).toBe(false);
    expect(await databases(e2e.cluster)).toEqual(before);
    await page.mouse.move(0, 0);
    await app.screenshot('restore-blocked');
    await page.emulateMedia({ colorScheme: 'dark' });
    await app.screenshot('restore-blocked-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('a script with a statement beyond its database is a blocker until the user types the words; then it restores', async () => {
    const script = path.join(e2e.workDir, 'vendor-fix.sql');
    await writeFile(script, 'CREATE TABLE public.t (id int);\nDO $$BEGIN PERFORM 1; END$$;\nINSERT INTO public.t VALUES (1);\n');
    await app.dropFile(script);
    await expectVisible(identity().getByText('vendor-fix.sql'));
    expect(await settledChecklist()).toMatch(/^1 blocker to resolve$/);
    const blocker = checklist().locator('.check-blocker').first();
    expect(await blocker.textContent()).toMatch(/Statements that reach beyond the new database.*line 2 runs an anonymous code block/);
    // Whatever the scan cannot see would run as a temporary role without superuser rights.
    expect(await checklist().textContent()).toContain('its SQL runs as a temporary role that is not a superuser');
    const words = checklist().getByLabel(/to run this file with the connection’s rights/);
    await words.fill('I trust it');
    expect(await settledChecklist()).toMatch(/^1 blocker to resolve$/);
    await words.fill('I trust where this file came from');
    expect(await settledChecklist()).toBe('Ready to restore');
    expect(await checklist().locator('.check-warning').filter({ hasText: 'Trusted by you' }).count()).toBe(1);
    await checklist().getByRole('button', { name: 'Restore into “vendor_fix_restored”' }).click();
    await expectVisible(page.getByRole('region', { name: 'Restored into “vendor_fix_restored”' }), 60_000);
    expect(await databases(e2e.cluster)).toContain('vendor_fix_restored');
    await e2e.cluster.query('DROP DATABASE vendor_fix_restored');
  });

  test('a file opened by the OS opens in Restore; an item without a path is refused with a reason', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Drills', exact: true }).click();
    expect(await app.emit('app:open-file', archive)).toBe(1);
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Restore' }));
    await expectVisible(identity().getByText(path.basename(archive)));
    // Keys given for another file are not reused.
    await expectVisible(identity().getByRole('group', { name: /encrypted/ }));

    // Something dragged from a web page has no path on this computer (webUtils answers '').
    await page.evaluate(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['x'], 'from-a-web-page.sql'));
      for (const type of ['dragenter', 'dragover', 'drop']) document.body.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
    });
    const refused = page.getByRole('alert').filter({ hasText: 'That was not opened' });
    await expectVisible(refused);
    expect(await refused.textContent()).toContain('“from-a-web-page.sql” has no location on this computer');
    // The open file stays.
    await expectVisible(identity().getByText(path.basename(archive)));

    // Without a mouse: "Choose a file…" opens the native chooser.
    app.queueChosenFile(path.join(e2e.workDir, 'innocent-looking.sql'));
    await page.getByRole('button', { name: 'Choose a file…' }).click();
    await expectVisible(identity().getByText('innocent-looking.sql'));
    expect(await page.getByRole('alert').filter({ hasText: 'That was not opened' }).count()).toBe(0);
    expect(app.problems()).toEqual([]);
  });

  test('with no file open, the library\'s newest backups are one click away; a backup folder that cannot be read is said there', async () => {
    const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name, exact: true });
    const newest = page.getByRole('region', { name: 'Newest backups in your library' });
    const openArchive = newest.getByRole('button', { name: `Open ${path.basename(archive)}` });
    await nav('Restore').click();
    const close = identity().getByRole('button', { name: 'Close this file' });
    if (await close.count()) await close.click(); // a file left open by the tests before
    await expectVisible(openArchive);
    expect(await newest.getByRole('alert').count()).toBe(0);
    await withUnreadableLibraryFolder(e2e.engine, async (problem) => {
      // The drop zone reads the library when it appears: leave the screen and come back.
      await nav('Backups').click();
      await nav('Restore').click();
      await expectVisible(newest.getByRole('alert').filter({ hasText: problem }), 30_000);
      await expectVisible(openArchive);
    });
    await openArchive.click();
    await expectVisible(identity().getByText(path.basename(archive)));
  });
});
