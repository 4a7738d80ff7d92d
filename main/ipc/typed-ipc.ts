// The only file in main that touches ipcMain: handle() with a trusted-sender check, send() for events.
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import type { Events, EventChannel, InvokeChannel } from './contract.ts';
import type { Dispatch } from './handlers.ts';
import { invokeSchemas } from './schemas.ts';
import type { PathGrants } from './path-grants.ts';
import { DROPPED_FILE_CHANNEL } from './dropped-file.ts';
import path from 'node:path';

/** Only our own renderer (the bundled file or the dev server) may call in. */
export function isTrustedSender(event: IpcMainInvokeEvent, devServerUrl: string | undefined): boolean {
  const url = event.senderFrame?.url ?? '';
  if (devServerUrl && url.startsWith(devServerUrl)) return true;
  return url.startsWith('file://') && url.includes('/renderer/index.html');
}

export function registerInvokeHandlers(dispatch: Dispatch, devServerUrl: string | undefined): void {
  for (const channel of Object.keys(invokeSchemas) as InvokeChannel[]) {
    ipcMain.handle(channel, (event, ...args: unknown[]) => {
      if (!isTrustedSender(event, devServerUrl)) return { ok: false, error: { code: 'INVALID_INPUT', message: 'Call refused: untrusted sender.' } };
      return dispatch(channel, args);
    });
  }
}

/**
 * The preload reports the real path of a file the user dropped on the window (webUtils knows it only
 * for a File from a real drop): that file may then be read. Not part of window.api: the page cannot
 * send it.
 */
export function registerDropReports(grants: PathGrants, devServerUrl: string | undefined): void {
  ipcMain.on(DROPPED_FILE_CHANNEL, (event, file: unknown) => {
    if (!isTrustedSender(event as unknown as IpcMainInvokeEvent, devServerUrl) || typeof file !== 'string' || !path.isAbsolute(file)) return;
    grants.grant('open', file);
  });
}

export function send<K extends EventChannel>(window: BrowserWindow, channel: K, ...args: Parameters<Events[K]>): void {
  if (!window.isDestroyed()) window.webContents.send(channel, ...args);
}
