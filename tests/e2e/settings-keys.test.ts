// Settings → Encryption & backups end to end, for what changes who can read new backups: the
// encryption mode (never switched on one click: its consequences are confirmed first, then main asks),
// and importing a recovery key (the new-computer case: chosen in main's open dialog, confirmed in
// main, a replaced key kept). The real engine on the real (throwaway) keychain; the built renderer in Chromium.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { generateAgeKeyPair, recoveryKeyFileText } from '../../main/engine/crypto/age-keys.ts';
import { expectVisible, IDENTITY_ACCOUNT, navButton, PASSPHRASE_ACCOUNT, useE2EApp } from '../support/e2e-app.ts';
import type { E2EApp } from '../support/e2e-bridge.ts';

/** Where a key an import replaced is kept (main/engine/keys/key-service.ts). */
const PREVIOUS_ACCOUNT = 'age-identity-previous';

const e2e = useE2EApp({
  databases: {},
  keychain: { why: "importing a recovery key puts it in the keychain as Lifeboat's key", accounts: [IDENTITY_ACCOUNT, PREVIOUS_ACCOUNT, PASSPHRASE_ACCOUNT] },
});
let app: E2EApp;
let page: Page;
beforeAll(() => void ({ app, page } = e2e));

const section = () => page.getByRole('region', { name: 'Encryption & backups' });
const modes = () => section().getByRole('group', { name: 'Encrypt backups with' });
const keyGroup = () => section().getByRole('group', { name: 'Lifeboat’s key' });
const updates = () => app.calls.filter((c) => c.channel === 'settings:update').length;

describe('Settings → encryption mode', () => {
  test('a click on another mode changes nothing until its consequences are confirmed; Cancel keeps the mode', async () => {
    await navButton(page, 'Settings').click();
    await expectVisible(section());
    expect(e2e.engine.settings.get().encryptionMode).toBe('key');
    const before = updates();

    await modes().getByRole('radio', { name: 'Passphrase' }).check();
    const bar = modes().getByRole('group', { name: /^Encrypt new backups with the passphrase\?/ });
    await expectVisible(bar);
    const said = (await bar.textContent()) ?? '';
    expect(said).toContain('Lifeboat’s key and your extra recipients will not open them');
    expect(said).toContain('Backups made so far keep the encryption they were made with.');
    expect(said).toContain('No passphrase is saved yet: backups will fail until you save one below.');
    // Nothing was saved, and main was not asked.
    expect(updates()).toBe(before);
    expect(e2e.engine.settings.get().encryptionMode).toBe('key');
    expect(app.confirmations).toEqual([]);
    await page.mouse.move(0, 0);
    await app.screenshot('settings-encryption-confirm');

    await bar.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => bar.count()).toBe(0); // the bar goes on the next render
    expect(await modes().getByRole('radio', { name: /Lifeboat’s key/ }).isChecked()).toBe(true);
    expect(updates()).toBe(before);
  });

  test('confirming switches it, after main’s own question; declined there, the mode stays', async () => {
    await modes().getByRole('radio', { name: 'Your recipients only' }).check();
    const bar = modes().getByRole('group', { name: /^Encrypt new backups with your recipients only\?/ });
    expect(await bar.textContent()).toContain('No recipient is set yet: backups will fail until you add one below.');
    await bar.getByRole('button', { name: 'Switch to your recipients only' }).click();
    await expect.poll(() => e2e.engine.settings.get().encryptionMode).toBe('recipients');
    expect(app.confirmations.at(-1)).toContain('Encrypt new backups to the extra recipients only');
    await expect.poll(() => bar.count()).toBe(0); // the page learns of the change after main has made it

    app.answerNextConfirm(false);
    await modes().getByRole('radio', { name: /Lifeboat’s key/ }).check();
    await modes().getByRole('button', { name: 'Switch to Lifeboat’s key' }).click();
    await expect.poll(async () => (await modes().getByRole('alert').textContent()) ?? '').toContain('The settings were not changed.');
    expect(e2e.engine.settings.get().encryptionMode).toBe('recipients');
    expect(await modes().getByRole('radio', { name: 'Your recipients only' }).isChecked()).toBe(true);

    await modes().getByRole('radio', { name: /Lifeboat’s key/ }).check();
    await modes().getByRole('button', { name: 'Switch to Lifeboat’s key' }).click();
    await expect.poll(() => e2e.engine.settings.get().encryptionMode).toBe('key');
  });
});

