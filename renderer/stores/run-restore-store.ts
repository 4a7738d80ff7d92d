// Restoring a whole-server run onto a server (the Backups screen's "Restore the run…" dialog): which
// connection, which of the run's databases and under what names, how roles are handled, then ONE
// checklist over all of them (runs:restore-preflight) that is run when the user asks ("Check"). Restore
// is offered only while the checklist shown is the one of exactly the current choices and has no
// blocker. The restore itself is a job like any other: its progress and result live in the jobs
// store, found again here by the run's record file.
import { create } from 'zustand';
import type { ErrorInfo, OpenKeys, RunPreflight, RunRestoreUiRequest, ServerRunEntry } from '../../main/ipc/contract.ts';
import { useAppStore } from './app-store.ts';
import { isRunning, useJobsStore, type JobEntry } from './jobs-store.ts';
import { useProfilesStore } from './profiles-store.ts';
import { runName } from './runs-store.ts';
import { api, toErrorInfo, unwrap } from './unwrap.ts';

export interface RunRestoreForm {
  /** The target connection ('' until one is chosen: a run restore is never aimed at a server by default). */
  profileId: string;
  /** Databases of the run left out (every one it backed up is restored by default). */
  skipped: string[];
  /** Per database of the run: the new name typed ('' or the same name: restored under its own name). */
  names: Record<string, string>;
  /** Roles the archives use that the target lacks, created from the run's globals, without passwords. */
  createMissingRoles: boolean;
  noOwner: boolean;
  noPrivileges: boolean;
}

interface RunRestoreState {
  /** The run the dialog is about; kept after the dialog closes, so opening it again keeps the choices. */
  entry: ServerRunEntry | null;
  isOpen: boolean;
  form: RunRestoreForm;
  /** Keys given for the run's archives (only when Lifeboat's own do not open them); dropped with another run. */
  keys: OpenKeys;
  checking: boolean;
  preflight: RunPreflight | null;
  /** The request (as JSON) the shown checklist belongs to. */
  preflightKey: string | null;
  preflightError: ErrorInfo | null;
  starting: boolean;
  startError: ErrorInfo | null;
  /** Opens the dialog for a run (a different run starts from a fresh form). */
  open(entry: ServerRunEntry): void;
  /** Closes the dialog; a running restore goes on (Cancel stops it). */
  close(): void;
  update(patch: Partial<Omit<RunRestoreForm, 'names' | 'skipped'>>): void;
  /** The new name for one database ('' = its own name). */
  setName(source: string, name: string): void;
  /** Ticks or unticks one database. */
  choose(source: string, on: boolean): void;
  /** Runs the checklist for the current choices. */
  check(): Promise<void>;
  /** Checks again with a passphrase or an identity file for the run's archives. */
  unlock(keys: OpenKeys): Promise<void>;
  /** Starts the restore, when the checklist shown is the current one and has no blocker. */
  start(): Promise<void>;
  /** After a result: the result goes, the choices stay, and the checklist must be run again (the target changed). */
  again(): void;
}

const EMPTY_FORM: RunRestoreForm = { profileId: '', skipped: [], names: {}, createMissingRoles: true, noOwner: false, noPrivileges: false };

/** The databases of the run that were backed up (the only ones it can restore), in the record's order. */
export function restorableDatabases(entry: ServerRunEntry): string[] {
  return entry.record.databases.filter((d) => d.outcome === 'ok' && d.archive).map((d) => d.name);
}

/** The new name typed for a database; own properties only (a database may be called "constructor"). */
export function typedName(form: Pick<RunRestoreForm, 'names'>, source: string): string {
  return Object.hasOwn(form.names, source) ? (form.names[source] ?? '') : '';
}

/** The name a database will have on the target. */
export function targetName(form: Pick<RunRestoreForm, 'names'>, source: string): string {
  return typedName(form, source).trim() || source;
}

