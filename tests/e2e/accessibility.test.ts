// Accessibility end to end: every screen of the sidebar (read from the navigation at run time, so a
// new screen is covered without a change here) and a few dialogs and states, in the light and the
// dark theme, checked by axe-core against WCAG 2.0–2.2 A/AA. A real PostgreSQL 18 and the real
// engine fill the screens first (two connections, their backups, a drill, a schedule): an empty
// screen would hide the rows, badges and charts where contrast and naming problems live.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { expectVisible, IDENTITY_ACCOUNT, navButton, useE2EApp } from '../support/e2e-app.ts';
import type { E2EApp } from '../support/e2e-bridge.ts';
import { SAMPLE_SCHEMA_SQL } from '../support/sample-schema.ts';

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
/** The issue's bar: any violation of these impacts fails the test. */
const BLOCKING = new Set(['serious', 'critical']);
const THEMES = ['light', 'dark'] as const;
type Theme = (typeof THEMES)[number];

/** One axe rule's violation on one screen, as much as a person needs to find and fix it. */
interface Violation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
  /** What axe measured on the first node (for contrast: the colours and the ratio). */
  detail: string;
}

interface Finding extends Violation {
  theme: Theme;
  where: string;
}

const CRM_SQL = `
CREATE TABLE public.contacts (id int PRIMARY KEY, name text NOT NULL, email text);
INSERT INTO public.contacts SELECT g, 'Contact ' || g, 'c' || g || '@example.com' FROM generate_series(1, 200) g;
`;

let archive: string;

const e2e = useE2EApp({
  databases: { shop: SAMPLE_SCHEMA_SQL, crm: CRM_SQL },
  keychain: { why: "backups, the drill and Restore use Lifeboat's key", accounts: [IDENTITY_ACCOUNT] },
  prepare: async ({ engine, connection }) => {
    await engine.keys.ensureIdentity();
    const canaryQueries = [{ name: 'Customers', sql: 'SELECT count(*) FROM shop.customers' }];
    await engine.profiles.add({ ...connection, name: 'Shop', database: 'shop', color: 'teal', canaryQueries });
    await engine.profiles.add({ ...connection, name: 'CRM', database: 'crm', color: 'amber' });
    archive = (await engine.backups.start({ profile: 'Shop', encryption: { kind: 'settings' } }).result).archive;
    await engine.backups.start({ profile: 'CRM', encryption: { kind: 'settings' } }).result;
    // On the connection's own server: a scratch database is much quicker than the embedded server.
    await engine.drills.start({ file: archive, scratch: { kind: 'profile', profile: 'Shop' } }).result;
    await engine.schedules.set('Shop', { backup: { preset: 'daily', time: '01:00', enabled: true } });
  },
});
let app: E2EApp;
let page: Page;
beforeAll(() => void ({ app, page } = e2e));

const findings: Finding[] = [];
/** "Screen (theme)" → rule id → nodes, for the summary (clean places too). */
const summary = new Map<string, Map<string, number>>();

let axeSource: string | undefined;

/** axe-core's own bundle, evaluated by Playwright in the page (CDP, so the renderer's CSP does not apply). */
async function injectAxe(): Promise<void> {
  if (await page.evaluate(() => 'axe' in window)) return;
  axeSource ??= await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
}

/** Runs axe on the whole document as it is now and keeps only what the summary and failure need. */
async function runAxe(): Promise<Violation[]> {
  await injectAxe();
  return page.evaluate(async (tags) => {
    type Node = { target: unknown[]; any: { message: string }[]; all: { message: string }[]; none: { message: string }[] };
    type Result = { id: string; impact: string | null; help: string; nodes: Node[] };
    const axe = (window as unknown as { axe: { run(ctx: Document, options: object): Promise<{ violations: Result[] }> } }).axe;
    const results = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return results.violations.map((v) => {
      const first = v.nodes[0];
      const detail = first ? [...first.any, ...first.all, ...first.none].map((c) => c.message).join(' ') : '';
      return { id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.flat().join(' ')), detail };
    });
  }, AXE_TAGS);
}

