// The Restore screen's state: the file being looked at (dropped, chosen, opened by the OS, or a remote
// archive downloaded into a temporary copy), what it holds, the keys typed to open it, the choices
// made, and the safety checklist for those choices.
// The checklist is re-run (debounced) whenever an input changes; Restore is offered only when the
// checklist of exactly the current inputs has no blocker.
import { create } from 'zustand';
import type { ArchiveEntry, ErrorInfo, FolderProblem, Inspection, Preflight, ProfileSummary, RemoteSubject, RestoreUiRequest } from '../../main/ipc/contract.ts';
import { baseName } from '../components/format.ts';
import { useAppStore } from './app-store.ts';
import { isRunning, useJobsStore } from './jobs-store.ts';
import { latestOnly } from './latest-only.ts';
import { useProfilesStore } from './profiles-store.ts';
import { api, ApiError, toErrorInfo, unwrap } from './unwrap.ts';

export type RestoreMode = RestoreUiRequest['mode'];

export interface RestoreForm {
  profileId: string;
  mode: RestoreMode;
  /** One name per mode, so switching modes keeps what was typed. */
  names: Record<RestoreMode, string>;
  tables: string[];
  noOwner: boolean;
  noPrivileges: boolean;
  /** A file this Lifeboat did not make: its objects go to the roles it names (those without rights) instead of lifeboat_restored. */
  keepOwners: boolean;
  createMissingRoles: boolean;
  /** Per role that "create missing roles" makes: the privileged attributes the archive gives it that the user chose to keep. */
  privilegedRoleAttributes: NonNullable<RestoreUiRequest['privilegedRoleAttributes']>;
  safetyBackup: boolean;
  /** replace: the database name typed again. */
  confirm: string;
  /** The words "I trust where this file came from", typed when the checklist asks for them. */
  trust: string;
}

/** The keys given for this file only; dropped when another file is opened. */
export interface OpenKeys {
  passphrase?: string;
  identityFile?: string;
}

/** The remote archive the open file is a temporary copy of. */
export type RemoteOrigin = Pick<RemoteSubject, 'destinationId' | 'destinationName' | 'name'>;

interface RestoreState {
  file: string | null;
  /** Set when the file is a remote archive's temporary copy (main removes it when the restore ends). */
  remote: RemoteOrigin | null;
  keys: OpenKeys;
  inspecting: boolean;
  inspection: Inspection | null;
  /** NO_KEY / WRONG_KEY: the file is encrypted and the keys so far do not open it. */
  locked: ErrorInfo | null;
  inspectError: ErrorInfo | null;
  form: RestoreForm;
  checking: boolean;
  preflight: Preflight | null;
  /** The request (as JSON) the shown checklist belongs to. */
  preflightKey: string | null;
  preflightError: ErrorInfo | null;
  /** The restore started from this screen (its progress and outcome live in the jobs store). */
  jobId: string | null;
  startError: ErrorInfo | null;
  /** Something to say about the last drop (several items dropped). */
  notice: string | null;
  /** A drop that could not be opened (no path on this computer). */
  rejected: ErrorInfo | null;
  /** The library's newest archives, offered while no file is open. */
  recent: ArchiveEntry[];
  /** Backup folders that could not be read for `recent`: their archives are not among them. */
  recentUnreadable: FolderProblem[];
  /** The target connection's databases, for "replace" and "rows of chosen tables" to pick from. */
  targetDatabases: TargetDatabases;
  /** Opens a file (from a drop, the OS, the chooser, or a remote archive's temporary copy) and shows the Restore screen. */
  open(file: string, notice?: string | null, remote?: RemoteOrigin | null): void;
  /**
   * Downloads a remote archive into a temporary copy (its progress shows in its row under the
   * destination), then opens that copy here. Throws ApiError when the download cannot start.
   */
  openRemote(remote: RemoteOrigin): Promise<void>;
  /** Opens the first of the files dropped on the window, by the path the preload knows for it. */
  openDropped(files: File[]): void;
  /** Shows the Restore screen with why a dropped item cannot be opened (the open file, if any, stays). */
  reject(error: ErrorInfo): void;
  close(): void;
  /** Re-inspects with a passphrase or an identity file. */
  unlock(keys: OpenKeys): Promise<void>;
  update(patch: Partial<RestoreForm>): void;
  setName(name: string): void;
  /** Re-runs the checklist now (e.g. after the target server changed). */
  recheck(): void;
  start(): Promise<void>;
  /** Back to the form after a result (the checklist is run again: the target has changed). */
  dismissResult(): void;
  dropKept(profileId: string, database: string): Promise<void>;
  /** Reads the newest archives for the drop zone (a convenience: errors leave the list as it was). */
  loadRecent(): Promise<void>;
  /** Lists the target connection's databases again (after a restore changed them, or "Check again"). */
  loadTargetDatabases(): Promise<void>;
}