describe('Settings → import a recovery key', () => {
  const oldLaptop = generateAgeKeyPair();
  const other = generateAgeKeyPair();

  test('on a new computer: the key file chosen in the dialog becomes Lifeboat’s key after a yes in main; the key never reaches the page', async () => {
    expect((await e2e.engine.keys.status()).recipient).toBeNull();
    expect(await keyGroup().textContent()).toContain('Not created yet');
    const file = path.join(e2e.workDir, 'lifeboat-recovery-key.txt');
    await writeFile(file, recoveryKeyFileText(oldLaptop, new Date()), { mode: 0o600 });

    // A dialog the user cancelled: nothing happens.
    app.queueChosenFile(null);
    await keyGroup().getByRole('button', { name: 'Import a recovery key…' }).click();
    await expect.poll(() => app.calls.filter((c) => c.channel === 'dialog:choose-file').length).toBe(1);
    expect(app.calls.some((c) => c.channel === 'keys:import-recovery')).toBe(false);

    const asked = app.confirmations.length;
    app.queueChosenFile(file);
    await keyGroup().getByRole('button', { name: 'Import a recovery key…' }).click();
    await expectVisible(keyGroup().getByText(`Lifeboat now uses the key ${oldLaptop.recipient}`));
    expect(app.confirmations.slice(asked)).toEqual([expect.stringMatching(/^Use this key as Lifeboat’s key\? New backups will be encrypted to age1\w+ from the file lifeboat-recovery-key\.txt/)]);
    expect(await keyGroup().textContent()).toContain(oldLaptop.recipient);
    expect((await e2e.engine.keys.status()).recipient).toBe(oldLaptop.recipient);
    expect(await page.content()).not.toContain(oldLaptop.identity);
    expect(JSON.stringify(app.traffic)).not.toContain(oldLaptop.identity);
  });

  test('a different key is replaced only after a yes in main, and the replaced one is listed as kept', async () => {
    const file = path.join(e2e.workDir, 'team-key.txt');
    await writeFile(file, recoveryKeyFileText(other, new Date()), { mode: 0o600 });

    app.answerNextConfirm(false);
    app.queueChosenFile(file);
    await keyGroup().getByRole('button', { name: 'Import a recovery key…' }).click();
    await expectVisible(keyGroup().getByText('The key was not imported: you declined. Lifeboat keeps its current key.'));
    expect(app.confirmations.at(-1)).toMatch(new RegExp(`^Replace Lifeboat’s key\\? New backups will be encrypted to ${other.recipient} from the file team-key\\.txt instead of ${oldLaptop.recipient}`));
    expect((await e2e.engine.keys.status()).recipient).toBe(oldLaptop.recipient);

    app.queueChosenFile(file);
    await keyGroup().getByRole('button', { name: 'Import a recovery key…' }).click();
    await expectVisible(keyGroup().getByText(`The previous key ${oldLaptop.recipient} stays in the keychain`));
    expect((await e2e.engine.keys.status()).recipient).toBe(other.recipient);
    const earlier = keyGroup().getByRole('list', { name: /Earlier keys/ });
    expect(await earlier.textContent()).toContain(oldLaptop.recipient);
    // The replaced key still opens what it made.
    expect((await e2e.engine.keys.decryptionKeys()).identities).toEqual([other.identity, oldLaptop.identity]);
    expect(JSON.stringify(app.traffic)).not.toContain(other.identity);
    await page.mouse.move(0, 0);
    await app.screenshot('settings-key-imported');
    expect(app.problems()).toEqual([]);
  });
});
