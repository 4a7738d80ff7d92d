// Offsite copies end to end: a real PostgreSQL 18, the real engine (real keychain for the S3 secret
// key), a real HTTP S3 server (s3rver behind the lab's fault proxy, checking request signatures
// against the secret key) and the built renderer in Chromium. A destination is added through the
// Settings form and tested; a backup is copied there after it finishes and shows as verified in its
// library row; a copy that fails says why; a big copy shows its percentage; removal keeps the bucket.
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { expectVisible, IDENTITY_ACCOUNT, navButton, useE2EApp } from '../support/e2e-app.ts';
import { SCREENSHOTS_DIR, type E2EApp } from '../support/e2e-bridge.ts';
import { startS3Lab, type S3Lab } from '../support/s3-lab.ts';
import { BLOBS_SQL, SMALL_SHOP_SQL } from '../support/offsite-data.ts';
import { libraryRow, openMore } from '../support/e2e-library.ts';


const SECRET = `lb-e2e-s3-secret-${randomBytes(12).toString('hex')}`;
const PREFIX = 'team/lifeboat/';
let lab: S3Lab;
let blobsArchive: string;

const e2e = useE2EApp({
  databases: { shop: SMALL_SHOP_SQL, blobs: BLOBS_SQL },
  keychain: { why: "backups are encrypted with Lifeboat's key; destinations keep their S3 secret key there", accounts: [IDENTITY_ACCOUNT] },
  prepare: async ({ engine, connection }) => {
    lab = await startS3Lab({ secretAccessKey: SECRET });
    // A wrong or missing secret key fails every request, as on real S3.
    lab.faults.verifySignatures(true);
    await engine.keys.ensureIdentity();
    await engine.profiles.add({ ...connection, name: 'Shop', database: 'shop', color: 'teal' });
    await engine.profiles.add({ ...connection, name: 'Blobs', database: 'blobs', color: 'amber' });
    // Made before Blobs has a destination: copied later from its row.
    blobsArchive = (await engine.backups.start({ profile: 'Blobs', encryption: { kind: 'settings' }, exactRowCounts: false }).result).archive;
  },
  cleanup: async () => {
    await lab?.stop();
  },
});
let app: E2EApp;
let page: Page;
beforeAll(() => void ({ app, page } = e2e));

const nav = (name: string) => navButton(page, name);
const offsite = () => page.getByRole('region', { name: 'Offsite destinations' });
const form = () => offsite().getByRole('form', { name: 'Add S3 destination' });
const destination = (name: string) => offsite().getByRole('list', { name: 'Destinations' }).getByRole('article').filter({ has: page.getByRole('heading', { name }) });
const row = (profile: string, database: string) => libraryRow(page, profile, database);
const copies = (r: Locator) => r.getByRole('list', { name: 'Offsite copies' });
const text = async (l: Locator) => ((await l.textContent()) ?? '').replace(/\s+/g, ' ').trim();

/** A picture of one part of the page, for the README. */
async function shoot(locator: Locator, name: string): Promise<void> {
  await page.mouse.move(0, 0);
  await locator.screenshot({ path: path.join(SCREENSHOTS_DIR, `${name}.png`), animations: 'disabled', caret: 'hide' });
}

/** Records, in the page, every text the copy chips showed (a small copy is over in a blink). */
async function watchCopyChips(): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __chips: string[] };
    w.__chips = [];
    new MutationObserver(() => {
      document.querySelectorAll('.copy-state').forEach((chip) => {
        const seen = (chip.textContent ?? '').replace(/\s+/g, ' ').trim();
        if (w.__chips[w.__chips.length - 1] !== seen) w.__chips.push(seen);
      });
    }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
}

