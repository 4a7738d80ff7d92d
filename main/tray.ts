// The tray icon: Lifeboat keeps running (and running schedules) with its window closed, when the user wants.
import path from 'node:path';
import { app, Menu, nativeImage, Tray, type BrowserWindow } from 'electron';
import type { SettingsStore } from './engine/settings/settings-store.ts';

let tray: Tray | null = null;
let settingsRef: SettingsStore | null = null;

export function keepsRunningInTray(): boolean {
  return Boolean(settingsRef?.get().keepInTray && tray);
}

export function installTray(getWindow: () => BrowserWindow | null, openWindow: () => void, settings: SettingsStore): void {
  settingsRef = settings;
  if (!settings.get().keepInTray) return;
  const icon = nativeImage.createFromPath(path.join(import.meta.dirname, '../renderer/icon.svg'));
  tray = new Tray(icon.isEmpty() ? nativeImage.createEmpty() : icon);
  tray.setToolTip('Lifeboat: scheduled backups keep running');
  tray.setContextMenu(
    Menu.buildFromTemplate([
      {
        label: 'Open Lifeboat',
        click: () => {
          const window = getWindow();
          if (window) window.show();
          else openWindow();
        },
      },
      { type: 'separator' },
      { label: 'Quit Lifeboat', click: () => app.quit() },
    ]),
  );
}
