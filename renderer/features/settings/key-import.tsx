// Settings → Lifeboat's key → "Import a recovery key…": the new-computer case. The file comes from
// main's open dialog, main asks before the key changes (and keeps a replaced key), and only public
// recipients come back to this page; the key itself never does.
import { useId, useState } from 'react';
import type { KeyImportResult } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Icon } from '../../components/icons.tsx';
import { useAttempt } from '../../components/use-attempt.ts';
import { useAppStore } from '../../stores/app-store.ts';
import { useKeysStore } from '../../stores/keys-store.ts';

/** What the import did, in words (recipients are public keys: safe to show). */
function importedText(result: KeyImportResult): string {
  if (result.unchanged) return `That file holds the key Lifeboat already uses (${result.recipient}): nothing changed.`;
  const previous = result.replaced ? ` The previous key ${result.replaced} stays in the keychain, so the backups it made still open here.` : '';
  const forgotten = result.forgotten.length ? ` Not kept (Lifeboat keeps 20 earlier keys at most): ${result.forgotten.join(', ')}; backups made with these open only with a recovery file that holds them.` : '';
  return `Lifeboat now uses the key ${result.recipient}: new backups are encrypted to it, and backups made with it open here.${previous}${forgotten}`;
}

export function KeyImport() {
  const importRecovery = useKeysStore((s) => s.importRecovery);
  const announce = useAppStore((s) => s.announce);
  const { attempt, error, busy } = useAttempt();
  const [result, setResult] = useState<KeyImportResult | null>(null);
  const uid = useId();

  const run = () =>
    attempt(async () => {
      setResult(null);
      const imported = await importRecovery();
      if (!imported) return;
      setResult(imported);
      announce(imported.unchanged ? 'Lifeboat already uses that key.' : 'Recovery key imported.');
    });

  return (
    <div className="key-import">
      <div className="export-row">
        <button type="button" className="btn" onClick={() => void run()} disabled={busy} aria-busy={busy} aria-describedby={`${uid}-hint`}>
          <Icon name="import" />
          Import a recovery key…
        </button>
        <p id={`${uid}-hint`} className="hint">
          On a new computer: choose the recovery key you exported (or an age-keygen file), so this Lifeboat opens your backups and encrypts new ones to the same key.
        </p>
      </div>
      {result ? (
        <p className="status-ok saved-line" role="status">
          <Icon name="check" />
          <span>{importedText(result)}</span>
        </p>
      ) : null}
      {error?.code === 'CANCELLED' ? (
        <p className="status-none saved-line" role="status">
          <Icon name="info" />
          <span>The key was not imported: you declined. Lifeboat keeps its current key.</span>
        </p>
      ) : error ? (
        <ErrorMessage error={error} title="The recovery key was not imported" />
      ) : null}
    </div>
  );
}
