// The archives in a destination, as its sidecars there describe them: what a new computer would find.
// Each can be checked where it is (downloaded and hashed against its sidecars), downloaded into a
// folder, drilled or restored; the last two work on a temporary copy main removes when they end. A
// job on an archive shows its progress (and Cancel) in its row, then its result until dismissed.
import { useState } from 'react';
import { visibleText } from '../../../main/engine/name-text.ts';
import type { ErrorInfo, RemoteArchive, RemoteSubject } from '../../../main/ipc/contract.ts';
import { DismissButton } from '../../components/dismiss-button.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { formatBytes, formatDateTime, formatEta, formatRate } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { percentOf, ProgressBar } from '../../components/progress-bar.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useDrillsStore } from '../../stores/drills-store.ts';
import { isRunning, remoteJobOf, remoteOf, useJobsStore, type JobEntry } from '../../stores/jobs-store.ts';
import { useRestoreStore } from '../../stores/restore-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';

type RemoteArchiveRef = Pick<RemoteSubject, 'destinationId' | 'destinationName' | 'name'>;

export function RemoteArchives({ archives, destination }: { archives: RemoteArchive[]; destination: { id: string; name: string } }) {
  if (archives.length === 0) return <p className="muted remote-empty">No archives in {destination.name} yet.</p>;
  return (
    <ul className="remote-list" aria-label={`Archives in ${destination.name}`}>
      {archives.map((a) => (
        <RemoteArchiveItem key={a.key} archive={a} remote={{ destinationId: destination.id, destinationName: destination.name, name: a.name }} />
      ))}
    </ul>
  );
}

function RemoteArchiveItem({ archive: a, remote }: { archive: RemoteArchive; remote: RemoteArchiveRef }) {
  const job = useJobsStore((s) => remoteJobOf(s.jobs, remote.destinationId, remote.name));
  const running = job !== undefined && isRunning(job);
  return (
    <li aria-label={visibleText(a.name)}>
      <div className="remote-line">
        {/* Names come from the bucket (anyone with write access there): shown escaped. */}
        <code title={visibleText(a.key)}>{visibleText(a.name)}</code>
        <span className="muted">
          {a.bytes === null ? '' : formatBytes(a.bytes)}
          {a.sidecar ? ` · ${visibleText(a.sidecar.profile)} · ${visibleText(a.sidecar.database)} · ${formatDateTime(a.sidecar.createdAt)}` : ''}
        </span>
        {a.problem ? (
          <span className="badge badge-err" title={visibleText(a.problem)}>
            <Icon name="alert" />
            {visibleText(a.problem)}
          </span>
        ) : a.local ? (
          <span className="badge badge-ok">
            <Icon name="check" />
            also on this computer
          </span>
        ) : (
          <span className="badge">only there</span>
        )}
        {/* Without a readable sidecar there is nothing to check a download against. */}
        {a.problem ? null : <RemoteActions remote={remote} busy={running} />}
      </div>
      {job ? running ? <RemoteProgress job={job} /> : <RemoteOutcome job={job} /> : null}
    </li>
  );
}

function RemoteActions({ remote, busy }: { remote: RemoteArchiveRef; busy: boolean }) {
  const startRemote = useJobsStore((s) => s.startRemote);
  const openRemote = useRestoreStore((s) => s.openRemote);
  const drillRemote = useDrillsStore((s) => s.startRemote);
  const chooseFolder = useAppStore((s) => s.chooseFolder);
  const navigate = useAppStore((s) => s.navigate);
  const [error, setError] = useState<ErrorInfo | null>(null);

  const attempt = (work: () => Promise<unknown>) => () => {
    setError(null);
    work().catch((e: unknown) => setError(toErrorInfo(e)));
  };
  const verify = attempt(() => startRemote({ ...remote, action: 'verify' }));
  const download = attempt(async () => {
    const folder = await chooseFolder(`Download ${remote.name} into`);
    if (folder) await startRemote({ ...remote, action: 'download' }, folder);
  });
  // Opens Drills, where the download and the drill's phases show.
  const drill = attempt(async () => {
    await drillRemote(remote);
    navigate('drills');
  });
  // Downloads here (its progress in this row), then opens the copy in Restore with the checklist.
  const restore = attempt(() => openRemote(remote));

  return (
    <>
      <div className="remote-actions">
        <button type="button" className="btn btn-sm" onClick={verify} disabled={busy} title="Downloads it and checks its SHA-256 against its sidecars (nothing is kept)">
          Verify copy
        </button>
        <button type="button" className="btn btn-sm" onClick={download} disabled={busy} title="Downloads it and its sidecar into a folder you choose, checked against the sidecar">
          Download…
        </button>
        <button type="button" className="btn btn-sm" onClick={drill} disabled={busy} title="Restores a downloaded copy into a scratch database and compares every table (opens Drills)">
          Drill
        </button>
        <button type="button" className="btn btn-sm" onClick={restore} disabled={busy} title="Downloads a temporary copy and opens it in Restore, with the checklist">
          Restore…
        </button>
      </div>
      {error ? <ErrorMessage error={error} title={`Could not start with ${remote.name}`} /> : null}
    </>
  );
}

