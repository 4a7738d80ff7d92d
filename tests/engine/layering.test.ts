// The architecture's rules are enforced by the build: lint and the engine's tsconfig must fail on violations.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, WEB_PREFERENCES } from '../../main/security-policy.ts';
import { REPO_ROOT } from '../support/engine-fixture.ts';

const run = promisify(execFile);
const eslint = new ESLint({ cwd: REPO_ROOT, overrideConfigFile: path.join(REPO_ROOT, 'build/eslint.config.js') });

async function lintAs(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(REPO_ROOT, file) });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layering rules', () => {
  it('lint fails when main/engine imports electron (any form)', async () => {
    for (const code of ["import { app } from 'electron';", "import type { App } from 'electron';", "import x from 'electron/main';"]) {
      expect((await lintAs('main/engine/profiles/bad.ts', code)).join('\n'), code).toMatch(/no-restricted-imports/);
    }
  });

  it('lint fails on raw IPC outside the two wrappers, and allows it inside them', async () => {
    expect(await lintAs('main/menu.ts', "import { ipcMain } from 'electron';\nipcMain.on('x', () => {});")).not.toEqual([]);
    expect(await lintAs('main/index.ts', "import { ipcRenderer } from 'electron';\nipcRenderer.send('x');")).not.toEqual([]);
    expect(await lintAs('main/ipc/typed-ipc.ts', "import { ipcMain } from 'electron';\nipcMain.on('x', () => {});")).toEqual([]);
    expect(await lintAs('preload/index.ts', "import { ipcRenderer } from 'electron';\nipcRenderer.send('x');")).toEqual([]);
  });

  it('lint keeps Node and engine code out of the renderer (types from the contract are fine)', async () => {
    expect(await lintAs('renderer/features/x.tsx', "import fs from 'node:fs';\nexport const a = fs;")).not.toEqual([]);
    expect(await lintAs('renderer/features/x.tsx', "import { createEngine } from '../../main/engine/index.ts';\nexport const a = createEngine;")).not.toEqual([]);
    expect(await lintAs('renderer/features/x.tsx', "import type { ProfileSummary } from '../../main/ipc/contract.ts';\nexport type A = ProfileSummary;")).toEqual([]);
  });

  it('lint lets the renderer take from main/engine only model/ types (besides the data-only files it uses today)', async () => {
    const bad = [
      "import type { ArchiveEntry } from '../../main/engine/archive/library-service.ts';\nexport type A = ArchiveEntry;",
      "import type { JobProgress } from '../../main/engine/jobs/job.ts';\nexport type A = JobProgress;",
      "export type { Settings } from '../../main/engine/settings/settings-store.ts';",
    ];
    for (const code of bad) expect((await lintAs('renderer/features/x.tsx', code)).join('\n'), code).toMatch(/no-restricted-imports.*main\/engine\/model/);
    expect((await lintAs('renderer/stores/x.ts', bad[1]!)).join('\n')).toMatch(/no-restricted-imports/);
    expect(await lintAs('renderer/features/x.tsx', "import type { ArchiveEntry } from '../../main/engine/model/archive.ts';\nexport type A = ArchiveEntry;")).toEqual([]);
    expect(await lintAs('renderer/features/x.tsx', "import { SSL_MODES } from '../../main/engine/model/profile.ts';\nexport const a = SSL_MODES;")).not.toEqual([]);
    const today = "import { SSL_MODES } from '../../main/engine/types.ts';\nimport { visibleText } from '../../main/engine/name-text.ts';\nimport { TRUST_PHRASE } from '../../main/engine/restore/trust-phrase.ts';\nexport const a = [SSL_MODES, visibleText, TRUST_PHRASE];";
    expect(await lintAs('renderer/features/x.tsx', today)).toEqual([]);
  });

  it("the engine's own tsconfig fails to compile an electron import", async () => {
    // The probe lives in a temporary folder, under a config that extends the engine's: nothing is written into main/engine.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-layering-'));
    try {
      const probe = path.join(dir, 'layering-probe.ts');
      const config = { extends: path.join(REPO_ROOT, 'main/engine/tsconfig.json'), compilerOptions: { noEmit: true, composite: false, emitDeclarationOnly: false, typeRoots: [path.join(REPO_ROOT, 'node_modules/@types')] }, include: [probe] };
      await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify(config));
      await writeFile(path.join(dir, 'package.json'), '{ "type": "module" }\n');
      const tsc = (source: string) => writeFile(probe, source).then(() => run(path.join(REPO_ROOT, 'node_modules/.bin/tsc'), ['-p', path.join(dir, 'tsconfig.json')], { cwd: REPO_ROOT }).then(() => '', (e: { stdout?: string }) => String(e.stdout)));
      // The same set-up compiles Node code (so what fails below is the electron import, not the set-up).
      expect(await tsc("import { readFileSync } from 'node:fs';\nexport const ok = readFileSync;\n")).toBe('');
      expect(await tsc("import { app } from 'electron';\nexport const probe = app;\n")).toMatch(/layering-probe\.ts.*electron/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('no file in main/engine or main/cli mentions an electron import', async () => {
    const { stdout } = await run('grep', ['-rlE', "from ['\"]electron|require\\(['\"]electron", path.join(REPO_ROOT, 'main/engine'), path.join(REPO_ROOT, 'main/cli')]).catch((e) => e);
    expect(String(stdout ?? '')).toBe('');
  });
});

describe('window security', () => {
  it('keeps sandbox, contextIsolation, no Node integration and web security', () => {
    expect(WEB_PREFERENCES).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
  });

  it('window.ts uses those preferences and guards navigation and window.open', async () => {
    const source = await readFile(path.join(REPO_ROOT, 'main/window.ts'), 'utf8');
    expect(source).toMatch(/webPreferences: \{ \.\.\.WEB_PREFERENCES, preload/);
    expect(source).toMatch(/setWindowOpenHandler\([\s\S]*?action: 'deny'/);
    expect(source).toMatch(/'will-navigate', \(event\) => event\.preventDefault\(\)/);
  });

  it('CSP starts from default-src none and allows no inline or remote code, in the header and in index.html', async () => {
    expect(CONTENT_SECURITY_POLICY).toMatch(/^default-src 'none'/);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    const html = await readFile(path.join(REPO_ROOT, 'renderer/index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toMatch(/default-src 'none'/);
    expect(meta).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
  });
});