/**
 * WCAG 1.4.11, which axe does not check: each enabled text field, select and switch must stand out
 * from what is behind it by ≥ 3:1 (its border or its fill), and a switch's knob from its track.
 * Colours are read through a canvas, so any CSS colour syntax (color-mix too) comes out as RGBA.
 */
async function controlBoundaries(): Promise<Violation[]> {
  return page.evaluate(() => {
    const ctx = document.createElement('canvas').getContext('2d', { willReadFrequently: true })!;
    const rgba = (css: string) => {
      ctx.clearRect(0, 0, 1, 1);
      ctx.fillStyle = css;
      ctx.fillRect(0, 0, 1, 1);
      const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
      return [r!, g!, b!, a! / 255] as const;
    };
    const over = (top: string, below: readonly number[]) => {
      const [r, g, b, a] = rgba(top);
      return [r * a + below[0]! * (1 - a), g * a + below[1]! * (1 - a), b * a + below[2]! * (1 - a)];
    };
    // What shows behind an element: its ancestors' background colours composited bottom-up.
    const behind = (el: Element) => {
      const chain: string[] = [];
      for (let e = el.parentElement; e; e = e.parentElement) chain.push(getComputedStyle(e).backgroundColor);
      return chain.reverse().reduce<readonly number[]>((below, colour) => over(colour, below), [255, 255, 255]);
    };
    const lum = (c: readonly number[]) => {
      const [r, g, b] = c.map((v) => (v / 255 <= 0.04045 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4));
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    const ratio = (a: readonly number[], b: readonly number[]) => {
      const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
      return (hi! + 0.05) / (lo! + 0.05);
    };
    const failures: { target: string; detail: string }[] = [];
    const selector = 'input:not([type=radio]):not([type=checkbox]):not([type=hidden]), select, textarea, input[role=switch]';
    // Behind an open modal the page is inert and dimmed: only the modal's controls count.
    const scope = document.querySelector('dialog:modal') ?? document;
    for (const el of Array.from(scope.querySelectorAll<HTMLInputElement>(selector))) {
      if (el.disabled || !el.checkVisibility()) continue;
      const style = getComputedStyle(el);
      const back = behind(el);
      const fill = over(style.backgroundColor, back);
      const border = parseFloat(style.borderTopWidth) > 0 ? ratio(over(style.borderTopColor, fill), back) : 0;
      const edge = Math.max(border, ratio(fill, back));
      const knob = el.getAttribute('role') === 'switch' ? ratio(over(getComputedStyle(el, '::after').backgroundColor, fill), fill) : Infinity;
      if (Math.min(edge, knob) >= 3) continue;
      const name = el.id ? `#${el.id}` : `${el.tagName.toLowerCase()}${el.className ? `.${Array.from(el.classList).join('.')}` : ''}`;
      failures.push({ target: name, detail: `boundary ${edge.toFixed(2)}:1${knob < Infinity ? `, knob ${knob.toFixed(2)}:1` : ''} (needs 3:1)` });
    }
    const help = 'Form controls must stand out from their background by 3:1 (WCAG 1.4.11)';
    return failures.length ? [{ id: 'non-text-contrast', impact: 'serious', help, targets: failures.map((f) => f.target), detail: failures[0]!.detail }] : [];
  });
}

/** Waits until the page stops changing for a moment: stores load after a screen shows its heading. */
async function settle(): Promise<void> {
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        let quiet: ReturnType<typeof setTimeout>;
        const observer = new MutationObserver(() => {
          clearTimeout(quiet);
          quiet = setTimeout(done, 300);
        });
        const done = () => {
          observer.disconnect();
          clearTimeout(limit);
          resolve();
        };
        const limit = setTimeout(done, 5000);
        observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
        quiet = setTimeout(done, 300);
      }),
  );
}

async function check(theme: Theme, where: string): Promise<void> {
  await settle();
  const violations = [...(await runAxe()), ...(await controlBoundaries())];
  const counts = new Map<string, number>();
  for (const v of violations) {
    counts.set(v.id, (counts.get(v.id) ?? 0) + v.targets.length);
    if (BLOCKING.has(v.impact ?? '')) findings.push({ ...v, theme, where });
  }
  summary.set(`${where} (${theme})`, counts);
}