const DOING: Record<RemoteSubject['action'], string> = { verify: 'Verifying the copy', download: 'Downloading', restore: 'Downloading for the restore', drill: 'Drilling' };

function RemoteProgress({ job }: { job: JobEntry }) {
  const cancel = useJobsStore((s) => s.cancel);
  const action = remoteOf(job)?.action ?? 'download';
  const p = job.progress;
  const fraction = p?.fraction ?? null;
  return (
    <div className="row-progress remote-progress" aria-busy="true">
      <div className="row-progress-line">
        <span className="spinner" aria-hidden="true" />
        <span className="row-progress-phase">{job.cancelling ? 'Cancelling…' : `${DOING[action]}: ${p?.phase || 'starting'}`}</span>
        <span className="muted">
          {formatBytes(p?.bytes ?? 0)} · {formatRate(p?.bytesPerSecond ?? null)}
          {p?.etaSeconds != null ? ` · ${formatEta(p.etaSeconds)} left` : ''}
        </span>
        <span className="job-percent">{percentOf(fraction)}</span>
        <button type="button" className="btn btn-sm" onClick={() => void cancel(job.jobId)} disabled={job.cancelling}>
          Cancel
        </button>
      </div>
      <ProgressBar fraction={fraction} label={`${DOING[action]} ${remoteOf(job)?.name ?? ''}`} />
    </div>
  );
}

/** A finished job's result: the checks of a verification, where a download went, or why it failed. */
function RemoteOutcome({ job }: { job: JobEntry }) {
  const dismiss = useJobsStore((s) => s.dismiss);
  const outcome = job.outcome;
  const remote = remoteOf(job);
  if (!outcome || !remote) return null;
  const dismissButton = <DismissButton onClick={() => dismiss(job.jobId)} />;
  if (!outcome.ok) {
    if (outcome.error.code === 'CANCELLED') return null;
    const title = remote.action === 'verify' ? 'The copy did not verify' : remote.action === 'drill' ? 'The drill did not complete (see Drills)' : 'The download failed';
    return (
      <div className="remote-outcome">
        <ErrorMessage error={outcome.error} title={title} />
        {dismissButton}
      </div>
    );
  }
  if (outcome.kind === 'verify' && outcome.remote) {
    return (
      <div className="remote-outcome" role="status" aria-label="Verification of the copy">
        <div className="remote-outcome-body">
          <p className="test-ok-title">
            <Icon name="check" /> The copy is intact
          </p>
          <ul className="check-steps" aria-label="Checks">
            {outcome.value.checks.map((check) => (
              <li key={check}>
                <Icon name="check" />
                {check}
              </li>
            ))}
          </ul>
          <p className="muted">
            SHA-256 <code className="hash">{outcome.value.sha256}</code>
          </p>
        </div>
        {dismissButton}
      </div>
    );
  }
  if (outcome.kind === 'download' && remote.action === 'download') {
    return (
      <div className="remote-outcome" role="status">
        <p className="remote-outcome-body status-ok">
          <Icon name="download" />
          <span>
            Downloaded and checked against its sidecar: <code>{visibleText(outcome.value.file)}</code>
          </span>
        </p>
        {dismissButton}
      </div>
    );
  }
  return null;
}
