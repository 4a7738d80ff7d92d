import { create } from 'zustand';
import type { AppInfo, ErrorInfo, FileFilter, ScreenId } from '../../main/ipc/contract.ts';
import { api, toErrorInfo, unwrap } from './unwrap.ts';

export const SCREENS: readonly { id: ScreenId; label: string }[] = [
  { id: 'overview', label: 'Overview' },
  { id: 'connections', label: 'Connections' },
  { id: 'backups', label: 'Backups' },
  { id: 'restore', label: 'Restore' },
  { id: 'drills', label: 'Drills' },
  { id: 'schedules', label: 'Schedules' },
  { id: 'activity', label: 'Activity' },
  { id: 'settings', label: 'Settings' },
];

interface AppState {
  screen: ScreenId;
  info: AppInfo | null;
  infoError: ErrorInfo | null;
  /** Text for the polite live region; the counter makes a repeated message be read again. */
  announcement: { text: string; seq: number };
  navigate(screen: ScreenId): void;
  /** "Back up now" asked from anywhere (Ctrl+B): the Backups screen opens and starts it, so its card shows how it goes. */
  backupRequested: boolean;
  requestBackup(): void;
  takeBackupRequest(): boolean;
  loadInfo(): Promise<void>;
  announce(text: string): void;
  /** Native file picker; null when the user cancelled. */
  chooseFile(title: string, filters: FileFilter[]): Promise<string | null>;
  chooseFolder(title: string): Promise<string | null>;
}

export const useAppStore = create<AppState>()((set, get) => ({
  screen: 'overview',
  info: null,
  infoError: null,
  announcement: { text: '', seq: 0 },
  navigate: (screen) => set({ screen }),
  backupRequested: false,
  requestBackup: () => set({ backupRequested: true, screen: 'backups' }),
  takeBackupRequest: () => {
    const asked = get().backupRequested;
    if (asked) set({ backupRequested: false });
    return asked;
  },
  loadInfo: async () => {
    try {
      set({ info: unwrap(await api().app.info()), infoError: null });
    } catch (error) {
      set({ infoError: toErrorInfo(error) });
    }
  },
  announce: (text) => set({ announcement: { text, seq: get().announcement.seq + 1 } }),
  chooseFile: async (title, filters) => unwrap(await api().dialog.chooseFile(title, filters)),
  chooseFolder: async (title) => unwrap(await api().dialog.chooseFolder(title)),
}));

export function isScreenId(value: unknown): value is ScreenId {
  return SCREENS.some((s) => s.id === value);
}
