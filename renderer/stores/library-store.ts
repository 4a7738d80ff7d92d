import { create } from 'zustand';
import type { ArchiveDetails, ArchiveEntry, ErrorInfo, FolderProblem } from '../../main/ipc/contract.ts';
import { api, toErrorInfo, unwrap } from './unwrap.ts';

export interface LibraryFilter {
  /** '' = every profile / database. */
  profile: string;
  database: string;
}

interface LibraryState {
  /** The archives the filter lets through, newest first. */
  entries: ArchiveEntry[];
  /** Every archive of the library folders, newest first (what the filter is applied to). */
  all: ArchiveEntry[];
  /** Profiles and databases present in the whole library, for the filter menus. */
  choices: { profiles: string[]; databases: string[] };
  filter: LibraryFilter;
  /** The library's folders; the first is where backups go by default. */
  folders: string[];
  /** Library folders that could not be read: their archives are missing from `all`. */
  unreadable: FolderProblem[];
  loaded: boolean;
  loading: boolean;
  error: ErrorInfo | null;
  load(): Promise<void>;
  loadFolders(): Promise<void>;
  setFilter(patch: Partial<LibraryFilter>): void;
  details(file: string): Promise<ArchiveDetails>;
  /** Throws ApiError. */
  remove(file: string): Promise<void>;
  /** Asks for a file and copies it into the library; null when the user cancelled. Throws ApiError. */
  importArchive(): Promise<ArchiveEntry | null>;
  reveal(file: string): Promise<void>;
}

const distinct = (values: string[]) => [...new Set(values)].sort((a, b) => a.localeCompare(b));

/** The engine's own list filter (LibraryService#list): the profile without regard to case, the database exactly. */
export function matchesLibraryFilter(entry: ArchiveEntry, filter: LibraryFilter): boolean {
  if (filter.profile && entry.sidecar.profile.toLowerCase() !== filter.profile.toLowerCase()) return false;
  return !filter.database || entry.sidecar.database === filter.database;
}

const applyFilter = (all: ArchiveEntry[], filter: LibraryFilter) => (filter.profile || filter.database ? all.filter((e) => matchesLibraryFilter(e, filter)) : all);

export const useLibraryStore = create<LibraryState>()((set, get) => {
  let seq = 0;
  return {
    entries: [],
    all: [],
    choices: { profiles: [], databases: [] },
    filter: { profile: '', database: '' },
    folders: [],
    unreadable: [],
    loaded: false,
    loading: false,
    error: null,

    // One listing of the whole library, filtered here: reading every sidecar once, not twice (the
    // full list feeds the filter menus), and a new filter shows at once, without a round trip.
    load: async () => {
      const mine = ++seq;
      set({ loading: true });
      try {
        const [listing, folders] = await Promise.all([api().library.listing({}), api().library.folders()]);
        if (mine !== seq) return; // a newer load won
        const { archives: every, unreadable } = unwrap(listing);
        set({
          unreadable,
          all: every,
          entries: applyFilter(every, get().filter),
          choices: { profiles: distinct(every.map((e) => e.sidecar.profile)), databases: distinct(every.map((e) => e.sidecar.database)) },
          folders: unwrap(folders),
          loaded: true,
          error: null,
        });
      } catch (error) {
        if (mine === seq) set({ loaded: true, error: toErrorInfo(error) });
      } finally {
        if (mine === seq) set({ loading: false });
      }
    },
    loadFolders: async () => {
      try {
        set({ folders: unwrap(await api().library.folders()) });
      } catch (error) {
        set({ error: toErrorInfo(error) });
      }
    },
    setFilter: (patch) => {
      const filter = { ...get().filter, ...patch };
      set({ filter, entries: applyFilter(get().all, filter) });
      if (!get().loaded && !get().loading) void get().load();
    },
    details: async (file) => unwrap(await api().library.details(file)),
    remove: async (file) => {
      unwrap(await api().library.remove(file));
      set({ entries: get().entries.filter((e) => e.path !== file), all: get().all.filter((e) => e.path !== file) });
      await get().load();
    },
    importArchive: async () => {
      const file = unwrap(
        await api().dialog.chooseFile('Import a Lifeboat archive', [
          { name: 'Lifeboat archives', extensions: ['lifeboat'] },
          { name: 'All files', extensions: ['*'] },
        ]),
      );
      if (!file) return null;
      const entry = unwrap(await api().library.importArchive(file));
      await get().load();
      return entry;
    },
    reveal: async (file) => {
      unwrap(await api().library.reveal(file));
    },
  };
});
