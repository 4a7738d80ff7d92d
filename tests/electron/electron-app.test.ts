// The packaged shell in the real Electron binary. The binary cannot be downloaded on machines without
// GitHub access (install uses ELECTRON_SKIP_BINARY_DOWNLOAD=1); there this file skips and says why.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/engine-fixture.ts';

const run = promisify(execFile);
const binaryPresent = existsSync(path.join(REPO_ROOT, 'node_modules/electron/path.txt'));
const SKIP_REASON = 'needs the Electron binary, which is not installed (npm install ran with ELECTRON_SKIP_BINARY_DOWNLOAD=1)';
if (!binaryPresent) console.log(`tests/electron/electron-app.test.ts skipped: ${SKIP_REASON}`);

describe.skipIf(!binaryPresent)(binaryPresent ? 'Electron app' : `Electron app — skipped: ${SKIP_REASON}`, () => {
  it('opens a sandboxed, context-isolated window that exposes only window.api', async () => {
    await run(path.join(REPO_ROOT, 'node_modules/.bin/electron-vite'), ['build', '--config', 'build/electron.vite.config.ts'], { cwd: REPO_ROOT });
    const home = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-electron-'));
    const app = await electron.launch({ args: [path.join(REPO_ROOT, 'out/main/index.js')], env: { ...process.env, LIFEBOAT_HOME: home } });
    try {
      const page = await app.firstWindow();
      // getLastWebPreferences() is Electron's own (undocumented in its typings) view of the live window.
      const prefs = await app.evaluate(({ BrowserWindow }) => (BrowserWindow.getAllWindows()[0]!.webContents as unknown as { getLastWebPreferences(): object }).getLastWebPreferences());
      expect(prefs).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false });
      expect(await page.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined');
      expect(await page.evaluate(() => Object.keys((window as unknown as { api: object }).api).sort())).toEqual(['activity', 'app', 'backups', 'demo', 'dialog', 'drills', 'jobs', 'keys', 'library', 'on', 'pathForFile', 'profiles', 'restore', 'schedules', 'settings', 'tools']);
      const opened = await page.evaluate(() => window.open('https://example.com') === null);
      expect(opened).toBe(true);
    } finally {
      await app.close();
      await rm(home, { recursive: true, force: true });
    }
  });
});
