// The archive's full-width second row in the library table: what is wrong with it (a problem, a
// failed verification), a verification running (its progress and Cancel), and — opened with
// "More" — its facts and the less frequent actions: details, full verification, an offsite copy,
// reveal and delete (with its confirmation bar and the copy menu under them).
import { useId, useRef, useState, type RefObject } from 'react';
import { visibleText } from '../../../main/engine/name-text.ts';
import type { ArchiveEntry, ErrorInfo } from '../../../main/ipc/contract.ts';
import { ConfirmBar } from '../../components/confirm-bar.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { moveFocusTo } from '../../components/focus-after-removal.ts';
import { baseName, ENCRYPTION_LABEL, formatBytes, formatCount, formatEta, formatRate, hostPort } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { percentOf, ProgressBar } from '../../components/progress-bar.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useJobsStore, type JobEntry } from '../../stores/jobs-store.ts';
import { useLibraryStore } from '../../stores/library-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';
import { CopyMenu, useDestinationsFor } from '../offsite/copy-menu.tsx';
import type { ArchiveActions } from './archive-actions.ts';
import type { VerifyView } from './library-model.ts';

interface PanelProps {
  entry: ArchiveEntry;
  view: VerifyView;
  actions: ArchiveActions;
  expanded: boolean;
  onDetails(): void;
}

export function ArchiveDetailPanel({ entry, view, actions, expanded, onDetails }: PanelProps) {
  const dismiss = useJobsStore((s) => s.dismiss);
  const { job, verifying, jobError, recordedFailure } = view;
  return (
    <div className="library-detail-body">
      {entry.problem ? (
        <p className="archive-problem">
          {visibleText(entry.problem.message)} {visibleText(entry.problem.fix)}
        </p>
      ) : null}
      {recordedFailure !== null ? <p className="archive-problem">{visibleText(recordedFailure)}</p> : null}
      {verifying && job ? <VerifyProgress job={job} fileName={baseName(entry.path)} /> : null}
      {jobError && job ? (
        <div className="row-error">
          <ErrorMessage error={jobError} title="Could not verify" />
          <button type="button" className="btn btn-icon" aria-label="Dismiss" title="Dismiss" onClick={() => dismiss(job.jobId)}>
            <Icon name="x" />
          </button>
        </div>
      ) : null}
      {expanded ? <MoreArea entry={entry} actions={actions} verifying={verifying} onDetails={onDetails} /> : null}
      {actions.error ? <ErrorMessage error={actions.error} /> : null}
    </div>
  );
}

function VerifyProgress({ job, fileName }: { job: JobEntry; fileName: string }) {
  const cancel = useJobsStore((s) => s.cancel);
  const { progress } = job;
  const level = job.subject?.kind === 'verify' && job.subject.level === 'full' ? 'Full verification' : 'Quick verification';
  return (
    <div className="row-progress" aria-busy="true">
      <div className="row-progress-line">
        <span className="spinner" aria-hidden="true" />
        <span className="row-progress-phase">{job.cancelling ? 'Cancelling…' : `${level}: ${progress?.phase || 'starting'}`}</span>
        <span className="muted">
          {formatBytes(progress?.bytes ?? 0)} · {formatRate(progress?.bytesPerSecond ?? null)}
          {progress?.etaSeconds != null ? ` · ${formatEta(progress.etaSeconds)} left` : ''}
        </span>
        <span className="job-percent">{percentOf(progress?.fraction ?? null)}</span>
        <button type="button" className="btn btn-sm" onClick={() => void cancel(job.jobId)} disabled={job.cancelling}>
          Cancel
        </button>
      </div>
      <ProgressBar fraction={progress?.fraction ?? null} label={`Verifying ${fileName}`} />
    </div>
  );
}

