// Renderer E2E: the built renderer in Chromium (playwright-core), with a window.api made by the
// preload's own builder from the same contract maps (preload/api.ts), whose every call goes through
// page.exposeBinding to the REAL engine via the same zod-validating dispatcher as Electron's main
// process. Console errors, page errors, failed requests and CSP violations fail the test.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Engine } from '../../main/engine/index.ts';
import type { EventChannel, Events, FileFilter } from '../../main/ipc/contract.ts';
import { PathGrants } from '../../main/ipc/path-grants.ts';
import { createDispatcher, createHandlers, type ShellPorts } from '../../main/ipc/handlers.ts';
import { API_MAPS, buildApiFrom, type ApiMaps } from '../../preload/api.ts';
import { startStaticServer, type StaticServer } from './static-server.ts';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
export const ARTIFACTS_DIR = path.join(REPO_ROOT, 'tests', '.artifacts');
export const SCREENSHOTS_DIR = path.join(ARTIFACTS_DIR, 'screenshots');
const BUILD_DIR = path.join(ARTIFACTS_DIR, 'renderer-build');
const HASH_FILE = '.inputs-sha256';

/** The policy in the built index.html's meta tag; the server repeats it as a header, so both paths are enforced. */
export async function readRendererCsp(root: string): Promise<string> {
  const html = await readFile(path.join(root, 'index.html'), 'utf8');
  const match = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/i.exec(html);
  if (!match?.[1]) throw new Error('renderer/index.html has no Content-Security-Policy meta tag');
  const csp = match[1].replace(/\s+/g, ' ').trim();
  if (!/default-src 'none'/.test(csp) || /unsafe-(inline|eval)/.test(csp)) throw new Error(`renderer CSP is too loose: ${csp}`);
  return csp;
}

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

// --- build once per run (and again only when an input changed) -----------------------------

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? listFiles(full) : [full];
  });
}

