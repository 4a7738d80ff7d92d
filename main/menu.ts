import { Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import type { ScreenId } from './ipc/contract.ts';
import { send } from './ipc/typed-ipc.ts';

const SCREENS: [ScreenId, string][] = [
  ['overview', 'Overview'],
  ['connections', 'Connections'],
  ['backups', 'Backups'],
  ['restore', 'Restore'],
  ['drills', 'Drills'],
  ['schedules', 'Schedules'],
  ['activity', 'Activity'],
  ['settings', 'Settings'],
];

export function installAppMenu(getWindow: () => BrowserWindow | null): void {
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'New Connection…', accelerator: 'CmdOrCtrl+N', click: () => withWindow(getWindow, (w) => send(w, 'menu:new-profile')) },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'Go',
      submenu: SCREENS.map(([screen, label], index) => ({
        label,
        accelerator: `CmdOrCtrl+${index + 1}`,
        click: () => withWindow(getWindow, (w) => send(w, 'menu:navigate', screen)),
      })),
    },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

function withWindow(getWindow: () => BrowserWindow | null, action: (window: BrowserWindow) => void): void {
  const window = getWindow();
  if (window) action(window);
}
