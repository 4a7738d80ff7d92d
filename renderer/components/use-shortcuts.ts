// Keyboard shortcuts of the whole window: Ctrl+O (⌘O) opens a backup to restore, Ctrl+B (⌘B) backs up
// the connection chosen on the Backups screen, Ctrl+, (⌘,) opens Settings. Handled in the page
// so they work the same in the app and in a browser; Ctrl+1…8 switch screens through the app menu.
import { useEffect } from 'react';
import { useAppStore } from '../stores/app-store.ts';
import { useRestoreStore } from '../stores/restore-store.ts';
import { toErrorInfo } from '../stores/unwrap.ts';
import { BACKUP_FILE_FILTERS } from './file-filters.ts';

type Shortcut = 'open' | 'backup' | 'settings';

export function shortcutOf(event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>, mac: boolean): Shortcut | null {
  const primary = mac ? event.metaKey && !event.ctrlKey : event.ctrlKey && !event.metaKey;
  if (!primary || event.altKey || event.shiftKey) return null;
  return ({ o: 'open', b: 'backup', ',': 'settings' } as Record<string, Shortcut>)[event.key.toLowerCase()] ?? null;
}

async function openBackup(): Promise<void> {
  const file = await useAppStore.getState().chooseFile('Choose a backup to restore', BACKUP_FILE_FILTERS);
  if (file) useRestoreStore.getState().open(file);
}

export function useShortcuts(): void {
  useEffect(() => {
    const mac = /Mac/i.test(navigator.platform);
    const onKeyDown = (event: KeyboardEvent) => {
      // Not while a dialog is open (leaving its screen would lose what was typed there), nor twice for a held key.
      if (event.repeat || event.isComposing || event.defaultPrevented || document.querySelector('dialog[open]')) return;
      const shortcut = shortcutOf(event, mac);
      if (!shortcut) return;
      event.preventDefault();
      const app = useAppStore.getState();
      if (shortcut === 'settings') return app.navigate('settings');
      // The Backups screen starts it, so its own card shows the progress or the error.
      if (shortcut === 'backup') return app.requestBackup();
      openBackup().catch((error: unknown) => app.announce(`Could not open the backup: ${toErrorInfo(error).message}`));
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, []);
}
