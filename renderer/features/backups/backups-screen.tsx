import { useEffect } from 'react';
import { ScreenHeader } from '../../components/screen-header.tsx';
import { useJobsStore } from '../../stores/jobs-store.ts';
import { useKeysStore } from '../../stores/keys-store.ts';
import { useLibraryStore } from '../../stores/library-store.ts';
import { useProfilesStore } from '../../stores/profiles-store.ts';
import { useSettingsStore } from '../../stores/settings-store.ts';
import { ArchiveLibrary } from './archive-library.tsx';
import { BackupJobs } from './backup-jobs.tsx';
import { BackupLauncher } from './backup-launcher.tsx';
import { RecoveryKeyCard } from './recovery-key-card.tsx';

export function BackupsScreen() {
  useEffect(() => {
    void useProfilesStore.getState().load();
    void useSettingsStore.getState().loadSettings();
    void useKeysStore.getState().load();
    void useLibraryStore.getState().load();
    // Jobs started before this screen (or this page) was shown keep reporting here.
    void useJobsStore.getState().attachActive().catch(() => {});
  }, []);

  return (
    <div className="screen">
      <ScreenHeader title="Backups" subtitle="One click from a connection to an encrypted archive, and every archive you have." />
      <RecoveryKeyCard />
      <BackupLauncher />
      <BackupJobs />
      <ArchiveLibrary />
    </div>
  );
}
