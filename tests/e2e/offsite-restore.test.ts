// Using a remote copy from the app, end to end: a real PostgreSQL 18, the real engine (real keychain
// for the S3 secret key and Lifeboat's key), s3rver behind the lab's fault proxy, and the built
// renderer in Chromium. From Settings → destination → "Archives there": the copy is verified where it
// is, downloaded into a chosen folder, restored into a new database through the Restore screen (its
// checklist first), and drilled; each temporary copy is gone once its job ends. A copy a killed
// Lifeboat left unfinished resumes at start and shows in the library, where it can be cancelled; a
// bit flipped in the bucket makes the verification and the drill fail with the reason.
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import type { JobOutcome } from '../../main/ipc/contract.ts';
import { CLI } from '../support/cli-runner.ts';
import { expectVisible, IDENTITY_ACCOUNT, navButton, useE2EApp } from '../support/e2e-app.ts';
import { SCREENSHOTS_DIR, type E2EApp } from '../support/e2e-bridge.ts';
import { NODE_BIN_DIR } from '../support/engine-fixture.ts';
import { startS3Lab, type S3Lab } from '../support/s3-lab.ts';
import { BLOBS_SQL, SMALL_SHOP_SQL } from '../support/offsite-data.ts';
import { libraryRow, openMore } from '../support/e2e-library.ts';


const SECRET = `lb-e2e-s3-secret-${randomBytes(12).toString('hex')}`;
const PREFIX = 'team/';
let lab: S3Lab;
let shopArchive: string;
let blobsArchive: string;

const e2e = useE2EApp({
  databases: { shop: SMALL_SHOP_SQL, blobs: BLOBS_SQL },
  keychain: { why: "backups are encrypted with Lifeboat's key; destinations keep their S3 secret key there", accounts: [IDENTITY_ACCOUNT] },
  prepare: async ({ engine, connection }) => {
    lab = await startS3Lab({ secretAccessKey: SECRET });
    lab.faults.verifySignatures(true);
    await engine.keys.ensureIdentity();
    await engine.profiles.add({ ...connection, name: 'Shop', database: 'shop', color: 'teal' });
    await engine.profiles.add({ ...connection, name: 'Blobs', database: 'blobs', color: 'amber' });
    const s3 = { endpoint: lab.endpoint, region: lab.region, bucket: lab.bucket, pathStyle: true, accessKeyId: lab.accessKeyId, partChecksums: true };
    await engine.destinations.add({ name: 'offsite', profile: 'Shop', s3: { ...s3, prefix: PREFIX }, secretKey: SECRET });
    // Made before Blobs has a destination: its copy is started (and killed) by the test.
    blobsArchive = (await engine.backups.start({ profile: 'Blobs', encryption: { kind: 'settings' }, exactRowCounts: false }).result).archive;
    await engine.destinations.add({ name: 'vault', profile: 'Blobs', s3: { ...s3, prefix: 'vault/' }, secretKey: SECRET });
    // Shop's backup is copied to offsite after it finishes (a follow-up): wait for that too.
    shopArchive = (await engine.backups.start({ profile: 'Shop', encryption: { kind: 'settings' } }).result).archive;
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all(engine.followUps.running().map((job) => job.result));
  },
  cleanup: async () => {
    await lab?.stop();
  },
});
let app: E2EApp;
let page: Page;
beforeAll(() => void ({ app, page } = e2e));

const nav = (name: string) => navButton(page, name);
const destination = (name: string) => page.getByRole('region', { name: 'Offsite destinations' }).getByRole('list', { name: 'Destinations' }).getByRole('article').filter({ has: page.getByRole('heading', { name }) });
const remoteItem = (name: string) => destination('offsite').getByRole('list', { name: 'Archives in offsite' }).getByRole('listitem', { name });
const text = async (l: Locator) => ((await l.textContent()) ?? '').replace(/\s+/g, ' ').trim();
const identity = () => page.getByRole('region', { name: 'Backup file' });
const options = () => page.getByRole('region', { name: 'How to restore' });
const checklist = () => page.getByRole('region', { name: 'Checklist' });
const row = (profile: string, database: string) => libraryRow(page, profile, database);
const copies = (r: Locator) => r.getByRole('list', { name: 'Offsite copies' });

/** A picture of one part of the page, for the README. */
async function shoot(locator: Locator, name: string): Promise<void> {
  await page.mouse.move(0, 0);
  await locator.screenshot({ path: path.join(SCREENSHOTS_DIR, `${name}.png`), animations: 'disabled', caret: 'hide' });
}

/** Settings → offsite → "Archives there": the item of the Shop archive. */
async function openRemoteArchive(): Promise<Locator> {
  await nav('Settings').click();
  await destination('offsite').getByRole('button', { name: 'Archives there' }).click();
  const item = remoteItem(path.basename(shopArchive));
  await expectVisible(item);
  return item;
}

/** The outcomes main sent the page, newest last. */
function outcomes(): JobOutcome[] {
  return app.traffic.filter((t) => t.kind === 'event' && t.channel === 'jobs:finished').map((t) => (t.payload as [JobOutcome])[0]);
}