/**
 * The databases of the connection `profileId` points at: `names` once read; `error` when they could
 * not be listed (the form then takes a typed name).
 */
export interface TargetDatabases {
  profileId: string | null;
  loading: boolean;
  names: string[] | null;
  error: ErrorInfo | null;
}

const NO_DATABASES: TargetDatabases = { profileId: null, loading: false, names: null, error: null };

const EMPTY_FORM: RestoreForm = {
  profileId: '',
  mode: 'new',
  names: { new: '', replace: '', 'data-only': '' },
  tables: [],
  noOwner: false,
  noPrivileges: false,
  keepOwners: false,
  createMissingRoles: false,
  privilegedRoleAttributes: {},
  safetyBackup: true,
  confirm: '',
  trust: '',
};

const DEBOUNCE_MS = 350;

/** The request the current inputs make; null while something needed is missing. */
export function restoreRequest(state: Pick<RestoreState, 'file' | 'keys' | 'form'>): RestoreUiRequest | null {
  const { file, keys, form } = state;
  const database = form.names[form.mode].trim();
  if (!file || !form.profileId || !database) return null;
  return {
    file,
    profileId: form.profileId,
    mode: form.mode,
    database,
    ...(form.mode === 'data-only' ? { tables: form.tables } : {}),
    noOwner: form.noOwner,
    noPrivileges: form.noPrivileges,
    ...(form.keepOwners ? { keepOwners: true } : {}),
    createMissingRoles: form.createMissingRoles,
    ...(form.createMissingRoles && Object.values(form.privilegedRoleAttributes).some((a) => a.length) ? { privilegedRoleAttributes: form.privilegedRoleAttributes } : {}),
    ...(form.mode === 'replace' ? { safetyBackup: form.safetyBackup, confirm: form.confirm } : {}),
    ...(form.trust.trim() ? { trust: form.trust.trim() } : {}),
    ...(keys.passphrase ? { passphrase: keys.passphrase } : {}),
    ...(keys.identityFile ? { identityFile: keys.identityFile } : {}),
  };
}

export function requestKey(request: RestoreUiRequest | null): string | null {
  return request ? JSON.stringify(request) : null;
}

/** A database name from what the file says it holds (or its file name): lower case, safe characters. */
function suggestedName(inspection: Inspection): string {
  const base = inspection.sourceDatabase ?? baseName(inspection.path).replace(/\.(lifeboat|age|gpg|gz|zst|sql|dump|backup|tar)$/gi, '').replace(/\.(lifeboat|age|gpg|gz|zst|sql|dump|backup|tar)$/gi, '');
  const clean = base.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 'restored';
  return `${clean.slice(0, 50)}_restored`;
}

/** The connection the file came from, when it is saved here; otherwise the first one. */
function suggestedProfile(inspection: Inspection, profiles: ProfileSummary[]): string {
  const source = inspection.lifeboat?.manifest.source;
  const match = source
    ? (profiles.find((p) => p.name === source.profile) ?? profiles.find((p) => p.host === source.host && p.port === source.port))
    : undefined;
  return (match ?? profiles[0])?.id ?? '';
}

