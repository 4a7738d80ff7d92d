import { useState } from 'react';
import type { ErrorInfo } from '../../main/ipc/contract.ts';
import { toErrorInfo } from '../stores/unwrap.ts';

/**
 * Busy and error state around an async action: `attempt` clears the last error, is busy while the
 * action runs, keeps what it threw as the error, and resolves to whether it succeeded.
 */
export function useAttempt() {
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const attempt = async (action: () => Promise<unknown>): Promise<boolean> => {
    setError(null);
    setBusy(true);
    try {
      await action();
      return true;
    } catch (e) {
      setError(toErrorInfo(e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { attempt, error, setError, busy };
}
