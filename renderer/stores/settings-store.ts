import { create } from 'zustand';
import type { AppSettings, ErrorInfo, ToolsReport } from '../../main/ipc/contract.ts';
import { api, toErrorInfo, unwrap } from './unwrap.ts';

interface SettingsState {
  settings: AppSettings | null;
  tools: ToolsReport | null;
  loading: boolean;
  error: ErrorInfo | null;
  load(): Promise<void>;
  /** Settings only, without probing the tools. */
  loadSettings(): Promise<void>;
  /** Throws ApiError (e.g. a relative path) for the field to show. */
  setToolsDir(dir: string | null): Promise<void>;
  /** Saves a change (validated in main); throws ApiError for the field to show. */
  update(patch: Partial<AppSettings>): Promise<AppSettings>;
}

export const useSettingsStore = create<SettingsState>()((set) => ({
  settings: null,
  tools: null,
  loading: false,
  error: null,
  load: async () => {
    set({ loading: true });
    try {
      const [settings, tools] = await Promise.all([api().settings.get(), api().tools.report()]);
      set({ settings: unwrap(settings), tools: unwrap(tools), error: null });
    } catch (error) {
      set({ error: toErrorInfo(error) });
    } finally {
      set({ loading: false });
    }
  },
  loadSettings: async () => {
    try {
      set({ settings: unwrap(await api().settings.get()) });
    } catch (error) {
      set({ error: toErrorInfo(error) });
    }
  },
  setToolsDir: async (dir) => {
    const settings = unwrap(await api().settings.update({ pgToolsDir: dir }));
    set({ settings, loading: true });
    try {
      set({ tools: unwrap(await api().tools.report()), error: null });
    } catch (error) {
      set({ error: toErrorInfo(error) });
    } finally {
      set({ loading: false });
    }
  },
  update: async (patch) => {
    const settings = unwrap(await api().settings.update(patch));
    set({ settings });
    return settings;
  },
}));