export const useRestoreStore = create<RestoreState>()((set, get) => {
  let inspectSeq = 0;

  /** The open file, if it is a remote archive's temporary copy no restore uses yet, is removed by main. */
  const letGoOfRemote = () => {
    const { file, remote } = get();
    if (file && remote) void api().copies.discardFetched(file).catch(() => {});
  };

  const running = () => {
    const { jobId } = get();
    const job = jobId ? useJobsStore.getState().jobs[jobId] : undefined;
    return job !== undefined && isRunning(job);
  };

  // The checklist follows the inputs, debounced; an answer for older inputs is dropped.
  const checks = latestOnly<{ preflight: Preflight; key: string } | null>((answer) => {
    if (!answer.ok) set({ preflight: null, preflightKey: null, preflightError: answer.error, checking: false });
    else if (!answer.value) set({ checking: false, preflight: null, preflightKey: null, preflightError: null });
    else set({ preflight: answer.value.preflight, preflightKey: answer.value.key, preflightError: null, checking: false });
  });

  /** The checklist of the inputs as they are when the debounce ends; null while something needed is missing. */
  const askPreflight = async () => {
    const request = restoreRequest(get());
    if (!request || !get().inspection) return null;
    return { preflight: unwrap(await api().restore.preflight(request)), key: requestKey(request)! };
  };

  const schedule = (delay = DEBOUNCE_MS) => {
    if (!get().inspection || running()) {
      checks.cancel(); // whatever is in flight now answers for old inputs
      set({ checking: false });
      return;
    }
    set({ checking: true });
    checks.request(askPreflight, delay);
  };

  let databasesSeq = 0;

  /** The target's databases, listed when a mode needs an existing one (or `again`); a name not among them is cleared. */
  const listDatabases = async (again = false) => {
    const { form, targetDatabases } = get();
    if (form.mode === 'new' || !form.profileId) return;
    if (!again && targetDatabases.profileId === form.profileId && (targetDatabases.names || targetDatabases.loading)) return;
    const mine = ++databasesSeq;
    const profileId = form.profileId;
    set({ targetDatabases: { profileId, loading: true, names: targetDatabases.profileId === profileId ? targetDatabases.names : null, error: null } });
    try {
      const names = unwrap(await api().restore.targetDatabases(profileId));
      if (mine !== databasesSeq) return;
      const now = get().form;
      // A name suggested from the file (or left from another server) that is not there: the user chooses one.
      const kept = (name: string) => (name === '' || names.includes(name) ? name : '');
      const fixed = { ...now.names, replace: kept(now.names.replace), 'data-only': kept(now.names['data-only']) };
      const changed = fixed.replace !== now.names.replace || fixed['data-only'] !== now.names['data-only'];
      set({ targetDatabases: { profileId, loading: false, names, error: null }, ...(changed ? { form: { ...now, names: fixed, confirm: '' } } : {}) });
      if (changed) schedule();
    } catch (error) {
      if (mine !== databasesSeq) return;
      set({ targetDatabases: { profileId, loading: false, names: null, error: toErrorInfo(error) } });
    }
  };

  const inspect = async () => {
    const { file, keys } = get();
    if (!file) return;
    const mine = ++inspectSeq;
    set({ inspecting: true, inspectError: null });
    try {
      const inspection = unwrap(await api().restore.inspect(file, keys));
      if (mine !== inspectSeq) return;
      await useProfilesStore.getState().load();
      const profiles = useProfilesStore.getState().profiles;
      const { form } = get();
      const source = inspection.sourceDatabase ?? suggestedName(inspection).replace(/_restored$/, '');
      set({
        inspection,
        inspecting: false,
        locked: null,
        form: {
          ...form,
          profileId: form.profileId || suggestedProfile(inspection, profiles),
          names: {
            new: form.names.new || suggestedName(inspection),
            replace: form.names.replace || source,
            'data-only': form.names['data-only'] || source,
          },
        },
      });
      useAppStore.getState().announce(`${baseName(file)}: ${inspection.label}.`);
      schedule(0);
    } catch (error) {
      if (mine !== inspectSeq) return;
      const info = toErrorInfo(error);
      if (error instanceof ApiError && (info.code === 'NO_KEY' || info.code === 'WRONG_KEY')) {
        set({ inspecting: false, locked: info, inspection: null });
      } else {
        set({ inspecting: false, inspectError: info, inspection: null });
      }
    }
  };

  return {
    file: null,
    remote: null,
    keys: {},
    inspecting: false,
    inspection: null,
    locked: null,
    inspectError: null,
    form: EMPTY_FORM,
    checking: false,
    preflight: null,
    preflightKey: null,
    preflightError: null,
    jobId: null,
    startError: null,
    notice: null,
    rejected: null,
    recent: [],
    recentUnreadable: [],
    targetDatabases: NO_DATABASES,

    open: (file, notice = null, remote = null) => {
      const app = useAppStore.getState();
      app.navigate('restore');
      if (running()) {
        if (remote) void api().copies.discardFetched(file).catch(() => {});
        set({ rejected: { code: 'INVALID_INPUT', message: `A restore is running, so ${baseName(file)} was not opened.`, fix: 'Wait for the restore to finish (or cancel it), then open the file again.' }, notice: null });
        return;
      }
      checks.cancel();
      if (get().file !== file) letGoOfRemote();
      // The connection is proposed again from the new file (its source, when saved here).
      ++databasesSeq;
      set({ file, remote, keys: {}, inspection: null, locked: null, inspectError: null, form: EMPTY_FORM, checking: false, preflight: null, preflightKey: null, preflightError: null, jobId: null, startError: null, notice, rejected: null, targetDatabases: NO_DATABASES });
      void inspect();
    },

    openRemote: async (remote) => {
      const jobs = useJobsStore.getState();
      const jobId = await jobs.startRemote({ ...remote, action: 'restore' });
      const outcome = await jobs.whenFinished(jobId);
      // A failed or cancelled download is shown (and said) in its row.
      if (!outcome.ok || outcome.kind !== 'download') return;
      get().open(outcome.value.file, `${remote.name} was downloaded from ${remote.destinationName} and matches its sidecar there. This temporary copy is removed when the restore ends.`, remote);
    },

    openDropped: (files) => {
      const [first] = files;
      if (!first) return;
      const path = api().pathForFile(first);
      if (!path) {
        get().reject({
          code: 'INVALID_INPUT',
          message: `“${first.name}” has no location on this computer, so Lifeboat cannot read it.`,
          fix: 'Drop a file or folder from your file manager, or use “Choose a file…”.',
        });
        return;
      }
      get().open(path, files.length > 1 ? `${files.length} items were dropped; Lifeboat opened the first, ${first.name}.` : null);
    },

    reject: (error) => {
      useAppStore.getState().navigate('restore');
      set({ rejected: error, notice: null });
    },

    close: () => {
      if (running()) return;
      checks.cancel();
      ++inspectSeq;
      letGoOfRemote();
      ++databasesSeq;
      set({ file: null, remote: null, keys: {}, inspection: null, inspecting: false, locked: null, inspectError: null, form: EMPTY_FORM, checking: false, preflight: null, preflightKey: null, preflightError: null, jobId: null, startError: null, notice: null, rejected: null, targetDatabases: NO_DATABASES });
    },

    unlock: async (keys) => {
      set({ keys });
      await inspect();
    },

    update: (patch) => {
      const form = { ...get().form, ...patch };
      // A replace is confirmed for one name only.
      if (patch.mode !== undefined && patch.mode !== get().form.mode) form.confirm = '';
      set({ form, startError: null });
      schedule();
      if (patch.mode !== undefined || patch.profileId !== undefined) void listDatabases();
    },

    setName: (name) => {
      const { form } = get();
      set({ form: { ...form, names: { ...form.names, [form.mode]: name }, ...(form.mode === 'replace' ? { confirm: '' } : {}) }, startError: null });
      schedule();
    },

    recheck: () => {
      schedule(0);
      void listDatabases(true);
    },

    start: async () => {
      const state = get();
      const request = restoreRequest(state);
      if (!request || !state.preflight?.ok || state.preflightKey !== requestKey(request) || state.checking || running()) return;
      set({ startError: null });
      const profileName = useProfilesStore.getState().profiles.find((p) => p.id === request.profileId)?.name ?? 'the server';
      try {
        const jobId = await useJobsStore.getState().startRestore(request, profileName);
        set({ jobId });
        useAppStore.getState().announce(`Restoring into ${request.database}.`);
      } catch (error) {
        set({ startError: toErrorInfo(error) });
      }
    },

    dismissResult: () => {
      const { jobId, remote } = get();
      if (jobId) useJobsStore.getState().dismiss(jobId);
      if (jobId && remote) {
        // The temporary copy went with the restore: there is no file left to check again.
        get().close();
        set({ notice: `The temporary copy of ${remote.name} was removed when the restore ended. To restore it again, download it again from ${remote.destinationName} (Settings → Offsite destinations → Archives there).` });
        return;
      }
      set({ jobId: null, form: { ...get().form, confirm: '' } });
      schedule(0);
      // A replace added the kept copy; rows-only and new databases change the list too.
      void listDatabases(true);
    },

    dropKept: async (profileId, database) => {
      unwrap(await api().restore.dropKept(profileId, database));
    },

    loadTargetDatabases: () => listDatabases(true),

    loadRecent: async () => {
      try {
        const { archives, unreadable } = unwrap(await api().library.listing({}));
        set({ recent: archives.slice(0, 4), recentUnreadable: unreadable });
      } catch {
        // Only a shortcut: the drop zone and "Choose a file…" still work.
      }
    },
  };
});
