// "Backup folder" in the profile form: the connection's own folder, or the default one (Settings).
// The folder comes from main's folder dialog only: main refuses a folder the page merely names
// (backups are written there, and the library lists, reads and deletes files in it).
import { useEffect, useId } from 'react';
import type { ErrorInfo, ProfileInput, ProfileSummary } from '../../../main/ipc/contract.ts';
import { Icon } from '../../components/icons.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useLibraryStore } from '../../stores/library-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';

/**
 * What to send: nothing when unchanged (an edit keeps the saved folder), the chosen folder, or null
 * when an edit goes back to the default.
 */
export function backupFolderInput(folder: string | null, profile: ProfileSummary | undefined): Pick<ProfileInput, 'backupFolder'> {
  return folder === (profile?.backupFolder ?? null) ? {} : { backupFolder: folder };
}

export function BackupFolderField({ value, onChange, onError }: { value: string | null; onChange: (folder: string | null) => void; onError: (error: ErrorInfo) => void }) {
  const chooseFolder = useAppStore((s) => s.chooseFolder);
  // The library's first folder is where backups go by default (Settings' folder, or Lifeboat's own).
  const defaultFolder = useLibraryStore((s) => s.folders[0]);
  const loadFolders = useLibraryStore((s) => s.loadFolders);
  const uid = useId();

  useEffect(() => {
    if (defaultFolder === undefined) void loadFolders();
  }, [defaultFolder, loadFolders]);

  const choose = async () => {
    try {
      const chosen = await chooseFolder('Choose the folder for this connection’s backups');
      if (chosen) onChange(chosen);
    } catch (e) {
      onError(toErrorInfo(e));
    }
  };

  return (
    <fieldset className="span-2 cert-fieldset backup-folder-field" aria-describedby={`${uid}-hint`}>
      <legend>Backup folder</legend>
      <div className="input-row backup-folder-row">
        <p className="backup-folder-value" aria-live="polite">
          {value ? <code>{value}</code> : <>Default: {defaultFolder ? <code>{defaultFolder}</code> : 'the folder set in Settings'}</>}
        </p>
        <button type="button" className="btn" onClick={() => void choose()} aria-label="Choose the backup folder">
          <Icon name="folder" />
          Choose…
        </button>
        <button type="button" className="btn" onClick={() => onChange(null)} disabled={value === null}>
          Use the default
        </button>
      </div>
      <p id={`${uid}-hint`} className="hint">
        Where this connection’s backups are saved. The default folder is set in Settings.
      </p>
    </fieldset>
  );
}
