// The Overview screen's state: main's health overview (one row per connection), read when the screen
// opens and again whenever a job ends, so a row changes as soon as a backup or drill finishes.
import { create } from 'zustand';
import type { ErrorInfo, HealthOverview } from '../../main/ipc/contract.ts';
import { api, toErrorInfo, unwrap } from './unwrap.ts';

interface HealthState {
  overview: HealthOverview | null;
  error: ErrorInfo | null;
  load(): Promise<void>;
}

export const useHealthStore = create<HealthState>()((set) => {
  let seq = 0;
  return {
    overview: null,
    error: null,
    load: async () => {
      // Only the newest answer counts: two jobs ending together ask twice.
      const mine = ++seq;
      try {
        const overview = unwrap(await api().health.overview());
        if (mine === seq) set({ overview, error: null });
      } catch (error) {
        if (mine === seq) set({ error: toErrorInfo(error) });
      }
    },
  };
});
