// The Drills screen's state: where drills restore to (scratch), the library's newest archive per
// connection, drill history, and which result is shown. Running drills live in the jobs store.
import { create } from 'zustand';
import type { ArchiveEntry, DrillRecord, DrillUiRequest, ErrorInfo, FolderProblem, RemoteSubject } from '../../main/ipc/contract.ts';
import { baseName } from '../components/format.ts';
import { useAppStore } from './app-store.ts';
import { isRunning, useJobsStore } from './jobs-store.ts';
import { api, toErrorInfo, unwrap } from './unwrap.ts';

export type ScratchKind = 'embedded' | 'profile';

/** What the result panel shows: the newest drill run in this window, or one picked from the history. */
export type DrillView = { kind: 'job'; jobId: string } | { kind: 'record'; record: DrillRecord };

interface DrillsState {
  scratchKind: ScratchKind;
  scratchProfileId: string;
  keep: boolean;
  /** Every archive in the library (unfiltered), newest first. */
  archives: ArchiveEntry[];
  /** Library folders that could not be read: their archives are missing from `archives`. */
  unreadable: FolderProblem[];
  archivesLoaded: boolean;
  history: DrillRecord[];
  historyLoaded: boolean;
  /** '' = every connection, else a connection name. */
  historyProfile: string;
  /** Every connection name that appears in the history (for the filter). */
  historyProfiles: string[];
  view: DrillView | null;
  error: ErrorInfo | null;
  setScratch(patch: Partial<Pick<DrillsState, 'scratchKind' | 'scratchProfileId' | 'keep'>>): void;
  loadArchives(): Promise<void>;
  loadHistory(): Promise<void>;
  setHistoryProfile(profile: string): void;
  /** Starts a drill of `file` with the chosen scratch; shows it. Throws ApiError. */
  /** trust: the words "I trust where this file came from", typed (a file this Lifeboat did not make, which needs more than least privilege). */
  start(file: string, keys?: { passphrase?: string; identityFile?: string }, trust?: string): Promise<string>;
  /** The same for an archive in a destination: main downloads it into a temporary copy, drills that, and removes it. Throws ApiError. */
  startRemote(remote: Pick<RemoteSubject, 'destinationId' | 'destinationName' | 'name'>, keys?: { passphrase?: string; identityFile?: string }, trust?: string): Promise<string>;
  show(view: DrillView | null): void;
  /**
   * A drill job ended (started here, from the library, or after a backup): the history and archives
   * are read again, and it is shown unless a history record is shown or the drill shown is still running.
   */
  drillFinished(jobId: string): void;
  /** Throws ApiError (e.g. the report is not stored any more). */
  openReport(drillId: string): Promise<void>;
  /** Asks where, then copies the HTML report there; null when cancelled. Throws ApiError. */
  exportReport(record: DrillRecord): Promise<string | null>;
}

const distinct = (values: string[]) => [...new Set(values)].sort((a, b) => a.localeCompare(b));

export const useDrillsStore = create<DrillsState>()((set, get) => {
  let historySeq = 0;

  /** Where the drill restores to (as chosen on this screen), the keys given, and the trust words typed. */
  const choices = (keys: { passphrase?: string; identityFile?: string }, trust: string | undefined): Omit<DrillUiRequest, 'file'> => {
    const { scratchKind, scratchProfileId, keep } = get();
    return {
      scratch: scratchKind === 'profile' && scratchProfileId ? { profileId: scratchProfileId } : 'embedded',
      ...(scratchKind === 'profile' && scratchProfileId && keep ? { keep: true } : {}),
      ...(keys.passphrase ? { passphrase: keys.passphrase } : {}),
      ...(keys.identityFile ? { identityFile: keys.identityFile } : {}),
      ...(trust ? { trust } : {}),
    };
  };
  return {
    scratchKind: 'embedded',
    scratchProfileId: '',
    keep: false,
    archives: [],
    unreadable: [],
    archivesLoaded: false,
    history: [],
    historyLoaded: false,
    historyProfile: '',
    historyProfiles: [],
    view: null,
    error: null,

    setScratch: (patch) => set(patch),

    loadArchives: async () => {
      try {
        const { archives, unreadable } = unwrap(await api().library.listing({}));
        set({ archives, unreadable, archivesLoaded: true, error: null });
      } catch (error) {
        set({ archivesLoaded: true, error: toErrorInfo(error) });
      }
    },

    loadHistory: async () => {
      const mine = ++historySeq;
      const profile = get().historyProfile;
      try {
        const [all, some] = await Promise.all([api().drills.history({}), profile ? api().drills.history({ profile }) : null]);
        if (mine !== historySeq) return;
        const every = unwrap(all);
        set({
          history: some ? unwrap(some) : every,
          historyProfiles: distinct(every.map((r) => r.source.profile).filter((p): p is string => p !== null)),
          historyLoaded: true,
          error: null,
        });
      } catch (error) {
        if (mine === historySeq) set({ historyLoaded: true, error: toErrorInfo(error) });
      }
    },

    setHistoryProfile: (historyProfile) => {
      set({ historyProfile });
      void get().loadHistory();
    },

    start: async (file, keys = {}, trust) => {
      const request: DrillUiRequest = { file, ...choices(keys, trust) };
      const jobId = await useJobsStore.getState().startDrill(request, baseName(file));
      set({ view: { kind: 'job', jobId } });
      useAppStore.getState().announce(`Drilling ${baseName(file)}.`);
      return jobId;
    },

    startRemote: async (remote, keys = {}, trust) => {
      const request = { destinationId: remote.destinationId, name: remote.name, ...choices(keys, trust) };
      const jobId = await useJobsStore.getState().startRemoteDrill(request, { ...remote, action: 'drill' });
      set({ view: { kind: 'job', jobId } });
      useAppStore.getState().announce(`Drilling ${remote.name} from ${remote.destinationName}.`);
      return jobId;
    },

    show: (view) => set({ view }),

    drillFinished: (jobId) => {
      void get().loadHistory();
      void get().loadArchives();
      const current = get().view;
      const watching = current?.kind === 'job' ? useJobsStore.getState().jobs[current.jobId] : undefined;
      const busy = watching !== undefined && isRunning(watching);
      // A record picked from the history stays until the user starts another drill.
      if (current?.kind !== 'record' && !busy) set({ view: { kind: 'job', jobId } });
    },

    openReport: async (drillId) => {
      unwrap(await api().drills.openReport(drillId));
    },

    exportReport: async (record) => {
      const name = `lifeboat-drill-${record.id}.html`;
      const file = unwrap(await api().dialog.chooseSaveFile('Export the drill report', name));
      if (!file) return null;
      unwrap(await api().drills.exportReport(record.id, file));
      return file;
    },
  };
});

/**
 * The newest archive of each connection name (the library is listed newest first), among the ones
 * recognised as this Lifeboat's: a stranger's file whose sidecar claims a later date is never "the latest backup".
 */
export function latestByProfile(archives: ArchiveEntry[]): Map<string, ArchiveEntry> {
  const latest = new Map<string, ArchiveEntry>();
  for (const entry of archives) {
    if (!entry.recognised) continue;
    const known = latest.get(entry.sidecar.profile);
    if (!known || entry.sidecar.createdAt > known.sidecar.createdAt) latest.set(entry.sidecar.profile, entry);
  }
  return latest;
}
