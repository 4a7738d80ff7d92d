import { useId, useState, type FormEvent } from 'react';
import type { ErrorInfo, ImportCandidate, ImportSource } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { connectionLabel } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useProfilesStore } from '../../stores/profiles-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';

interface Preview {
  source: ImportSource;
  candidates: ImportCandidate[];
}

/** Import from a postgres:// URI, ~/.pgpass or PG* variables: preview first, then save. */
export function ImportPanel({ onClose }: { onClose: () => void }) {
  const importPreview = useProfilesStore((s) => s.importPreview);
  const importSave = useProfilesStore((s) => s.importSave);
  const announce = useAppStore((s) => s.announce);
  // The URI may hold a password: it stays in this component and is cleared once used.
  const [uri, setUri] = useState('');
  const [preview, setPreview] = useState<Preview | null>(null);
  const [name, setName] = useState('');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const uid = useId();

  const runPreview = async (source: ImportSource) => {
    setError(null);
    setPreview(null);
    setBusy(true);
    try {
      const candidates = await importPreview(source);
      setPreview({ source, candidates });
      // A URI may carry a password: once parsed, it is no longer shown on screen.
      if (source.kind === 'uri') setUri('');
      setName(candidates[0]?.fields.name ?? '');
    } catch (e) {
      setError(toErrorInfo(e));
    } finally {
      setBusy(false);
    }
  };

  const onUriSubmit = (event: FormEvent) => {
    event.preventDefault();
    void runPreview({ kind: 'uri', uri: uri.trim() });
  };

  const runSave = async () => {
    if (!preview) return;
    setError(null);
    setBusy(true);
    try {
      const single = preview.candidates.length === 1;
      const saved = await importSave(preview.source, single && name.trim() ? name.trim() : null);
      setUri('');
      setPreview(null);
      announce(`Imported ${saved.map((p) => p.name).join(', ')}.`);
      onClose();
    } catch (e) {
      setError(toErrorInfo(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card import-panel" aria-labelledby={`${uid}-title`}>
      <header className="card-header">
        <h2 id={`${uid}-title`}>Import connections</h2>
        <button type="button" className="btn btn-icon" aria-label="Close import" onClick={onClose}>
          <Icon name="x" />
        </button>
      </header>

      <form className="import-uri" onSubmit={onUriSubmit}>
        <label htmlFor={`${uid}-uri`}>Connection URI</label>
        <div className="input-row">
          <input
            id={`${uid}-uri`}
            value={uri}
            onChange={(e) => setUri(e.target.value)}
            placeholder="postgres://user:password@host:5432/database?sslmode=require"
            spellCheck={false}
            autoComplete="off"
          />
          <button type="submit" className="btn" disabled={busy || uri.trim() === ''}>
            Preview URI
          </button>
        </div>
      </form>
      <div className="import-sources">
        <span className="muted">or read from</span>
        <button type="button" className="btn" disabled={busy} onClick={() => runPreview({ kind: 'pgpass' })}>
          ~/.pgpass
        </button>
        <button type="button" className="btn" disabled={busy} onClick={() => runPreview({ kind: 'env' })}>
          PG* environment variables
        </button>
      </div>

      {error ? <ErrorMessage error={error} title="Could not import" /> : null}

      {preview ? (
        <div className="import-preview">
          <h3>
            {preview.candidates.length === 1 ? 'Found 1 connection' : `Found ${preview.candidates.length} connections`}
          </h3>
          <ul className="candidate-list">
            {preview.candidates.map((c, i) => (
              <li key={i} className="candidate">
                <span className="candidate-name">{c.fields.name}</span>
                <span className="profile-conn">{connectionLabel(c.fields)}</span>
                <span className="badge">SSL {c.fields.sslmode}</span>
                <span className={c.hasPassword ? 'badge badge-ok' : 'badge'}>{c.hasPassword ? 'password found' : 'no password'}</span>
                <span className="muted candidate-source">from {c.source}</span>
              </li>
            ))}
          </ul>
          {preview.candidates.length === 1 ? (
            <div className="field import-name">
              <label htmlFor={`${uid}-name`}>Name for the imported connection</label>
              <input id={`${uid}-name`} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
            </div>
          ) : null}
          <div className="form-actions">
            <button type="button" className="btn" onClick={() => setPreview(null)}>
              Discard
            </button>
            <button type="button" className="btn btn-primary" disabled={busy} onClick={runSave}>
              {preview.candidates.length === 1 ? 'Save imported connection' : `Save ${preview.candidates.length} connections`}
            </button>
          </div>
        </div>
      ) : null}
    </section>
  );
}
