// Testing a destination from the page: the test's result goes to the offsite store (shown in the
// destination's row); an SFTP host key Lifeboat does not know yet opens the window-wide host-key
// dialog, whose "Trust and connect" tests again with that fingerprint — as a connection's test does.
import type { DestinationSummary, DestinationTestResult } from '../../../main/ipc/contract.ts';
import { useHostKeyStore } from '../../stores/host-key-store.ts';
import { useOffsiteStore } from '../../stores/offsite-store.ts';

export async function testDestination(destination: Pick<DestinationSummary, 'id' | 'name'>): Promise<DestinationTestResult> {
  const result = await useOffsiteStore.getState().test(destination.id);
  if (!result.ok && result.error) askHostKey(destination, result);
  return result;
}

/** Opens the host-key dialog when the failed test met an unknown (or changed) host key; returns whether it did. */
export function askHostKey(destination: Pick<DestinationSummary, 'id' | 'name'>, result: DestinationTestResult): boolean {
  if (result.ok || !result.error) return false;
  return useHostKeyStore.getState().ask({ id: destination.id, name: destination.name }, result.error, {
    retry: (acceptHostKeys) => useOffsiteStore.getState().test(destination.id, acceptHostKeys),
  });
}
