// What only the shell can do (native dialogs, the file manager, events to the window): the Electron
// shell implements it (main/index.ts); the E2E bridge and the IPC tests provide their own.
import type { Events, EventChannel, FileFilter } from './contract.ts';

/** What only the shell can do (native dialogs, the file manager, events to the window); tests provide their own. */
export interface ShellPorts {
  appVersion: string;
  chooseFile(title: string, filters: FileFilter[]): Promise<string | null>;
  chooseFolder(title: string): Promise<string | null>;
  chooseSaveFile(title: string, defaultName: string): Promise<string | null>;
  /** A native question from the main process (not the page): true only when the user chose `action`. */
  confirm(question: { title: string; message: string; detail: string; action: string }): Promise<boolean>;
  revealInFolder(file: string): void;
  /** Opens a file with the system's default app (the drill report in a browser). */
  openPath(file: string): void;
  /** A desktop notification (the Electron shell; tests record it). */
  notify(title: string, body: string): void;
  /** How the OS job runs Lifeboat's CLI (the app's own binary, or Node with the CLI script). */
  runDueCommand(): { executable: string; args: string[]; env?: Record<string, string> };
  emit<K extends EventChannel>(channel: K, ...args: Parameters<Events[K]>): void;
}
