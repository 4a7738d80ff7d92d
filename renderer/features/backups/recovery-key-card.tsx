import { useId } from 'react';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Icon } from '../../components/icons.tsx';
import { useRecoveryExport } from '../../components/use-recovery-export.ts';
import { useKeysStore } from '../../stores/keys-store.ts';

/**
 * Shown after the backup that created Lifeboat's key, until the recovery key is exported: without
 * it, losing this computer means losing every backup. It has no close button on purpose.
 */
export function RecoveryKeyCard() {
  const pending = useKeysStore((s) => s.recoveryKeyPending);
  const recipient = useKeysStore((s) => s.status?.recipient ?? null);
  const { runExport, savedTo, setSavedTo, error, busy } = useRecoveryExport();
  const uid = useId();

  if (!pending && savedTo) {
    return (
      <section className="callout callout-ok key-saved" aria-labelledby={`${uid}-saved`}>
        <Icon name="check" className="callout-icon" />
        <div className="callout-body">
          <p id={`${uid}-saved`} className="callout-title">
            Recovery key saved
          </p>
          <p>
            Written to <code>{savedTo}</code>. Move it somewhere safe and apart from the backups (a password manager, or a USB stick in a drawer), then
            delete it from this computer’s disk.
          </p>
        </div>
        <button type="button" className="btn" onClick={() => setSavedTo(null)}>
          Done
        </button>
      </section>
    );
  }
  if (!pending) return null;

  return (
    <section className="key-warning" aria-labelledby={`${uid}-title`} aria-describedby={`${uid}-body`}>
      <div className="key-warning-icon" aria-hidden="true">
        <Icon name="key" />
      </div>
      <div className="key-warning-body">
        <h2 id={`${uid}-title`}>Lifeboat created your backup key</h2>
        <div id={`${uid}-body`}>
          <p>
            Your backups are encrypted to a key kept in this computer’s keychain{recipient ? <> (public key <code>{shortKey(recipient)}</code>)</> : null}. If this
            computer is lost or its keychain is reset, the backups cannot be opened without a copy of that key.
          </p>
          <p>
            <strong>Export the recovery key now</strong> and keep it apart from the backups. Whoever has this file can open your backups.
          </p>
        </div>
        <div className="key-warning-actions">
          <button type="button" className="btn btn-primary" onClick={runExport} disabled={busy} aria-busy={busy}>
            <Icon name="key" />
            Export recovery key…
          </button>
        </div>
        {error ? <ErrorMessage error={error} title="The recovery key was not saved" /> : null}
      </div>
    </section>
  );
}

export function shortKey(key: string): string {
  return key.length > 24 ? `${key.slice(0, 12)}…${key.slice(-8)}` : key;
}
