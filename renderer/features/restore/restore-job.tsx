// A running restore (phase, bar, current object, speed, Cancel), then what it did: the verification,
// the kept copy of a replaced database (and how to undo), or why it failed and that nothing changed.
import { useId, useRef, useState } from 'react';
import type { ErrorInfo, RestoreResult } from '../../../main/ipc/contract.ts';
import { CancelledCallout } from '../../components/cancelled-callout.tsx';
import { ConfirmBar } from '../../components/confirm-bar.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { formatCount, formatDuration, formatEta } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { visibleText } from '../../../main/engine/name-text.ts';
import { JobDone } from '../../components/job-done.tsx';
import { JobProgressCard } from '../../components/job-progress.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { isRunning, type JobEntry, type JobSubject } from '../../stores/jobs-store.ts';
import { useLibraryStore } from '../../stores/library-store.ts';
import { useRestoreStore } from '../../stores/restore-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';

type RestoreSubject = Extract<JobSubject, { kind: 'restore' }>;

export function RestoreJob({ job }: { job: JobEntry }) {
  const subject = job.subject?.kind === 'restore' ? job.subject : null;
  if (isRunning(job)) return <RestoreProgress job={job} subject={subject} />;
  const outcome = job.outcome!;
  if (outcome.ok && outcome.kind === 'restore' && outcome.value) return <RestoreDone result={outcome.value} subject={subject} />;
  if (!outcome.ok) return <RestoreFailed error={outcome.error} subject={subject} />;
  return null;
}

function progressTitle(subject: RestoreSubject | null): string {
  if (!subject) return 'Restoring';
  if (subject.mode === 'replace') return `Replacing “${subject.database}”`;
  if (subject.mode === 'data-only') return `Restoring rows into “${subject.database}”`;
  return `Restoring into “${subject.database}”`;
}

/**
 * The engine estimates the time left while the data is restored (from the file read so far, or
 * pg_restore's items); before that (checks, the safety backup) and after (verifying, swapping) it
 * has no measure, and the card says so instead of guessing.
 */
function restoreTimeLeft(progress: JobEntry['progress']): string {
  if (progress?.etaSeconds != null) return formatEta(progress.etaSeconds);
  return /^(Restoring|Decrypting)/.test(progress?.phase ?? '') ? 'estimating…' : '—';
}

function RestoreProgress({ job, subject }: { job: JobEntry; subject: RestoreSubject | null }) {
  const p = job.progress;
  const message = p?.message && p.message !== subject?.database ? p.message : null;
  const server = subject?.profileName ? `on ${subject.profileName}` : null;
  return (
    <JobProgressCard
      job={job}
      title={progressTitle(subject)}
      phase={p?.phase || 'Starting'}
      detail={[message, server].filter(Boolean).join(' · ') || null}
      itemLabel="Current object"
      bytesLabel="Read"
      extra={{ label: 'Time left', value: restoreTimeLeft(p) }}
      footer={<p className="hint">Cancel at any moment: what the restore created is removed, and nothing else has been changed.</p>}
    />
  );
}

function doneTitle(result: RestoreResult): string {
  if (result.mode === 'replace') return `“${result.database}” replaced from the backup`;
  if (result.mode === 'data-only') return `Rows restored into “${result.database}”`;
  return `Restored into “${result.database}”`;
}

