import { useState, type ReactNode } from 'react';
import type { BackupResult, ErrorInfo } from '../../../main/ipc/contract.ts';
import { CancelledCallout } from '../../components/cancelled-callout.tsx';
import { DismissButton } from '../../components/dismiss-button.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { baseName, ENCRYPTION_LABEL, formatBytes, formatCount, formatDuration, formatEta } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { JobDone } from '../../components/job-done.tsx';
import { JobProgressCard } from '../../components/job-progress.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useDrillsStore } from '../../stores/drills-store.ts';
import { isHostKeyError } from '../../stores/host-key-store.ts';
import { isRunning, useJobsStore, type JobEntry } from '../../stores/jobs-store.ts';
import { useLibraryStore } from '../../stores/library-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';
import { RunSummary } from './run-summary.tsx';

/** Running backups with live progress, then each one's outcome until dismissed. */
export function BackupJobs() {
  const jobs = useJobsStore((s) => s.jobs);
  // Verifications of a known archive show in its library row; the rest show here.
  const shown = Object.values(jobs).filter((j) => j.kind === 'backup' || (j.kind === 'verify' && j.subject === null));
  if (shown.length === 0) return null;
  return (
    <div className="job-stack">
      {shown.map((job) => (isRunning(job) ? <JobProgressPanel key={job.jobId} job={job} /> : <JobOutcomePanel key={job.jobId} job={job} />))}
    </div>
  );
}

function jobTitle(job: JobEntry): string {
  if (job.subject?.kind === 'backup') return job.subject.profileName;
  if (job.subject?.kind === 'verify') return baseName(job.subject.path);
  return job.kind === 'backup' ? 'a connection' : 'an archive';
}

/** A whole-server run: its subject says so; a run re-attached without one is known by its progress message. */
function isServerRun(job: JobEntry): boolean {
  if (job.subject?.kind === 'backup' && job.subject.run !== undefined) return job.subject.run;
  return job.kind === 'backup' && /\bdatabases done\b/.test(job.progress?.message ?? '');
}

export function JobProgressPanel({ job }: { job: JobEntry }) {
  const p = job.progress;
  const title = job.kind === 'backup' ? `Backing up ${jobTitle(job)}` : `Verifying ${jobTitle(job)}`;
  const phase = p?.phase || 'Starting';
  const run = isServerRun(job);
  // A run's message ("Listing the server's databases", "2 of 6 databases done") matters in every phase; its current items are databases, not tables.
  const detail = job.kind === 'backup' && !job.cancelling && (phase === 'Dumping' || run) ? p?.message : null;
  return (
    <JobProgressCard
      job={job}
      title={title}
      phase={phase}
      detail={detail}
      itemLabel={run ? 'Dumping now' : 'Current table'}
      bytesLabel="Written"
      extra={{ label: 'Time left', value: formatEta(p?.etaSeconds ?? null) }}
    />
  );
}

function JobOutcomePanel({ job }: { job: JobEntry }) {
  const dismiss = useJobsStore((s) => s.dismiss);
  const outcome = job.outcome!;
  const dismissButton = <DismissButton onClick={() => dismiss(job.jobId)} />;

  if (!outcome.ok && outcome.error.code === 'CANCELLED') {
    return (
      <CancelledCallout
        className="job-cancelled"
        label="Backup cancelled"
        title={job.kind === 'backup' ? 'Backup cancelled; nothing was kept.' : 'Verification cancelled.'}
        detail={job.kind === 'backup' ? `No archive of ${jobTitle(job)} was written; the partial file was removed.` : 'The archive was not changed.'}
        action={dismissButton}
      />
    );
  }
  if (!outcome.ok) {
    return (
      <section className="job-failed" aria-label={job.kind === 'backup' ? 'Backup failed' : 'Verification failed'}>
        <ErrorMessage error={outcome.error} title={job.kind === 'backup' ? `Backup of ${jobTitle(job)} failed` : `Verification of ${jobTitle(job)} failed`} />
        <HostKeyReview job={job} />
        {dismissButton}
      </section>
    );
  }
  if (outcome.kind === 'backup' && outcome.run) return <RunSummary name={jobTitle(job)} run={outcome.run} action={dismissButton} />;
  if (outcome.kind === 'backup') return <BackupSummary job={job} result={outcome.value} dismissButton={dismissButton} />;
  // A remote copy's verification shows under its destination (Settings).
  if (outcome.kind !== 'verify' || outcome.remote) return null;
  return (
    <section className="callout callout-ok" aria-label="Verified">
      <Icon name="check" className="callout-icon" />
      <div className="callout-body">
        <p className="callout-title">Verified ({outcome.value.level})</p>
        <p>{outcome.value.checks.join('; ')}</p>
      </div>
      {dismissButton}
    </section>
  );
}