async function fillForm(fields: { name: string; connection: string; endpoint: string; secret: string }): Promise<void> {
  await form().getByLabel('Name', { exact: true }).fill(fields.name);
  await form().getByLabel('Connection', { exact: true }).selectOption({ label: fields.connection });
  await form().getByLabel('Endpoint', { exact: true }).fill(fields.endpoint);
  await form().getByLabel('Region', { exact: true }).fill(lab.region);
  await form().getByLabel('Bucket', { exact: true }).fill(lab.bucket);
  await form().getByLabel('Folder in the bucket', { exact: true }).fill(PREFIX);
  await form().getByRole('switch', { name: 'Path-style addresses' }).check();
  await form().getByLabel('Access key id', { exact: true }).fill(lab.accessKeyId);
  await form().getByLabel('Secret access key', { exact: true }).fill(fields.secret);
}

describe('Settings → Offsite destinations', () => {
  test('the form refuses what is missing or unsafe with the fix, then adds the destination after the user confirms in main', async () => {
    await nav('Settings').click();
    await expectVisible(offsite());
    await expect.poll(() => text(offsite())).toContain('No destinations yet: backups stay on this computer only.');
    await offsite().getByRole('button', { name: 'Add destination' }).click();
    await expectVisible(form());
    expect(await offsite().getByRole('radio', { name: 'S3 bucket' }).isChecked()).toBe(true);
    expect(await form().getByRole('switch', { name: 'Checksum every part' }).isChecked()).toBe(true);
    expect(await form().getByLabel('Secret access key', { exact: true }).getAttribute('type')).toBe('password');

    await fillForm({ name: 'offsite', connection: 'Shop', endpoint: lab.endpoint, secret: SECRET });
    await form().getByLabel('Storage class (optional)', { exact: true }).fill('STANDARD');
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await shoot(offsite(), 'settings-offsite-form');

    // A field left empty: caught in the page, with what to do.
    await form().getByLabel('Name', { exact: true }).fill('');
    await form().getByRole('button', { name: 'Add destination' }).click();
    await expect.poll(() => text(form().getByRole('alert'))).toContain('The destination needs a name.');
    await form().getByLabel('Name', { exact: true }).fill('offsite');

    // Plain http to a server on the internet: refused by the engine before anything is asked or saved.
    await form().getByLabel('Endpoint', { exact: true }).fill('http://s3.example.com');
    await form().getByRole('button', { name: 'Add destination' }).click();
    await expect.poll(() => text(form().getByRole('alert'))).toContain('uses plain http over the internet');
    expect(await text(form().getByRole('alert'))).toContain('How to fix: Use https://');
    expect(app.confirmations).toEqual([]);
    expect(await e2e.engine.destinations.list()).toEqual([]);

    await form().getByLabel('Endpoint', { exact: true }).fill(lab.endpoint);
    await form().getByRole('button', { name: 'Add destination' }).click();
    const item = destination('offsite');
    await expectVisible(item);
    expect(await form().count()).toBe(0);
    // Every new backup of Shop leaves this computer for that bucket: asked in main first.
    expect(app.confirmations).toEqual([`Copy every new backup of Shop to "offsite"? Each backup of Shop will be uploaded to s3://${lab.bucket}/${PREFIX} at ${lab.endpoint}. Whoever can read that bucket can read the archives (encrypted archives stay encrypted).`]);
    const shown = await text(item);
    expect(shown).toContain('secret key saved');
    expect(shown).toContain('Backups of Shop');
    expect(shown).toContain(`s3://${lab.bucket}/${PREFIX} at ${lab.endpoint}`);
    expect(shown).toContain('path-style');
    expect(shown).toContain('SHA-256 checksum on every part');
    expect(shown).toContain('storage class STANDARD');
    const [saved] = await e2e.engine.destinations.list();
    expect(saved).toMatchObject({ name: 'offsite', profileName: 'Shop', secretSaved: true, s3: { pathStyle: true, partChecksums: true, prefix: PREFIX, storageClass: 'STANDARD' } });
    // Tested right after it is saved.
    await expect.poll(() => text(item.getByRole('region', { name: 'Test of offsite' })), { timeout: 15_000 }).toContain('offsite works');
  });

  test('Test shows each check, or the store’s refusal and how to fix it; the secret key never reaches the page', async () => {
    const item = destination('offsite');
    lab.faults.failNext(1, 403, { operation: 'PutObject' });
    await item.getByRole('button', { name: 'Test' }).click();
    const result = item.getByRole('region', { name: 'Test of offsite' });
    await expect.poll(() => text(result)).toContain('The test of offsite failed');
    expect(await text(result)).toContain('may not write');
    expect(await text(result)).toContain('How to fix: Give the key permission for s3:PutObject');

    await item.getByRole('button', { name: 'Test' }).click();
    await expect.poll(() => text(result), { timeout: 15_000 }).toContain('offsite works');
    const checks = await result.getByRole('list', { name: 'Checks' }).getByRole('listitem').allTextContents();
    expect(checks).toEqual([expect.stringMatching(/^wrote a 1 KiB test object \(.*\.lifeboat-test-[\w-]+\)$/), 'read it back: same bytes', 'deleted it']);
    expect(await result.getByRole('alert').count()).toBe(0);
    await shoot(offsite(), 'settings-offsite');

    expect(await page.content()).not.toContain(SECRET);
    expect(JSON.stringify(app.traffic)).not.toContain(SECRET);
  });
});

