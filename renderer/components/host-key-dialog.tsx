// The window-wide SSH host-key dialog (stores/host-key-store.ts). An unknown key is shown with what to
// compare it against and can be trusted; a changed key is a red warning with no way to accept it here:
// that must be an informed change in the known_hosts file, never one click.
import { useEffect, useId, useRef, type KeyboardEvent, type ReactNode } from 'react';
import type { HostKeyOffer } from '../../main/ipc/contract.ts';
import { useHostKeyStore, type HostKeyPrompt } from '../stores/host-key-store.ts';
import { ErrorMessage } from './error-message.tsx';
import { hostPort } from './format.ts';
import { Icon } from './icons.tsx';

export function HostKeyDialog() {
  const prompt = useHostKeyStore((s) => s.prompt);
  if (!prompt) return null;
  // A new offer (the next hop) is a new dialog: focus starts on Cancel again.
  return <HostKeyModal key={`${prompt.profileId}:${prompt.offer.fingerprint}`} prompt={prompt} />;
}

/** Which host key file an admin compares against, from the key type ("ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"). */
function hostKeyFile(keyType: string): string {
  const kind = keyType.includes('ed25519') ? 'ed25519' : keyType.includes('ecdsa') ? 'ecdsa' : keyType.includes('rsa') ? 'rsa' : 'ed25519';
  return `/etc/ssh/ssh_host_${kind}_key.pub`;
}

function HostKeyModal({ prompt }: { prompt: HostKeyPrompt }) {
  const busy = useHostKeyStore((s) => s.busy);
  const failure = useHostKeyStore((s) => s.failure);
  const trust = useHostKeyStore((s) => s.trust);
  const dismiss = useHostKeyStore((s) => s.dismiss);
  const dialogRef = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const uid = useId();
  const { changed } = prompt;

  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog && !dialog.open) dialog.showModal();
    // The safe answer has the focus: Enter or Space right away never trusts a key.
    cancelRef.current?.focus();
    return () => dialog?.close();
  }, []);

  const title = changed ? 'The SSH host key has changed' : failure ? 'Connected to the SSH host, then failed' : 'Trust this SSH host?';
  return (
    <dialog
      ref={dialogRef}
      className={`modal host-key-modal${changed ? ' host-key-changed' : ''}`}
      role={changed ? 'alertdialog' : 'dialog'}
      aria-modal="true"
      aria-labelledby={`${uid}-title`}
      aria-describedby={`${uid}-desc`}
      onCancel={(e) => {
        e.preventDefault();
        dismiss();
      }}
      onKeyDown={trapTab}
    >
      <header className="modal-header">
        <h2 id={`${uid}-title`}>
          <Icon name={changed ? 'alert' : 'shield'} className="host-key-title-icon" />
          {title}
        </h2>
      </header>
      <div className="modal-body">
        {changed ? <ChangedKey id={`${uid}-desc`} prompt={prompt} /> : <UnknownKey id={`${uid}-desc`} prompt={prompt} />}
        {failure ? <ErrorMessage error={failure} title="The host key is now trusted, but the connection failed" /> : null}
      </div>
      <footer className="modal-footer">
        <button type="button" ref={cancelRef} className="btn" onClick={dismiss}>
          {changed || failure ? 'Close' : 'Cancel'}
        </button>
        {changed || failure ? null : (
          <button type="button" className="btn btn-primary" onClick={() => void trust()} disabled={busy} aria-busy={busy}>
            <Icon name="check" />
            {busy ? 'Connecting…' : 'Trust and connect'}
          </button>
        )}
      </footer>
    </dialog>
  );
}

/** Keeps Tab inside the dialog (showModal makes the page inert, but Tab could still leave for the browser's own UI). */
function trapTab(event: KeyboardEvent<HTMLDialogElement>) {
  if (event.key !== 'Tab') return;
  const focusable = [...event.currentTarget.querySelectorAll<HTMLElement>('button:not(:disabled), [href], input:not(:disabled), [tabindex]:not([tabindex="-1"])')];
  if (focusable.length === 0) return;
  const first = focusable[0]!;
  const last = focusable[focusable.length - 1]!;
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}

function KeyFacts({ offer, fingerprintLabel, extra }: { offer: HostKeyOffer; fingerprintLabel: string; extra?: ReactNode }) {
  return (
    <dl className="kv host-key-facts">
      <div>
        <dt>Host</dt>
        <dd>
          <code>{hostPort(offer.host, offer.port)}</code>
        </dd>
      </div>
      <div>
        <dt>Key type</dt>
        <dd>{offer.keyType}</dd>
      </div>
      <div>
        <dt>{fingerprintLabel}</dt>
        <dd>
          <code className="fingerprint">{offer.fingerprint}</code>
        </dd>
      </div>
      {extra}
    </dl>
  );
}

function UnknownKey({ id, prompt }: { id: string; prompt: HostKeyPrompt }) {
  const { offer } = prompt;
  return (
    <>
      <div id={id} className="host-key-intro">
        <p>
          Lifeboat has not connected to <strong>{hostPort(offer.host, offer.port)}</strong> before (for <strong>{prompt.profileName}</strong>). Before sending anything, make sure this
          is really that server: someone in between could pose as it.
        </p>
        {prompt.accepted.length ? <p className="hint">The host before it on the route is trusted now; this is the next one.</p> : null}
      </div>
      <KeyFacts offer={offer} fingerprintLabel="SHA256 fingerprint" />
      <div className="callout callout-calm host-key-check">
        <Icon name="info" className="callout-icon" />
        <div className="callout-body">
          <p className="callout-title">How to check it</p>
          <p>Ask the server’s administrator to run this on the SSH host, and compare the SHA256 fingerprint it prints with the one above:</p>
          <code className="command-line">ssh-keygen -lf {hostKeyFile(offer.keyType)}</code>
          <p>When you trust it, Lifeboat remembers the key and refuses to connect if it ever changes.</p>
        </div>
      </div>
    </>
  );
}

function ChangedKey({ id, prompt }: { id: string; prompt: HostKeyPrompt }) {
  const { offer, error } = prompt;
  const known = offer.knownFingerprints ?? [];
  const knownRow = (
    <div>
      <dt>Known key{known.length === 1 ? '' : 's'}</dt>
      <dd>
        {known.map((fp) => (
          <code key={fp} className="fingerprint fingerprint-old">
            {fp}
          </code>
        ))}
      </dd>
    </div>
  );
  return (
    <>
      <ErrorMessage id={id} error={error} title={`Lifeboat stopped connecting ${prompt.profileName}`} announce={false} />
      <KeyFacts offer={offer} fingerprintLabel="Key offered now" extra={known.length ? knownRow : null} />
    </>
  );
}
