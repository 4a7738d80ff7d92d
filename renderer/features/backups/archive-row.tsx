import { useId, useRef, useState } from 'react';
import { visibleText } from '../../../main/engine/name-text.ts';
import type { ArchiveEntry, ErrorInfo, VerificationRecord } from '../../../main/ipc/contract.ts';
import { ConfirmBar } from '../../components/confirm-bar.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { baseName, ENCRYPTION_LABEL, formatBytes, formatCount, formatDate, formatDateTime, formatEta, formatRate } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { percentOf, ProgressBar } from '../../components/progress-bar.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useDrillsStore } from '../../stores/drills-store.ts';
import { isRunning, useJobsStore } from '../../stores/jobs-store.ts';
import { useLibraryStore } from '../../stores/library-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';
import { DrillBadge } from '../drills/drill-badge.tsx';
import { CopyMenu, useDestinationsFor } from '../offsite/copy-menu.tsx';
import { CopyStates } from '../offsite/copy-states.tsx';

export function ArchiveRow({ entry, onDetails }: { entry: ArchiveEntry; onDetails: () => void }) {
  const { sidecar } = entry;
  const job = useJobsStore((s) => Object.values(s.jobs).find((j) => j.kind === 'verify' && j.subject?.kind === 'verify' && j.subject.path === entry.path));
  const drilling = useJobsStore((s) => Object.values(s.jobs).some((j) => j.kind === 'drill' && isRunning(j) && j.subject?.kind === 'drill' && j.subject.file === entry.path));
  const startVerify = useJobsStore((s) => s.startVerify);
  const cancel = useJobsStore((s) => s.cancel);
  const dismiss = useJobsStore((s) => s.dismiss);
  const remove = useLibraryStore((s) => s.remove);
  const reveal = useLibraryStore((s) => s.reveal);
  const startDrill = useDrillsStore((s) => s.start);
  const navigate = useAppStore((s) => s.navigate);
  const announce = useAppStore((s) => s.announce);
  const [confirming, setConfirming] = useState(false);
  const [copying, setCopying] = useState(false);
  const destinations = useDestinationsFor(sidecar.profile);
  const copyRef = useRef<HTMLButtonElement>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const deleteRef = useRef<HTMLButtonElement>(null);
  const uid = useId();
  const fileName = baseName(entry.path);
  const verifying = job !== undefined && isRunning(job);
  // Failures the sidecar does not record (no key, wrong key) are shown from the job itself.
  const failed = job?.outcome && !job.outcome.ok && job.outcome.error.code !== 'CANCELLED' ? job.outcome.error : null;
  const recorded = failed !== null && sidecar.verification?.ok === false && sidecar.verification.message === failed.message;
  const jobError = recorded ? null : failed;

  const verify = async (level: 'quick' | 'full') => {
    setError(null);
    try {
      await startVerify(entry.path, level);
    } catch (e) {
      setError(toErrorInfo(e));
    }
  };

  // Opens Drills, where the drill's phases and verdict are shown.
  const drill = async () => {
    setError(null);
    try {
      await startDrill(entry.path);
      navigate('drills');
    } catch (e) {
      setError(toErrorInfo(e));
    }
  };

  const runDelete = async () => {
    try {
      await remove(entry.path);
      announce(`Deleted ${fileName}.`);
    } catch (e) {
      setConfirming(false);
      setError(toErrorInfo(e));
    }
  };

  const rows = sidecar.totalRows === null ? null : `${formatCount(sidecar.totalRows)} rows`;

  return (
    <li>
      <article className="archive-row" aria-labelledby={`${uid}-when ${uid}-what`}>
        <div className="archive-main">
          <span className={sidecar.encryption.kind === 'none' ? 'archive-icon archive-icon-warn' : 'archive-icon'} aria-hidden="true">
            <Icon name={sidecar.encryption.kind === 'none' ? 'unlock' : 'archive'} />
          </span>
          <div className="archive-text">
            <h3 className="archive-title">
              <span id={`${uid}-when`}>{formatDateTime(sidecar.createdAt)}</span>
              {entry.problem ? (
                <span className="badge badge-err" title={visibleText(entry.problem.fix)}>
                  <Icon name="alert" />
                  Problem
                </span>
              ) : (
                <StatusBadge verification={sidecar.verification} partial={sidecar.partial === true} />
              )}
              <DrillBadge drill={sidecar.drill} />
            </h3>
            <p className="archive-source" id={`${uid}-what`}>
              {/* Names from the sidecar (any file in the folder): bidi and control characters show as escapes. */}
              {visibleText(sidecar.profile)} · {visibleText(sidecar.database)}
            </p>
            <ul className="archive-meta" aria-label="Facts">
              <li>PostgreSQL {visibleText(sidecar.serverVersion)}</li>
              <li>{formatBytes(sidecar.bytes)}</li>
              <li className={sidecar.encryption.kind === 'none' ? 'text-warn' : undefined}>
                <Icon name={sidecar.encryption.kind === 'none' ? 'unlock' : 'lock'} />
                {ENCRYPTION_LABEL[sidecar.encryption.kind]}
              </li>
              <li>
                {sidecar.tables} table{sidecar.tables === 1 ? '' : 's'}
                {rows ? ` · ${rows}` : ''}
              </li>
            </ul>
            <p className="archive-file">
              <code title={visibleText(entry.path)}>{visibleText(fileName)}</code>
            </p>
            <CopyStates file={entry.path} />
          </div>
          <div className="archive-actions">
            <button type="button" className="btn btn-sm" onClick={onDetails}>
              Details
            </button>
            <button type="button" className="btn btn-sm" onClick={() => void verify('quick')} disabled={verifying} title="Checks the file’s SHA-256 against its sidecar">
              Verify
            </button>
            <button type="button" className="btn btn-sm" onClick={() => void verify('full')} disabled={verifying} title="Decrypts everything, checks every hash, and lets pg_restore read the table of contents">
              Verify fully
            </button>
            <button
              type="button"
              className="btn btn-sm"
              onClick={() => void drill()}
              disabled={drilling}
              title="Restores it into a scratch database and compares every table with the backup (opens Drills)"
            >
              {drilling ? 'Drilling…' : 'Drill'}
            </button>
            {destinations.length > 0 && !entry.problem ? (
              <button type="button" className="btn btn-sm" ref={copyRef} onClick={() => setCopying((open) => !open)} aria-expanded={copying} title="Copies it to an offsite destination of its connection">
                Copy to…
              </button>
            ) : null}
            <button
              type="button"
              className="btn btn-icon"
              aria-label="Reveal in folder"
              title="Reveal in folder"
              onClick={() => {
                setError(null);
                reveal(entry.path).catch((e: unknown) => setError(toErrorInfo(e)));
              }}
            >
              <Icon name="folder" />
            </button>
            <button
              type="button"
              className="btn btn-icon btn-icon-danger"
              aria-label="Delete"
              title="Delete"
              ref={deleteRef}
              onClick={() => setConfirming(true)}
              aria-expanded={confirming}
              disabled={verifying}
            >
              <Icon name="trash" />
            </button>
          </div>
        </div>

        {entry.problem ? (
          <p className="archive-problem">
            {visibleText(entry.problem.message)} {visibleText(entry.problem.fix)}
          </p>
        ) : null}
        {sidecar.verification && !sidecar.verification.ok && !verifying ? <p className="archive-problem">{visibleText(sidecar.verification.message)}</p> : null}

        {verifying && job ? (
          <div className="row-progress" aria-busy="true">
            <div className="row-progress-line">
              <span className="spinner" aria-hidden="true" />
              <span className="row-progress-phase">
                {job.cancelling ? 'Cancelling…' : `${job.subject?.kind === 'verify' && job.subject.level === 'full' ? 'Full verification' : 'Quick verification'}: ${job.progress?.phase || 'starting'}`}
              </span>
              <span className="muted">
                {formatBytes(job.progress?.bytes ?? 0)} · {formatRate(job.progress?.bytesPerSecond ?? null)}
                {job.progress?.etaSeconds != null ? ` · ${formatEta(job.progress.etaSeconds)} left` : ''}
              </span>
              <span className="job-percent">{percentOf(job.progress?.fraction ?? null)}</span>
              <button type="button" className="btn btn-sm" onClick={() => void cancel(job.jobId)} disabled={job.cancelling}>
                Cancel
              </button>
            </div>
            <ProgressBar fraction={job.progress?.fraction ?? null} label={`Verifying ${fileName}`} />
          </div>
        ) : null}

        {jobError && job ? (
          <div className="row-error">
            <ErrorMessage error={jobError} title="Could not verify" />
            <button type="button" className="btn btn-icon" aria-label="Dismiss" title="Dismiss" onClick={() => dismiss(job.jobId)}>
              <Icon name="x" />
            </button>
          </div>
        ) : null}

        {copying ? (
          <CopyMenu
            file={entry.path}
            archiveName={fileName}
            destinations={destinations}
            onClose={() => {
              setCopying(false);
              copyRef.current?.focus();
            }}
          />
        ) : null}

        {confirming ? (
          <ConfirmBar
            labelId={`${uid}-confirm`}
            message={(
              <>
                Delete <code>{fileName}</code>? The archive and its sidecar are removed from disk; this cannot be undone.
              </>
            )}
            confirmLabel="Delete archive"
            onConfirm={runDelete}
            onCancel={() => {
              setConfirming(false);
              deleteRef.current?.focus();
            }}
          />
        ) : null}

        {error ? <ErrorMessage error={error} /> : null}
      </article>
    </li>
  );
}

export function StatusBadge({ verification, partial }: { verification: VerificationRecord | undefined; partial: boolean }) {
  if (verification?.ok) {
    return (
      <span className="badge badge-ok" title={verification.message}>
        <Icon name="check" />
        Verified ({verification.level}) · {formatDate(verification.at)}
      </span>
    );
  }
  if (verification) {
    return (
      <span className="badge badge-err" title={verification.message}>
        <Icon name="alert" />
        Verification failed · {formatDate(verification.at)}
      </span>
    );
  }
  if (partial) {
    return (
      <span className="badge badge-warn" title="Listed from the file alone: Lifeboat could not read what is inside (no key, or the file is damaged).">
        Contents unread
      </span>
    );
  }
  return <span className="badge">Not verified yet</span>;
}
