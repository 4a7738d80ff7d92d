import { useState } from 'react';
import { useAppStore } from '../stores/app-store.ts';
import { useKeysStore } from '../stores/keys-store.ts';
import { useAttempt } from './use-attempt.ts';

/** Exports Lifeboat's recovery key through a save dialog; `savedTo` is the file written (null until then, or when the dialog was cancelled). */
export function useRecoveryExport() {
  const exportRecovery = useKeysStore((s) => s.exportRecovery);
  const announce = useAppStore((s) => s.announce);
  const [savedTo, setSavedTo] = useState<string | null>(null);
  const { attempt, error, busy } = useAttempt();
  const runExport = () =>
    attempt(async () => {
      const file = await exportRecovery();
      if (file) {
        setSavedTo(file);
        announce(`Recovery key saved to ${file}.`);
      }
    });
  return { runExport, savedTo, setSavedTo, error, busy };
}
