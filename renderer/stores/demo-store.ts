// The first-run demo: a local PostgreSQL with a sample shop, added as a connection. Which saved
// connection (if any) is the demo, so Connections can offer "Remove demo" on it.
import { create } from 'zustand';
import type { ProfileSummary } from '../../main/ipc/contract.ts';
import { useProfilesStore } from './profiles-store.ts';
import { api, unwrap } from './unwrap.ts';

interface DemoState {
  /** The demo connection's id; null when there is none (or main could not tell). */
  profileId: string | null;
  /** Asks main which connection is the demo; an answer for an older question is dropped. */
  loadStatus(): Promise<void>;
  /** Starts the demo server and adds its connection. Throws ApiError. */
  start(): Promise<ProfileSummary>;
  /** Removes the demo server, its data and its connection. Throws ApiError. */
  remove(): Promise<void>;
}

export const useDemoStore = create<DemoState>()((set) => {
  let seq = 0;
  return {
    profileId: null,

    loadStatus: async () => {
      const mine = ++seq;
      try {
        const status = await api().demo.status();
        if (mine === seq) set({ profileId: status.ok ? (status.value.profile?.id ?? null) : null });
      } catch {
        // Without an answer the demo is simply not marked.
      }
    },

    start: async () => {
      const profile = unwrap(await api().demo.start());
      await useProfilesStore.getState().load();
      return profile;
    },

    remove: async () => {
      unwrap(await api().demo.remove());
      await useProfilesStore.getState().load();
    },
  };
});
