// The Activity screen's state: the log (newest first) with its filters.
import { create } from 'zustand';
import type { ActivityEntry, ActivityKind, ErrorInfo } from '../../main/ipc/contract.ts';
import { api, toErrorInfo, unwrap } from './unwrap.ts';

export interface ActivityFilter {
  what: ActivityKind | '';
  profile: string;
  result: ActivityEntry['result'] | '';
}

const LIMIT = 500;

interface ActivityState {
  entries: ActivityEntry[];
  loaded: boolean;
  loading: boolean;
  error: ErrorInfo | null;
  filter: ActivityFilter;
  /** Every connection name seen in the log (for the filter). */
  profiles: string[];
  load(): Promise<void>;
  setFilter(patch: Partial<ActivityFilter>): void;
  /** Asks where to save, then writes the whole log as JSON lines; null when cancelled. Throws ApiError. */
  exportTo(): Promise<{ file: string; entries: number } | null>;
}

export const useActivityStore = create<ActivityState>()((set, get) => {
  let seq = 0;
  return {
    entries: [],
    loaded: false,
    loading: false,
    error: null,
    filter: { what: '', profile: '', result: '' },
    profiles: [],
    load: async () => {
      const mine = ++seq;
      const { what, profile, result } = get().filter;
      set({ loading: true });
      try {
        const [entries, all] = await Promise.all([
          api().activity.list({ ...(what ? { what } : {}), ...(profile ? { profile } : {}), ...(result ? { result } : {}), limit: LIMIT }),
          api().activity.list({ limit: 5000 }),
        ]);
        if (mine !== seq) return;
        const names = [...new Set(unwrap(all).flatMap((e) => (e.profile ? [e.profile] : [])))].sort((a, b) => a.localeCompare(b));
        set({ entries: unwrap(entries), profiles: names, loaded: true, loading: false, error: null });
      } catch (error) {
        if (mine !== seq) return;
        set({ error: toErrorInfo(error), loaded: true, loading: false });
      }
    },
    setFilter: (patch) => {
      set({ filter: { ...get().filter, ...patch } });
      void get().load();
    },
    exportTo: async () => {
      const stamp = new Date().toISOString().slice(0, 10);
      const file = unwrap(await api().dialog.chooseSaveFile('Export the activity log', `lifeboat-activity-${stamp}.jsonl`));
      if (!file) return null;
      return unwrap(await api().activity.exportTo(file));
    },
  };
});
