// Whole-server runs in the library end to end: a profile whose scope is two small databases is backed
// up from the Backups screen (real PostgreSQL 18, real pg_dump 18, real keychain and age encryption),
// the run appears in the library's "Whole-server runs" with "2 of 2 databases", opens to each
// database's result, and "Drill the run" drills both databases on the embedded PostgreSQL 18 scratch
// server: both pass. Run records someone else put in the folder (no library tag, a made-up one) are
// neither listed nor drilled.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import type { JobOutcome } from '../../main/ipc/contract.ts';
import type { Api } from '../../preload/api.ts';
import { expectVisible, IDENTITY_ACCOUNT, navButton, PASSPHRASE_ACCOUNT, useE2EApp } from '../support/e2e-app.ts';
import type { E2EApp } from '../support/e2e-bridge.ts';

const PROFILE = 'Two databases';
const ALPHA_SQL = `CREATE TABLE public.items AS SELECT g AS id, 'item ' || g AS name FROM generate_series(1, 500) g`;
const BETA_SQL = `
CREATE SCHEMA sales;
CREATE TABLE sales.orders (id int PRIMARY KEY, total numeric(10,2) NOT NULL);
INSERT INTO sales.orders SELECT g, (g * 1.5)::numeric(10,2) FROM generate_series(1, 800) g;
`;

/** Planted records: newer than any real run, so a listed one would show first. */
const planted: string[] = [];

function strangersRecord(libraryTag?: string): object {
  return {
    format: 'lifeboat-run',
    version: 1,
    id: 'planted',
    profile: 'Planted',
    profileId: 'planted-id',
    host: 'evil.example.com',
    port: 5432,
    serverVersion: '18.0',
    startedAt: '2099-01-01T00:00:00.000Z',
    finishedAt: '2099-01-01T00:00:01.000Z',
    durationMs: 1000,
    outcome: 'ok',
    consistency: 'Trust me.',
    concurrency: 1,
    scope: { kind: 'list', databases: ['alpha'] },
    globals: { kind: 'skipped', sha256: '', bytes: 0, note: null },
    // A drill that followed it would read a file outside the folder.
    databases: [{ name: 'alpha', outcome: 'ok', archive: '../../../etc/passwd', bytes: 1 }],
    excluded: [],
    dropped: [],
    ...(libraryTag !== undefined ? { libraryTag } : {}),
  };
}

const e2e = useE2EApp({
  databases: { alpha: ALPHA_SQL, beta: BETA_SQL },
  keychain: { why: "the run's first archive creates Lifeboat's key there, and the drill opens the archives with it", accounts: [IDENTITY_ACCOUNT, PASSPHRASE_ACCOUNT] },
  prepare: async ({ engine, connection, backupDir }) => {
    await engine.profiles.add({ ...connection, name: PROFILE, database: 'postgres', color: 'purple', scope: { kind: 'list', databases: ['alpha', 'beta'] } });
    for (const [name, tag] of [['Planted_server_20990101T000000Z', undefined], ['Planted_server_20990102T000000Z', 'f'.repeat(64)], ['Planted_server_20990103T000000Z', 'not hex']] as const) {
      const file = path.join(backupDir, `${name}.lifeboat-run.json`);
      await writeFile(file, JSON.stringify(strangersRecord(tag)));
      planted.push(file);
    }
  },
});
let app: E2EApp;
let page: Page;
beforeAll(() => void ({ app, page } = e2e));

const nav = (name: string) => navButton(page, name);
const library = () => page.getByRole('region', { name: 'Archive library' });
const runs = () => library().getByRole('region', { name: 'Whole-server runs' });
/** Each run's row: the button that opens and closes it. */
const runButtons = () => runs().getByRole('list', { name: 'Whole-server runs' }).locator('.run-toggle');
const text = async (locator: Locator) => ((await locator.textContent()) ?? '').replace(/\s+/g, ' ');
const finishedJobs = () => app.traffic.filter((t) => t.kind === 'event' && t.channel === 'jobs:finished').map((t) => (t.payload as [JobOutcome])[0]);

/** Records, in the page, every text the run drill's progress showed. */
async function watchRunDrill(): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __drillTexts: string[] };
    w.__drillTexts = [];
    const record = () => {
      document.querySelectorAll('.run-panel .row-progress[aria-busy="true"]').forEach((row) => w.__drillTexts.push(row.textContent ?? ''));
    };
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
}

