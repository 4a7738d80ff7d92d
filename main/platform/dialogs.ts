import { dialog, type BrowserWindow } from 'electron';
import type { FileFilter } from '../ipc/contract.ts';

/** Native "open file" dialog for certificate and key files. */
export async function chooseFile(window: BrowserWindow | null, title: string, filters: FileFilter[]): Promise<string | null> {
  const options = { title, filters: [...filters, { name: 'All files', extensions: ['*'] }], properties: ['openFile' as const, 'showHiddenFiles' as const] };
  const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}
