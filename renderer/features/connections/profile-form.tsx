import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { PROFILE_COLORS, SSL_MODES } from '../../../main/engine/types.ts';
import type { ErrorInfo, FileFilter, ProfileColor, ProfileInput, ProfileSummary, SslMode } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Icon } from '../../components/icons.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useProfilesStore } from '../../stores/profiles-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';
import { BackupFolderField, backupFolderInput } from './backup-folder-field.tsx';
import { CanaryEditor, canariesInput, initialCanaries, type CanaryRow } from './canary-editor.tsx';
import { DatabasePicker, FormTestResult, useFormTest } from './form-test.tsx';
import { DatabaseScopeFields, initialScope, scopeInput, type ScopeFields } from './database-scope-fields.tsx';
import { DbPasswordField, passwordMoves, type PasswordChoice } from './db-password-field.tsx';
import { initialSsh, savedSecretHops, sshInput, type SavedSecrets, type SshFields } from './ssh-form.ts';
import { SshSection } from './ssh-section.tsx';

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

/** What the form holds besides its plain fields: the SSH route, the database scope, the password, the folder and the canaries. */
interface FormParts {
  /** The profile being edited: unchanged folder and canaries are not sent (main keeps them). */
  profile: ProfileSummary | undefined;
  folder: string | null;
  canaries: CanaryRow[];
  ssh: SshFields;
  savedHops: SavedSecrets;
  scope: ScopeFields;
  /** The profile being edited had a scope: "Only this database" must then remove it. */
  hadScope: boolean;
  password: PasswordChoice;
  moves: boolean;
}

/** The form as the engine's input, or the first problem found before asking main. */
function profileInput(fields: FormFields, { profile, folder, canaries, ssh, savedHops, scope, hadScope, password, moves }: FormParts): { value: ProfileInput } | { error: ErrorInfo } {
  // Empty required fields are caught here: the IPC schema would refuse them with a terser message.
  const missing = REQUIRED.find(([key]) => fields[key].trim() === '');
  if (missing) return { error: { code: 'INVALID_INPUT', message: missing[1], fix: missing[2] } };
  const portText = fields.port.trim();
  const port = portText === '' ? 5432 : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return { error: { code: 'INVALID_INPUT', message: `Port "${portText}" is not a number between 1 and 65535.`, fix: 'PostgreSQL listens on 5432 unless configured otherwise.' } };
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
    ...backupFolderInput(folder, profile),
    ...canariesInput(canaries, profile),
  };
  const databases = scopeInput(scope, hadScope);
  if ('error' in databases) return databases;
  Object.assign(input, databases);
  // Off means no tunnel: `ssh: null` removes the section (and its saved secrets); absent would keep it.
  if (ssh.enabled) {
    const tunnel = sshInput(ssh, savedHops);
    if ('error' in tunnel) return tunnel;
    input.ssh = tunnel.ssh;
    input.sshSecrets = tunnel.sshSecrets;
  } else {
    input.ssh = null;
  }
  if (password.forget) input.password = null;
  else if (password.text !== '') input.password = password.text;
  else if (moves && password.keepForNewServer) input.keepPasswordForNewServer = true;
  return { value: input };
}

