// SFTP destinations end to end: the Settings form's SFTP choice (the profile form's SSH route fields,
// the key file from the native dialog), the main-process question, the test that runs right after
// saving and asks about the unknown host key in the window-wide host-key dialog, a backup copied to
// the folder and verified in its library row, and a password login saved per hop — against a real
// OpenSSH server (tests/support/ssh-lab.ts), with the built renderer in Chromium and every call
// through the zod-validating IPC dispatcher.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { expectVisible, IDENTITY_ACCOUNT, navButton, useE2EApp } from '../support/e2e-app.ts';
import { SCREENSHOTS_DIR, type E2EApp } from '../support/e2e-bridge.ts';
import { SMALL_SHOP_SQL } from '../support/offsite-data.ts';
import { sshLabSupported, startSshLab, type SshLab } from '../support/ssh-lab.ts';
import { libraryRow } from '../support/e2e-library.ts';

const support = sshLabSupported();

describe.skipIf(!support.ok)('Settings → an SFTP destination', () => {
  let lab: SshLab;
  let folder: string;
  const e2e = useE2EApp({
    databases: { shop: SMALL_SHOP_SQL },
    keychain: { why: "backups are encrypted with Lifeboat's key; SFTP passwords are kept there", accounts: [IDENTITY_ACCOUNT] },
    prepare: async ({ engine, connection }) => {
      lab = await startSshLab({ major: 18, sshdCount: 1 });
      // Owned by the SSH login user, as a real server's backup folder would be.
      folder = await lab.userFolder('e2e-offsite');
      await engine.keys.ensureIdentity();
      await engine.profiles.add({ ...connection, name: 'Shop', database: 'shop', color: 'teal' });
    },
    cleanup: async () => {
      await lab?.stop();
    },
  });
  let app: E2EApp;
  let page: Page;
  beforeAll(() => void ({ app, page } = e2e));

  const entry = () => lab.sshd[0]!.outside!;
  const offsite = () => page.getByRole('region', { name: 'Offsite destinations' });
  const form = () => offsite().getByRole('form', { name: 'Add SFTP destination' });
  const destination = (name: string) => offsite().getByRole('list', { name: 'Destinations' }).getByRole('article').filter({ has: page.getByRole('heading', { name, exact: true }) });
  const hostKeyDialog = () => page.getByRole('dialog', { name: 'Trust this SSH host?' });
  const text = async (l: Locator) => ((await l.textContent()) ?? '').replace(/\s+/g, ' ').trim();

  // A failed step may leave a modal open: close it, so the next test reports its own result.
  afterEach(async () => {
    for (let i = 0; i < 3 && page && (await page.locator('dialog[open]').count()) > 0; i++) await page.keyboard.press('Escape');
  });

  async function openSftpForm(name: string): Promise<void> {
    await offsite().getByRole('button', { name: 'Add destination' }).click();
    // S3 first; the segmented choice switches the form to SFTP.
    await expectVisible(offsite().getByRole('form', { name: 'Add S3 destination' }));
    await offsite().getByRole('radio', { name: 'SFTP server' }).check();
    await expectVisible(form());
    expect(await form().getByLabel('Endpoint', { exact: true }).count()).toBe(0);
    await form().getByLabel('Name', { exact: true }).fill(name);
    await form().getByLabel('Connection', { exact: true }).selectOption({ label: 'Shop' });
    await form().getByLabel('Folder on the server', { exact: true }).fill(folder);
    await form().getByLabel('SSH Host', { exact: true }).fill(entry().host);
    await form().getByLabel('SSH Port', { exact: true }).fill(String(entry().port));
    await form().getByLabel('SSH User', { exact: true }).fill(lab.user);
  }

  test('added with a key file through the form, confirmed in main; the test right after asks about the host key, and trusting it passes', async () => {
    await navButton(page, 'Settings').click();
    await expectVisible(offsite());
    await openSftpForm('nas');
    expect(await form().getByLabel('SSH Login method', { exact: true }).inputValue()).toBe('key');

    // No key file yet: caught in the page, with what to do.
    await form().getByRole('button', { name: 'Add destination' }).click();
    await expect.poll(() => text(form().getByRole('alert'))).toContain('logs in with a key file, and none is chosen');

    // The key file comes from the native dialog (main reads only a path the user chose there).
    app.queueChosenFile(lab.keys.pemKey.file);
    await form().getByRole('button', { name: 'Choose SSH key file' }).click();
    await expect.poll(() => form().getByLabel('SSH Key file', { exact: true }).inputValue()).toBe(lab.keys.pemKey.file);
    expect(await text(form())).toContain(`this computer → ${entry().host}:${entry().port} → ${folder}`);

    await form().getByRole('button', { name: 'Add destination' }).click();
    // Every new backup of Shop leaves for that folder: asked in main first.
    const where = `sftp://${lab.user}@${entry().host}:${entry().port}${folder}`;
    await expect.poll(() => app.confirmations).toEqual([`Copy every new backup of Shop to "nas"? Each backup of Shop will be uploaded to ${where}. Whoever can read that folder on the SSH server can read the archives (encrypted archives stay encrypted).`]);

    // The test runs at once and meets the server's unknown host key: the connection form's dialog asks.
    const dialog = hostKeyDialog();
    await expectVisible(dialog, 30_000);
    expect(await form().count()).toBe(0);
    expect(await dialog.locator('code.fingerprint').textContent()).toBe(lab.sshd[0]!.hostKeyFingerprint);
    expect(await text(dialog)).toContain(`${entry().host}:${entry().port}`);
    expect(await text(dialog)).toContain('(for nas)');
    await dialog.getByRole('button', { name: 'Trust and connect' }).click();
    await dialog.waitFor({ state: 'detached', timeout: 30_000 });

    const item = destination('nas');
    const result = item.getByRole('region', { name: 'Test of nas' });
    await expect.poll(() => text(result), { timeout: 30_000 }).toContain('nas works');
    const checks = await result.getByRole('list', { name: 'Checks' }).getByRole('listitem').allTextContents();
    expect(checks).toEqual([`logged in over SSH and opened the folder (${where})`, expect.stringMatching(/^wrote a 1 KiB test object \(\.lifeboat-test-[\w-]+\)$/), 'read it back: same bytes', 'deleted it']);
    const shown = await text(item);
    expect(shown).toContain('Backups of Shop');
    expect(shown).toContain(where);
    expect(shown).toContain('SFTP, login by key file');
    expect(shown).toContain(`${lab.user}@${entry().host}:${entry().port}: key id_rsa_pem, no passphrase saved`);
    expect(shown).not.toContain('missing');
    // Remembered: the next test asks nothing.
    expect(await e2e.engine.destinations.test('nas')).toMatchObject({ ok: true });
    const [saved] = await e2e.engine.destinations.list();
    expect(saved).toMatchObject({ name: 'nas', kind: 'sftp', sftp: { host: entry().host, port: entry().port, user: lab.user, auth: 'key', keyFile: lab.keys.pemKey.file, jumps: [], keepAliveSeconds: 30, folder }, sshSecretsSaved: [false] });

    await page.mouse.move(0, 0);
    await offsite().screenshot({ path: path.join(SCREENSHOTS_DIR, 'settings-offsite-sftp.png'), animations: 'disabled', caret: 'hide' });
  });

  test('a backup is copied to the folder after it finishes, and its row shows the copy verified', async () => {
    await navButton(page, 'Backups').click();
    const launcher = page.getByRole('region', { name: 'Back up a connection' });
    await launcher.getByLabel('Connection', { exact: true }).selectOption({ label: 'Shop — shop' });
    await launcher.getByRole('button', { name: 'Back up now' }).click();
    await expectVisible(page.getByRole('region', { name: 'Backup of Shop complete' }), 60_000);

    // The archive's row in the library table, by its connection and database.
    const row = libraryRow(page, 'Shop', 'shop');
    await expect.poll(() => text(row.getByRole('list', { name: 'Offsite copies' })), { timeout: 60_000 }).toBe('nas verified');
    const [archive] = (await e2e.engine.library.list({ profile: 'Shop' })).map((e) => e.path);
    const [state] = await e2e.engine.copies.states({ file: archive! });
    expect(state).toMatchObject({ destinationName: 'nas', state: 'verified' });
    // The folder on the server holds exactly the archive, under its own name, and its sidecar.
    expect((await stat(path.join(folder, path.basename(archive!)))).size).toBe(state!.bytes);
    expect((await stat(path.join(folder, `${path.basename(archive!)}.json`))).isFile()).toBe(true);
  });

  test('a password login: saved per hop in the keychain, shown as saved, never sent back to the page; removing forgets it', async () => {
    await navButton(page, 'Settings').click();
    await openSftpForm('nas-password');
    await form().getByLabel('SSH Login method', { exact: true }).selectOption('password');
    expect(await form().getByLabel('SSH Key file', { exact: true }).count()).toBe(0);
    await form().getByLabel('SSH Password', { exact: true }).fill(lab.password);
    await form().getByRole('button', { name: 'Add destination' }).click();

    // The host key is trusted already (same host:port): the test passes without a question.
    const item = destination('nas-password');
    await expect.poll(() => text(item.getByRole('region', { name: 'Test of nas-password' })), { timeout: 30_000 }).toContain('nas-password works');
    expect(await hostKeyDialog().count()).toBe(0);
    expect(await text(item)).toContain(`${lab.user}@${entry().host}:${entry().port}: password saved`);
    expect((await e2e.engine.destinations.get('nas-password')).sshSecretsSaved).toEqual([true]);
    expect(await page.content()).not.toContain(lab.password);
    expect(JSON.stringify(app.traffic)).not.toContain(lab.password);

    // Both go, so nothing is left in the keychain; the folder keeps its copies.
    for (const name of ['nas-password', 'nas']) {
      await destination(name).getByRole('button', { name: `Remove ${name}` }).click();
      const confirm = destination(name).getByRole('group');
      expect(await text(confirm)).toContain('saved passwords and passphrases are deleted. The copies already in the folder stay there.');
      await confirm.getByRole('button', { name: 'Remove destination' }).click();
      await destination(name).waitFor({ state: 'detached' });
    }
    expect(await e2e.engine.destinations.list()).toEqual([]);
    expect(app.problems()).toEqual([]);
  });
});
