import { create } from 'zustand';
import type { ErrorInfo, KeyImportResult, KeyStatus } from '../../main/ipc/contract.ts';
import { api, toErrorInfo, unwrap } from './unwrap.ts';
import { KEY_FILE_FILTERS } from '../components/file-filters.ts';

// Survives reloads and restarts of the window: the warning stays until the key is exported.
const PENDING_KEY = 'lifeboat.recoveryKeyPending';

function readPending(): boolean {
  try {
    return window.localStorage.getItem(PENDING_KEY) === '1';
  } catch {
    return false;
  }
}

function writePending(pending: boolean): void {
  try {
    if (pending) window.localStorage.setItem(PENDING_KEY, '1');
    else window.localStorage.removeItem(PENDING_KEY);
  } catch {
    // Storage unavailable: the warning then lasts for this session only.
  }
}

interface KeysState {
  status: KeyStatus | null;
  error: ErrorInfo | null;
  /** Lifeboat created its key and the recovery key has not been exported since. */
  recoveryKeyPending: boolean;
  /** Where the recovery key was last exported in this session (shown as a confirmation). */
  exportedTo: string | null;
  load(): Promise<void>;
  markRecoveryKeyPending(): void;
  /** Asks for a file, writes the recovery key there; null when the user cancelled. Throws ApiError. */
  exportRecovery(): Promise<string | null>;
  /** Throws ApiError (e.g. too short). The passphrase is passed through, never kept. */
  setPassphrase(passphrase: string | null): Promise<void>;
  /**
   * Asks for a recovery-key file in the open dialog and makes it Lifeboat's key (main asks the user
   * first, and keeps a replaced key); null when the dialog was cancelled. The key itself never
   * reaches the page: only its public recipient. Throws ApiError (CANCELLED when the user said no).
   */
  importRecovery(): Promise<KeyImportResult | null>;
}

export const useKeysStore = create<KeysState>()((set, get) => ({
  status: null,
  error: null,
  recoveryKeyPending: readPending(),
  exportedTo: null,
  load: async () => {
    try {
      set({ status: unwrap(await api().keys.status()), error: null });
    } catch (error) {
      set({ error: toErrorInfo(error) });
    }
  },
  markRecoveryKeyPending: () => {
    writePending(true);
    set({ recoveryKeyPending: true, exportedTo: null });
    void get().load();
  },
  exportRecovery: async () => {
    const file = unwrap(await api().dialog.chooseSaveFile('Export the recovery key', 'lifeboat-recovery-key.txt'));
    if (!file) return null;
    const written = unwrap(await api().keys.exportRecovery(file));
    writePending(false);
    set({ recoveryKeyPending: false, exportedTo: written.file });
    return written.file;
  },
  setPassphrase: async (passphrase) => {
    unwrap(await api().keys.setPassphrase(passphrase));
    await get().load();
  },
  importRecovery: async () => {
    const file = unwrap(await api().dialog.chooseFile('Import a recovery key', KEY_FILE_FILTERS));
    if (!file) return null;
    const imported = unwrap(await api().keys.importRecovery(file));
    // The key in use now is one the user has as a file — unless it replaced a key never exported: that
    // key still opens this computer's backups, and the next export carries it as an earlier key.
    const stillPending = imported.replaced !== null && get().recoveryKeyPending;
    if (!imported.unchanged && !stillPending) writePending(false);
    set({ status: imported.status, error: null, ...(imported.unchanged || stillPending ? {} : { recoveryKeyPending: false, exportedTo: null }) });
    return imported;
  },
}));
