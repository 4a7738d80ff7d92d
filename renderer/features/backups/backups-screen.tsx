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
import { BackupTrend } from './backup-trend.tsx';
import { RecoveryKeyCard } from './recovery-key-card.tsx';

export function BackupsScreen() {
  const loadProfiles = useProfilesStore((s) => s.load);
  const loadSettings = useSettingsStore((s) => s.loadSettings);
  const loadKeys = useKeysStore((s) => s.load);
  const loadLibrary = useLibraryStore((s) => s.load);
  const attachActive = useJobsStore((s) => s.attachActive);

  useEffect(() => {
    void loadProfiles();
    void loadSettings();
    void loadKeys();
    void loadLibrary();
    // Jobs started before this screen (or this page) was shown keep reporting here.
    void attachActive().catch(() => {});
  }, [loadProfiles, loadSettings, loadKeys, loadLibrary, attachActive]);

  return (
    <div className="screen screen-wide">
      <ScreenHeader title="Backups" subtitle="One click from a connection to an encrypted archive, and every archive you have." />
      <RecoveryKeyCard />
      <BackupLauncher />
      <BackupJobs />
      <BackupTrend />
      <ArchiveLibrary />
    </div>
  );
}
