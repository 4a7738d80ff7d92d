import { create } from 'zustand';
import type { ConnectionTestResult, ErrorInfo, ImportCandidate, ImportSource, ProfileInput, ProfileSummary } from '../../main/ipc/contract.ts';
import { api, toErrorInfo, unwrap } from './unwrap.ts';

export type TestState = { status: 'running' } | { status: 'done'; result: ConnectionTestResult; at: number };

export type Editor = { mode: 'add' } | { mode: 'edit'; id: string } | null;

interface ProfilesState {
  profiles: ProfileSummary[];
  loaded: boolean;
  loadError: ErrorInfo | null;
  tests: Record<string, TestState>;
  editor: Editor;
  importOpen: boolean;
  load(): Promise<void>;
  openEditor(editor: Editor): void;
  setImportOpen(open: boolean): void;
  /** Adds or updates; throws ApiError (e.g. INVALID_INPUT) for the form to show. The password is passed through, never kept. */
  save(input: ProfileInput, id?: string): Promise<ProfileSummary>;
  duplicate(id: string): Promise<ProfileSummary>;
  remove(id: string): Promise<void>;
  /** acceptHostKeys: SSH host key fingerprints the user just chose to trust. */
  test(id: string, acceptHostKeys?: string[]): Promise<ConnectionTestResult>;
  /**
   * The add/edit form's test of the fields as typed (profileId: the profile being edited, whose saved
   * password main uses when the field is left empty). Nothing is kept: the form shows the result.
   */
  testInput(input: ProfileInput, profileId: string | null, acceptHostKeys?: string[]): Promise<ConnectionTestResult>;
  importPreview(source: ImportSource): Promise<ImportCandidate[]>;
  importSave(source: ImportSource, name: string | null): Promise<ProfileSummary[]>;
}

export const useProfilesStore = create<ProfilesState>()((set, get) => {
  const upsert = (profile: ProfileSummary) => {
    const list = get().profiles;
    const next = list.some((p) => p.id === profile.id) ? list.map((p) => (p.id === profile.id ? profile : p)) : [...list, profile];
    set({ profiles: next });
  };
  const forgetTest = (id: string) => {
    const { [id]: _dropped, ...rest } = get().tests;
    set({ tests: rest });
  };

  return {
    profiles: [],
    loaded: false,
    loadError: null,
    tests: {},
    editor: null,
    importOpen: false,

    load: async () => {
      try {
        set({ profiles: unwrap(await api().profiles.list()), loaded: true, loadError: null });
      } catch (error) {
        set({ loaded: true, loadError: toErrorInfo(error) });
      }
    },
    openEditor: (editor) => set({ editor, importOpen: editor ? false : get().importOpen }),
    setImportOpen: (importOpen) => set({ importOpen }),

    save: async (input, id) => {
      const saved = unwrap(await (id ? api().profiles.update(id, input) : api().profiles.add(input)));
      upsert(saved);
      // A changed host, password or SSL setting makes an earlier result stale.
      forgetTest(saved.id);
      return saved;
    },
    duplicate: async (id) => {
      const copy = unwrap(await api().profiles.duplicate(id));
      upsert(copy);
      return copy;
    },
    remove: async (id) => {
      unwrap(await api().profiles.remove(id));
      set({ profiles: get().profiles.filter((p) => p.id !== id) });
      forgetTest(id);
    },
    test: async (id, acceptHostKeys = []) => {
      set({ tests: { ...get().tests, [id]: { status: 'running' } } });
      let result: ConnectionTestResult;
      try {
        result = unwrap(await api().profiles.test(id, acceptHostKeys));
      } catch (error) {
        result = { ok: false, error: toErrorInfo(error) };
      }
      set({ tests: { ...get().tests, [id]: { status: 'done', result, at: Date.now() } } });
      return result;
    },
    testInput: async (input, profileId, acceptHostKeys = []) => {
      try {
        return unwrap(await api().profiles.testInput(input, profileId, acceptHostKeys));
      } catch (error) {
        return { ok: false, error: toErrorInfo(error) };
      }
    },
    importPreview: async (source) => unwrap(await api().profiles.importPreview(source)),
    importSave: async (source, name) => {
      const saved = unwrap(await api().profiles.importSave(source, name));
      for (const profile of saved) upsert(profile);
      return saved;
    },
  };
});
