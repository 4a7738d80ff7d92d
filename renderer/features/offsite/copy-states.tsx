// An archive's offsite copies in its library row: per destination, a copy running in this window
// (its percentage, and Cancel), or what the copy records say (verified, unfinished, failed and why).
import { visibleText } from '../../../main/engine/name-text.ts';
import type { CopyState, ErrorInfo } from '../../../main/ipc/contract.ts';
import { formatDateTime } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { percentOf } from '../../components/progress-bar.tsx';
import { isRunning, useJobsStore, type JobEntry } from '../../stores/jobs-store.ts';
import { useOffsiteStore } from '../../stores/offsite-store.ts';

/** One destination's copy of the archive, as the row shows it. */
interface CopyView {
  destinationId: string;
  name: string;
  job: JobEntry | undefined;
  state: CopyState | undefined;
}

function copyViews(file: string, jobs: Record<string, JobEntry>, states: CopyState[]): CopyView[] {
  const views = new Map<string, CopyView>();
  for (const state of states) if (state.archive === file) views.set(state.destinationId, { destinationId: state.destinationId, name: state.destinationName, job: undefined, state });
  for (const job of Object.values(jobs)) {
    if (job.kind !== 'copy' || job.subject?.kind !== 'copy' || job.subject.file !== file) continue;
    const { destinationId, destinationName } = job.subject;
    views.set(destinationId, { destinationId, name: destinationName, state: views.get(destinationId)?.state, job });
  }
  return [...views.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function CopyStates({ file }: { file: string }) {
  const jobs = useJobsStore((s) => s.jobs);
  const states = useOffsiteStore((s) => s.states);
  const views = copyViews(file, jobs, states);
  if (views.length === 0) return null;
  const failures = views.flatMap((v) => {
    const error = failureOf(v);
    return error ? [{ view: v, error }] : [];
  });
  return (
    <>
      <ul className="copy-states" aria-label="Offsite copies">
        {views.map((v) => (
          <CopyChip key={v.destinationId} view={v} />
        ))}
      </ul>
      {failures.map(({ view, error }) => (
        <CopyFailure key={view.destinationId} view={view} error={error} />
      ))}
    </>
  );
}

/** The error to show for a copy: its job's in this window (a failure the records may not hold), else the record's. */
function failureOf({ job, state }: CopyView): ErrorInfo | null {
  if (job) return job.outcome && !job.outcome.ok && job.outcome.error.code !== 'CANCELLED' ? job.outcome.error : null;
  return state?.state === 'failed' && state.error && state.error.code !== 'CANCELLED' ? state.error : null;
}

function CopyChip({ view }: { view: CopyView }) {
  const cancel = useJobsStore((s) => s.cancel);
  const { job, state, name } = view;
  if (job && isRunning(job)) {
    const fraction = job.progress?.fraction ?? null;
    const verifying = job.progress?.phase === 'Verifying';
    return (
      <li className="copy-state copy-running" title={`Copying to ${name}`}>
        <span className="spinner spinner-sm" aria-hidden="true" />
        {name} {job.cancelling ? 'cancelling…' : verifying ? 'verifying…' : fraction === null ? 'starting…' : percentOf(fraction)}
        {job.cancelling ? null : (
          <button type="button" className="copy-cancel" aria-label={`Cancel the copy to ${name}`} title="Cancel: the next copy to this destination resumes where this one stopped" onClick={() => void cancel(job.jobId)}>
            <Icon name="x" />
          </button>
        )}
      </li>
    );
  }
  if (failureOf(view)) {
    return (
      <li className="copy-state copy-failed">
        <Icon name="alert" />
        {name} failed
      </li>
    );
  }
  // A copy that just ended here is verified before the records are read again.
  const verified = job?.outcome?.ok && job.outcome.kind === 'copy' ? job.outcome.value : state?.state === 'verified' ? state : null;
  if (verified) {
    return (
      <li className="copy-state copy-verified" title={`Verified${verified.verifiedAt ? ` ${formatDateTime(verified.verifiedAt)}` : ''}: the store holds exactly this archive (SHA-256 ${verified.sha256.slice(0, 16)}…).`}>
        {name} <Icon name="check" /> verified
      </li>
    );
  }
  if (state?.state === 'uploading' || state?.state === 'failed') {
    // Unfinished: running in another Lifeboat (a schedule), interrupted, or cancelled — the next copy resumes.
    const done = state.bytes ? state.bytesDone / state.bytes : null;
    return (
      <li className="copy-state copy-unfinished" title="Not finished: the next copy to this destination resumes where this one stopped.">
        {name} {state.state === 'failed' ? 'stopped at' : 'unfinished,'} {percentOf(done)}
      </li>
    );
  }
  return null;
}

function CopyFailure({ view, error }: { view: CopyView; error: ErrorInfo }) {
  const dismiss = useJobsStore((s) => s.dismiss);
  return (
    <div className="copy-failure">
      <p className="archive-problem">
        <strong>{view.name} failed:</strong> {visibleText(error.message)} {error.fix ? <span className="muted">{visibleText(error.fix)}</span> : null}
      </p>
      {view.job ? (
        <button type="button" className="btn btn-icon" aria-label={`Dismiss the copy error of ${view.name}`} title="Dismiss" onClick={() => dismiss(view.job!.jobId)}>
          <Icon name="x" />
        </button>
      ) : null}
    </div>
  );
}
