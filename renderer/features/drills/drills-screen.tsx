// Drills: prove that backups restore. Launch (scratch choice, latest backup per connection), live
// phases, the verdict with expected vs actual, and the history with the recovery-time trend.
import { useEffect, useState } from 'react';
import type { ErrorInfo } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { BACKUP_FILE_FILTERS } from '../../components/file-filters.ts';
import { Icon } from '../../components/icons.tsx';
import { ScreenHeader } from '../../components/screen-header.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useDrillsStore } from '../../stores/drills-store.ts';
import { isRunning, remoteOf, useJobsStore, type JobEntry } from '../../stores/jobs-store.ts';
import { useProfilesStore } from '../../stores/profiles-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';
import { DrillHistory } from './drill-history.tsx';
import { DrillJobFailed, DrillProgress, DrillResult } from './drill-job.tsx';
import { DrillLauncher } from './drill-launcher.tsx';

/** The drill job that finished last in this window. */
function newestFinished(jobs: Record<string, JobEntry>): JobEntry | undefined {
  let newest: JobEntry | undefined;
  // A whole run's drill shows in the library (server-runs.tsx), not as this screen's result.
  for (const job of Object.values(jobs)) if (job.kind === 'drill' && job.outcome && !(job.subject?.kind === 'drill' && job.subject.run) && (!newest || job.finishedSeq > newest.finishedSeq)) newest = job;
  return newest;
}

export function DrillsScreen() {
  const jobs = useJobsStore((s) => s.jobs);
  const view = useDrillsStore((s) => s.view);
  const start = useDrillsStore((s) => s.start);
  const loadArchives = useDrillsStore((s) => s.loadArchives);
  const loadHistory = useDrillsStore((s) => s.loadHistory);
  const drillFinished = useDrillsStore((s) => s.drillFinished);
  const loadProfiles = useProfilesStore((s) => s.load);
  const attachActive = useJobsStore((s) => s.attachActive);
  const chooseFile = useAppStore((s) => s.chooseFile);
  const [chooseError, setChooseError] = useState<ErrorInfo | null>(null);
  const running = Object.values(jobs).filter((j) => j.kind === 'drill' && isRunning(j));
  const finished = newestFinished(jobs);
  const finishedId = finished?.jobId;

  useEffect(() => {
    void loadProfiles();
    void loadArchives();
    void loadHistory();
    void attachActive().catch(() => {});
  }, [loadProfiles, loadArchives, loadHistory, attachActive]);

  // A drill ended (started here, from the library, or after a backup): refresh, and show it unless
  // the user is watching another drill that is still running.
  useEffect(() => {
    if (finishedId) drillFinished(finishedId);
  }, [finishedId, drillFinished]);

  const chooseAndDrill = async () => {
    setChooseError(null);
    try {
      const file = await chooseFile('Choose a backup to drill', BACKUP_FILE_FILTERS);
      if (file) await start(file);
    } catch (e) {
      setChooseError(toErrorInfo(e));
    }
  };

  const shownJob = view?.kind === 'job' ? jobs[view.jobId] : undefined;
  let result = null;
  if (view?.kind === 'record') result = <DrillResult key={view.record.id} record={view.record} fresh={false} />;
  else if (shownJob?.outcome?.ok && shownJob.outcome.kind === 'drill' && shownJob.outcome.value) result = <DrillResult key={shownJob.jobId} record={shownJob.outcome.value} fresh remote={remoteOf(shownJob)} />;
  else if (shownJob?.outcome && !shownJob.outcome.ok) result = <DrillJobFailed job={shownJob} />;

  return (
    <div className="screen screen-wide">
      <ScreenHeader
        title="Drills"
        subtitle="Prove that your backups restore — and measure how long it takes."
        actions={
          <button type="button" className="btn" onClick={() => void chooseAndDrill()}>
            <Icon name="folder" />
            Drill a file…
          </button>
        }
      />
      {chooseError ? <ErrorMessage error={chooseError} title="The drill could not start" /> : null}
      <DrillLauncher />
      {running.map((job) => (
        <DrillProgress key={job.jobId} job={job} />
      ))}
      {result}
      <DrillHistory />
    </div>
  );
}