/** The sidebar's buttons as they are now: whatever screens the app has. */
async function screenNames(): Promise<string[]> {
  const buttons = page.getByRole('navigation', { name: 'Main' }).getByRole('button');
  const names = (await buttons.allInnerTexts()).map((name) => name.trim()).filter(Boolean);
  expect(names.length, 'the sidebar lists the screens').toBeGreaterThan(3);
  return names;
}

async function visitScreens(theme: Theme): Promise<string[]> {
  const names = await screenNames();
  for (const name of names) {
    const button = navButton(page, name);
    await button.click();
    await expect.poll(() => button.getAttribute('aria-current')).toBe('page');
    await expectVisible(page.getByRole('heading', { level: 1 }));
    await check(theme, name);
  }
  return names;
}

/** A modal opened from a screen, checked while open, then closed with Escape like a keyboard user would. */
async function checkDialog(theme: Theme, where: string, open: () => Promise<void>): Promise<void> {
  await open();
  const dialog = page.getByRole('dialog');
  await expectVisible(dialog);
  await check(theme, where);
  await page.keyboard.press('Escape');
  await dialog.first().waitFor({ state: 'hidden' });
}

async function checkStates(theme: Theme): Promise<void> {
  await navButton(page, 'Connections').click();
  await checkDialog(theme, 'Connections › Add connection', () => page.getByRole('button', { name: 'Add connection' }).first().click());

  await navButton(page, 'Backups').click();
  // The library is a table: each archive is a row group (its row, and its "More" row when open).
  const rows = page.getByRole('region', { name: 'Archive library' }).getByRole('table', { name: 'Archives' }).getByRole('rowgroup').filter({ has: page.getByRole('rowheader') });
  await expectVisible(rows);
  // Details is among the "More" actions, checked open too.
  const more = rows.first().getByRole('button', { name: 'More', exact: true });
  if ((await more.getAttribute('aria-expanded')) !== 'true') await more.click();
  await checkDialog(theme, 'Backups › archive details', () => rows.first().getByRole('button', { name: 'Details' }).click());

  // A backup dropped on the window opens Restore, unlocked with Lifeboat's key, with its checklist.
  await app.dropFile(archive);
  await expectVisible(page.getByRole('heading', { level: 1, name: 'Restore' }));
  const state = page.getByRole('region', { name: 'Checklist' }).locator('.checklist-state');
  await expect.poll(async () => (await state.textContent()) ?? '', { timeout: 30_000 }).not.toMatch(/Checking|^\s*$/);
  await check(theme, 'Restore › checklist');
}

/** "Backups (dark): color-contrast ×3, label ×1", one line per place. */
function summaryText(): string {
  return [...summary]
    .map(([where, counts]) => `${where}: ${counts.size ? [...counts].map(([rule, n]) => `${rule} ×${n}`).join(', ') : 'clean'}`)
    .join('\n');
}

function findingText(f: Finding): string {
  const targets = f.targets.slice(0, 4).join(' | ') + (f.targets.length > 4 ? ` (+${f.targets.length - 4} more)` : '');
  return `[${f.theme}] ${f.where}: ${f.id} (${f.impact}) — ${f.help}\n    ${targets}\n    ${f.detail}`;
}

describe('Accessibility (axe-core, WCAG 2.2 AA)', () => {
  for (const theme of THEMES) {
    test(`every screen, the Add connection dialog, the archive details and the Restore checklist in the ${theme} theme`, async () => {
      await page.emulateMedia({ colorScheme: theme });
      const screens = await visitScreens(theme);
      expect(screens).toEqual(expect.arrayContaining(['Connections', 'Backups', 'Restore', 'Settings']));
      await checkStates(theme);
    });
  }

  test('no serious or critical violation anywhere', () => {
    console.info(`axe-core ${AXE_TAGS.join(' ')} — violations by rule (nodes):\n${summaryText()}`);
    expect(summary.size, 'both themes were checked').toBeGreaterThanOrEqual(2 * 4);
    expect(findings.map(findingText), `${findings.length} serious or critical violations`).toEqual([]);
  });
});
