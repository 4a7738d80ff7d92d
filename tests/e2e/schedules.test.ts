// Schedules, Activity and the first-run demo end to end: a real PostgreSQL 18, the real engine (five
// backups encrypted to a test recipient), a loopback webhook receiver, the demo database started and
// removed from Connections. The OS job is only read, never installed (that would edit the real crontab).
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateAgeKeyPair } from '../../main/engine/crypto/age-keys.ts';
import { redactWebhookUrl } from '../../main/engine/notify/webhook-url.ts';
import { expectVisible, navButton, useE2EApp } from '../support/e2e-app.ts';
import type { E2EApp } from '../support/e2e-bridge.ts';
import { SAMPLE_SCHEMA_SQL } from '../support/sample-schema.ts';

const DEMO = 'Demo shop (local)';

let hookServer: http.Server;
let hookUrl: string;
const received: { path: string; body: unknown }[] = [];
const recipient = generateAgeKeyPair().recipient;

const e2e = useE2EApp({
  databases: { shop: SAMPLE_SCHEMA_SQL },
  // Recipients only: no secret key on this machine, like an unattended server.
  settings: { extraRecipients: [recipient], encryptionMode: 'recipients', timeZone: 'UTC' },
  cleanup: ({ engine }) => engine.demo.remove().catch(() => {}),
});
let app: E2EApp;
let page: Page;