function RestoreDone({ result, subject }: { result: RestoreResult; subject: RestoreSubject | null }) {
  const dismissResult = useRestoreStore((s) => s.dismissResult);
  const reveal = useLibraryStore((s) => s.reveal);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const { verification } = result;
  const checks = [...verification.mismatches, ...verification.checked.filter((c) => c.expected === c.actual)];
  const rows = verification.checked.reduce((sum, c) => sum + c.actual, 0);
  const facts = [
    { label: 'Duration', value: formatDuration(result.durationMs) },
    { label: 'Tables checked', value: formatCount(verification.checked.length) },
    { label: 'Rows verified', value: verification.checked.length ? formatCount(rows) : '—' },
    { label: 'Mismatches', value: formatCount(verification.mismatches.length), className: verification.mismatches.length ? 'text-err' : undefined },
  ];
  const doneButton = (
    <button type="button" className="btn" onClick={dismissResult}>
      Done
    </button>
  );

  return (
    <JobDone
      className="restore-done"
      title={doneTitle(result)}
      subtitle={
        <>
          From the {result.source}
          {subject ? ` · on ${subject.profileName}` : ''}
        </>
      }
      action={doneButton}
      facts={facts}
    >

      <p className={verification.mismatches.length ? 'status-warn' : 'status-ok'}>
        <Icon name={verification.mismatches.length ? 'alert' : 'shield'} />
        <span>
          <strong>Verified:</strong> {verification.note}
        </span>
      </p>

      {checks.length ? (
        <div className="table-wrap table-scroll" tabIndex={0} role="region" aria-label="Row counts per table">
          <table className="table">
            <caption className="sr-only">Row counts per table: recorded in the backup and found after restoring; mismatches first</caption>
            <thead>
              <tr>
                <th scope="col">Table</th>
                <th scope="col" className="num">
                  In the backup
                </th>
                <th scope="col" className="num">
                  Restored
                </th>
                <th scope="col">Match</th>
              </tr>
            </thead>
            <tbody>
              {checks.map((c) => {
                const ok = c.expected === c.actual;
                return (
                  <tr key={c.table} className={ok ? undefined : 'row-mismatch'}>
                    <th scope="row">
                      <code>{c.table}</code>
                    </th>
                    <td className="num">{formatCount(c.expected)}</td>
                    <td className="num">{formatCount(c.actual)}</td>
                    <td>
                      <span className={ok ? 'match match-ok' : 'match match-bad'}>
                        <span aria-hidden="true">{ok ? '✓' : '✗'}</span>
                        {ok ? 'equal' : 'differs'}
                      </span>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}

      {result.tolerated.length || result.createdRoles.length || result.endedSessions || result.leastPrivilege ? (
        <div className="notes">
          <h3 className="tools-heading">Notes</h3>
          <ul>
            {result.tolerated.map((t) => (
              <li key={t}>
                <Icon name="info" />
                <span>Tolerated: {t}.</span>
              </li>
            ))}
            {result.createdRoles.length ? (
              <li>
                <Icon name="info" />
                <span>
                  Created roles (without passwords): {result.createdRoles.map((r) => <code key={r}>{r} </code>)}— give them passwords before anyone logs in as them.
                </span>
              </li>
            ) : null}
            {result.leastPrivilege ? (
              <li>
                <Icon name="info" />
                <span>
                  This file was not made by this Lifeboat, so it ran as a temporary role without superuser rights
                  {result.leastPrivilege.standInFor.length ? (
                    <>
                      ; what it gave to {result.leastPrivilege.standInFor.map((r) => <code key={r}>{visibleText(r)} </code>)}belongs to <code>lifeboat_restored</code>, a role without rights
                    </>
                  ) : null}
                  .
                </span>
              </li>
            ) : null}
            {result.endedSessions ? (
              <li>
                <Icon name="info" />
                <span>
                  {result.endedSessions} session{result.endedSessions === 1 ? ' was' : 's were'} ended at the swap.
                </span>
              </li>
            ) : null}
          </ul>
        </div>
      ) : null}

      {result.safetyBackup || result.fileSha256 ? (
        <dl className="kv">
          {result.safetyBackup ? (
            <div>
              <dt>Safety backup</dt>
              <dd className="path-line">
                <code>{result.safetyBackup.archive}</code>
                <button
                  type="button"
                  className="btn btn-sm"
                  onClick={() => {
                    setError(null);
                    reveal(result.safetyBackup!.archive).catch((e: unknown) => setError(toErrorInfo(e)));
                  }}
                >
                  <Icon name="folder" />
                  Reveal in folder
                </button>
              </dd>
            </div>
          ) : null}
          {result.fileSha256 ? (
            <div>
              <dt>File SHA-256</dt>
              <dd>
                <code className="hash">{result.fileSha256}</code>
              </dd>
            </div>
          ) : null}
        </dl>
      ) : null}

      {result.keptDatabase && subject ? <KeptCopy result={result} keptDatabase={result.keptDatabase} profileId={subject.profileId} /> : null}
      {error ? <ErrorMessage error={error} /> : null}
    </JobDone>
  );
}

/** The previous database a replace kept: how to go back, and how to drop it when no longer needed. */
function KeptCopy({ result, keptDatabase, profileId }: { result: RestoreResult; keptDatabase: string; profileId: string }) {
  const dropKept = useRestoreStore((s) => s.dropKept);
  const announce = useAppStore((s) => s.announce);
  const [confirming, setConfirming] = useState(false);
  const [dropping, setDropping] = useState(false);
  const [dropped, setDropped] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const dropRef = useRef<HTMLButtonElement>(null);
  const uid = useId();

  const runDrop = async () => {
    setError(null);
    setDropping(true);
    try {
      await dropKept(profileId, keptDatabase);
      setDropped(true);
      setConfirming(false);
      announce(`Dropped ${keptDatabase}.`);
    } catch (e) {
      setError(toErrorInfo(e));
      setConfirming(false);
    } finally {
      setDropping(false);
    }
  };

  if (dropped) {
    return (
      <p className="status-ok kept-dropped" role="status">
        <Icon name="check" />
        <span>
          Dropped the kept copy “{keptDatabase}”. The safety backup{result.safetyBackup ? '' : ', if any,'} is the way back now.
        </span>
      </p>
    );
  }

  return (
    <div className="kept" role="group" aria-labelledby={`${uid}-title`}>
      <p className="kept-title" id={`${uid}-title`}>
        <Icon name="database" />
        <span>
          The previous database is kept as <code>{keptDatabase}</code>
        </span>
      </p>
      <p className="kept-undo">
        <Icon name="undo" />
        <span>
          <strong>To undo:</strong> rename “{result.database}” to another name, then rename “{keptDatabase}” back to “{result.database}”. For example, in psql connected to another database:{' '}
          <code className="hash">
            ALTER DATABASE "{result.database}" RENAME TO "{result.database}_from_backup"; ALTER DATABASE "{keptDatabase}" RENAME TO "{result.database}";
          </code>
        </span>
      </p>
      {confirming ? (
        <ConfirmBar
          labelId={`${uid}-confirm`}
          message={(
            <>
              Drop <code>{keptDatabase}</code>? Its data is removed from the server and the undo above is no longer possible.
            </>
          )}
          confirmLabel="Drop database"
          onConfirm={() => void runDrop()}
          onCancel={() => {
            setConfirming(false);
            dropRef.current?.focus();
          }}
          busy={dropping}
        />
      ) : (
        <div>
          <button type="button" className="btn" ref={dropRef} onClick={() => setConfirming(true)} aria-expanded={confirming}>
            <Icon name="trash" />
            Drop the kept copy
          </button>
        </div>
      )}
      {error ? <ErrorMessage error={error} title="The kept copy was not dropped" /> : null}
    </div>
  );
}

function RestoreFailed({ error, subject }: { error: ErrorInfo; subject: RestoreSubject | null }) {
  const dismissResult = useRestoreStore((s) => s.dismissResult);
  const uid = useId();
  const what =
    subject?.mode === 'replace'
      ? `“${subject.database}” is as it was; the copy being restored was removed.`
      : subject?.mode === 'data-only'
        ? `The rows are added in one transaction, which was rolled back: “${subject.database}” is as it was.`
        : `The new database${subject ? ` “${subject.database}”` : ''} was removed; nothing else was touched.`;
  const backButton = (
    <button type="button" className="btn" onClick={dismissResult}>
      Back to the checklist
    </button>
  );
  if (error.code === 'CANCELLED') return <CancelledCallout className="restore-failed" title="Restore cancelled; nothing was changed." detail={what} action={backButton} />;
  return (
    <section className="card restore-failed" aria-labelledby={`${uid}-title`}>
      <h2 id={`${uid}-title`} className="sr-only">
        The restore did not complete
      </h2>
      <ErrorMessage error={error} title={`${progressTitle(subject)} did not complete`} />
      <p className="status-none nothing-changed">
        <Icon name="shield" />
        <span>
          <strong>Nothing was changed.</strong> {what}
        </span>
      </p>
      <div className="form-actions">{backButton}</div>
    </section>
  );
}