describe('Backups → offsite copies in the library', () => {
  test('a backup is copied after it finishes, and its row shows the copy verified', async () => {
    await nav('Backups').click();
    await watchCopyChips();
    const launcher = page.getByRole('region', { name: 'Back up a connection' });
    await launcher.getByLabel('Connection', { exact: true }).selectOption({ label: 'Shop — shop' });
    await launcher.getByRole('button', { name: 'Back up now' }).click();
    await expectVisible(page.getByRole('region', { name: 'Backup of Shop complete' }), 60_000);

    const shop = row('Shop', 'shop');
    await expect.poll(() => text(copies(shop)), { timeout: 30_000 }).toBe('offsite verified');
    const [archive] = (await e2e.engine.library.list({ profile: 'Shop' })).map((e) => e.path);
    const [state] = await e2e.engine.copies.states({ file: archive! });
    expect(state).toMatchObject({ destinationName: 'offsite', state: 'verified' });
    // The copy was followed while it ran (a small one may go from its start straight to verifying).
    const seen = await page.evaluate(() => (window as unknown as { __chips: string[] }).__chips);
    expect(seen.some((chip) => /^offsite (\d+%|starting…|verifying…)$/.test(chip)), seen.join(' | ')).toBe(true);
    // The bucket holds exactly the archive, under the destination's folder.
    const key = `${PREFIX}${path.basename(archive!)}`;
    const head = await lab.client().send(new HeadObjectCommand({ Bucket: lab.bucket, Key: key }));
    expect(head.ContentLength).toBe(state!.bytes);
    // "Copy to…" offers the destinations of the archive's own connection only.
    await openMore(shop);
    await shop.getByRole('button', { name: 'Copy to…' }).click();
    const menu = shop.getByRole('group', { name: /^Copy .* to:$/ });
    expect(await menu.getByRole('button').allTextContents()).toEqual(['offsite', 'Cancel']);
    await menu.getByRole('button', { name: 'Cancel' }).click();
    await shoot(shop, 'backups-offsite');
  });

  test('a copy the store refuses says so in the row, with the reason and the fix; copying again verifies it', async () => {
    const shop = row('Shop', 'shop');
    lab.faults.failNext(1, 403, { operation: 'CreateMultipartUpload' });
    await openMore(shop);
    await shop.getByRole('button', { name: 'Copy to…' }).click();
    await shop.getByRole('group', { name: /^Copy .* to:$/ }).getByRole('button', { name: 'offsite' }).click();
    await expect.poll(() => text(copies(shop)), { timeout: 30_000 }).toBe('offsite failed');
    const reason = await text(shop.locator('.copy-failure'));
    expect(reason).toMatch(/^offsite failed: The key "S3RVER" may not /);
    expect(reason).toContain('Give the key permission');
    await expectVisible(page.getByRole('status').getByText(/The copy of .* to offsite failed/));

    await openMore(shop);
    await shop.getByRole('button', { name: 'Copy to…' }).click();
    await shop.getByRole('group', { name: /^Copy .* to:$/ }).getByRole('button', { name: 'offsite' }).click();
    await expect.poll(() => text(copies(shop)), { timeout: 30_000 }).toBe('offsite verified');
    expect(await shop.locator('.copy-failure').count()).toBe(0);
  });

  test('a big copy shows its percentage while it uploads, part by part', async () => {
    await e2e.engine.destinations.add({ name: 'vault', profile: 'Blobs', s3: { endpoint: lab.endpoint, region: lab.region, bucket: lab.bucket, prefix: 'vault/', pathStyle: true, accessKeyId: lab.accessKeyId, partChecksums: true }, secretKey: SECRET });
    // The library reads the destinations when it opens.
    await nav('Settings').click();
    await nav('Backups').click();
    const blobs = row('Blobs', 'blobs');
    await openMore(blobs);
    await expectVisible(blobs.getByRole('button', { name: 'Copy to…' }));
    // Slow enough to watch: 16 MiB parts at 8 MB/s.
    lab.faults.throttle(8 * 1024 * 1024);
    try {
      await blobs.getByRole('button', { name: 'Copy to…' }).click();
      const menu = blobs.getByRole('group', { name: `Copy ${path.basename(blobsArchive)} to:` });
      expect(await menu.getByRole('button').allTextContents()).toEqual(['vault', 'Cancel']);
      await menu.getByRole('button', { name: 'vault' }).click();
      await expect.poll(() => text(copies(blobs)), { timeout: 30_000 }).toMatch(/^vault [1-9]\d%$/);
      await shoot(blobs, 'backups-offsite-progress');
    } finally {
      lab.faults.throttle(null);
    }
    await expect.poll(() => text(copies(blobs)), { timeout: 60_000 }).toBe('vault verified');
    expect(await e2e.engine.copies.states({ file: blobsArchive })).toMatchObject([{ destinationName: 'vault', state: 'verified', bytesDone: expect.any(Number) }]);
  });
});

