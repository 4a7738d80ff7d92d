// Long operations (backups, verifications, restores, drills, offsite copies) run in main as jobs; their progress and
// outcome arrive as events. One subscription for the whole window, so a job keeps reporting while
// another screen is shown.
import { create } from 'zustand';
import { visibleText } from '../../main/engine/name-text.ts';
import type { CopySubject, DrillRecord, DrillUiRequest, JobOutcome, JobProgress, JobProgressEvent, RemoteDrillRequest, RemoteSubject, RestoreUiRequest, RunDrillResult, RunRestoreResult, RunRestoreUiRequest, ServerRunRecord } from '../../main/ipc/contract.ts';
import { baseName, formatBytes } from '../components/format.ts';
import { useAppStore } from './app-store.ts';
import { useHostKeyStore } from './host-key-store.ts';
import { useKeysStore } from './keys-store.ts';
import { useLibraryStore } from './library-store.ts';
import { useOffsiteStore } from './offsite-store.ts';
import { useProfilesStore } from './profiles-store.ts';
import { api, toErrorInfo, unwrap } from './unwrap.ts';

export type JobSubject =
  /** run: the profile has a database scope, so the backup is a whole-server run (absent: not known). */
  | { kind: 'backup'; profileId: string; profileName: string; run?: boolean }
  | { kind: 'verify'; path: string; level: 'quick' | 'full' }
  | { kind: 'restore'; file: string; mode: RestoreUiRequest['mode']; database: string; profileId: string; profileName: string }
  /** A restore of a whole-server run (a restore job): its record `file`, how the window names the run, and the target connection. */
  | { kind: 'run-restore'; file: string; name: string; profileId: string; profileName: string }
  /**
   * file is null for a drill main started on its own ("drill after every backup") or of a remote archive (`remote`): only its name is known.
   * run: a drill of every database of a whole-server run, whose record `file` is.
   */
  | { kind: 'drill'; file: string | null; name: string; auto: boolean; remote?: RemoteSubject; run?: boolean }
  /** Main names a copy's archive and destination with its progress, so a copy after a backup has its subject too. */
  | ({ kind: 'copy' } & CopySubject)
  /** Verifying, downloading or fetching (for a restore) an archive in a destination; main names it with the progress too. */
  | ({ kind: 'remote' } & RemoteSubject);

export interface JobEntry {
  jobId: string;
  kind: JobProgress['kind'];
  /** What the job works on; null for a job re-attached after a reload whose subject is unknown. */
  subject: JobSubject | null;
  progress: JobProgress | null;
  outcome: JobOutcome | null;
  cancelling: boolean;
  /** Order in which jobs finished in this window (0 while running): the newest result wins. */
  finishedSeq: number;
}

// jobs:active tells only id and progress: the subject is remembered here across reloads of the page.
const SUBJECTS_KEY = 'lifeboat.jobSubjects';

function readSubjects(): Record<string, JobSubject> {
  try {
    return JSON.parse(window.sessionStorage.getItem(SUBJECTS_KEY) ?? '{}') as Record<string, JobSubject>;
  } catch {
    return {};
  }
}

function rememberSubject(jobId: string, subject: JobSubject | null): void {
  try {
    const subjects = readSubjects();
    if (subject) subjects[jobId] = subject;
    else delete subjects[jobId];
    window.sessionStorage.setItem(SUBJECTS_KEY, JSON.stringify(subjects));
  } catch {
    // Without storage a reload shows the job without its subject.
  }
}

// The connection last backed up from this window is the next one offered.
const PROFILE_KEY = 'lifeboat.backupProfileId';

function readChosenProfile(): string | null {
  try {
    return window.localStorage.getItem(PROFILE_KEY);
  } catch {
    return null;
  }
}

