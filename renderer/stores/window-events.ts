// What main tells the window on its own: job progress and outcomes, the menu (File → New connection,
// View → <screen>) and a backup file opened from the OS (double-click, "Open with", the dock, the
// command line). Subscribed once for the whole window; returns the unsubscribe.
import { isScreenId, useAppStore } from './app-store.ts';
import { useJobsStore } from './jobs-store.ts';
import { useProfilesStore } from './profiles-store.ts';
import { useRestoreStore } from './restore-store.ts';
import { api } from './unwrap.ts';

export function listenToMain(): () => void {
  // Job events are heard on every screen: a backup keeps its progress while you look elsewhere.
  const offs = [
    useJobsStore.getState().listen(),
    api().on.menuNavigate((screen) => {
      if (isScreenId(screen)) useAppStore.getState().navigate(screen);
    }),
    api().on.menuNewProfile(() => {
      useAppStore.getState().navigate('connections');
      useProfilesStore.getState().openEditor({ mode: 'add' });
    }),
    api().on.openFile((file) => useRestoreStore.getState().open(file)),
  ];
  return () => {
    for (const off of offs) off();
  };
}