describe('Settings → removing a destination', () => {
  test('lists what the bucket holds, then Remove asks first and forgets the destination and its key; the bucket keeps the copies', async () => {
    await nav('Settings').click();
    const item = destination('offsite');
    await expectVisible(item);
    await item.getByRole('button', { name: 'Archives there' }).click();
    const [archive] = (await e2e.engine.library.list({ profile: 'Shop' })).map((e) => path.basename(e.path));
    const remote = item.getByRole('list', { name: 'Archives in offsite' });
    await expectVisible(remote);
    expect(await text(remote)).toContain(archive!);
    expect(await text(remote)).toContain('also on this computer');

    const { id } = (await e2e.engine.destinations.list()).find((d) => d.name === 'offsite')!;
    await item.getByRole('button', { name: 'Remove offsite' }).click();
    const confirm = item.getByRole('group');
    expect(await text(confirm)).toContain('The copies already in the bucket stay there.');
    expect((await e2e.engine.destinations.list()).map((d) => d.name)).toContain('offsite');
    await confirm.getByRole('button', { name: 'Remove destination' }).click();
    await item.waitFor({ state: 'detached' });
    expect((await e2e.engine.destinations.list()).map((d) => d.name)).toEqual(['vault']);
    expect(await e2e.engine.secrets.get(`s3:${id}`)).toBeNull();
    const head = await lab.client().send(new HeadObjectCommand({ Bucket: lab.bucket, Key: `${PREFIX}${archive}` }));
    expect(head.ContentLength).toBeGreaterThan(0);

    // The other destination goes too, so nothing is left in the keychain.
    await destination('vault').getByRole('button', { name: 'Remove vault' }).click();
    await destination('vault').getByRole('group').getByRole('button', { name: 'Remove destination' }).click();
    await expectVisible(offsite().getByText('No destinations yet'));
    expect(JSON.stringify(app.traffic)).not.toContain(SECRET);
    expect(app.problems()).toEqual([]);
  });
});
