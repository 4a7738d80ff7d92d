import { dialog, shell, type BrowserWindow } from 'electron';
import type { FileFilter } from '../ipc/contract.ts';

/** Native "open file" dialog for certificate and key files. */
export async function chooseFile(window: BrowserWindow | null, title: string, filters: FileFilter[]): Promise<string | null> {
  const options = { title, filters: [...filters, { name: 'All files', extensions: ['*'] }], properties: ['openFile' as const, 'showHiddenFiles' as const] };
  const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}

export async function chooseFolder(window: BrowserWindow | null, title: string): Promise<string | null> {
  const options = { title, properties: ['openDirectory' as const, 'createDirectory' as const] };
  const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}

export async function chooseSaveFile(window: BrowserWindow | null, title: string, defaultName: string): Promise<string | null> {
  const options = { title, defaultPath: defaultName };
  const result = window ? await dialog.showSaveDialog(window, options) : await dialog.showSaveDialog(options);
  return result.canceled ? null : (result.filePath ?? null);
}

/** A native question owned by the main process: the page cannot answer it, only the user. Cancel is the default. */
export async function confirmInMain(window: BrowserWindow | null, question: { title: string; message: string; detail: string; action: string }): Promise<boolean> {
  const options = { type: 'warning' as const, title: question.title, message: question.message, detail: question.detail, buttons: [question.action, 'Cancel'], defaultId: 1, cancelId: 1, noLink: true };
  const result = window ? await dialog.showMessageBox(window, options) : await dialog.showMessageBox(options);
  return result.response === 0;
}

export function revealInFolder(file: string): void {
  shell.showItemInFolder(file);
}

export function openPath(file: string): void {
  void shell.openPath(file);
}
