// The Schedules screen's state: every connection's schedule (with its next runs), whether the OS job
// runs Lifeboat while the app is closed, and the last scheduled results from the activity log.
import { create } from 'zustand';
import type { ActivityEntry, DueRun, ErrorInfo, OsJobStatus, ScheduleView, SchedulePatch } from '../../main/ipc/contract.ts';
import { api, toErrorInfo, unwrap } from './unwrap.ts';

interface SchedulesState {
  schedules: ScheduleView[];
  loaded: boolean;
  error: ErrorInfo | null;
  osJob: OsJobStatus | null;
  osJobError: ErrorInfo | null;
  /** Newest backups, drills and prunes (any origin), for the status panel. */
  recent: ActivityEntry[];
  load(): Promise<void>;
  loadOsJob(): Promise<void>;
  loadRecent(): Promise<void>;
  /** Saves a change (validated in main); throws ApiError for the form to show. */
  save(profileId: string, patch: SchedulePatch): Promise<ScheduleView>;
  /** Throws ApiError. */
  setOsJob(install: boolean): Promise<OsJobStatus>;
  /** Throws ApiError. */
  runDue(): Promise<DueRun[]>;
  /** Posts a test message to the profile's saved webhook (main reads the URL from the keychain); throws ApiError. */
  testWebhook(profileId: string): Promise<{ ok: boolean; attempts: number; error: string | null }>;
  /** Shows a desktop notification; throws ApiError. */
  testDesktop(): Promise<void>;
}

const RECENT_KINDS = new Set<ActivityEntry['what']>(['backup', 'drill', 'prune']);

export const useSchedulesStore = create<SchedulesState>()((set, get) => ({
  schedules: [],
  loaded: false,
  error: null,
  osJob: null,
  osJobError: null,
  recent: [],
  load: async () => {
    try {
      set({ schedules: unwrap(await api().schedules.list()), loaded: true, error: null });
    } catch (error) {
      set({ error: toErrorInfo(error), loaded: true });
    }
  },
  loadOsJob: async () => {
    try {
      set({ osJob: unwrap(await api().schedules.osJob()), osJobError: null });
    } catch (error) {
      set({ osJobError: toErrorInfo(error) });
    }
  },
  loadRecent: async () => {
    try {
      const entries = unwrap(await api().activity.list({ limit: 200 }));
      set({ recent: entries.filter((e) => RECENT_KINDS.has(e.what)).slice(0, 5) });
    } catch {
      // The status panel is a convenience: the Activity screen shows the error.
    }
  },
  save: async (profileId, patch) => {
    const view = unwrap(await api().schedules.set(profileId, patch));
    const others = get().schedules.filter((s) => s.profileId !== profileId);
    set({ schedules: [...others, view] });
    return view;
  },
  setOsJob: async (install) => {
    const status = unwrap(await (install ? api().schedules.installOsJob() : api().schedules.uninstallOsJob()));
    set({ osJob: status, osJobError: null });
    return status;
  },
  runDue: async () => {
    const runs = unwrap(await api().schedules.runDue());
    await Promise.all([get().load(), get().loadRecent()]);
    return runs;
  },
  testWebhook: async (profileId) => unwrap(await api().schedules.testWebhook(profileId)),
  testDesktop: async () => {
    unwrap(await api().schedules.testDesktop());
  },
}));