/** A backup refused over an SSH host key: the dialog again (it opened when the backup failed). */
function HostKeyReview({ job }: { job: JobEntry }) {
  const askHostKey = useJobsStore((s) => s.askHostKey);
  if (job.outcome?.ok !== false || job.subject?.kind !== 'backup' || !isHostKeyError(job.outcome.error)) return null;
  return (
    <button type="button" className="btn btn-sm host-key-review" onClick={() => askHostKey(job.jobId)}>
      <Icon name="shield" />
      Review the host key…
    </button>
  );
}

function BackupSummary({ job, result, dismissButton }: { job: JobEntry; result: BackupResult; dismissButton: ReactNode }) {
  const reveal = useLibraryStore((s) => s.reveal);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const encryption = result.sidecar.encryption.kind;
  const facts = [
    { label: 'Size', value: formatBytes(result.bytes) },
    { label: 'Tables', value: formatCount(result.tables) },
    { label: 'Rows', value: formatCount(result.totalRows) },
    { label: 'Duration', value: formatDuration(result.durationMs) },
  ];

  return (
    <JobDone title={`Backup of ${jobTitle(job)} complete`} subtitle={baseName(result.archive)} action={dismissButton} facts={facts}>
      <dl className="kv">
        <div>
          <dt>Archive</dt>
          <dd className="path-line">
            <code>{result.archive}</code>
            <button
              type="button"
              className="btn btn-sm"
              onClick={() => {
                setError(null);
                reveal(result.archive).catch((e: unknown) => setError(toErrorInfo(e)));
              }}
            >
              <Icon name="folder" />
              Reveal in folder
            </button>
          </dd>
        </div>
        <div>
          <dt>Encryption</dt>
          <dd className={encryption === 'none' ? 'text-warn' : undefined}>
            {ENCRYPTION_LABEL[encryption]}
            {encryption === 'x25519' ? <span className="muted"> · {result.sidecar.encryption.recipients.length} recipient{result.sidecar.encryption.recipients.length === 1 ? '' : 's'}</span> : null}
          </dd>
        </div>
        <div>
          <dt>SHA-256</dt>
          <dd>
            <code className="hash">{result.sha256}</code>
          </dd>
        </div>
      </dl>
      {result.notes.length ? (
        <div className="notes">
          <h3 className="tools-heading">Notes</h3>
          <ul>
            {result.notes.map((note) => (
              <li key={note}>
                <Icon name="info" />
                <span>{note}</span>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <BackupNextSteps archive={result.archive} onError={setError} />
      {error ? <ErrorMessage error={error} /> : null}
    </JobDone>
  );
}

/** What to do after a backup: prove it restores, and make it happen on its own. */
function BackupNextSteps({ archive, onError }: { archive: string; onError: (error: ErrorInfo | null) => void }) {
  const startDrill = useDrillsStore((s) => s.start);
  const navigate = useAppStore((s) => s.navigate);
  const drill = async () => {
    onError(null);
    try {
      await startDrill(archive);
      navigate('drills');
    } catch (e) {
      onError(toErrorInfo(e));
    }
  };
  return (
    <div className="next-steps" role="group" aria-label="Next steps">
      <span className="muted">Next:</span>
      <button type="button" className="btn btn-sm btn-primary" onClick={() => void drill()}>
        <Icon name="flask" />
        Drill it
      </button>
      <button type="button" className="btn btn-sm" onClick={() => navigate('schedules')}>
        <Icon name="calendar" />
        Schedule it
      </button>
    </div>
  );
}