interface JobsState {
  jobs: Record<string, JobEntry>;
  /** The connection chosen on the Backups screen. */
  backupProfileId: string | null;
  setBackupProfile(id: string): void;
  /** Subscribes to job events; returns the unsubscribe. */
  listen(): () => void;
  /** Picks up jobs that were already running (e.g. after a reload). */
  attachActive(): Promise<void>;
  /** Throws ApiError when the job could not start. */
  startBackup(profile: { id: string; name: string }): Promise<string>;
  startVerify(path: string, level: 'quick' | 'full'): Promise<string>;
  startRestore(request: RestoreUiRequest, profileName: string): Promise<string>;
  startDrill(request: DrillUiRequest, name: string): Promise<string>;
  /** Drills every database of a whole-server run (`file`: its record, as runs:list gave it); `name` says which run. Throws ApiError. */
  startRunDrill(file: string, name: string): Promise<string>;
  /** Restores a whole-server run's databases onto the request's connection (`name` says which run, `profileName` where). Throws ApiError. */
  startRunRestore(request: RunRestoreUiRequest, name: string, profileName: string): Promise<string>;
  startCopy(file: string, destination: { id: string; name: string }): Promise<string>;
  /** Verifies, downloads (into `folder`, chosen in a dialog) or fetches for a restore an archive in a destination. Throws ApiError. */
  startRemote(subject: RemoteSubject, folder?: string): Promise<string>;
  startRemoteDrill(request: RemoteDrillRequest, subject: RemoteSubject): Promise<string>;
  /** The job's outcome, once it arrives (at once if it already has). */
  whenFinished(jobId: string): Promise<JobOutcome>;
  cancel(jobId: string): Promise<void>;
  dismiss(jobId: string): void;
  /** A backup this window started was refused over an SSH host key: opens the dialog; once trusted, the backup runs again. */
  askHostKey(jobId: string): void;
}

export const isRunning = (job: JobEntry) => job.outcome === null;

/** What a job main started on its own is about, from its first progress (a drill after a backup names its archive, a copy its archive and destination). */
function derivedSubject(progress: JobProgressEvent): JobSubject | null {
  if (progress.remote) return remoteSubject(progress.remote);
  if (progress.kind === 'drill' && progress.message) return { kind: 'drill', file: null, name: progress.message, auto: true };
  if (progress.kind === 'copy' && progress.copy) return { kind: 'copy', ...progress.copy };
  return null;
}

function remoteSubject(remote: RemoteSubject): JobSubject {
  return remote.action === 'drill' ? { kind: 'drill', file: null, name: remote.name, auto: false, remote } : { kind: 'remote', ...remote };
}

/** The remote archive a job works on (a drill of one included). */
export function remoteOf(job: JobEntry): RemoteSubject | null {
  if (job.subject?.kind === 'remote') return job.subject;
  return job.subject?.kind === 'drill' ? (job.subject.remote ?? null) : null;
}

/** The newest job this window knows for an archive in a destination (running, or finished and not dismissed). */
export function remoteJobOf(jobs: Record<string, JobEntry>, destinationId: string, name: string): JobEntry | undefined {
  const mine = Object.values(jobs).filter((j) => {
    const remote = remoteOf(j);
    return remote?.destinationId === destinationId && remote.name === name;
  });
  return mine.find(isRunning) ?? mine.sort((a, b) => b.finishedSeq - a.finishedSeq)[0];
}

/** A running or failed copy of `file` to the destination, if this window knows one. */
export function copyJobOf(jobs: Record<string, JobEntry>, file: string, destinationId: string): JobEntry | undefined {
  return Object.values(jobs).find((j) => j.kind === 'copy' && j.subject?.kind === 'copy' && j.subject.file === file && j.subject.destinationId === destinationId);
}

/**
 * What the window says when a whole-server run ends. A partial run still ends "ok" as a job (its
 * archives are kept), so the words must say PARTIAL and name what failed: the status line may be all
 * the user hears.
 */
function runAnnouncement(name: string, record: ServerRunRecord): string {
  const failed = record.databases.filter((d) => d.outcome !== 'ok').map((d) => visibleText(d.name));
  const ok = record.databases.length - failed.length;
  if (record.outcome === 'ok') return `Backup of ${name} finished: all ${ok} database${ok === 1 ? '' : 's'} backed up.`;
  if (record.outcome === 'partial') return `Backup of ${name} PARTIAL: ${ok} of ${record.databases.length} databases backed up; failed: ${failed.join(', ')}.`;
  return `Backup of ${name} FAILED: no database was backed up (${failed.join(', ')}).`;
}

