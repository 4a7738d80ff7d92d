import { useEffect, useId, useState } from 'react';
import type { ErrorInfo } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { scopeSummary } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { isRunning, useJobsStore } from '../../stores/jobs-store.ts';
import { useKeysStore } from '../../stores/keys-store.ts';
import { useLibraryStore } from '../../stores/library-store.ts';
import { useProfilesStore } from '../../stores/profiles-store.ts';
import { useSettingsStore } from '../../stores/settings-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';

/** Pick a connection, press one button. */
export function BackupLauncher() {
  const profiles = useProfilesStore((s) => s.profiles);
  const loaded = useProfilesStore((s) => s.loaded);
  const chosenId = useJobsStore((s) => s.backupProfileId);
  const setBackupProfile = useJobsStore((s) => s.setBackupProfile);
  const startBackup = useJobsStore((s) => s.startBackup);
  const navigate = useAppStore((s) => s.navigate);
  const announce = useAppStore((s) => s.announce);
  const jobs = useJobsStore((s) => s.jobs);
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const uid = useId();
  const titleId = `${uid}-title`;

  const profile = profiles.find((p) => p.id === chosenId) ?? profiles[0];
  const running = profile
    ? Object.values(jobs).some((j) => j.kind === 'backup' && isRunning(j) && j.subject?.kind === 'backup' && j.subject.profileId === profile.id)
    : false;

  const backupRequested = useAppStore((s) => s.backupRequested);
  const takeBackupRequest = useAppStore((s) => s.takeBackupRequest);

  const start = async () => {
    if (!profile) return;
    setError(null);
    setStarting(true);
    try {
      await startBackup({ id: profile.id, name: profile.name });
      announce(`Backing up ${profile.name}.`);
    } catch (e) {
      setError(toErrorInfo(e));
    } finally {
      setStarting(false);
    }
  };

  // Ctrl+B from any screen: once the connections are known, back up the chosen one (unless it is already running).
  useEffect(() => {
    if (!backupRequested || !loaded || starting) return;
    if (!takeBackupRequest()) return;
    if (!profile) announce('There is no connection to back up yet: add one first.');
    else if (running) announce(`${profile.name} is being backed up already.`);
    else void start();
  });

  if (loaded && profiles.length === 0) {
    return (
      <section className="card empty-state" aria-labelledby={titleId}>
        <Icon name="database" className="empty-icon" />
        <h2 id={titleId}>No connection to back up yet</h2>
        <p>Add the PostgreSQL server you want to protect; its backups then start from here with one click.</p>
        <button type="button" className="btn btn-primary" onClick={() => navigate('connections')}>
          Go to Connections
        </button>
      </section>
    );
  }

  return (
    <section className="card launcher" aria-labelledby={titleId}>
      <div className="launcher-head">
        <h2 id={titleId} className="card-title">
          Back up a connection
        </h2>
        <p className="card-intro">pg_dump runs in one consistent snapshot and streams straight into an encrypted archive: nothing unencrypted touches the disk.</p>
      </div>
      <div className="launcher-controls">
        <div className="field launcher-select">
          <label htmlFor={`${uid}-profile`}>Connection</label>
          <select id={`${uid}-profile`} value={profile?.id ?? ''} onChange={(e) => setBackupProfile(e.target.value)} disabled={!profile}>
            {profiles.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} — {p.scope ? scopeSummary(p.scope) : p.database}
              </option>
            ))}
          </select>
        </div>
        <button
          type="button"
          className="btn btn-primary btn-lg"
          onClick={start}
          disabled={!profile || running || starting}
          aria-busy={starting}
          aria-describedby={`${uid}-facts`}
        >
          <Icon name="archive" />
          Back up now
        </button>
      </div>
      <BackupFacts id={`${uid}-facts`} folderOverride={profile?.backupFolder} running={running} />
      {error ? <ErrorMessage error={error} title="The backup could not start" /> : null}
    </section>
  );
}

/** How the next backup will be made, from the settings: no surprise about where and how it is encrypted. */
function BackupFacts({ id, folderOverride, running }: { id: string; folderOverride: string | undefined; running: boolean }) {
  const settings = useSettingsStore((s) => s.settings);
  const keys = useKeysStore((s) => s.status);
  const folders = useLibraryStore((s) => s.folders);
  const navigate = useAppStore((s) => s.navigate);
  if (!settings || !keys) return <p id={id} className="hint" />;

  const extra = settings.extraRecipients.length;
  const plusExtra = extra ? ` and ${extra} more recipient${extra === 1 ? '' : 's'}` : '';
  let encryption: { text: string; warn: boolean };
  if (settings.encryptionMode === 'passphrase') {
    encryption = keys.passphraseSaved ? { text: 'Encrypted with your passphrase', warn: false } : { text: 'No passphrase is saved: set one in Settings first', warn: true };
  } else if (keys.recipient) {
    encryption = { text: `Encrypted with Lifeboat’s key${plusExtra}`, warn: false };
  } else if (keys.keychain) {
    encryption = { text: `Encrypted with Lifeboat’s key${plusExtra} (created by this first backup)`, warn: false };
  } else {
    encryption = { text: 'No keychain to keep Lifeboat’s key: choose a passphrase in Settings', warn: true };
  }
  const folder = folderOverride ?? settings.backupFolder ?? folders[0];

  return (
    <ul id={id} className="launcher-facts" aria-label="How the backup is made">
      <li className={encryption.warn ? 'fact-warn' : undefined}>
        <Icon name={encryption.warn ? 'alert' : 'lock'} />
        <span>{encryption.text}</span>
        {encryption.warn ? (
          <button type="button" className="link-button" onClick={() => navigate('settings')}>
            Open Settings
          </button>
        ) : null}
      </li>
      {folder ? (
        <li>
          <Icon name="folder" />
          <span>
            Saved to <code>{folder}</code>
          </span>
        </li>
      ) : null}
      <li>
        <Icon name="settings" />
        <span>
          {settings.compression} level {settings.compressionLevel} · {settings.exactRowCounts ? 'exact row counts' : 'no row counts'}
        </span>
      </li>
      {running ? (
        <li>
          <Icon name="clock" />
          <span>A backup of this connection is running.</span>
        </li>
      ) : null}
    </ul>
  );
}
