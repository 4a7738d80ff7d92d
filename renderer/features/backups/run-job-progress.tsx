// A whole run's drill or restore in progress: what the engine says it is doing ("shop: Restoring
// (1 of 2)"), the share done, and Cancel.
import { visibleText } from '../../../main/engine/name-text.ts';
import { percentOf, ProgressBar } from '../../components/progress-bar.tsx';
import { useJobsStore, type JobEntry } from '../../stores/jobs-store.ts';

export function RunJobProgress({ job, what, className }: { job: JobEntry; what: string; className?: string }) {
  const cancel = useJobsStore((s) => s.cancel);
  const p = job.progress;
  const doing = job.cancelling ? 'Cancelling…' : p?.message || p?.phase || 'Starting';
  return (
    <div className={`row-progress${className ? ` ${className}` : ''}`} aria-busy="true">
      <div className="row-progress-line">
        <span className="spinner" aria-hidden="true" />
        <span className="row-progress-phase" aria-live="polite">
          {what}: {visibleText(doing)}
        </span>
        <span className="job-percent">{percentOf(p?.fraction ?? null)}</span>
        <button type="button" className="btn btn-sm" onClick={() => void cancel(job.jobId)} disabled={job.cancelling}>
          Cancel
        </button>
      </div>
      <ProgressBar fraction={p?.fraction ?? null} label={what} valueText={visibleText(doing)} />
    </div>
  );
}