describe('Settings → destination → Archives there', () => {
  test('Verify copy downloads the remote copy, hashes it, and shows each check', async () => {
    const item = await openRemoteArchive();
    expect(await text(item)).toContain('also on this computer');
    expect(await item.getByRole('button').allTextContents()).toEqual(['Verify copy', 'Download…', 'Drill', 'Restore…']);
    await item.getByRole('button', { name: 'Verify copy' }).click();
    const result = item.getByRole('status', { name: 'Verification of the copy' });
    await expectVisible(result, 30_000);
    expect(await text(result)).toContain('The copy is intact');
    const checks = await result.getByRole('list', { name: 'Checks' }).getByRole('listitem').allTextContents();
    expect(checks[0]).toMatch(/^SHA-256 of the \d+ bytes downloaded equals the remote sidecar's$/);
    expect(checks.at(-1)).toBe("equals the local archive's sidecar");
    await expectVisible(page.getByRole('status').getByText(`The copy of ${path.basename(shopArchive)} in offsite is intact: it matches its sidecar.`));
    await shoot(destination('offsite'), 'offsite-remote-archives');
  });

  test('Download… saves it and its sidecar into the folder chosen in the dialog, checked against the sidecar', async () => {
    const item = await openRemoteArchive();
    app.queueChosenFile(e2e.workDir);
    await item.getByRole('button', { name: 'Download…' }).click();
    const saved = path.join(e2e.workDir, path.basename(shopArchive));
    await expectVisible(item.getByText('Downloaded and checked against its sidecar:'), 30_000);
    expect(await text(item.getByRole('status'))).toContain(saved);
    expect(await readFile(saved)).toEqual(await readFile(shopArchive));
    expect(existsSync(`${saved}.json`)).toBe(true);
    await item.getByRole('button', { name: 'Dismiss' }).click();
    expect(await item.getByRole('status').count()).toBe(0);
  });

  test('Restore… downloads a temporary copy and opens it in Restore with the checklist; it restores into a new database, and the copy goes', async () => {
    const item = await openRemoteArchive();
    await item.getByRole('button', { name: 'Restore…' }).click();
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Restore' }), 30_000);
    expect(await text(page.getByRole('status').filter({ hasText: 'temporary copy' }))).toBe(`${path.basename(shopArchive)} was downloaded from offsite and matches its sidecar there. This temporary copy is removed when the restore ends.`);
    await expectVisible(identity().getByText('Source database'), 60_000);
    const fetched = outcomes().findLast((o) => o.kind === 'download' && o.ok);
    const file = fetched?.ok && fetched.kind === 'download' ? fetched.value.file : '';
    expect(path.basename(file)).toBe(path.basename(shopArchive));
    expect(path.basename(path.dirname(file))).toMatch(new RegExp(`^lifeboat-restore-${process.pid}-`));

    // The usual checklist, for the downloaded file: its sidecar came with it.
    await options().getByLabel('New database name').fill('shop_from_s3');
    await expect.poll(async () => text(checklist().locator('.checklist-state')), { timeout: 30_000 }).toBe('Ready to restore');
    const checks = await text(checklist().getByRole('list', { name: 'Checks' }));
    expect(checks).toContain('Archive identity and integrity');
    expect(checks).toContain("The file's sha256 matches its sidecar");
    expect(checks).toContain('A new database "shop_from_s3" will be created');
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.mouse.move(0, 0);
    await app.screenshot('restore-from-s3');

    await checklist().getByRole('button', { name: 'Restore into “shop_from_s3”' }).click();
    await expectVisible(page.getByRole('region', { name: 'Restored into “shop_from_s3”' }), 60_000);
    const counts = await e2e.cluster.query('SELECT (SELECT count(*) FROM customers)::int AS customers, (SELECT count(*) FROM orders)::int AS orders, (SELECT sum(total) FROM orders)::text AS total', [], 'shop_from_s3');
    expect(counts).toEqual([{ customers: 2000, orders: 5000, total: (await e2e.cluster.query('SELECT sum(total)::text AS total FROM orders', [], 'shop'))[0]!.total }]);
    // The restore owned the temporary copy: it went when the restore ended.
    await expect.poll(() => existsSync(path.dirname(file))).toBe(false);
    await page.getByRole('button', { name: 'Done' }).click();
    await expectVisible(page.getByText(`The temporary copy of ${path.basename(shopArchive)} was removed when the restore ended.`));
    await expectVisible(page.getByRole('heading', { name: 'Drop a backup anywhere in this window' }));
  });

  test('Drill downloads it, drills a temporary copy (its download shown as a phase) and removes it', async () => {
    const item = await openRemoteArchive();
    await item.getByRole('button', { name: 'Drill', exact: true }).click();
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Drills' }));
    const passed = page.getByRole('region', { name: 'Drill passed: this backup restores' });
    await expectVisible(passed, 120_000);
    expect(await text(passed)).toContain(path.basename(shopArchive));
    const drilled = outcomes().findLast((o) => o.kind === 'drill');
    expect(drilled).toMatchObject({ ok: true, value: { passed: true }, remote: { destinationName: 'offsite', name: path.basename(shopArchive), action: 'drill' } });
    const drilledFile = drilled?.ok && drilled.kind === 'drill' ? (drilled.value?.archive.path ?? '') : '';
    expect(existsSync(path.dirname(drilledFile))).toBe(false);
    const seen = app.traffic.filter((t) => t.channel === 'jobs:progress' && (t.payload as [{ remote?: { action: string }; phase: string }])[0].remote?.action === 'drill').map((t) => (t.payload as [{ phase: string }])[0].phase);
    expect(seen).toContain('Downloading');
    expect(seen).toContain('Verifying');
  });
});

describe('Backups → a copy a killed Lifeboat left unfinished', () => {
  test('resumes at start and shows in the library row, where Cancel stops it; the next copy goes on from there', async () => {
    const key = `vault/${path.basename(blobsArchive)}`;
    const confirmed = () => lab.requests.filter((r) => r.key === key && r.operation === 'UploadPart' && r.status === 200).length;
    // `lifeboat copy` on the same data folder, killed once the first part is in.
    lab.faults.throttle(8 * 1024 * 1024);
    const child = spawn(CLI, ['copy', blobsArchive, '--to', 'vault'], { env: { ...process.env, PATH: `${NODE_BIN_DIR}${path.delimiter}${process.env.PATH}`, LIFEBOAT_HOME: e2e.engine.dataDir }, stdio: 'ignore' });
    const ended = new Promise((resolve) => child.on('close', resolve));
    for (const until = Date.now() + 60_000; confirmed() < 1 && Date.now() < until; ) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGKILL');
    await ended;
    expect(confirmed()).toBeGreaterThanOrEqual(1);
    expect((await e2e.engine.copies.states({ file: blobsArchive }))[0]).toMatchObject({ destinationName: 'vault', state: 'uploading' });

    await nav('Backups').click();
    const blobs = row('Blobs', 'blobs');
    await expect.poll(() => text(copies(blobs)), { timeout: 15_000 }).toMatch(/^vault unfinished, \d+%$/);

    // What main/index.ts does a few seconds after the app starts.
    lab.faults.throttle(2 * 1024 * 1024);
    try {
      const resumed = await e2e.engine.resumeCopies();
      expect(resumed.map((r) => r.destination)).toEqual(['vault']);
      await expect.poll(() => text(copies(blobs)), { timeout: 30_000 }).toMatch(/^vault [1-9]\d%$/);
      await blobs.getByRole('button', { name: 'Cancel the copy to vault' }).click();
      await expectVisible(page.getByRole('status').getByText(`The copy of ${path.basename(blobsArchive)} to vault was cancelled; the next copy resumes where it stopped.`), 15_000);
      await expect.poll(() => text(copies(blobs)), { timeout: 15_000 }).toMatch(/^vault stopped at \d+%$/);
    } finally {
      lab.faults.throttle(null);
    }
    expect((await e2e.engine.copies.states({ file: blobsArchive }))[0]).toMatchObject({ state: 'failed', error: { code: 'CANCELLED' } });

    await openMore(blobs);
    await blobs.getByRole('button', { name: 'Copy to…' }).click();
    await blobs.getByRole('group', { name: /^Copy .* to:$/ }).getByRole('button', { name: 'vault' }).click();
    await expect.poll(() => text(copies(blobs)), { timeout: 60_000 }).toBe('vault verified');
    const head = await lab.client().send(new HeadObjectCommand({ Bucket: lab.bucket, Key: key }));
    expect(head.ContentLength).toBe((await e2e.engine.copies.states({ file: blobsArchive }))[0]!.bytes);
  });
});

describe('A damaged remote copy', () => {
  test('a bit flipped in the bucket: Verify copy and the drill fail, each with the reason; nothing damaged is kept', async () => {
    await lab.flipBit(`${PREFIX}${path.basename(shopArchive)}`, 1000);
    const item = await openRemoteArchive();
    await item.getByRole('button', { name: 'Verify copy' }).click();
    const failure = item.getByRole('alert');
    await expectVisible(failure, 30_000);
    expect(await text(failure)).toContain('The copy did not verify');
    expect(await text(failure)).toMatch(/does not match its sidecar at the destination/);
    expect(await text(failure)).toContain('How to fix: This copy is damaged');

    await item.getByRole('button', { name: 'Drill', exact: true }).click();
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Drills' }));
    const failed = page.getByRole('region', { name: 'The drill failed' });
    await expectVisible(failed, 60_000);
    expect(await text(failed)).toContain(`Drill failed: the copy of ${path.basename(shopArchive)} from offsite is damaged`);
    expect(await text(failed)).toMatch(/It was not kept/);
    expect(JSON.stringify(app.traffic)).not.toContain(SECRET);
    expect(app.problems()).toEqual([]);
  });
});