/** The request the current choices make; null while something needed is missing (a connection, a database). */
export function runRestoreRequest(state: Pick<RunRestoreState, 'entry' | 'form' | 'keys'>): RunRestoreUiRequest | null {
  const { entry, form, keys } = state;
  if (!entry || !form.profileId) return null;
  const all = restorableDatabases(entry);
  const chosen = all.filter((name) => !form.skipped.includes(name));
  if (chosen.length === 0) return null;
  const renamed = chosen.filter((name) => targetName(form, name) !== name);
  return {
    file: entry.file,
    profileId: form.profileId,
    ...(chosen.length < all.length ? { databases: chosen } : {}),
    ...(renamed.length ? { rename: Object.fromEntries(renamed.map((name) => [name, targetName(form, name)])) } : {}),
    createMissingRoles: form.createMissingRoles,
    noOwner: form.noOwner,
    noPrivileges: form.noPrivileges,
    ...(keys.passphrase ? { passphrase: keys.passphrase } : {}),
    ...(keys.identityFile ? { identityFile: keys.identityFile } : {}),
  };
}

export function requestKey(request: RunRestoreUiRequest | null): string | null {
  return request ? JSON.stringify(request) : null;
}

/** NO_KEY / WRONG_KEY: the run's archives are encrypted and the keys so far do not open them. */
export function isLocked(error: ErrorInfo | null): boolean {
  return error?.code === 'NO_KEY' || error?.code === 'WRONG_KEY';
}

/** The restore of the run this window knows: a running one, else the newest finished one not dismissed. */
export function runRestoreJobOf(jobs: Record<string, JobEntry>, file: string): JobEntry | undefined {
  const mine = Object.values(jobs).filter((j) => j.kind === 'restore' && j.subject?.kind === 'run-restore' && j.subject.file === file);
  return mine.find(isRunning) ?? mine.sort((a, b) => b.finishedSeq - a.finishedSeq)[0];
}

export const useRunRestoreStore = create<RunRestoreState>()((set, get) => {
  // Only the answer to the newest check is shown.
  let seq = 0;
  const fresh = { form: EMPTY_FORM, keys: {}, checking: false, preflight: null, preflightKey: null, preflightError: null, starting: false, startError: null };

  return {
    entry: null,
    isOpen: false,
    ...fresh,

    open: (entry) => {
      if (get().entry?.file !== entry.file) {
        seq++;
        set({ ...fresh, entry });
      }
      set({ entry, isOpen: true });
    },

    close: () => set({ isOpen: false }),

    update: (patch) => set({ form: { ...get().form, ...patch }, startError: null }),

    setName: (source, name) => set({ form: { ...get().form, names: { ...get().form.names, [source]: name } }, startError: null }),

    choose: (source, on) => {
      const { skipped } = get().form;
      set({ form: { ...get().form, skipped: on ? skipped.filter((n) => n !== source) : [...skipped.filter((n) => n !== source), source] }, startError: null });
    },

    check: async () => {
      const request = runRestoreRequest(get());
      if (!request) return;
      const mine = ++seq;
      set({ checking: true, preflightError: null, startError: null });
      try {
        const preflight = unwrap(await api().runs.restorePreflight(request));
        if (mine === seq) set({ checking: false, preflight, preflightKey: requestKey(request) });
      } catch (error) {
        if (mine === seq) set({ checking: false, preflight: null, preflightKey: null, preflightError: toErrorInfo(error) });
      }
    },

    unlock: async (keys) => {
      // The unlock form stays, saying why, while the keys given do not open the archives.
      set({ keys });
      await get().check();
    },

    start: async () => {
      const state = get();
      const request = runRestoreRequest(state);
      if (!request || !state.entry || state.starting || !state.preflight?.ok || state.preflightKey !== requestKey(request)) return;
      const profileName = useProfilesStore.getState().profiles.find((p) => p.id === request.profileId)?.name ?? 'the connection';
      const name = runName(state.entry);
      set({ starting: true, startError: null });
      try {
        await useJobsStore.getState().startRunRestore(request, name, profileName);
        const count = request.databases?.length ?? restorableDatabases(state.entry).length;
        useAppStore.getState().announce(`Restoring ${name} onto ${profileName}: ${count} database${count === 1 ? '' : 's'}, one after another.`);
        set({ starting: false });
      } catch (error) {
        set({ starting: false, startError: toErrorInfo(error) });
      }
    },

    again: () => {
      const { entry } = get();
      const job = entry ? runRestoreJobOf(useJobsStore.getState().jobs, entry.file) : undefined;
      if (job && !isRunning(job)) useJobsStore.getState().dismiss(job.jobId);
      seq++;
      set({ checking: false, preflight: null, preflightKey: null, preflightError: null, startError: null });
    },
  };
});
