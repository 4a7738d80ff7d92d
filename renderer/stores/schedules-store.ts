// The Schedules screen's state: every connection's schedule (with its next runs), whether the OS job
// runs Lifeboat while the app is closed, and the last results from the activity log (the newest few,
// and the newest per connection for the overview table).
import { create } from 'zustand';
import type { ActivityEntry, DueRun, ErrorInfo, OsJobStatus, ScheduleView, SchedulePatch } from '../../main/ipc/contract.ts';
import { useLibraryStore } from './library-store.ts';
import { useProfilesStore } from './profiles-store.ts';
import { api, toErrorInfo, unwrap } from './unwrap.ts';

interface SchedulesState {
  schedules: ScheduleView[];
  loaded: boolean;
  error: ErrorInfo | null;
  osJob: OsJobStatus | null;
  osJobError: ErrorInfo | null;
  /** Newest backups, drills and prunes (any origin), each with its connection's name where known. */
  recent: ActivityEntry[];
  /** The newest backup, drill or prune of each connection, by lower-case connection name. */
  lastByProfile: Record<string, ActivityEntry>;
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
const RECENT_SHOWN = 5;
const RECENT_READ = 200;

/**
 * The log names no connection for a drill (it is of a file): the connection is the one whose backup
 * made that archive — known from the backups in the same log, or from the library's sidecars.
 */
function withProfiles(entries: ActivityEntry[]): ActivityEntry[] {
  const owner = new Map<string, string>();
  // Only sidecars this Lifeboat recognises: a dropped file's sidecar can name any connection.
  for (const archive of useLibraryStore.getState().entries) if (archive.recognised) owner.set(archive.path, archive.sidecar.profile);
  for (const e of entries) if (e.what === 'backup' && e.archive && e.profile) owner.set(e.archive, e.profile);
  return entries.map((e) => (e.profile || !e.archive || !owner.has(e.archive) ? e : { ...e, profile: owner.get(e.archive)! }));
}

/** The newest result per connection; connections with none in the window are asked for on their own. */
async function lastPerProfile(entries: ActivityEntry[]): Promise<Record<string, ActivityEntry>> {
  const last: Record<string, ActivityEntry> = {};
  for (const e of entries) if (e.profile && !last[e.profile.toLowerCase()]) last[e.profile.toLowerCase()] = e;
  const missing = useProfilesStore.getState().profiles.filter((p) => !last[p.name.toLowerCase()]);
  const found = await Promise.all(missing.map(async (p) => unwrap(await api().activity.list({ profile: p.name, limit: 50 })).find((e) => RECENT_KINDS.has(e.what))));
  for (const e of found) if (e?.profile) last[e.profile.toLowerCase()] = e;
  return last;
}

// Only the newest answer counts: a list read before a save must not put the old schedule back after it.
let loadSeq = 0;
let recentSeq = 0;

export const useSchedulesStore = create<SchedulesState>()((set, get) => ({
  schedules: [],
  loaded: false,
  error: null,
  osJob: null,
  osJobError: null,
  recent: [],
  lastByProfile: {},
  load: async () => {
    const mine = ++loadSeq;
    try {
      const schedules = unwrap(await api().schedules.list());
      if (mine === loadSeq) set({ schedules, loaded: true, error: null });
    } catch (error) {
      if (mine === loadSeq) set({ error: toErrorInfo(error), loaded: true });
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
      const mine = ++recentSeq;
      const entries = withProfiles(unwrap(await api().activity.list({ limit: RECENT_READ })).filter((e) => RECENT_KINDS.has(e.what)));
      const lastByProfile = await lastPerProfile(entries);
      if (mine === recentSeq) set({ recent: entries.slice(0, RECENT_SHOWN), lastByProfile });
    } catch {
      // The status panel is a convenience: the Activity screen shows the error.
    }
  },
  save: async (profileId, patch) => {
    const view = unwrap(await api().schedules.set(profileId, patch));
    ++loadSeq;
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
