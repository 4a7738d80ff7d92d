// Secure BrowserWindow factory: sandboxed, isolated, no Node in the page, no navigation, no popups.
import path from 'node:path';
import { BrowserWindow, shell } from 'electron';
import { CONTENT_SECURITY_POLICY, WEB_PREFERENCES } from './security-policy.ts';

export function createMainWindow(options: { preloadPath: string; devServerUrl: string | undefined; rendererDir: string }): BrowserWindow {
  const window = new BrowserWindow({
    width: 1200,
    height: 800,
    minWidth: 860,
    minHeight: 560,
    show: false,
    title: 'Lifeboat',
    webPreferences: { ...WEB_PREFERENCES, preload: options.preloadPath },
  });

  // The dev server's hot reload needs inline scripts; the shipped file:// page gets the strict header too.
  if (!options.devServerUrl) {
    window.webContents.session.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
    });
  }
  // Links to the web open in the browser; the app window itself never navigates or opens windows.
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  window.webContents.on('will-attach-webview', (event) => event.preventDefault());
  window.once('ready-to-show', () => window.show());

  if (options.devServerUrl) void window.loadURL(options.devServerUrl);
  else void window.loadFile(path.join(options.rendererDir, 'index.html'));
  return window;
}
