// Offsite destinations (Settings) and what this computer knows of each archive's copies (the
// library). Running copies live in the jobs store, which reads the states again when one ends. The
// S3 secret key and SFTP passwords or passphrases go to main in add() and are never kept here: a
// summary says only `secretSaved` (and `sshSecretsSaved` per hop).
import { create } from 'zustand';
import type { CopyState, DestinationAddRequest, DestinationSummary, DestinationTestResult, ErrorInfo, RemoteArchive } from '../../main/ipc/contract.ts';
import { api, toErrorInfo, unwrap } from './unwrap.ts';

export type DestinationTestState = { status: 'running' } | { status: 'done'; result: DestinationTestResult; at: number };

interface OffsiteState {
  destinations: DestinationSummary[];
  loaded: boolean;
  loadError: ErrorInfo | null;
  /** The last test of each destination, by id. */
  tests: Record<string, DestinationTestState>;
  /** Every copy record (all archives, all destinations). */
  states: CopyState[];
  statesError: ErrorInfo | null;
  load(): Promise<void>;
  /** Confirmed by the user in main first; throws ApiError (a refused field, a declined question) for the form to show. */
  add(request: DestinationAddRequest): Promise<DestinationSummary>;
  /** Throws ApiError. */
  remove(id: string): Promise<void>;
  /** acceptHostKeys: SFTP host keys the user just trusted in the host-key dialog. */
  test(id: string, acceptHostKeys?: string[]): Promise<DestinationTestResult>;
  loadStates(): Promise<void>;
  /** The archives in a destination, read from its sidecars there. Throws ApiError. */
  listRemote(id: string): Promise<RemoteArchive[]>;
}

export const useOffsiteStore = create<OffsiteState>()((set, get) => {
  let statesSeq = 0;
  const forgetTest = (id: string) => {
    const { [id]: _dropped, ...rest } = get().tests;
    set({ tests: rest });
  };

  return {
    destinations: [],
    loaded: false,
    loadError: null,
    tests: {},
    states: [],
    statesError: null,

    load: async () => {
      try {
        set({ destinations: unwrap(await api().destinations.list({})), loaded: true, loadError: null });
      } catch (error) {
        set({ loaded: true, loadError: toErrorInfo(error) });
      }
    },
    add: async (request) => {
      const added = unwrap(await api().destinations.add(request));
      set({ destinations: [...get().destinations.filter((d) => d.id !== added.id), added] });
      return added;
    },
    remove: async (id) => {
      unwrap(await api().destinations.remove(id));
      set({ destinations: get().destinations.filter((d) => d.id !== id), states: get().states.filter((s) => s.destinationId !== id) });
      forgetTest(id);
    },
    test: async (id, acceptHostKeys = []) => {
      set({ tests: { ...get().tests, [id]: { status: 'running' } } });
      let result: DestinationTestResult;
      try {
        result = unwrap(await api().destinations.test(id, acceptHostKeys));
      } catch (error) {
        result = { ok: false, checks: [], error: toErrorInfo(error), durationMs: 0 };
      }
      set({ tests: { ...get().tests, [id]: { status: 'done', result, at: Date.now() } } });
      return result;
    },
    loadStates: async () => {
      const mine = ++statesSeq;
      try {
        const states = unwrap(await api().copies.states({}));
        if (mine === statesSeq) set({ states, statesError: null });
      } catch (error) {
        if (mine === statesSeq) set({ statesError: toErrorInfo(error) });
      }
    },
    listRemote: async (id) => unwrap(await api().copies.listRemote(id)),
  };
});
