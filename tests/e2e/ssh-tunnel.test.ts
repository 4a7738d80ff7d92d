// Connections through SSH end to end: the profile form's SSH section, the host-key dialog, the
// route in the test result and a backup — against real OpenSSH servers (tests/support/ssh-lab.ts)
// guarding a PostgreSQL 18 that this process cannot reach any other way, with the built renderer in
// Chromium and every call through the zod-validating IPC dispatcher.
import { afterEach, describe, expect, test } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { expectVisible, IDENTITY_ACCOUNT, navButton, PASSPHRASE_ACCOUNT, useE2EApp } from '../support/e2e-app.ts';
import type { E2EApp } from '../support/e2e-bridge.ts';
import { sshLabSupported, startSshLab, type SshLab } from '../support/ssh-lab.ts';

const support = sshLabSupported();
const PROFILE = 'Behind the bastion';
const JUMPED = 'Two hops away';

describe.skipIf(!support.ok)('Connections through SSH', () => {
  let lab: SshLab;
  const e2e = useE2EApp({
    databases: {},
    keychain: { why: "the backup through the tunnel creates Lifeboat's key there", accounts: [IDENTITY_ACCOUNT, PASSPHRASE_ACCOUNT] },
    prepare: async () => {
      // sshd[0] is the entry (reachable from here); sshd[1] only from inside, through sshd[0].
      lab = await startSshLab({ major: 18, sshdCount: 2 });
      await lab.cluster.createDatabase('shop');
      await lab.cluster.query('CREATE TABLE orders AS SELECT g AS id, md5(g::text) AS item FROM generate_series(1, 2000) g', [], 'shop');
    },
    cleanup: async () => {
      await lab?.stop();
    },
  });
  let app: E2EApp;
  let page: Page;
  const entry = () => lab.sshd[0]!.outside!;

  const card = (name: string): Locator => page.getByRole('article', { name, exact: true });
  const form = () => page.getByRole('dialog');
  const hostKeyDialog = () => page.getByRole('dialog', { name: 'Trust this SSH host?' });
  const connected = (name: string) => card(name).getByRole('region', { name: /Connected/ });

  // A failed step may leave a modal open: close it, so the next test reports its own result.
  afterEach(async () => {
    for (let i = 0; i < 3 && page && (await page.locator('dialog[open]').count()) > 0; i++) await page.keyboard.press('Escape');
  });

  async function fillDatabase(name: string) {
    await form().getByLabel('Name', { exact: true }).fill(name);
    // The database as the SSH host sees it: nothing listens there in this process's namespace.
    await form().getByLabel('Host', { exact: true }).fill(lab.cluster.host);
    await form().getByLabel('Port', { exact: true }).fill(String(lab.cluster.port));
    await form().getByLabel('Database', { exact: true }).fill('shop');
    await form().getByLabel('User', { exact: true }).fill('postgres');
    await form().getByLabel('Password', { exact: true }).fill(lab.cluster.password);
    await form().getByLabel('SSL mode').selectOption('disable');
  }

  async function save() {
    await form().getByRole('button', { name: 'Save' }).click();
    await form().waitFor({ state: 'detached' });
  }

  test('the SSH section is collapsed by default and fills in with a key file from the native dialog', async () => {
    ({ app, page } = e2e);
    await page.getByRole('button', { name: 'Add connection' }).click();
    await expectVisible(form());
    const toggle = form().getByRole('checkbox', { name: 'Connect through SSH' });
    expect(await toggle.isChecked()).toBe(false);
    expect(await form().getByLabel('SSH Host', { exact: true }).count()).toBe(0);

    await fillDatabase(PROFILE);
    await toggle.check();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await expectVisible(form().getByText('are the database as the SSH host sees it'));
    expect(await form().getByLabel('SSH Port', { exact: true }).inputValue()).toBe('22');
    await form().getByLabel('SSH Host', { exact: true }).fill(entry().host);
    await form().getByLabel('SSH Port', { exact: true }).fill(String(entry().port));
    await form().getByLabel('SSH User', { exact: true }).fill(lab.user);
    expect(await form().getByLabel('SSH Login method', { exact: true }).inputValue()).toBe('key');

    // Saving without a key file is caught by the form.
    await form().getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => (await form().getByRole('alert').textContent()) ?? '').toContain('logs in with a key file, and none is chosen');

    // The key file comes from the native dialog (main reads only a path the user chose there).
    app.queueChosenFile(lab.keys.pemKey.file);
    await form().getByRole('button', { name: 'Choose SSH key file' }).click();
    await expect.poll(() => form().getByLabel('SSH Key file', { exact: true }).inputValue()).toBe(lab.keys.pemKey.file);
    expect(await form().getByLabel('SSH Key passphrase', { exact: true }).inputValue()).toBe('');
    expect(await form().textContent()).toContain(`this computer → ${entry().host}:${entry().port} → ${lab.cluster.host}:${lab.cluster.port}`);
    await form().getByRole('radio', { name: 'teal' }).check();
    await page.mouse.move(0, 0);
    // Only the form's body scrolls: the hidden field-name prefixes must not stretch the <dialog> itself.
    expect(await form().evaluate((d) => d.scrollHeight - d.clientHeight)).toBe(0);
    // The body scrolls: the picture shows the SSH section.
    await toggle.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await app.screenshot('connection-form-ssh', { fullPage: false });
    await save();

    const saved = await e2e.engine.profiles.get(PROFILE);
    expect(saved.ssh).toEqual({ host: entry().host, port: entry().port, user: lab.user, auth: 'key', keyFile: lab.keys.pemKey.file, jumps: [], keepAliveSeconds: 30 });
    expect(await card(PROFILE).textContent()).toContain(`SSH via ${lab.user}@${entry().host}:${entry().port}`);
  });

  test('Test asks about the unknown host key in a modal dialog; Escape cancels, nothing is trusted', async () => {
    await card(PROFILE).getByRole('button', { name: 'Test connection' }).click();
    const dialog = hostKeyDialog();
    await expectVisible(dialog);
    expect(await dialog.getAttribute('aria-modal')).toBe('true');
    expect(await dialog.locator('code.fingerprint').textContent()).toBe(lab.sshd[0]!.hostKeyFingerprint);
    const text = (await dialog.textContent()) ?? '';
    expect(text).toContain(`${entry().host}:${entry().port}`);
    expect(text).toContain('ssh-ed25519');
    expect(text).toContain('ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub');
    // The safe answer has the focus.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    // Tab stays inside the dialog.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Trust and connect');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');

    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    const failed = card(PROFILE).getByRole('alert');
    expect(await failed.textContent()).toContain('is not known yet');
    expect(await e2e.engine.profiles.test(PROFILE)).toMatchObject({ ok: false, error: { code: 'SSH_HOST_KEY_UNKNOWN' } });
  });

  test('Trust and connect: the test result shows the route with each hop’s latency', async () => {
    await card(PROFILE).getByRole('button', { name: 'Review the host key…' }).click();
    await expectVisible(hostKeyDialog());
    await page.mouse.move(0, 0);
    await app.screenshot('ssh-host-key', { fullPage: false });
    await hostKeyDialog().getByRole('button', { name: 'Trust and connect' }).click();
    await hostKeyDialog().waitFor({ state: 'detached' });

    const result = connected(PROFILE);
    await expectVisible(result, 30_000);
    const text = (await result.textContent()) ?? '';
    expect(text).toMatch(/PostgreSQL 18\.\d+/);
    expect(text).toMatch(new RegExp(`Through SSHvia ${entry().host}:${entry().port} \\(\\d+ ms\\) → ${lab.cluster.host}:${lab.cluster.port}`));
    // Remembered: the next test asks nothing.
    expect(await e2e.engine.profiles.test(PROFILE)).toMatchObject({ ok: true });
    await page.mouse.move(0, 0);
    await app.screenshot('connections-ssh');
  });

  test('a backup of the profile runs through the tunnel', async () => {
    await navButton(page, 'Backups').click();
    const launcher = page.getByRole('region', { name: 'Back up a connection' });
    await launcher.getByLabel('Connection').selectOption({ label: `${PROFILE} — shop` });
    await launcher.getByRole('button', { name: 'Back up now' }).click();
    const summary = page.getByRole('region', { name: `Backup of ${PROFILE} complete` });
    await expectVisible(summary, 90_000);
    expect(await summary.textContent()).toContain('Rows2,000');
    await navButton(page, 'Connections').click();
  });

  test('password login: the secret is write-only, kept on a later save, and never reaches the page', async () => {
    await card(PROFILE).getByRole('button', { name: 'Edit' }).click();
    expect(await form().getByRole('checkbox', { name: 'Connect through SSH' }).isChecked()).toBe(true);
    await form().getByLabel('SSH Login method', { exact: true }).selectOption('password');
    expect(await form().getByLabel('SSH Key file', { exact: true }).count()).toBe(0);
    await form().getByLabel('SSH Password', { exact: true }).fill(lab.password);
    await save();
    expect((await e2e.engine.profiles.get(PROFILE)).sshSecretsSaved).toEqual([true]);

    // Edited again without touching it: shown as saved, and an empty field keeps it.
    await card(PROFILE).getByRole('button', { name: 'Edit' }).click();
    const secret = form().getByLabel('SSH Password', { exact: true });
    expect(await secret.inputValue()).toBe('');
    expect(await secret.getAttribute('placeholder')).toContain('saved');
    await expectVisible(form().getByText('Leave empty to keep the saved password.'));
    await save();
    expect((await e2e.engine.profiles.get(PROFILE)).sshSecretsSaved).toEqual([true]);
    await card(PROFILE).getByRole('button', { name: 'Test connection' }).click();
    await expectVisible(connected(PROFILE), 30_000);
    expect(await page.content()).not.toContain(lab.password);
    expect(JSON.stringify(app.traffic)).not.toContain(lab.password);

    // A saved login password is no key passphrase: switched to a key file, nothing shows as saved.
    await card(PROFILE).getByRole('button', { name: 'Edit' }).click();
    await form().getByLabel('SSH Login method', { exact: true }).selectOption('key');
    expect(await form().getByLabel('SSH Key passphrase', { exact: true }).getAttribute('placeholder')).toBe('');
    await form().getByRole('button', { name: 'Cancel' }).click();
    await form().waitFor({ state: 'detached' });
  });

  test('jump hosts: added, reordered and removed in the form; the next unknown hop is asked for', async () => {
    await page.getByRole('button', { name: 'Add connection' }).click();
    await fillDatabase(JUMPED);
    await form().getByRole('checkbox', { name: 'Connect through SSH' }).check();
    // The bastion is sshd[1], addressed as sshd[0] sees it; sshd[0] is the jump host.
    await form().getByLabel('SSH Host', { exact: true }).fill(lab.sshd[1]!.inside.host);
    await form().getByLabel('SSH Port', { exact: true }).fill(String(lab.sshd[1]!.inside.port));
    await form().getByLabel('SSH User', { exact: true }).fill(lab.user);
    await form().getByLabel('SSH Login method', { exact: true }).selectOption('password');
    await form().getByLabel('SSH Password', { exact: true }).fill(lab.password);

    await form().getByRole('button', { name: 'Add jump host' }).click();
    await form().getByRole('button', { name: 'Add jump host' }).click();
    await form().getByLabel('Jump host 1 Host', { exact: true }).fill('placeholder.invalid');
    await form().getByLabel('Jump host 2 Host', { exact: true }).fill(entry().host);
    await form().getByLabel('Jump host 2 Port', { exact: true }).fill(String(entry().port));
    await form().getByLabel('Jump host 2 User', { exact: true }).fill(lab.user);
    app.queueChosenFile(lab.keys.pemKey.file);
    await form().getByRole('button', { name: 'Choose Jump host 2 key file' }).click();
    await expect.poll(() => form().getByLabel('Jump host 2 Key file', { exact: true }).inputValue()).toBe(lab.keys.pemKey.file);
    // The real jump host moves up; the placeholder goes.
    await form().getByRole('button', { name: 'Move jump host 2 up' }).click();
    expect(await form().getByLabel('Jump host 1 Host', { exact: true }).inputValue()).toBe(entry().host);
    await form().getByRole('button', { name: 'Remove jump host 2' }).click();
    expect(await form().getByLabel('Jump host 2 Host', { exact: true }).count()).toBe(0);
    await form().getByRole('heading', { name: 'Jump hosts' }).evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await app.screenshot('connection-form-ssh-jumps', { fullPage: false });
    await save();
    const saved = await e2e.engine.profiles.get(JUMPED);
    expect(saved.ssh?.jumps).toEqual([{ host: entry().host, port: entry().port, user: lab.user, auth: 'key', keyFile: lab.keys.pemKey.file }]);
    expect(saved.sshSecretsSaved).toEqual([false, true]);

    // sshd[0] is trusted already (same host:port as before): only the bastion behind it is asked for.
    await card(JUMPED).getByRole('button', { name: 'Test connection' }).click();
    await expectVisible(hostKeyDialog());
    expect(await hostKeyDialog().locator('code.fingerprint').textContent()).toBe(lab.sshd[1]!.hostKeyFingerprint);
    await hostKeyDialog().getByRole('button', { name: 'Trust and connect' }).click();
    const text = (await connected(JUMPED).textContent({ timeout: 30_000 })) ?? '';
    expect(text).toMatch(new RegExp(`via ${entry().host}:${entry().port} \\(\\d+ ms\\) → ${lab.sshd[1]!.inside.host}:${lab.sshd[1]!.inside.port} \\(\\d+ ms\\) → ${lab.cluster.host}:${lab.cluster.port}`));
  });

  test('turning SSH off removes the section and its saved secrets', async () => {
    await card(JUMPED).getByRole('button', { name: 'Edit' }).click();
    await form().getByRole('checkbox', { name: 'Connect through SSH' }).uncheck();
    await save();
    const saved = await e2e.engine.profiles.get(JUMPED);
    expect(saved.ssh).toBeUndefined();
    expect(saved.sshSecretsSaved).toBeUndefined();
    expect(await card(JUMPED).textContent()).not.toContain('SSH via');
    await card(JUMPED).getByRole('button', { name: 'Delete' }).click();
    await card(JUMPED).getByRole('button', { name: 'Delete connection' }).click();
    await card(JUMPED).waitFor({ state: 'detached' });
  });

  test('a changed host key stops the backup with a red warning naming both keys, and no way to accept it', async () => {
    const known = lab.sshd[0]!.hostKeyFingerprint;
    await lab.sshd[0]!.restart({ newHostKey: true });
    const offered = lab.sshd[0]!.hostKeyFingerprint;
    expect(offered).not.toBe(known);

    await navButton(page, 'Backups').click();
    await page.getByRole('region', { name: 'Back up a connection' }).getByRole('button', { name: 'Back up now' }).click();
    const warning = page.getByRole('alertdialog', { name: 'The SSH host key has changed' });
    await expectVisible(warning, 30_000);
    const text = (await warning.textContent()) ?? '';
    expect(text).toContain(offered);
    expect(text).toContain(known);
    expect(text).toContain('ssh-keygen -R');
    expect(await warning.getByRole('button').allTextContents()).toEqual(['Close']);
    await page.mouse.move(0, 0);
    await app.screenshot('ssh-host-key-changed', { fullPage: false });
    await warning.getByRole('button', { name: 'Close' }).click();
    await warning.waitFor({ state: 'detached' });
    const failed = page.getByRole('region', { name: 'Backup failed' });
    expect(await failed.textContent()).toContain('now identifies itself with');
    await expectVisible(failed.getByRole('button', { name: 'Review the host key…' }));
  });
});