beforeAll(async () => {
  ({ app, page } = e2e);
  hookServer = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk));
    req.on('end', () => {
      let parsed: unknown = body;
      try {
        parsed = JSON.parse(body);
      } catch {
        // kept as text: the assertion says what arrived
      }
      received.push({ path: req.url ?? '', body: parsed });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
    });
  });
  hookServer.listen(0, '127.0.0.1');
  await once(hookServer, 'listening');
  hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook`;
});

afterAll(() => {
  hookServer?.closeAllConnections();
  hookServer?.close();
});

const nav = (name: string) => navButton(page, name);
const shopCard = () => page.getByRole('article', { name: 'Shop', exact: true });
const status = () => page.getByRole('region', { name: 'Status' });

describe('Connections: first run', () => {
  test('with no connections, the demo card starts a local demo database whose connection appears; it can be removed', async () => {
    await nav('Connections').click();
    const card = page.getByRole('region', { name: 'Try Lifeboat with a demo database' });
    await expectVisible(card);
    const text = (await card.textContent()) ?? '';
    expect(text).toContain('local PostgreSQL');
    expect(text).toContain('sample shop');
    expect(text).toContain('Nothing leaves this computer');
    await app.screenshot('connections-demo');

    await card.getByRole('button', { name: 'Start the demo' }).click();
    await expectVisible(card.getByRole('button', { name: 'Starting the demo…' }), 5000).catch(() => {});
    const demoProfile = page.getByRole('list', { name: 'Saved connections' }).getByRole('heading', { name: DEMO });
    await expectVisible(demoProfile, 120_000);
    expect(await card.count()).toBe(0);
    expect((await e2e.engine.demo.status()).running).toBe(true);
    await app.screenshot('connections-demo-ready');

    // The demo connection really works.
    const item = page.getByRole('article', { name: DEMO });
    await item.getByRole('button', { name: 'Test connection' }).click();
    await expectVisible(item.getByText(/PostgreSQL 18/), 30_000);

    // Remove demo: a confirm step, then the connection is gone and the card is back.
    await page.getByRole('button', { name: 'Remove demo' }).click();
    const confirm = page.getByRole('group', { name: /Remove the demo server/ });
    await expectVisible(confirm);
    await confirm.getByRole('button', { name: 'Remove demo' }).click();
    await expectVisible(page.getByRole('region', { name: 'Try Lifeboat with a demo database' }), 30_000);
    expect((await e2e.engine.demo.status()).profile).toBeNull();
  }, 180_000);
});

describe('Schedules', () => {
  const overview = () => page.getByRole('table', { name: /Each connection’s backup and drill schedule/ });
  const overviewRow = (name: string) => overview().getByRole('row').filter({ has: page.getByRole('rowheader', { name }) });
  const saveButton = () => shopCard().getByRole('button', { name: 'Save changes' });
  const announced = () => page.locator('.sr-only[role="status"][aria-live="polite"]');

  beforeAll(async () => {
    const { engine } = e2e.fixture;
    await engine.profiles.add({ name: 'Shop', host: '127.0.0.1', port: e2e.cluster.port, database: 'shop', user: 'postgres', sslmode: 'disable', color: 'blue', password: e2e.password });
    // Five archives within seconds (names stay distinct within one second).
    for (let i = 0; i < 5; i++) await engine.backups.start({ profile: 'Shop', encryption: { kind: 'recipients', recipients: [recipient] } }).result;
    expect((await engine.library.list({ profile: 'Shop' })).length).toBe(5);
  }, 180_000);

  test('the overview table comes first; "Run schedules while Lifeboat is closed" shows the OS job as it is (only read)', async () => {
    await nav('Schedules').click();
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Schedules' }));
    await expectVisible(overview());
    // First on the screen: before the status panel and the cards.
    const order = await page.evaluate(() => Array.from(document.querySelectorAll('table.schedules-table, section.schedule-status, article.schedule-card')).map((e) => e.tagName));
    expect(order).toEqual(['TABLE', 'SECTION', 'ARTICLE']);
    const cells = await overviewRow('Shop').getByRole('cell').allTextContents();
    expect(cells).toEqual(['Not scheduled', '—', 'Not scheduled', expect.stringMatching(/^succeeded\s*Backup/)]);

    // Only read the OS job's state (turning the switch on would edit this machine's crontab).
    const osJob = await e2e.engine.osJob.status();
    const toggle = status().getByRole('switch', { name: 'Run schedules while Lifeboat is closed' });
    await expect.poll(() => toggle.isEnabled()).toBe(true);
    expect(await toggle.isChecked()).toBe(osJob.installed);
    const said = (await status().textContent()) ?? '';
    if (osJob.installed) expect(said).toContain(`On: ${osJob.kind === 'systemd' ? 'systemd user timer' : 'crontab entry'}`);
    else {
      await expectVisible(status().getByText('Off', { exact: true }));
      expect(said).toContain('Schedules run only while Lifeboat is open or in the tray.');
    }
    expect(await status().getByRole('button', { name: /Install|Uninstall/ }).count()).toBe(0);
  });

  test('a daily 01:00 backup schedule saved with the card’s one Save shows its next three runs, in the card and the table; a bad cron expression is refused with the fix', async () => {
    const card = shopCard();
    expect(await card.textContent()).toContain('Not scheduled');
    // One way to save the whole card: a single Save button, nothing to save yet.
    expect(await card.getByRole('button', { name: /^Save/ }).count()).toBe(1);
    expect(await saveButton().isDisabled()).toBe(true);
    await card.getByRole('switch', { name: 'Back up on a schedule' }).check();
    await expectVisible(card.getByText('Unsaved changes: schedule'));
    const backups = card.getByRole('group', { name: 'Backups' });
    expect(await backups.getByLabel('Repeat').inputValue()).toBe('daily');
    expect(await backups.getByLabel('At', { exact: true }).inputValue()).toBe('01:00');

    // A cron expression the engine cannot read: its message and fix, nothing saved.
    await backups.getByLabel('Repeat').selectOption('cron');
    await backups.getByLabel('Cron expression').fill('every day');
    await saveButton().click();
    const refused = card.getByRole('alert').filter({ hasText: 'The changes to Shop were not saved' });
    await expectVisible(refused);
    expect(await refused.textContent()).toMatch(/not a valid cron expression.*How to fix: Write five fields/s);
    expect((await e2e.engine.schedules.get('Shop')).backup).toBeNull();

    await backups.getByLabel('Repeat').selectOption('daily');
    await backups.getByLabel('At', { exact: true }).fill('01:00');
    await saveButton().click();
    const next = card.getByRole('list', { name: 'Next backup runs' }).getByRole('listitem');
    await expect.poll(() => next.count()).toBe(3);
    for (const run of await next.allTextContents()) expect(run).toMatch(/01:00/);
    expect(await backups.textContent()).toContain('Daily at 01:00 (UTC)');
    await expectVisible(card.getByText('Saved', { exact: true }));
    expect(await card.textContent()).not.toContain('Unsaved changes');
    await expect.poll(async () => (await announced().textContent()) ?? '').toMatch(/^Changes to Shop saved\. Next backup .*01:00/);

    const saved = await e2e.engine.schedules.get('Shop');
    expect(saved.backup).toEqual({ preset: 'daily', time: '01:00', enabled: true });
    const runs = saved.next.backup.map((iso) => new Date(iso));
    expect(runs).toHaveLength(3);
    for (const run of runs) expect([run.getUTCHours(), run.getUTCMinutes()]).toEqual([1, 0]);

    // The overview row: the schedule in words, the next run relative and in the schedule's zone.
    const [schedule, nextRun] = await overviewRow('Shop').getByRole('cell').allTextContents();
    expect(schedule).toBe('Daily at 01:00');
    expect(nextRun).toMatch(/^in .*01:00 \(UTC\)$/);
    expect(await overviewRow('Shop').locator('time').first().getAttribute('datetime')).toBe(saved.next.backup[0]);

    // The row's name leads to the card: its heading has the focus.
    await page.getByRole('heading', { level: 1, name: 'Schedules' }).scrollIntoViewIfNeeded();
    await overviewRow('Shop').getByRole('button', { name: 'Shop' }).click();
    expect(await page.evaluate(() => [document.activeElement?.tagName, document.activeElement?.textContent])).toEqual(['H2', 'Shop']);
  });

  test('retention: the live preview follows the rules being typed (before saving); the card’s Save saves them; Prune now names the count and deletes it', async () => {
    const card = shopCard();
    const preview = card.getByRole('region', { name: 'Preview' });
    const rows = preview.getByRole('table').getByRole('row').filter({ has: page.getByRole('rowheader') });
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(5);
    // Defaults (7 daily, 4 weekly, 12 monthly, never fewer than 3): five archives of today keep 3.
    await expect.poll(async () => (await preview.textContent()) ?? '').toContain('Keeps 3, deletes 2');
    expect(await rows.filter({ hasText: 'delete' }).count()).toBe(2);
    expect(await rows.first().textContent()).toMatch(/keep.*daily \d{4}-\d{2}-\d{2}.*weekly \d{4}-W\d{2}.*monthly/);

    await card.getByLabel('Keep the last').fill('4');
    await expect.poll(async () => (await preview.textContent()) ?? '').toContain('Keeps 4, deletes 1 (with your changes)');
    expect(await rows.filter({ hasText: 'last 4 of 4' }).count()).toBe(1);
    expect(await rows.last().textContent()).toContain('delete');
    await expectVisible(card.getByText('Unsaved changes: retention'));
    // Only a preview: nothing saved yet, and Prune now waits for the save.
    expect((await e2e.engine.schedules.get('Shop')).retention.keepLast).toBe(0);
    expect(await card.getByRole('button', { name: 'Prune now…' }).isDisabled()).toBe(true);

    // A number that is not one: the preview waits, and Save takes the person to the field.
    await card.getByLabel('Keep the last').fill('');
    await expectVisible(preview.getByText('Fix the numbers above to see the preview.'));
    await expectVisible(card.getByText('Retention: each number must be a whole number from 0 to 10000.'));
    await saveButton().click();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-invalid'))).toBe('true');
    expect(await card.getByLabel('Keep the last').evaluate((el) => el === document.activeElement)).toBe(true);

    await card.getByLabel('Keep the last').fill('4');
    await saveButton().click();
    await expect.poll(async () => (await e2e.engine.schedules.get('Shop')).retention.keepLast).toBe(4);
    await expect.poll(async () => (await preview.textContent()) ?? '').toMatch(/Keeps 4, deletes 1(?! \()/);

    const prune = card.getByRole('button', { name: 'Prune now…' });
    await expect.poll(() => prune.isEnabled()).toBe(true);
    await prune.click();
    const confirm = card.getByRole('group', { name: /Delete 1 archive of Shop/ });
    await expectVisible(confirm);
    await confirm.getByRole('button', { name: 'Delete 1 archive' }).click();
    await expectVisible(card.getByText('Deleted 1 archive.'));
    expect((await e2e.engine.library.list({ profile: 'Shop' })).length).toBe(4);
    await expect.poll(async () => (await preview.textContent()) ?? '').toContain('Keeps 4, deletes 0');
  });

  test('notifications: the webhook is saved with the card, then a test reaches the loopback server as JSON with text; one Save saves switches and fields of several sections', async () => {
    const card = shopCard();
    await card.getByLabel('Webhook URL').fill(hookUrl);
    // The test goes to the saved webhook: a URL still being pasted is saved first.
    expect(await card.getByRole('button', { name: 'Send a test' }).isDisabled()).toBe(true);
    await expectVisible(card.getByText('Save your changes to send a test to the new webhook.'));
    await saveButton().click();
    await expectVisible(card.getByText(redactWebhookUrl(hookUrl)));
    await expect.poll(() => card.getByLabel('Webhook URL').inputValue()).toBe('');
    // Into the keychain; the page and schedules.json see it redacted.
    const saved = await e2e.engine.schedules.get('Shop');
    expect(saved.notify).toMatchObject({ webhook: redactWebhookUrl(hookUrl), webhookStorage: e2e.engine.secrets.storage === 'keychain' ? 'keychain' : 'file' });
    if (e2e.engine.secrets.storage === 'keychain') {
      expect(await e2e.engine.secrets.get(`webhook:${saved.profileId}`)).toBe(hookUrl);
      const stored = JSON.parse(await readFile(path.join(e2e.engine.dataDir, 'schedules.json'), 'utf8')) as { schedules: { notify: { webhookUrl?: string | null } }[] };
      expect(stored.schedules.map((entry) => entry.notify.webhookUrl ?? null)).not.toContain(hookUrl);
    }

    await card.getByRole('button', { name: 'Send a test' }).click();
    await expectVisible(card.getByText('Delivered (1 attempt).'), 20_000);
    expect(received).toHaveLength(1);
    expect(received[0]!.path).toBe('/hook');
    const body = received[0]!.body as { text?: unknown };
    expect(typeof body.text).toBe('string');
    expect(body.text).toContain('Shop');

    await card.getByRole('button', { name: 'Test desktop notification' }).click();
    await expectVisible(card.getByText(/^Sent\./));
    expect(app.notified.at(-1)).toMatch(/^Lifeboat: Desktop notifications work/);

    // Switches are drafts too: three sections changed, nothing saved until the one Save.
    await card.getByLabel('Alert when no successful backup for').fill('36');
    await card.getByRole('switch', { name: 'Notify on success too' }).check();
    await card.getByRole('switch', { name: 'Prune automatically after each scheduled backup' }).check();
    await card.getByRole('switch', { name: 'Drill the latest backup on a schedule' }).check();
    await expectVisible(card.getByText('Unsaved changes: schedule, retention and notifications'));
    expect((await e2e.engine.schedules.get('Shop')).notify.onSuccess).toBe(false);
    await saveButton().click();
    await expectVisible(card.getByText('Saved', { exact: true }));
    const after = await e2e.engine.schedules.get('Shop');
    expect(after.notify).toMatchObject({ staleHours: 36, onSuccess: true, desktop: true });
    expect(after.autoPrune).toBe(true);
    expect(after.drill).toEqual({ preset: 'weekly', time: '03:00', weekday: 0, enabled: true });
    expect(await overviewRow('Shop').getByRole('cell').nth(2).textContent()).toMatch(/^Weekly on Sunday at 03:00next in/);
  });

  test('"Last results" name the connection of each result; "Run due now" runs what is due', async () => {
    const lines = status().getByRole('list', { name: 'Last results' }).getByRole('listitem');
    await expect.poll(async () => (await lines.first().textContent()) ?? '').toMatch(/Shop · Pruned 1 archive/);
    expect(await lines.count()).toBe(5);
    for (const line of await lines.allTextContents()) expect(line).toMatch(/^(succeeded|failed|cancelled|info)\s*Shop · /);
    expect(await overviewRow('Shop').getByRole('cell').last().textContent()).toMatch(/^succeeded\s*Prune/);

    await status().getByRole('button', { name: 'Run due now' }).click();
    await expectVisible(status().getByText('Nothing was due.'));
  });

  test('"drill after every backup" has one place, Settings; a connection the CLI set to drill after its scheduled backups shows it and can turn it off', async () => {
    const card = shopCard();
    const drills = card.getByRole('group', { name: 'Drills' });
    expect(await drills.textContent()).toContain('To drill every backup as soon as it is made, turn on “Drill after every backup” in Settings.');
    expect(await drills.getByRole('checkbox').count()).toBe(0);

    // As `lifeboat schedule set --drill-after-backup` does; the screen reads it when it opens.
    await e2e.engine.schedules.set('Shop', { drillAfterBackup: true });
    await nav('Activity').click();
    await nav('Schedules').click();
    const perSchedule = drills.getByRole('checkbox', { name: 'Also drill after each scheduled backup of Shop (set from the command line)' });
    await expectVisible(perSchedule);
    expect(await perSchedule.isChecked()).toBe(true);
    expect(await card.textContent()).not.toContain('Unsaved changes');
    expect(await overviewRow('Shop').getByRole('cell').nth(2).textContent()).toContain('and after each scheduled backup');
    await perSchedule.uncheck();
    await saveButton().click();
    await expect.poll(async () => (await e2e.engine.schedules.get('Shop')).drillAfterBackup).toBe(false);
    await expect.poll(() => perSchedule.count()).toBe(0);

    await drills.getByRole('button', { name: 'Open Settings' }).click();
    await expectVisible(page.getByRole('switch', { name: 'Drill after every backup' }));
    await nav('Schedules').click();
    await expectVisible(shopCard());
    await page.mouse.move(0, 0);
    await app.screenshot('schedules');
  });
});

describe('Activity', () => {
  test('lists what happened, newest first, and its filters work; Export… writes the log', async () => {
    await nav('Activity').click();
    await expectVisible(page.getByRole('heading', { level: 1, name: 'Activity' }));
    const rows = page.getByRole('table').getByRole('row').filter({ has: page.getByRole('rowheader') });
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(7);
    // Newest first: the last thing done (a schedule change) is on top, the first backup far below.
    const all = await rows.allTextContents();
    expect(all[0]).toMatch(/Schedule of "Shop" changed/);
    expect(all.filter((r) => /Backup/i.test(r) && r.includes('Shop') && r.includes('succeeded'))).toHaveLength(5);
    expect(all.some((r) => /Pruned 1 archive/.test(r))).toBe(true);
    expect(all[0]).toMatch(/(just now|seconds?|minutes? ago)/);

    const filters = page.getByRole('group', { name: 'Filters' });
    await filters.getByLabel('What').selectOption('backup');
    await expect.poll(() => rows.count()).toBe(5);
    for (const row of await rows.allTextContents()) expect(row).toMatch(/succeeded/);
    await filters.getByLabel('Connection').selectOption('Shop');
    await expect.poll(() => rows.count()).toBe(5);
    await filters.getByLabel('Result').selectOption('failed');
    await expectVisible(page.getByText('Nothing matches these filters'));
    await filters.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(7);
    await app.screenshot('activity');

    const file = path.join(e2e.workDir, 'activity.jsonl');
    app.queueChosenFile(file);
    await page.getByRole('button', { name: 'Export…' }).click();
    await expectVisible(page.getByText(/Exported \d+ entries to/));
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { what: string });
    expect(lines.filter((l) => l.what === 'backup')).toHaveLength(5);
  });
});

describe('Settings', () => {
  test('encryption offers "Your recipients only" (no secret key on this computer)', async () => {
    await nav('Settings').click();
    const modes = page.getByRole('group', { name: 'Encrypt backups with' });
    const recipients = modes.getByRole('radio', { name: 'Your recipients only' });
    await expectVisible(recipients);
    expect(await recipients.isChecked()).toBe(true);
    expect(await modes.textContent()).toContain('No secret key on this computer; for unattended servers.');
    // A mode is switched only once its consequences were confirmed (tests/e2e/settings-keys.test.ts).
    await modes.getByRole('radio', { name: 'Passphrase' }).check();
    await modes.getByRole('button', { name: 'Switch to the passphrase' }).click();
    await expect.poll(() => e2e.engine.settings.get().encryptionMode).toBe('passphrase');
    await recipients.check();
    await modes.getByRole('button', { name: 'Switch to your recipients only' }).click();
    await expect.poll(() => e2e.engine.settings.get().encryptionMode).toBe('recipients');
    await expectVisible(page.getByRole('switch', { name: 'Keep running in the tray when the window is closed' }));
    await expectVisible(page.getByRole('switch', { name: 'Start Lifeboat at login' }));
    await expectVisible(page.getByLabel('Time zone for schedules'));
  });
});
