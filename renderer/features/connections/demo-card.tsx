// First run: "Try Lifeboat with a demo database" (a local PostgreSQL with a sample shop), and a
// small "Remove demo" once the demo connection exists.
import { useId, useRef, useState } from 'react';
import type { ErrorInfo } from '../../../main/ipc/contract.ts';
import { ConfirmBar } from '../../components/confirm-bar.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Icon } from '../../components/icons.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useDemoStore } from '../../stores/demo-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';

export function DemoCard() {
  const announce = useAppStore((s) => s.announce);
  const startDemo = useDemoStore((s) => s.start);
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const uid = useId();

  const start = async () => {
    setError(null);
    setStarting(true);
    announce('Creating the demo database…');
    try {
      const profile = await startDemo();
      announce(`${profile.name} is ready: back it up, restore it, drill it.`);
    } catch (e) {
      setError(toErrorInfo(e));
    } finally {
      setStarting(false);
    }
  };

  return (
    <section className="card demo-card" aria-labelledby={`${uid}-title`} aria-busy={starting}>
      <div className="demo-icon">
        <Icon name="lifebuoy" />
      </div>
      <div className="demo-body">
        <h2 id={`${uid}-title`}>Try Lifeboat with a demo database</h2>
        <p>
          Lifeboat starts a local PostgreSQL with a small sample shop — customers, products and orders — and adds it as a connection. Back it up,
          restore it and drill it without touching a real server.
        </p>
        <ul className="demo-points">
          <li>
            <Icon name="shield" />
            Nothing leaves this computer
          </li>
          <li>
            <Icon name="trash" />
            Remove it any time
          </li>
        </ul>
        <div className="demo-actions">
          <button type="button" className="btn btn-primary btn-lg" onClick={() => void start()} disabled={starting} aria-busy={starting}>
            {starting ? <span className="spinner spinner-on-accent" aria-hidden="true" /> : <Icon name="play" />}
            {starting ? 'Starting the demo…' : 'Start the demo'}
          </button>
          {starting ? (
            <p className="muted" role="status">
              Creating the database and its sample data; the first time takes up to a minute.
            </p>
          ) : (
            <p className="muted">Or add your own server with “Add connection” above.</p>
          )}
        </div>
        {error ? <ErrorMessage error={error} title="The demo did not start" /> : null}
      </div>
    </section>
  );
}

/** Shown while a demo connection exists: what it is, and a way to remove it (with a confirm step). */
export function DemoNotice({ name }: { name: string }) {
  const announce = useAppStore((s) => s.announce);
  const removeDemo = useDemoStore((s) => s.remove);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const removeRef = useRef<HTMLButtonElement>(null);
  const uid = useId();

  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await removeDemo();
      announce('The demo database was removed.');
    } catch (e) {
      setError(toErrorInfo(e));
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="demo-notice" role="group" aria-labelledby={`${uid}-text`}>
      <div className="demo-notice-row">
        <p id={`${uid}-text`}>
          <Icon name="info" />
          <span>
            <strong>{name}</strong> is a demo database on this computer.
          </span>
        </p>
        <button type="button" ref={removeRef} className="btn btn-sm" onClick={() => setConfirming(true)} aria-expanded={confirming} disabled={busy}>
          <Icon name="trash" />
          Remove demo
        </button>
      </div>
      {confirming ? (
        <ConfirmBar
          labelId={`${uid}-confirm`}
          message="Remove the demo server, its data and its connection? Backups already made of it stay where they are."
          confirmLabel="Remove demo"
          onConfirm={() => void remove()}
          onCancel={() => {
            setConfirming(false);
            removeRef.current?.focus();
          }}
          busy={busy}
        />
      ) : null}
      {error ? <ErrorMessage error={error} title="The demo was not removed" /> : null}
    </div>
  );
}