/** The facts the dense row leaves out, and the actions that do not fit in it. */
function MoreArea({ entry, actions, verifying, onDetails }: { entry: ArchiveEntry; actions: ArchiveActions; verifying: boolean; onDetails(): void }) {
  const reveal = useLibraryStore((s) => s.reveal);
  const destinations = useDestinationsFor(entry.sidecar.profile);
  const [copying, setCopying] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const copyRef = useRef<HTMLButtonElement>(null);
  const deleteRef = useRef<HTMLButtonElement>(null);
  const fileName = baseName(entry.path);

  return (
    <>
      <ArchiveFacts entry={entry} />
      <div className="library-more-actions" role="group" aria-label={`More for ${visibleText(fileName)}`}>
        <button type="button" className="btn btn-sm" onClick={onDetails}>
          <Icon name="info" />
          Details
        </button>
        <button type="button" className="btn btn-sm" onClick={() => void actions.verify('full')} disabled={verifying} title="Decrypts everything, checks every hash, and lets pg_restore read the table of contents">
          Verify fully
        </button>
        {destinations.length > 0 && !entry.problem ? (
          <button type="button" className="btn btn-sm" ref={copyRef} onClick={() => setCopying((open) => !open)} aria-expanded={copying} title="Copies it to an offsite destination of its connection">
            <Icon name="upload" />
            Copy to…
          </button>
        ) : null}
        <button
          type="button"
          className="btn btn-sm"
          onClick={() => {
            actions.setError(null);
            reveal(entry.path).catch((e: unknown) => actions.setError(toErrorInfo(e)));
          }}
        >
          <Icon name="folder" />
          Reveal in folder
        </button>
        <button type="button" className="btn btn-sm library-delete" ref={deleteRef} onClick={() => setConfirming(true)} aria-expanded={confirming} disabled={verifying}>
          <Icon name="trash" />
          Delete
        </button>
      </div>
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
        <DeleteBar
          entry={entry}
          trigger={deleteRef}
          onCancel={() => setConfirming(false)}
          onError={(error) => {
            setConfirming(false);
            actions.setError(error);
          }}
        />
      ) : null}
    </>
  );
}

/** "Delete …? cannot be undone": then the focus goes to the archive that takes the deleted one's place. */
function DeleteBar({ entry, trigger, onCancel, onError }: { entry: ArchiveEntry; trigger: RefObject<HTMLButtonElement | null>; onCancel(): void; onError(error: ErrorInfo): void }) {
  const remove = useLibraryStore((s) => s.remove);
  const announce = useAppStore((s) => s.announce);
  const uid = useId();
  const fileName = baseName(entry.path);

  const runDelete = async () => {
    const next = neighbourButton(trigger.current);
    try {
      await remove(entry.path);
      announce(`Deleted ${fileName}.`);
      moveFocusTo(next, () => document.querySelector<HTMLElement>('.library-scroll'));
    } catch (e) {
      onError(toErrorInfo(e));
    }
  };

  return (
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
        onCancel();
        trigger.current?.focus();
      }}
    />
  );
}

function ArchiveFacts({ entry }: { entry: ArchiveEntry }) {
  const { sidecar } = entry;
  const rows = sidecar.totalRows === null ? '' : ` · ${formatCount(sidecar.totalRows)} rows`;
  return (
    <ul className="archive-meta library-facts" aria-label="Facts">
      <li>
        <code title={visibleText(entry.path)}>{visibleText(baseName(entry.path))}</code>
      </li>
      {/* Names from the sidecar (any file in the folder): bidi and control characters show as escapes. */}
      <li>
        {visibleText(sidecar.profile)} · {visibleText(sidecar.database)} on {visibleText(hostPort(sidecar.host, sidecar.port))}
      </li>
      <li>PostgreSQL {visibleText(sidecar.serverVersion)}</li>
      <li>
        {sidecar.tables} table{sidecar.tables === 1 ? '' : 's'}
        {rows}
      </li>
      <li className={sidecar.encryption.kind === 'none' ? 'text-warn' : undefined}>{ENCRYPTION_LABEL[sidecar.encryption.kind]}</li>
    </ul>
  );
}

/** A button of the archive that takes a deleted one's place (the next, else the previous), read before the removal. */
function neighbourButton(from: Element | null): HTMLElement | null {
  const own = from?.closest('tbody');
  for (const step of ['nextElementSibling', 'previousElementSibling'] as const) {
    let sibling = own?.[step] ?? null;
    while (sibling && !sibling.hasAttribute('data-index')) sibling = sibling[step];
    const button = sibling?.querySelector<HTMLElement>('button');
    if (button) return button;
  }
  return null;
}
