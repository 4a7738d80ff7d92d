// App lifecycle only: single instance, window, menu, engine and IPC wiring.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { app, BrowserWindow, Notification } from 'electron';
import { installTray, keepsRunningInTray } from './tray.ts';
import { createEngine } from './engine/index.ts';
import { FetchedCopies } from './ipc/fetched-copies.ts';
import { createDispatcher, createHandlers } from './ipc/handlers.ts';
import { registerDropReports, registerInvokeHandlers, send } from './ipc/typed-ipc.ts';
import { PathGrants } from './ipc/path-grants.ts';
import { installAppMenu } from './menu.ts';
import { chooseFile, chooseFolder, chooseSaveFile, confirmInMain, openPath, revealInFolder } from './platform/dialogs.ts';
import { createMainWindow } from './window.ts';

let mainWindow: BrowserWindow | null = null;

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', (_event, argv) => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
    openFromArgv(argv.slice(1));
  });
  // macOS: a backup file double-clicked or dropped on the dock icon (possibly before any window exists).
  app.on('open-file', (event, file) => {
    event.preventDefault();
    openFile(file);
  });
  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-navigate', (event) => event.preventDefault());
  });
  void app.whenReady().then(start);
  app.on('window-all-closed', () => {
    // With "keep running in the tray", schedules keep running while no window is open.
    if (process.platform !== 'darwin' && !keepsRunningInTray()) app.quit();
  });
}

async function start(): Promise<void> {
  const devServerUrl = process.env.ELECTRON_RENDERER_URL;
  const bundledToolsDir = app.isPackaged ? path.join(process.resourcesPath, 'pg-tools', 'bin') : undefined;
  const showNotification = (title: string, body: string) => {
    if (Notification.isSupported()) new Notification({ title, body }).show();
  };
  const engine = await createEngine({
    dataDir: process.env.LIFEBOAT_HOME ?? app.getPath('userData'),
    appVersion: app.getVersion(),
    via: 'app',
    desktopNotifier: { show: showNotification },
    ...(bundledToolsDir ? { bundledToolsDir } : {}),
  });
  const handlers = createHandlers(engine, {
    appVersion: app.getVersion(),
    chooseFile: (title, filters) => chooseFile(mainWindow, title, filters),
    chooseFolder: (title) => chooseFolder(mainWindow, title),
    chooseSaveFile: (title, defaultName) => chooseSaveFile(mainWindow, title, defaultName),
    confirm: (question) => confirmInMain(mainWindow, question),
    revealInFolder,
    openPath,
    emit: (channel, ...args) => {
      if (mainWindow) send(mainWindow, channel, ...args);
    },
    notify: showNotification,
    // The OS job runs the CLI with this app's own runtime (Electron as Node), so nothing else must be installed.
    runDueCommand: () => ({
      executable: process.execPath,
      args: [path.join(app.getAppPath(), 'main/cli/bin.mjs')],
      env: { ELECTRON_RUN_AS_NODE: '1', ...(bundledToolsDir ? { LIFEBOAT_BUNDLED_PG_TOOLS: bundledToolsDir } : {}) },
    }),
  }, grants, fetched);
  // Copies a killed or failed run left unfinished go on once the window can show them; the engine
  // reports each as a follow-up, which the handlers track like any copy (the library shows its progress).
  setTimeout(() => void engine.resumeCopies().catch(() => {}), 3_000);
  // The in-app scheduler: what is due runs (missed slots once), now and every minute; the per-profile
  // lock keeps it from racing the OS job.
  const tick = () => void engine.schedules.runDue().catch(() => {});
  setTimeout(tick, 10_000);
  setInterval(tick, 60_000);
  installTray(() => mainWindow, () => openWindow(devServerUrl), engine.settings);
  app.setLoginItemSettings({ openAtLogin: engine.settings.get().startAtLogin, args: ['--hidden'] });
  registerInvokeHandlers(createDispatcher(handlers), devServerUrl);
  registerDropReports(grants, devServerUrl);
  // The demo database runs while the app runs.
  void engine.demo.status().then((status) => (status.exists && status.profile ? engine.demo.start() : null)).catch(() => {});
  let stopping = false;
  app.on('before-quit', (event) => {
    if (stopping) return;
    stopping = true;
    event.preventDefault();
    // Remote archives downloaded for a restore go with the app (and at the next start, if it is killed).
    void Promise.allSettled([engine.demo.stop(), fetched.releaseAll()]).finally(() => app.quit());
  });
  installAppMenu(() => mainWindow);
  openWindow(devServerUrl);
  openFromArgv(process.argv.slice(app.isPackaged ? 1 : 2));
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) openWindow(devServerUrl);
  });
}

let pageReady = false;
const pendingFiles: string[] = [];

/** Paths the page may read or write: dialogs' answers, drops and files opened from the OS. */
const grants = new PathGrants();
/** Remote archives downloaded for the Restore screen: readable until the restore using them ends. */
const fetched = new FetchedCopies();

/** Files opened before the page can listen wait until it has loaded. */
function openFile(file: string): void {
  grants.grant('open', file);
  if (mainWindow && pageReady) send(mainWindow, 'app:open-file', file);
  else pendingFiles.push(file);
}

/** "lifeboat-app some-backup.lifeboat": the file opens in the Restore screen. */
function openFromArgv(args: string[]): void {
  const file = args.find((arg) => !arg.startsWith('-') && path.isAbsolute(arg) && existsSync(arg));
  if (file) openFile(file);
}

function openWindow(devServerUrl: string | undefined): void {
  mainWindow = createMainWindow({
    preloadPath: path.join(import.meta.dirname, '../preload/index.cjs'),
    rendererDir: path.join(import.meta.dirname, '../renderer'),
    devServerUrl,
  });
  pageReady = false;
  mainWindow.webContents.on('did-finish-load', () => {
    pageReady = true;
    // Give the page a moment to subscribe to events before replaying queued files.
    setTimeout(() => {
      for (const file of pendingFiles.splice(0)) if (mainWindow) send(mainWindow, 'app:open-file', file);
    }, 500);
  });
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
}
