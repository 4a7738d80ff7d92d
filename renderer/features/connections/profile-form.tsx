import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { PROFILE_COLORS, SSL_MODES } from '../../../main/engine/types.ts';
import type { ErrorInfo, FileFilter, ProfileColor, ProfileInput, ProfileSummary, SslMode } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Icon } from '../../components/icons.tsx';
import { visibleText } from '../../../main/engine/name-text.ts';
import { useAppStore } from '../../stores/app-store.ts';
import { useProfilesStore } from '../../stores/profiles-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';

const SSL_HELP: Record<SslMode, string> = {
  disable: 'Never use SSL. Only for a server on this machine or a trusted private network.',
  allow: 'Plain first; SSL only if the server insists.',
  prefer: 'SSL when the server offers it, plain otherwise. The PostgreSQL default.',
  require: 'Always encrypted, but the server certificate is not checked.',
  'verify-ca': 'Encrypted, and the certificate must be signed by your CA.',
  'verify-full': 'Encrypted, CA-signed, and the host name must match the certificate. The safest.',
};

const CERT_FILTERS: FileFilter[] = [
  { name: 'Certificates', extensions: ['crt', 'pem', 'cer'] },
  { name: 'All files', extensions: ['*'] },
];
const KEY_FILTERS: FileFilter[] = [
  { name: 'Private keys', extensions: ['key', 'pem'] },
  { name: 'All files', extensions: ['*'] },
];

const REQUIRED: [key: 'name' | 'host' | 'user', message: string, fix: string][] = [
  ['name', 'The connection needs a name.', 'Type a short name such as "production".'],
  ['host', 'The connection needs a host.', 'Type the server name or address, e.g. db.example.com or 127.0.0.1.'],
  ['user', 'The connection needs a user name.', 'Type the PostgreSQL role to connect as, e.g. postgres.'],
];

interface FormFields {
  name: string;
  host: string;
  port: string;
  database: string;
  user: string;
  sslmode: SslMode;
  sslRootCert: string;
  sslCert: string;
  sslKey: string;
  color: ProfileColor;
}

function initialFields(profile: ProfileSummary | undefined, taken: number): FormFields {
  if (profile) {
    return {
      name: profile.name,
      host: profile.host,
      port: String(profile.port),
      database: profile.database,
      user: profile.user,
      sslmode: profile.sslmode,
      sslRootCert: profile.sslRootCert ?? '',
      sslCert: profile.sslCert ?? '',
      sslKey: profile.sslKey ?? '',
      color: profile.color,
    };
  }
  return {
    name: '',
    host: 'localhost',
    port: '5432',
    database: 'postgres',
    user: 'postgres',
    sslmode: 'prefer',
    sslRootCert: '',
    sslCert: '',
    sslKey: '',
    // A different colour for each new profile, so labels tell them apart.
    color: PROFILE_COLORS[(taken + 1) % PROFILE_COLORS.length]!,
  };
}