function rendererInputsHash(): string {
  const files = [
    ...listFiles(path.join(REPO_ROOT, 'renderer')),
    ...['preload/api.ts', 'main/ipc/contract.ts', 'main/engine/types.ts', 'package-lock.json'].map((f) => path.join(REPO_ROOT, f)),
  ].filter((f) => existsSync(f));
  const hash = createHash('sha256');
  for (const file of files.sort()) {
    hash.update(path.relative(REPO_ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

let builtDir: Promise<string> | null = null;

/** Builds the renderer with its own vite config into tests/.artifacts/renderer-build (cached by input hash). */
export function buildRenderer(): Promise<string> {
  builtDir ??= (async () => {
    const hash = rendererInputsHash();
    const existing = await readFile(path.join(BUILD_DIR, HASH_FILE), 'utf8').catch(() => '');
    if (existing === hash && process.env.LIFEBOAT_E2E_REBUILD !== '1') return BUILD_DIR;
    const tmp = `${BUILD_DIR}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(ARTIFACTS_DIR, { recursive: true });
    const vite = path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
    const args = [vite, 'build', '--config', 'renderer/vite.config.ts', '--outDir', tmp, '--emptyOutDir', '--logLevel', 'warn'];
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d));
      child.stderr.on('data', (d: Buffer) => (output += d));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`vite build failed (exit ${code}):\n${output}`))));
    });
    await writeFile(path.join(tmp, HASH_FILE), hash);
    await rm(BUILD_DIR, { recursive: true, force: true });
    await rename(tmp, BUILD_DIR);
    return BUILD_DIR;
  })();
  return builtDir;
}

// --- the page's window.api --------------------------------------------------------------

type BridgeWindow = Window & {
  __lifeboatInvoke(channel: string, args: unknown[]): Promise<unknown>;
  __lifeboatProblem(text: string): Promise<void>;
  __lifeboatEmit?(channel: string, args: unknown[]): number;
  /** File name → absolute path of what a test drops (E2EApp.dropFile); what webUtils.getPathForFile knows in Electron. */
  __lifeboatDropPaths?: Map<string, string>;
};

/**
 * Runs in the page before any of its scripts: window.api made by the preload's own buildApiFrom
 * (handed in as source text, with the same maps), over the binding instead of ipcRenderer.
 */
function installApi(build: typeof buildApiFrom, maps: ApiMaps): void {
  const w = window as unknown as BridgeWindow;
  const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  // Electron's preload answers with webUtils.getPathForFile: the real path of a File dropped from the
  // OS, '' for any other File. Here the test says which dropped names stand for which paths.
  const dropPaths = new Map<string, string>();
  Object.defineProperty(window, '__lifeboatDropPaths', { value: dropPaths });
  const api = build(
    maps,
    (channel, args) => w.__lifeboatInvoke(channel, args),
    (channel, listener) => {
      const set = listeners.get(channel) ?? new Set();
      listeners.set(channel, set);
      // Wrapped like the preload does, so unsubscribing one registration never removes another.
      const wrapped = (...args: unknown[]) => listener(...args);
      set.add(wrapped);
      return () => void set.delete(wrapped);
    },
    (file) => dropPaths.get(file.name) ?? '',
  );
  // Frozen, so no script in the page can swap a method of the API.
  for (const group of Object.values(api)) if (typeof group === 'object') Object.freeze(group);
  Object.defineProperty(window, 'api', { value: Object.freeze(api), enumerable: true });
  Object.defineProperty(window, '__lifeboatEmit', {
    value: (channel: string, args: unknown[]) => {
      const set = listeners.get(channel);
      for (const listener of set ?? []) listener(...args);
      return set?.size ?? 0;
    },
  });
  document.addEventListener('securitypolicyviolation', (event) => {
    void w.__lifeboatProblem(`CSP violation: ${event.effectiveDirective} blocked ${event.blockedURI || '(inline)'} at ${event.sourceFile}:${event.lineNumber}`);
  });
}

// --- opening the app ----------------------------------------------------------------------

export interface OpenAppOptions {
  engine: Engine;
  appVersion?: string;
  colorScheme?: 'light' | 'dark';
  viewport?: { width: number; height: number };
  deviceScaleFactor?: number;
}

export interface InvokeRecord {
  channel: string;
  ok: boolean;
}

/** What reached the page from main: each call's result, and each event with its arguments. */
export interface TrafficRecord {
  kind: 'result' | 'event';
  channel: string;
  payload: unknown;
}

export interface E2EApp {
  page: Page;
  url: string;
  /** Sends a main → renderer event (like the menu does); resolves to the number of listeners reached. */
  emit<K extends EventChannel>(channel: K, ...args: Parameters<Events[K]>): Promise<number>;
  /** What the next file, folder or save-file dialog returns (null = cancelled), in order. Unqueued dialogs return null. */
  queueChosenFile(file: string | null): void;
  /** Every file the page asked to reveal in the file manager, in order. */
  revealed: string[];
  /** Every desktop notification main showed ("title: body"), in order. */
  notified: string[];
  /** Every question main asked in a native dialog ("message detail"), in order. */
  confirmations: string[];
  /** The user's next answers to main's questions (default: yes). */
  answerNextConfirm(yes: boolean): void;
  /**
   * Drags `file` (an absolute path; a file or a folder) from "the OS" onto the page and drops it, the
   * way a user does from the file manager: dragenter, dragover, drop with a DataTransfer holding a
   * File of that name, whose path window.api.pathForFile then returns (like Electron's webUtils).
   * `hold: true` stops before the drop (to see the drag-over state); `dropFile` again completes it.
   */
  dropFile(file: string, options?: { hold?: boolean; selector?: string }): Promise<void>;
  /** Channel and outcome of every call the page made, in order (arguments are not kept: they may hold passwords). */
  calls: InvokeRecord[];
  /** Every result and event payload sent to the page, in order (for "no secret reaches the renderer" checks). */
  traffic: TrafficRecord[];
  /** Console errors, page errors, failed requests, 404s and CSP violations so far. */
  problems(): string[];
  /** PNG into tests/.artifacts/screenshots/<name>.png, full page unless told (a modal is best shot as the viewport); returns the path. */
  screenshot(name: string, options?: { fullPage?: boolean }): Promise<string>;
  /** Closes the browser and server; throws if any problem was recorded. */
  close(): Promise<void>;
}

export async function openApp(options: OpenAppOptions): Promise<E2EApp> {
  const root = await buildRenderer();
  const chosenFiles: (string | null)[] = [];
  const revealed: string[] = [];
  const notified: string[] = [];
  const confirmations: string[] = [];
  const answers: boolean[] = [];
  // Engine events reach the page once it exists (jobs:progress, jobs:finished).
  let emitToPage: ((channel: string, args: unknown[]) => void) | null = null;
  const nextChosen = async () => (chosenFiles.length ? chosenFiles.shift()! : null);
  const shell: ShellPorts = {
    appVersion: options.appVersion ?? readPackageVersion(),
    chooseFile: async (_title: string, _filters: FileFilter[]) => nextChosen(),
    chooseFolder: async () => nextChosen(),
    chooseSaveFile: async () => nextChosen(),
    // The user's answer to a main-process question: yes unless a test queued a no; every question is recorded.
    confirm: async (question) => {
      confirmations.push(`${question.message} ${question.detail}`);
      return answers.length ? answers.shift()! : true;
    },
    revealInFolder: (file) => void revealed.push(file),
    openPath: (file) => void revealed.push(file),
    notify: (title, body) => void notified.push(`${title}: ${body}`),
    runDueCommand: () => ({ executable: process.execPath, args: [path.join(REPO_ROOT, 'main/cli/bin.mjs')] }),
    emit: (channel, ...args) => emitToPage?.(channel, args),
  };
  // What the Electron shell records too: a dropped file (the preload's report) and a file opened from the OS may be read.
  const grants = new PathGrants();
  const dispatch = createDispatcher(createHandlers(options.engine, shell, grants));
  const calls: InvokeRecord[] = [];
  const traffic: TrafficRecord[] = [];
  const problems: string[] = [];

  let server: StaticServer | null = null;
  let browser: Browser | null = null;
  try {
    server = await startStaticServer(root, { headers: { 'Content-Security-Policy': await readRendererCsp(root) } });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    const context = await browser.newContext({
      viewport: options.viewport ?? { width: 1280, height: 800 },
      deviceScaleFactor: options.deviceScaleFactor ?? 1,
      colorScheme: options.colorScheme ?? 'light',
      reducedMotion: 'reduce',
      locale: 'en-GB',
      timezoneId: 'UTC',
    });
    const page = await context.newPage();
    const origin = new URL(server.url).origin;

    await page.exposeBinding('__lifeboatInvoke', async (source, channel: unknown, args: unknown) => {
      // Only our own page may call (Electron's typed-ipc checks the sender the same way).
      if (source.frame !== page.mainFrame() || new URL(source.frame.url()).origin !== origin) {
        problems.push(`untrusted caller ${source.frame.url()} invoked ${String(channel)}`);
        return { ok: false, error: { code: 'INVALID_INPUT', message: 'Untrusted sender.' } };
      }
      const result = await dispatch(String(channel) as never, Array.isArray(args) ? args : [args]);
      calls.push({ channel: String(channel), ok: result.ok });
      traffic.push({ kind: 'result', channel: String(channel), payload: result });
      return result;
    });
    await page.exposeBinding('__lifeboatProblem', (_source, text: unknown) => void problems.push(String(text)));
    // Both functions go in as source text: the page runs the preload's builder itself.
    await page.addInitScript({ content: `(${installApi.toString()})(${buildApiFrom.toString()}, ${JSON.stringify(API_MAPS)});` });

    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console.error: ${msg.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`));

    emitToPage = (channel, args) => {
      traffic.push({ kind: 'event', channel, payload: args });
      void page.evaluate(([c, a]) => (window as unknown as BridgeWindow).__lifeboatEmit?.(c, a), [channel, args] as [string, unknown[]]).catch(() => {});
    };
    await page.goto(server.url);
    await page.waitForSelector('main#main');

    const openedServer = server;
    const openedBrowser = browser;
    return {
      page,
      url: server.url,
      calls,
      traffic,
      emit: async (channel, ...args) => {
        if (channel === 'app:open-file') grants.grant('open', args[0] as string);
        return page.evaluate(([c, a]) => (window as unknown as BridgeWindow).__lifeboatEmit!(c, a), [channel, args] as [string, unknown[]]);
      },
      queueChosenFile: (file) => void chosenFiles.push(file),
      revealed,
      notified,
      confirmations,
      answerNextConfirm: (yes: boolean) => void answers.push(yes),
      dropFile: async (file, drop = {}) => {
        if (!path.isAbsolute(file)) throw new Error(`dropFile needs an absolute path, got ${file}`);
        grants.grant('open', file);
        await page.evaluate(
          ([name, full, selector, hold]) => {
            const w = window as unknown as BridgeWindow;
            const known = w.__lifeboatDropPaths!.get(name);
            if (known !== undefined && known !== full) throw new Error(`Two dropped files are named ${name}: ${known} and ${full}`);
            w.__lifeboatDropPaths!.set(name, full);
            const transfer = new DataTransfer();
            transfer.items.add(new File(['(dropped by the test)'], name));
            transfer.effectAllowed = 'copy';
            const target = document.querySelector(selector) ?? document.body;
            const fire = (type: string) => target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, composed: true, dataTransfer: transfer }));
            fire('dragenter');
            fire('dragover');
            if (!hold) fire('drop');
          },
          [path.basename(file), file, drop.selector ?? 'main#main', drop.hold ?? false] as [string, string, string, boolean],
        );
      },
      problems: () => [...problems, ...openedServer.notFound.map((p) => `404: ${p}`)],
      screenshot: async (name, shot = {}) => {
        await mkdir(SCREENSHOTS_DIR, { recursive: true });
        const file = path.join(SCREENSHOTS_DIR, `${name}.png`);
        const fullPage = shot.fullPage ?? true;
        // A full-page capture keeps the scroll offset: the sticky sidebar would float mid-page.
        if (fullPage) await page.evaluate(() => window.scrollTo(0, 0));
        await page.screenshot({ path: file, fullPage, animations: 'disabled', caret: 'hide' });
        return file;
      },
      close: async () => {
        const found = [...problems, ...openedServer.notFound.map((p) => `404: ${p}`)];
        await openedBrowser.close().catch(() => {});
        await openedServer.close();
        if (found.length) throw new Error(`The renderer reported problems:\n${found.join('\n')}`);
      },
    };
  } catch (error) {
    await browser?.close().catch(() => {});
    await server?.close();
    throw error;
  }
}

function readPackageVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}
