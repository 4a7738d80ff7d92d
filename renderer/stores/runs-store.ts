// The library's whole-server runs (a profile with a database scope backs up several databases in one
// run; its record groups their archives), and drills of a whole run. A run drill is a job like any
// other: its progress and verdict live in the jobs store, found again here by the run's record file.
import { create } from 'zustand';
import { visibleText } from '../../main/engine/name-text.ts';
import type { ErrorInfo, ServerRunEntry } from '../../main/ipc/contract.ts';
import { formatDateTime } from '../components/format.ts';
import { useAppStore } from './app-store.ts';
import { isRunning, useJobsStore, type JobEntry } from './jobs-store.ts';
import { api, toErrorInfo, unwrap } from './unwrap.ts';

interface RunsState {
  /** Newest first; only records this Lifeboat wrote (main checks their tag). */
  runs: ServerRunEntry[];
  loaded: boolean;
  error: ErrorInfo | null;
  load(): Promise<void>;
  /** Starts a drill of every database the run backed up; resolves to its job id. Throws ApiError. */
  drill(entry: ServerRunEntry): Promise<string>;
}

/** How the window names a run: "the run of Shop at 12 Mar 2026, 14:03". */
export function runName(entry: ServerRunEntry): string {
  return `the run of ${visibleText(entry.record.profile)} at ${formatDateTime(entry.record.startedAt)}`;
}

/** The drill of the run this window knows: a running one, else the newest finished one not dismissed. */
export function runDrillJobOf(jobs: Record<string, JobEntry>, file: string): JobEntry | undefined {
  const mine = Object.values(jobs).filter((j) => j.kind === 'drill' && j.subject?.kind === 'drill' && j.subject.run === true && j.subject.file === file);
  return mine.find(isRunning) ?? mine.sort((a, b) => b.finishedSeq - a.finishedSeq)[0];
}

/**
 * A number that changes whenever a whole-server run (a backup whose outcome carries `run`) finishes
 * in this window: the list is read again then, so the new run appears without a manual refresh.
 */
export function finishedRunBackups(jobs: Record<string, JobEntry>): number {
  let newest = 0;
  for (const job of Object.values(jobs)) if (job.outcome?.ok && job.outcome.kind === 'backup' && job.outcome.run) newest = Math.max(newest, job.finishedSeq);
  return newest;
}

export const useRunsStore = create<RunsState>()((set) => {
  let seq = 0;
  return {
    runs: [],
    loaded: false,
    error: null,

    load: async () => {
      const mine = ++seq;
      try {
        const runs = unwrap(await api().runs.list());
        if (mine === seq) set({ runs, loaded: true, error: null });
      } catch (error) {
        if (mine === seq) set({ loaded: true, error: toErrorInfo(error) });
      }
    },

    drill: async (entry) => {
      const name = runName(entry);
      const jobId = await useJobsStore.getState().startRunDrill(entry.file, name);
      useAppStore.getState().announce(`Drilling ${name}, one database after another.`);
      return jobId;
    },
  };
});
