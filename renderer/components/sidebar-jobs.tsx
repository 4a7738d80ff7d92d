// The jobs running now, in the sidebar on every screen: what each does, a spinner and its percent.
// A click opens the screen that shows the job in full.
import type { ScreenId } from '../../main/ipc/contract.ts';
import { visibleText } from '../../main/engine/name-text.ts';
import { useAppStore } from '../stores/app-store.ts';
import { isRunning, useJobsStore, type JobEntry } from '../stores/jobs-store.ts';
import { baseName } from './format.ts';
import { percentOf } from './progress-bar.tsx';

/** What a running job does, in a few words, and the screen that shows it. */
export function describeJob(job: JobEntry): { text: string; screen: ScreenId } {
  const s = job.subject;
  if (!s) return { text: `${job.kind.charAt(0).toUpperCase()}${job.kind.slice(1)} running`, screen: job.kind === 'drill' ? 'drills' : job.kind === 'restore' ? 'restore' : 'backups' };
  switch (s.kind) {
    case 'backup':
      return { text: `Backing up ${s.profileName}`, screen: 'backups' };
    case 'verify':
      return { text: `Verifying ${baseName(s.path)}`, screen: 'backups' };
    case 'restore':
      return { text: `Restoring into ${s.database}`, screen: 'restore' };
    case 'run-restore':
      return { text: `Restoring ${s.name}`, screen: 'backups' };
    case 'drill':
      return { text: `Drilling ${s.name}`, screen: s.run ? 'backups' : 'drills' };
    case 'copy':
      return { text: `Copying to ${s.destinationName}`, screen: 'backups' };
    case 'remote':
      return { text: `${s.action === 'verify' ? 'Verifying' : 'Downloading'} ${s.name}`, screen: s.action === 'restore' ? 'restore' : 'backups' };
  }
}

export function SidebarJobs() {
  const jobs = useJobsStore((s) => s.jobs);
  const navigate = useAppStore((s) => s.navigate);
  const running = Object.values(jobs).filter(isRunning);
  if (running.length === 0) return null;
  return (
    <ul className="sidebar-jobs" aria-label="Running jobs">
      {running.map((job) => {
        const { text, screen } = describeJob(job);
        const percent = percentOf(job.progress?.fraction ?? null);
        return (
          <li key={job.jobId}>
            <button type="button" className="sidebar-job" onClick={() => navigate(screen)}>
              <span className="spinner spinner-sm" aria-hidden="true" />
              <span className="sidebar-job-text">{visibleText(text)}</span>
              {percent ? <span className="sidebar-job-percent">{percent}</span> : null}
            </button>
          </li>
        );
      })}
    </ul>
  );
}