/** What the window says when the drill of a whole run ends: the verdict, and which databases it is about. */
function runDrillAnnouncement(name: string, result: RunDrillResult): string {
  const failed = result.databases.filter((d) => d.record && !d.record.passed && !d.record.couldNotRun).map((d) => visibleText(d.database));
  const unrun = result.databases.filter((d) => !d.record || d.record.couldNotRun).map((d) => visibleText(d.database));
  if (result.passed) return `Drill of ${name} passed: all ${result.databases.length} database${result.databases.length === 1 ? '' : 's'} restore.`;
  if (failed.length) return `Drill of ${name} FAILED: ${failed.join(', ')}${unrun.length ? `; could not run: ${unrun.join(', ')}` : ''}.`;
  return `The drill of ${name} could not run${unrun.length ? ` for ${unrun.join(', ')}` : ''}.`;
}

/**
 * What the window says when the restore of a whole run ends. A partial one still ends "ok" as a job,
 * so the words say PARTIAL and name the databases that were not restored.
 */
function runRestoreAnnouncement(name: string, profileName: string, result: RunRestoreResult): string {
  const restored = result.databases.filter((d) => d.result).map((d) => visibleText(d.target));
  const failed = result.databases.filter((d) => !d.result).map((d) => visibleText(d.source));
  const all = result.databases.length;
  if (result.outcome === 'ok') return `Restored ${name} onto ${profileName}: all ${all} database${all === 1 ? '' : 's'} (${restored.join(', ')}).`;
  if (result.outcome === 'partial') return `Restore of ${name} onto ${profileName} PARTIAL: ${restored.length} of ${all} databases restored; failed: ${failed.join(', ')} (nothing of them was left behind).`;
  return `Restore of ${name} onto ${profileName} FAILED: no database was restored (${failed.join(', ')}); nothing of them was left behind.`;
}

/** What the window says when a drill of one archive ends. */
function drillAnnouncement(name: string, record: DrillRecord): string {
  return record.passed ? `Drill of ${name} passed.` : record.couldNotRun ? `The drill of ${name} could not run: ${record.error?.message ?? ''}` : `Drill of ${name} failed.`;
}

/** What each job on a remote archive is doing, for what the window says when it ends. */
const REMOTE_DOING: Record<RemoteSubject['action'], string> = { verify: 'The verification of', download: 'The download of', restore: 'The download for the restore of', drill: 'The drill of' };

