// What can be done with one archive of the library, from its row and from its details drawer alike:
// restore it (the Restore screen opens with the file chosen), verify it, drill it.
import type { ArchiveEntry, ErrorInfo } from '../../../main/ipc/contract.ts';
import { useAttempt } from '../../components/use-attempt.ts';
import { useAppStore } from '../../stores/app-store.ts';
import { useDrillsStore } from '../../stores/drills-store.ts';
import { isRunning, useJobsStore } from '../../stores/jobs-store.ts';
import { useRestoreStore } from '../../stores/restore-store.ts';

export interface ArchiveActions {
  /** Each resolves to whether it started (otherwise `error` says why). */
  verify(level: 'quick' | 'full'): Promise<boolean>;
  /** Opens Drills, where the drill's phases and verdict are shown. */
  drill(): Promise<boolean>;
  /** Opens the Restore screen with this file: its checklist comes first, nothing changes before. */
  restore(): void;
  drilling: boolean;
  error: ErrorInfo | null;
  setError(error: ErrorInfo | null): void;
}

export function useArchiveActions(entry: ArchiveEntry): ArchiveActions {
  const drilling = useJobsStore((s) => Object.values(s.jobs).some((j) => j.kind === 'drill' && isRunning(j) && j.subject?.kind === 'drill' && j.subject.file === entry.path));
  const startVerify = useJobsStore((s) => s.startVerify);
  const startDrill = useDrillsStore((s) => s.start);
  const openInRestore = useRestoreStore((s) => s.open);
  const navigate = useAppStore((s) => s.navigate);
  const { attempt, error, setError } = useAttempt();

  return {
    verify: (level) => attempt(() => startVerify(entry.path, level)),
    drill: () => attempt(async () => {
      await startDrill(entry.path);
      navigate('drills');
    }),
    restore: () => openInRestore(entry.path),
    drilling,
    error,
    setError,
  };
}