/** Add / edit form in a modal <dialog>. The password lives in this component only and is gone when it closes. */
export function ProfileForm({ profile, onClose }: { profile?: ProfileSummary; onClose: () => void }) {
  const save = useProfilesStore((s) => s.save);
  const count = useProfilesStore((s) => s.profiles.length);
  const announce = useAppStore((s) => s.announce);
  const chooseFile = useAppStore((s) => s.chooseFile);
  const [fields, setFields] = useState<FormFields>(() => initialFields(profile, count));
  const [password, setPassword] = useState('');
  const [forgetPassword, setForgetPassword] = useState(false);
  const [keepForNewServer, setKeepForNewServer] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const dialogRef = useRef<HTMLDialogElement>(null);
  const uid = useId();
  const editing = Boolean(profile);
  const hasSavedPassword = profile !== undefined && profile.passwordStorage !== 'none';
  const titleId = `${uid}-title`;
  const errorId = `${uid}-error`;

  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog && !dialog.open) dialog.showModal();
    dialog?.querySelector<HTMLInputElement>('input')?.focus();
    return () => dialog?.close();
  }, []);

  const set = <K extends keyof FormFields>(key: K, value: FormFields[K]) => setFields((f) => ({ ...f, [key]: value }));

  const choose = async (key: 'sslRootCert' | 'sslCert' | 'sslKey', title: string, filters: FileFilter[]) => {
    try {
      const chosen = await chooseFile(title, filters);
      if (chosen) set(key, chosen);
    } catch (e) {
      setError(toErrorInfo(e));
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    // Empty required fields are caught here: the IPC schema would refuse them with a terser message.
    const missing = REQUIRED.find(([key]) => fields[key].trim() === '');
    if (missing) {
      setError({ code: 'INVALID_INPUT', message: missing[1], fix: missing[2] });
      return;
    }
    const portText = fields.port.trim();
    const port = portText === '' ? 5432 : Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      setError({ code: 'INVALID_INPUT', message: `Port "${portText}" is not a number between 1 and 65535.`, fix: 'PostgreSQL listens on 5432 unless configured otherwise.' });
      return;
    }
    const input: ProfileInput = {
      name: fields.name.trim(),
      host: fields.host.trim(),
      port,
      database: fields.database.trim(),
      user: fields.user.trim(),
      sslmode: fields.sslmode,
      sslRootCert: fields.sslRootCert.trim(),
      sslCert: fields.sslCert.trim(),
      sslKey: fields.sslKey.trim(),
      color: fields.color,
    };
    if (forgetPassword) input.password = null;
    else if (password !== '') input.password = password;
    else if (movesSavedPassword && keepForNewServer) input.keepPasswordForNewServer = true;
    setBusy(true);
    try {
      const saved = await save(input, profile?.id);
      setPassword('');
      announce(`Saved ${saved.name}.`);
      onClose();
    } catch (e) {
      setError(toErrorInfo(e));
    } finally {
      setBusy(false);
    }
  };

  // A saved password belongs to the server it was given for: moving the connection forgets it unless the user says otherwise.
  const portNow = fields.port.trim() === '' ? 5432 : Number(fields.port.trim());
  const movesSavedPassword = profile !== undefined && hasSavedPassword && !forgetPassword && password === ''
    && (fields.host.trim() !== profile.host || portNow !== profile.port || fields.user.trim() !== profile.user);
  const passwordHint = editing
    ? hasSavedPassword
      ? 'Leave empty to keep the saved password.'
      : 'No password is saved for this connection.'
    : 'Optional. Stored in the OS keychain, never in Lifeboat’s files.';

  return (
    <dialog
      ref={dialogRef}
      className="modal"
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <form className="form" onSubmit={submit} noValidate aria-describedby={error ? errorId : undefined}>
        <header className="modal-header">
          <h2 id={titleId}>{editing ? `Edit ${profile?.name}` : 'Add connection'}</h2>
          <button type="button" className="btn btn-icon" aria-label="Close" onClick={onClose}>
            <Icon name="x" />
          </button>
        </header>

        <div className="modal-body">
          <div className="field-grid">
            <div className="field span-2">
              <label htmlFor={`${uid}-name`}>Name</label>
              <input id={`${uid}-name`} value={fields.name} onChange={(e) => set('name', e.target.value)} required placeholder="e.g. production" autoComplete="off" />
            </div>

            <fieldset className="field span-2 color-field">
              <legend>Colour label</legend>
              <div className="swatches">
                {PROFILE_COLORS.map((color) => (
                  <label key={color} className="swatch" title={color}>
                    <input type="radio" name={`${uid}-color`} value={color} checked={fields.color === color} onChange={() => set('color', color)} />
                    <span className={`swatch-dot color-${color}`} aria-hidden="true" />
                    <span className="sr-only">{color}</span>
                  </label>
                ))}
              </div>
            </fieldset>

            <div className="field">
              <label htmlFor={`${uid}-host`}>Host</label>
              <input id={`${uid}-host`} value={fields.host} onChange={(e) => set('host', e.target.value)} required autoComplete="off" spellCheck={false} />
            </div>
            <div className="field field-narrow">
              <label htmlFor={`${uid}-port`}>Port</label>
              <input id={`${uid}-port`} value={fields.port} onChange={(e) => set('port', e.target.value)} inputMode="numeric" autoComplete="off" />
            </div>

            <div className="field">
              <label htmlFor={`${uid}-database`}>Database</label>
              <input id={`${uid}-database`} value={fields.database} onChange={(e) => set('database', e.target.value)} autoComplete="off" spellCheck={false} />
            </div>
            <div className="field">
              <label htmlFor={`${uid}-user`}>User</label>
              <input id={`${uid}-user`} value={fields.user} onChange={(e) => set('user', e.target.value)} required autoComplete="off" spellCheck={false} />
            </div>

            <div className="field span-2">
              <label htmlFor={`${uid}-password`}>Password</label>
              <input
                id={`${uid}-password`}
                type="password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                autoComplete="new-password"
                disabled={forgetPassword}
                placeholder={editing && hasSavedPassword ? '••••••••  (saved)' : ''}
                aria-describedby={`${uid}-password-hint`}
              />
              <p id={`${uid}-password-hint`} className="hint">
                {passwordHint}
              </p>
              {hasSavedPassword ? (
                <label className="checkbox">
                  <input type="checkbox" checked={forgetPassword} onChange={(e) => setForgetPassword(e.target.checked)} />
                  Forget the saved password
                </label>
              ) : null}
              {movesSavedPassword && profile ? (
                <div className="callout callout-warn password-moves" role="note">
                  <div className="callout-body">
                    <p>
                      The saved password was given for <code>{visibleText(`${profile.user}@${profile.host}:${profile.port}`)}</code>. It is forgotten when you save, so that it never
                      reaches another server — type the new server’s password above, or:
                    </p>
                    <label className="checkbox">
                      <input type="checkbox" checked={keepForNewServer} onChange={(e) => setKeepForNewServer(e.target.checked)} />
                      Use the saved password for the new server
                    </label>
                  </div>
                </div>
              ) : null}
            </div>

            <div className="field span-2">
              <label htmlFor={`${uid}-sslmode`}>SSL mode</label>
              <select id={`${uid}-sslmode`} value={fields.sslmode} onChange={(e) => set('sslmode', e.target.value as SslMode)} aria-describedby={`${uid}-ssl-hint`}>
                {SSL_MODES.map((mode) => (
                  <option key={mode} value={mode}>
                    {mode}
                  </option>
                ))}
              </select>
              <p id={`${uid}-ssl-hint`} className="hint">
                {SSL_HELP[fields.sslmode]}
              </p>
            </div>

            <fieldset className="span-2 cert-fieldset">
              <legend>Certificates (optional)</legend>
              <PathField id={`${uid}-ca`} label="CA certificate" value={fields.sslRootCert} onChange={(v) => set('sslRootCert', v)} onChoose={() => choose('sslRootCert', 'Choose the CA certificate', CERT_FILTERS)} />
              <PathField id={`${uid}-cert`} label="Client certificate" value={fields.sslCert} onChange={(v) => set('sslCert', v)} onChoose={() => choose('sslCert', 'Choose the client certificate', CERT_FILTERS)} />
              <PathField id={`${uid}-key`} label="Client key" value={fields.sslKey} onChange={(v) => set('sslKey', v)} onChoose={() => choose('sslKey', 'Choose the client key', KEY_FILTERS)} />
            </fieldset>
          </div>

          {error ? <ErrorMessage id={errorId} error={error} title="Could not save" /> : null}
        </div>

        <footer className="modal-footer">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy} aria-busy={busy}>
            Save
          </button>
        </footer>
      </form>
    </dialog>
  );
}

function PathField({ id, label, value, onChange, onChoose }: { id: string; label: string; value: string; onChange: (v: string) => void; onChoose: () => void }) {
  return (
    <div className="field path-field">
      <label htmlFor={id}>{label}</label>
      <div className="input-row">
        <input id={id} value={value} onChange={(e) => onChange(e.target.value)} placeholder="/path/to/file" spellCheck={false} autoComplete="off" />
        <button type="button" className="btn" onClick={onChoose} aria-label={`Choose ${label} file`}>
          <Icon name="folder" />
          Choose…
        </button>
      </div>
    </div>
  );
}
