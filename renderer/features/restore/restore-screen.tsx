// Restore: a file comes in (dropped anywhere on the window, chosen, or opened by the OS), is
// inspected, the user chooses how to restore it, the checklist says whether it is safe, and only
// then does anything change.
import { useEffect, useId, useState } from 'react';
import type { ErrorInfo } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { BACKUP_FILE_FILTERS } from '../../components/file-filters.ts';
import { baseName, formatBytes, formatDateTime } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { ScreenHeader } from '../../components/screen-header.tsx';
import { UnreadableFolders } from '../../components/unreadable-folders.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { isRunning, useJobsStore } from '../../stores/jobs-store.ts';
import { useProfilesStore } from '../../stores/profiles-store.ts';
import { useRestoreStore } from '../../stores/restore-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';
import { FileIdentity } from './file-identity.tsx';
import { RestoreChecklist } from './restore-checklist.tsx';
import { RestoreJob } from './restore-job.tsx';
import { RestoreOptions } from './restore-options.tsx';


/** Native chooser → open in Restore; errors are shown next to the button that asked. */
function useChooser(): { choose: () => Promise<void>; error: ErrorInfo | null } {
  const open = useRestoreStore((s) => s.open);
  const chooseFile = useAppStore((s) => s.chooseFile);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const choose = async () => {
    setError(null);
    try {
      const file = await chooseFile('Choose a backup to restore', BACKUP_FILE_FILTERS);
      if (file) open(file);
    } catch (e) {
      setError(toErrorInfo(e));
    }
  };
  return { choose, error };
}

export function RestoreScreen() {
  const file = useRestoreStore((s) => s.file);
  const inspection = useRestoreStore((s) => s.inspection);
  const inspecting = useRestoreStore((s) => s.inspecting);
  const notice = useRestoreStore((s) => s.notice);
  const rejected = useRestoreStore((s) => s.rejected);
  const jobId = useRestoreStore((s) => s.jobId);
  const job = useJobsStore((s) => (jobId ? s.jobs[jobId] : undefined));
  // A restore still running after the page was reloaded (its subject is remembered in the session).
  const orphan = useJobsStore((s) => Object.values(s.jobs).find((j) => j.kind === 'restore' && j.subject?.kind !== 'run-restore' && isRunning(j) && j.jobId !== jobId));
  const loadProfiles = useProfilesStore((s) => s.load);
  const attachActive = useJobsStore((s) => s.attachActive);
  const { choose, error: chooseError } = useChooser();
  const running = job !== undefined && isRunning(job);

  useEffect(() => {
    void loadProfiles();
    void attachActive().catch(() => {});
  }, [loadProfiles, attachActive]);

  const chooseButton = (
    <button type="button" className="btn" onClick={() => void choose()} disabled={running}>
      <Icon name="folder" />
      Choose a file…
    </button>
  );

  return (
    <div className="screen">
      <ScreenHeader title="Restore" subtitle="Bring a database back without surprises: the file is inspected and checked before anything is touched." actions={file ? chooseButton : undefined} />
      {rejected ? <ErrorMessage error={rejected} title="That was not opened" /> : null}
      {chooseError ? <ErrorMessage error={chooseError} title="Could not choose a file" /> : null}
      {notice ? (
        <p className="callout callout-info" role="status">
          {notice}
        </p>
      ) : null}
      {orphan ? <RestoreJob job={orphan} /> : null}

      {!file ? (
        <DropZone onChoose={() => void choose()} />
      ) : (
        <>
          <FileIdentity onChooseAnother={() => void choose()} locked={running} compact={job !== undefined} />
          {job ? (
            <RestoreJob job={job} />
          ) : inspection && !inspecting ? (
            <>
              <RestoreOptions inspection={inspection} />
              <RestoreChecklist />
            </>
          ) : null}
        </>
      )}
    </div>
  );
}

/** No file yet: where to drop one, what is accepted, and the library's newest archives one click away. */
function DropZone({ onChoose }: { onChoose: () => void }) {
  const open = useRestoreStore((s) => s.open);
  const recent = useRestoreStore((s) => s.recent);
  const unreadable = useRestoreStore((s) => s.recentUnreadable);
  const loadRecent = useRestoreStore((s) => s.loadRecent);
  const uid = useId();

  useEffect(() => {
    void loadRecent();
  }, [loadRecent]);

  return (
    <>
      <section className="card drop-zone" aria-labelledby={`${uid}-title`}>
        <span className="drop-zone-icon" aria-hidden="true">
          <Icon name="upload" />
        </span>
        <h2 id={`${uid}-title`}>Drop a backup anywhere in this window</h2>
        <p>Lifeboat recognises the file by its content, reads what it holds, and runs a safety checklist before it touches any database.</p>
        <button type="button" className="btn btn-primary btn-lg" onClick={onChoose}>
          <Icon name="folder" />
          Choose a file…
        </button>
        <ul className="drop-kinds" aria-label="Accepted files">
          <li>Lifeboat archives</li>
          <li>age-encrypted files</li>
          <li>pg_dump custom, tar and folder archives</li>
          <li>SQL scripts (also .gz, .zst)</li>
          <li>gpg --symmetric files</li>
        </ul>
      </section>
      {recent.length || unreadable.length ? (
        <section className="card" aria-labelledby={`${uid}-recent`}>
          <h2 id={`${uid}-recent`} className="card-title">
            Newest backups in your library
          </h2>
          <UnreadableFolders problems={unreadable} />
          {recent.length ? (
            <ul className="recent-list" aria-labelledby={`${uid}-recent`}>
              {recent.map((entry) => (
                <li key={entry.path}>
                  <Icon name="archive" />
                  <span className="recent-text">
                    <strong>
                      {entry.sidecar.profile} · {entry.sidecar.database}
                    </strong>
                    <span className="muted">
                      {formatDateTime(entry.sidecar.createdAt)} · {formatBytes(entry.sidecar.bytes)} · <code>{baseName(entry.path)}</code>
                    </span>
                  </span>
                  <button type="button" className="btn btn-sm" onClick={() => open(entry.path)} aria-label={`Open ${baseName(entry.path)}`}>
                    Open
                  </button>
                </li>
              ))}
            </ul>
          ) : null}
        </section>
      ) : null}
    </>
  );
}