/** Add / edit form in a modal <dialog>. The password lives in this component only and is gone when it closes. */
export function ProfileForm({ profile, onClose }: { profile?: ProfileSummary; onClose: () => void }) {
  const save = useProfilesStore((s) => s.save);
  const count = useProfilesStore((s) => s.profiles.length);
  const announce = useAppStore((s) => s.announce);
  const chooseFile = useAppStore((s) => s.chooseFile);
  const [fields, setFields] = useState<FormFields>(() => initialFields(profile, count));
  const [ssh, setSsh] = useState<SshFields>(() => initialSsh(profile));
  const [scope, setScope] = useState<ScopeFields>(() => initialScope(profile));
  const [password, setPassword] = useState<PasswordChoice>({ text: '', forget: false, keepForNewServer: false });
  const [folder, setFolder] = useState<string | null>(profile?.backupFolder ?? null);
  const [canaries, setCanaries] = useState<CanaryRow[]>(() => initialCanaries(profile));
  const formTest = useFormTest(profile);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  // Fixed for the form's life: which hops had a secret when it opened.
  const [savedHops] = useState(() => savedSecretHops(profile));
  const dialogRef = useModalDialog();
  const uid = useId();
  const editing = Boolean(profile);
  const titleId = `${uid}-title`;
  const errorId = `${uid}-error`;

  const set = <K extends keyof FormFields>(key: K, value: FormFields[K]) => setFields((f) => ({ ...f, [key]: value }));

  // A failed dialog shows in the form's error, like a refused save.
  const pickFile = async (title: string, filters: FileFilter[]) => {
    try {
      return await chooseFile(title, filters);
    } catch (e) {
      setError(toErrorInfo(e));
      return null;
    }
  };
  const choose = async (key: 'sslRootCert' | 'sslCert' | 'sslKey', title: string, filters: FileFilter[]) => {
    const chosen = await pickFile(title, filters);
    if (chosen) set(key, chosen);
  };

  const formInput = () => profileInput(fields, { profile, folder, canaries, ssh, savedHops, scope, hadScope: Boolean(profile?.scope), password, moves });
  const testForm = async () => {
    const input = formInput();
    if ('error' in input) formTest.fail(input.error);
    else await formTest.run(input.value, fields.name.trim());
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const input = formInput();
    if ('error' in input) {
      setError(input.error);
      return;
    }
    setBusy(true);
    try {
      const saved = await save(input.value, profile?.id);
      setPassword({ text: '', forget: false, keepForNewServer: false });
      announce(`Saved ${saved.name}.`);
      onClose();
    } catch (e) {
      setError(toErrorInfo(e));
    } finally {
      setBusy(false);
    }
  };

  const moves = passwordMoves(profile, fields, ssh, password);
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
            <NameAndColour fields={fields} set={set} />

            <ServerFields fields={fields} set={set} databases={formTest.databasesFor(fields)} />

            <DatabaseScopeFields value={scope} onChange={setScope} />

            <DbPasswordField profile={profile} value={password} onChange={setPassword} moves={moves} />

            <SslFields fields={fields} set={set} choose={choose} />

            <SshSection value={ssh} onChange={setSsh} savedHops={savedHops} target={`${fields.host.trim() || '?'}:${fields.port.trim() || 5432}`} chooseFile={pickFile} />

            <BackupFolderField value={folder} onChange={setFolder} onError={setError} />

            <CanaryEditor rows={canaries} onChange={setCanaries} />
          </div>

          <FormTestResult test={formTest} />

          {error ? <ErrorMessage id={errorId} error={error} title="Could not save" /> : null}
        </div>

        <FormFooter testing={formTest.state?.status === 'running'} saving={busy} onTest={() => void testForm()} onCancel={onClose} />
      </form>
    </dialog>
  );
}

/** Opens the <dialog> as a modal with the focus in its first field; closes it when the form goes. */
function useModalDialog() {
  const dialogRef = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog && !dialog.open) dialog.showModal();
    dialog?.querySelector<HTMLInputElement>('input')?.focus();
    return () => dialog?.close();
  }, []);
  return dialogRef;
}

/** "Test connection" (the fields as typed, before saving) on the left; Cancel and Save on the right. */
function FormFooter({ testing, saving, onTest, onCancel }: { testing: boolean; saving: boolean; onTest: () => void; onCancel: () => void }) {
  return (
    <footer className="modal-footer">
      <button type="button" className="btn form-test-button" onClick={onTest} disabled={testing} aria-busy={testing}>
        <Icon name="plug" />
        Test connection
      </button>
      <button type="button" className="btn" onClick={onCancel}>
        Cancel
      </button>
      <button type="submit" className="btn btn-primary" disabled={saving} aria-busy={saving}>
        Save
      </button>
    </footer>
  );
}

function NameAndColour({ fields, set }: { fields: FormFields; set: SetField }) {
  const uid = useId();
  return (
    <>
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
    </>
  );
}

/** Host, port, database (with the server's databases to pick from after a successful test) and user. */
function ServerFields({ fields, set, databases }: { fields: FormFields; set: SetField; databases: string[] | null }) {
  const uid = useId();
  return (
    <>
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
        {databases ? <DatabasePicker databases={databases} onPick={(database) => set('database', database)} /> : null}
      </div>
      <div className="field">
        <label htmlFor={`${uid}-user`}>User</label>
        <input id={`${uid}-user`} value={fields.user} onChange={(e) => set('user', e.target.value)} required autoComplete="off" spellCheck={false} />
      </div>
    </>
  );
}

type SetField = <K extends keyof FormFields>(key: K, value: FormFields[K]) => void;
type ChooseCert = (key: 'sslRootCert' | 'sslCert' | 'sslKey', title: string, filters: FileFilter[]) => Promise<void>;

/** SSL mode with what it means, then the optional certificate files (picked in the native dialog). */
function SslFields({ fields, set, choose }: { fields: FormFields; set: SetField; choose: ChooseCert }) {
  const uid = useId();
  return (
    <>
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
    </>
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