describe('Whole-server runs in the library', () => {
  test('run records someone else put in the folder are not listed, and the page cannot drill them', async () => {
    await nav('Backups').click();
    await expectVisible(library().getByText('No archives yet'));
    expect(await runs().count()).toBe(0);
    const listed = await page.evaluate(() => (window as unknown as { api: Api }).api.runs.list());
    expect(listed).toEqual({ ok: true, value: [] });
    for (const file of planted) {
      const refused = await page.evaluate((f) => (window as unknown as { api: Api }).api.runs.drill({ file: f }), file);
      expect(refused, file).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('is not a whole-server run this Lifeboat lists') } });
    }
  });

  test('a backup from the app appears as one run of 2 of 2 databases, which opens to each database', async () => {
    const launcher = page.getByRole('region', { name: 'Back up a connection' });
    await launcher.getByLabel('Connection').selectOption({ label: `${PROFILE} — 2 databases: alpha, beta` });
    await launcher.getByRole('button', { name: 'Back up now' }).click();
    await expectVisible(page.getByRole('region', { name: `Backup of ${PROFILE}: all 2 databases backed up` }), 90_000);

    // The list is read again when the run finishes: no refresh needed. The planted records stay out.
    await expectVisible(runs());
    await expect.poll(async () => runButtons().count()).toBe(1);
    const row = runButtons().first();
    expect(await row.getAttribute('aria-expanded')).toBe('false');
    const summary = await text(row);
    for (const part of [PROFILE, `127.0.0.1:${e2e.cluster.port}`, '(PostgreSQL 18', 'ok', '2 of 2 databases']) expect(summary).toContain(part);
    expect(await text(runs())).not.toContain('Planted');

    await row.click();
    expect(await row.getAttribute('aria-expanded')).toBe('true');
    const panel = runs().locator('.run-panel:not([hidden])');
    for (const database of ['alpha', 'beta']) {
      const line = await text(panel.getByRole('row', { name: new RegExp(`^${database}\\b`) }));
      expect(line).toContain('Backed up');
      expect(line).toMatch(new RegExp(`${database}_\\d{8}T\\d{6}Z\\.lifeboat`));
    }
    expect(await text(panel)).toContain('Each database is consistent on its own (its own snapshot); the databases are not consistent with each other.');
    // The run record sits beside its archives, in a library folder: it can be shown in the file manager.
    const [record] = (await e2e.engine.runs.list()).map((r) => r.file);
    expect(path.dirname(record!)).toBe(e2e.backupDir);
    await panel.getByRole('button', { name: 'Reveal in folder' }).click();
    await expect.poll(() => app.revealed).toEqual([record]);
    await page.mouse.move(0, 0);
    await app.screenshot('server-runs-library');
  });

  test('"Drill the run" drills both databases, shows its progress, then a verdict per database: both passed', async () => {
    const panel = runs().locator('.run-panel:not([hidden])');
    await watchRunDrill();
    await panel.getByRole('button', { name: 'Drill the run' }).click();
    const verdict = panel.getByRole('region', { name: 'Drill of the run passed: all 2 databases restore' });
    await expectVisible(verdict, 240_000);
    const seen = await page.evaluate(() => (window as unknown as { __drillTexts: string[] }).__drillTexts);
    expect(seen.some((t) => /Drilling the run: (alpha|beta): .+ \([12] of 2\)/.test(t)), `the progress named the database being drilled (saw ${seen.length} texts)`).toBe(true);

    for (const database of ['alpha', 'beta']) {
      const line = await text(verdict.getByRole('row', { name: new RegExp(`^${database}\\b`) }));
      expect(line).toContain('Passed');
      expect(line).toMatch(/(\d+) of \1 match/);
      expect(line).toContain('Every check matches.');
    }
    await expectVisible(page.getByRole('status').getByText(`passed: all 2 databases restore.`, { exact: false }));
    const drilled = finishedJobs().findLast((o) => o.kind === 'drill');
    expect(drilled).toMatchObject({ ok: true, runDrill: { passed: true, couldNotRun: false, run: { profile: PROFILE, outcome: 'ok' } } });
    const databases = drilled?.ok && drilled.kind === 'drill' ? (drilled.runDrill?.databases ?? []) : [];
    // In the order the run's record lists them (the order their backups finished).
    expect(databases.map((d) => [d.database, d.record?.passed]).sort()).toEqual([['alpha', true], ['beta', true]]);
    await page.mouse.move(0, 0);
    await app.screenshot('server-runs-library-drilled');
  }, 300_000);
});