export const useJobsStore = create<JobsState>()((set, get) => {
  let finishedCount = 0;
  const waiters = new Map<string, ((outcome: JobOutcome) => void)[]>();
  const patch = (jobId: string, update: (entry: JobEntry) => Partial<JobEntry>, kind: JobProgress['kind']) => {
    const current = get().jobs[jobId] ?? { jobId, kind, subject: readSubjects()[jobId] ?? null, progress: null, outcome: null, cancelling: false, finishedSeq: 0 };
    set({ jobs: { ...get().jobs, [jobId]: { ...current, ...update(current) } } });
  };

  /** A new job on a remote archive replaces the result shown for it. */
  const forgetRemote = (subject: RemoteSubject) => {
    set({ jobs: Object.fromEntries(Object.entries(get().jobs).filter(([, j]) => !(j.outcome && remoteOf(j)?.destinationId === subject.destinationId && remoteOf(j)?.name === subject.name))) });
  };

  /** Records the subject of a job this window started (progress may have arrived before the call returned). */
  const adopt = (jobId: string, kind: JobProgress['kind'], subject: JobSubject) => {
    if (!get().jobs[jobId]?.outcome) rememberSubject(jobId, subject);
    patch(jobId, () => ({ subject }), kind);
  };

  /** Says how a copy ended; once the library's copy states are read again, they tell it (a failure they do not hold stays shown). */
  const copyFinished = (outcome: JobOutcome, entry: JobEntry) => {
    const announce = useAppStore.getState().announce;
    const subject = entry.subject?.kind === 'copy' ? entry.subject : null;
    const what = subject ? `${baseName(subject.file)} to ${subject.destinationName}` : 'the archive';
    const cancelled = !outcome.ok && outcome.error.code === 'CANCELLED';
    if (outcome.ok && outcome.kind === 'copy') announce(`Copied ${baseName(outcome.value.archive)} to ${outcome.value.destination}: verified.`);
    else if (cancelled) announce(`The copy of ${what} was cancelled; the next copy resumes where it stopped.`);
    else if (!outcome.ok) announce(`The copy of ${what} failed: ${outcome.error.message}`);
    void useOffsiteStore
      .getState()
      .loadStates()
      .finally(() => {
        // Nothing shows a copy without a subject: it goes too.
        if (!subject || outcome.ok || cancelled) get().dismiss(outcome.jobId);
      });
  };

  /** Says how a job on a remote archive ended; its row under the destination shows the result (a fetch for a restore opens the Restore screen instead). */
  const remoteFinished = (outcome: JobOutcome, remote: RemoteSubject) => {
    const announce = useAppStore.getState().announce;
    const what = `${remote.name} in ${remote.destinationName}`;
    if (!outcome.ok && outcome.error.code === 'CANCELLED') {
      announce(`${REMOTE_DOING[remote.action]} ${what} was cancelled; nothing was kept.`);
      get().dismiss(outcome.jobId);
    } else if (!outcome.ok) {
      announce(remote.action === 'verify' ? `The copy of ${what} did not verify: ${outcome.error.message}` : `${REMOTE_DOING[remote.action]} ${what} failed: ${outcome.error.message}`);
    } else if (outcome.kind === 'verify') {
      announce(`The copy of ${what} is intact: it matches its sidecar.`);
    } else if (outcome.kind === 'download' && remote.action === 'download') {
      announce(`Downloaded ${remote.name} to ${outcome.value.file}; it matches its sidecar.`);
    } else {
      get().dismiss(outcome.jobId);
    }
  };

  const finished = (outcome: JobOutcome) => {
    // Progress may stop a little early: a finished job always reads 100 % or its error.
    const remote = 'remote' in outcome ? outcome.remote : undefined;
    patch(outcome.jobId, (entry) => ({ outcome, cancelling: false, finishedSeq: ++finishedCount, ...(entry.subject || !remote ? {} : { subject: remoteSubject(remote) }) }), outcome.kind);
    rememberSubject(outcome.jobId, null);
    const entry = get().jobs[outcome.jobId]!;
    for (const waiter of waiters.get(outcome.jobId) ?? []) waiter(outcome);
    waiters.delete(outcome.jobId);
    const announce = useAppStore.getState().announce;
    if (entry.subject?.kind === 'remote') {
      remoteFinished(outcome, entry.subject);
      return;
    }
    if (outcome.kind === 'backup') {
      const name = entry.subject?.kind === 'backup' ? entry.subject.profileName : 'the connection';
      if (outcome.ok) {
        // A whole-server run (`run`) or one database's backup (`value`): both may have created the key.
        const keyCreated = outcome.run ? outcome.run.keyCreated : outcome.value.keyCreated;
        const keyNote = keyCreated ? ' Lifeboat created your backup key: export the recovery key now.' : '';
        announce(`${outcome.run ? runAnnouncement(name, outcome.run.record) : `Backup of ${name} finished: ${formatBytes(outcome.value.bytes)}.`}${keyNote}`);
        if (keyCreated) useKeysStore.getState().markRecoveryKeyPending();
      } else if (outcome.error.code === 'CANCELLED') announce('Backup cancelled; nothing was kept.');
      else {
        announce(`Backup of ${name} failed: ${outcome.error.message}`);
        get().askHostKey(outcome.jobId);
      }
    } else if (outcome.kind === 'verify') {
      if (!outcome.ok) {
        if (outcome.error.code !== 'CANCELLED') announce(`Verification failed: ${outcome.error.message}`);
      } else if (!outcome.remote) announce(`Verified (${outcome.value.level}): the archive is intact.`);
      // The library row's badge now tells the result; only failures the sidecar does not record stay.
      if (entry.subject && (outcome.ok || outcome.error.code === 'CANCELLED')) get().dismiss(outcome.jobId);
    } else if (outcome.kind === 'restore' && entry.subject?.kind === 'run-restore') {
      // A whole run's restore (`runRestore`): each database's result, or why the run stopped.
      const { name, profileName } = entry.subject;
      if (outcome.ok && outcome.runRestore) announce(runRestoreAnnouncement(name, profileName, outcome.runRestore));
      else if (!outcome.ok && outcome.error.code === 'CANCELLED') announce(`The restore of ${name} was cancelled: ${outcome.error.message}`);
      else if (!outcome.ok) announce(`The restore of ${name} onto ${profileName} failed: ${outcome.error.message}`);
      return;
    } else if (outcome.kind === 'restore') {
      const into = entry.subject?.kind === 'restore' ? entry.subject.database : 'the database';
      // One archive's restore (`value`), or a run's this window did not start (after a reload).
      if (outcome.ok) announce(outcome.runRestore ? `Restore of a whole run finished: ${outcome.runRestore.databases.filter((d) => d.result).length} of ${outcome.runRestore.databases.length} databases restored.` : `Restore finished: ${outcome.value.verification.note}`);
      else if (outcome.error.code === 'CANCELLED') announce('Restore cancelled; nothing was changed.');
      else announce(`The restore into ${into} failed: ${outcome.error.message}`);
      // A safety backup before a replace is a new archive in the library.
      if (!(outcome.ok && outcome.value?.safetyBackup)) return;
    } else if (outcome.kind === 'copy') {
      copyFinished(outcome, entry);
      return;
    } else if (outcome.kind === 'drill') {
      const name = entry.subject?.kind === 'drill' ? entry.subject.name : 'the backup';
      // A whole run's drill (`runDrill`) or one archive's (`value`).
      if (outcome.ok) announce(outcome.runDrill ? runDrillAnnouncement(name, outcome.runDrill) : drillAnnouncement(name, outcome.value));
      else if (outcome.error.code === 'CANCELLED') announce('Drill cancelled; the scratch database was removed.');
      else announce(`The drill of ${name} could not run: ${outcome.error.message}`);
    }
    // New archive, a new verification record in a sidecar, or a drill badge.
    if (outcome.ok || outcome.kind === 'verify') void useLibraryStore.getState().load();
  };

  return {
    jobs: {},
    backupProfileId: readChosenProfile(),
    setBackupProfile: (id) => {
      try {
        window.localStorage.setItem(PROFILE_KEY, id);
      } catch {
        // Not remembered: the first connection is offered next time.
      }
      set({ backupProfileId: id });
    },

    listen: () => {
      const offs = [
        api().on.jobProgress((progress) => {
          // A late progress event must not reopen a finished job.
          if (get().jobs[progress.jobId]?.outcome) return;
          patch(progress.jobId, (entry) => ({ progress, ...(entry.subject ? {} : { subject: derivedSubject(progress) }) }), progress.kind);
        }),
        api().on.jobFinished((outcome) => finished(outcome)),
      ];
      return () => {
        for (const off of offs) off();
      };
    },

    attachActive: async () => {
      const active = unwrap(await api().jobs.active());
      for (const progress of active) {
        if (get().jobs[progress.jobId]?.outcome) continue;
        patch(progress.jobId, (entry) => ({ progress, ...(entry.subject ? {} : { subject: derivedSubject(progress) }) }), progress.kind);
      }
    },

    startBackup: async (profile) => {
      // A new backup replaces the previous result shown for this connection.
      const jobs = Object.fromEntries(
        Object.entries(get().jobs).filter(([, j]) => !(j.outcome && j.subject?.kind === 'backup' && j.subject.profileId === profile.id)),
      );
      set({ jobs });
      const { jobId } = unwrap(await api().backups.start({ profileId: profile.id, encryption: 'settings' }));
      // Main chose a run or a single backup from the saved profile; the list here says which (for the progress card's words).
      const run = Boolean(useProfilesStore.getState().profiles.find((p) => p.id === profile.id)?.scope);
      // Progress (even the outcome) may have arrived before the call returned.
      adopt(jobId, 'backup', { kind: 'backup', profileId: profile.id, profileName: profile.name, run });
      return jobId;
    },

    startVerify: async (path, level) => {
      const jobs = Object.fromEntries(Object.entries(get().jobs).filter(([, j]) => !(j.outcome && j.subject?.kind === 'verify' && j.subject.path === path)));
      set({ jobs });
      const { jobId } = unwrap(await api().library.verify(path, level));
      adopt(jobId, 'verify', { kind: 'verify', path, level });
      return jobId;
    },

    startRestore: async (request, profileName) => {
      const { jobId } = unwrap(await api().restore.start(request));
      adopt(jobId, 'restore', { kind: 'restore', file: request.file, mode: request.mode, database: request.database, profileId: request.profileId, profileName });
      return jobId;
    },

    startCopy: async (file, destination) => {
      // A new copy replaces the previous result shown for this archive and destination.
      const jobs = Object.fromEntries(
        Object.entries(get().jobs).filter(([, j]) => !(j.outcome && j.subject?.kind === 'copy' && j.subject.file === file && j.subject.destinationId === destination.id)),
      );
      set({ jobs });
      const { jobId } = unwrap(await api().copies.start({ file, destinationId: destination.id }));
      adopt(jobId, 'copy', { kind: 'copy', file, destinationId: destination.id, destinationName: destination.name });
      return jobId;
    },

    startRemote: async (subject, folder) => {
      forgetRemote(subject);
      const { destinationId, name } = subject;
      const copies = api().copies;
      let started;
      if (subject.action === 'verify') started = await copies.verifyRemote(destinationId, name);
      else if (subject.action === 'download' && folder) started = await copies.download(destinationId, name, folder);
      else if (subject.action === 'restore') started = await copies.fetch(destinationId, name);
      else throw new Error(`startRemote cannot ${subject.action} without a folder`);
      const { jobId } = unwrap(started);
      adopt(jobId, subject.action === 'verify' ? 'verify' : 'download', remoteSubject(subject));
      return jobId;
    },

    startRemoteDrill: async (request, subject) => {
      forgetRemote(subject);
      const { jobId } = unwrap(await api().copies.drillRemote(request));
      adopt(jobId, 'drill', remoteSubject(subject));
      return jobId;
    },

    whenFinished: (jobId) => {
      const done = get().jobs[jobId]?.outcome;
      if (done) return Promise.resolve(done);
      return new Promise((resolve) => waiters.set(jobId, [...(waiters.get(jobId) ?? []), resolve]));
    },

    startDrill: async (request, name) => {
      const { jobId } = unwrap(await api().drills.start(request));
      adopt(jobId, 'drill', { kind: 'drill', file: request.file, name, auto: false });
      return jobId;
    },

    startRunDrill: async (file, name) => {
      // A new drill of the run replaces the previous result shown for it.
      set({ jobs: Object.fromEntries(Object.entries(get().jobs).filter(([, j]) => !(j.outcome && j.subject?.kind === 'drill' && j.subject.run && j.subject.file === file))) });
      const { jobId } = unwrap(await api().runs.drill({ file }));
      adopt(jobId, 'drill', { kind: 'drill', file, name, auto: false, run: true });
      return jobId;
    },

    startRunRestore: async (request, name, profileName) => {
      // A new restore of the run replaces the previous result shown for it.
      set({ jobs: Object.fromEntries(Object.entries(get().jobs).filter(([, j]) => !(j.outcome && j.subject?.kind === 'run-restore' && j.subject.file === request.file))) });
      const { jobId } = unwrap(await api().runs.restore(request));
      adopt(jobId, 'restore', { kind: 'run-restore', file: request.file, name, profileId: request.profileId, profileName });
      return jobId;
    },

    cancel: async (jobId) => {
      const entry = get().jobs[jobId];
      if (!entry || entry.outcome) return;
      patch(jobId, () => ({ cancelling: true }), entry.kind);
      try {
        unwrap(await api().jobs.cancel(jobId));
      } catch {
        patch(jobId, () => ({ cancelling: false }), entry.kind);
      }
    },

    dismiss: (jobId) => {
      const { [jobId]: _gone, ...rest } = get().jobs;
      set({ jobs: rest });
    },

    askHostKey: (jobId) => {
      const { subject, outcome } = get().jobs[jobId] ?? {};
      if (subject?.kind !== 'backup' || !outcome || outcome.ok) return;
      const profile = { id: subject.profileId, name: subject.profileName };
      useHostKeyStore.getState().ask(profile, outcome.error, {
        onTrusted: () => {
          const announce = useAppStore.getState().announce;
          get().startBackup(profile).then(
            () => announce(`Backing up ${profile.name}.`),
            (e: unknown) => announce(`The backup of ${profile.name} could not start: ${toErrorInfo(e).message}`),
          );
        },
      });
    },
  };
});
