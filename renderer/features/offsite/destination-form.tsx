// Settings → Offsite destinations → "Add destination": where one connection's backups are copied —
// an S3-compatible bucket, or a folder on an SSH server (SFTP: the profile form's SSH route fields,
// the key file from the native dialog). Secrets (the S3 secret key, SSH passwords and passphrases)
// live in this component only, go to main once (into the keychain) and are dropped.
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { DestinationAddRequest, DestinationKind, ErrorInfo, FileFilter, ProfileSummary } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Icon } from '../../components/icons.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useOffsiteStore } from '../../stores/offsite-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';
import { initialSsh, sshInput, type SavedSecrets, type SshFields } from '../connections/ssh-form.ts';
import { SshRouteFields } from '../connections/ssh-section.tsx';
import { testDestination } from './destination-test.ts';

const STORAGE_CLASSES = ['STANDARD', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER_IR'];

/** A new destination has no saved SSH secrets. */
const NO_SAVED_SECRETS: SavedSecrets = new Map();
const KIND_TITLE: Record<DestinationKind, string> = { s3: 'Add S3 destination', sftp: 'Add SFTP destination' };

interface FormFields {
  kind: DestinationKind;
  name: string;
  profileId: string;
  endpoint: string;
  region: string;
  bucket: string;
  prefix: string;
  pathStyle: boolean;
  accessKeyId: string;
  secretKey: string;
  storageClass: string;
  objectLockDays: string;
  partChecksums: boolean;
  /** SFTP: the route (always on: the SSH host holds the folder) and the folder there. */
  ssh: SshFields;
  folder: string;
}

const REQUIRED: [key: 'name' | 'endpoint' | 'bucket' | 'accessKeyId' | 'secretKey', message: string, fix: string][] = [
  ['name', 'The destination needs a name.', 'Type a short name such as "offsite" (letters, digits, dots, dashes, underscores).'],
  ['endpoint', 'The destination needs the store’s endpoint URL.', 'e.g. https://s3.eu-central-1.amazonaws.com, or your provider’s S3 endpoint.'],
  ['bucket', 'The destination needs a bucket.', 'Type the name of a bucket that already exists at the provider.'],
  ['accessKeyId', 'The destination needs an access key id.', 'Create an access key at the provider for this bucket and paste its id.'],
  ['secretKey', 'The destination needs the secret access key.', 'Paste the secret key shown when the access key was created; Lifeboat keeps it in the OS keychain.'],
];

function initialFields(profiles: ProfileSummary[]): FormFields {
  return {
    kind: 's3',
    name: '',
    profileId: profiles[0]?.id ?? '',
    endpoint: '',
    region: 'us-east-1',
    bucket: '',
    prefix: 'lifeboat/',
    pathStyle: false,
    accessKeyId: '',
    secretKey: '',
    storageClass: '',
    objectLockDays: '',
    partChecksums: true,
    ssh: { ...initialSsh(undefined), enabled: true },
    folder: '',
  };
}

/** The form as the IPC request, or the first problem found before asking main (main and the engine check everything again). */
function destinationRequest(fields: FormFields): { value: DestinationAddRequest } | { error: ErrorInfo } {
  const required = fields.kind === 's3' ? REQUIRED : REQUIRED.filter(([key]) => key === 'name');
  const missing = required.find(([key]) => fields[key].trim() === '');
  if (missing) return { error: { code: 'INVALID_INPUT', message: missing[1], fix: missing[2] } };
  if (!fields.profileId) return { error: { code: 'INVALID_INPUT', message: 'Choose the connection whose backups go there.', fix: 'Add a connection first if there is none.' } };
  if (fields.kind === 'sftp') return sftpRequest(fields);
  const days = fields.objectLockDays.trim();
  const lockDays = days === '' ? undefined : Number(days);
  if (lockDays !== undefined && (!Number.isInteger(lockDays) || lockDays < 1 || lockDays > 36_500)) {
    return { error: { code: 'INVALID_INPUT', message: `Object Lock days must be a whole number from 1 to 36500, not "${days}".`, fix: 'Enter how many days each copy stays locked, or leave it empty.' } };
  }
  const s3 = {
    endpoint: fields.endpoint.trim(),
    region: fields.region.trim() || 'us-east-1',
    bucket: fields.bucket.trim(),
    prefix: fields.prefix.trim(),
    pathStyle: fields.pathStyle,
    accessKeyId: fields.accessKeyId.trim(),
    partChecksums: fields.partChecksums,
    ...(fields.storageClass.trim() ? { storageClass: fields.storageClass.trim() } : {}),
    ...(lockDays !== undefined ? { objectLockDays: lockDays } : {}),
  };
  return { value: { name: fields.name.trim(), profileId: fields.profileId, s3, secretKey: fields.secretKey } };
}

function sftpRequest(fields: FormFields): { value: DestinationAddRequest } | { error: ErrorInfo } {
  const folder = fields.folder.trim();
  if (!folder.startsWith('/')) {
    return { error: { code: 'INVALID_INPUT', message: folder ? `"${folder}" is not an absolute folder on the SSH server.` : 'The destination needs the folder on the SSH server.', fix: 'Type its absolute path, e.g. /srv/backups/lifeboat.' } };
  }
  const route = sshInput(fields.ssh, NO_SAVED_SECRETS);
  if ('error' in route) return route;
  // Only secrets typed now (a new destination keeps none): undefined entries say "none for this hop".
  const sshSecrets = route.sshSecrets.map((secret) => (typeof secret === 'string' ? secret : null));
  return { value: { name: fields.name.trim(), profileId: fields.profileId, sftp: { ...route.ssh, folder }, ...(sshSecrets.some((x) => x !== null) ? { sshSecrets } : {}) } };
}

export function DestinationForm({ profiles, onClose }: { profiles: ProfileSummary[]; onClose: () => void }) {
  const add = useOffsiteStore((s) => s.add);
  const announce = useAppStore((s) => s.announce);
  const chooseFile = useAppStore((s) => s.chooseFile);
  const [fields, setFields] = useState<FormFields>(() => initialFields(profiles));
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const uid = useId();
  const set = <K extends keyof FormFields>(key: K, value: FormFields[K]) => setFields((f) => ({ ...f, [key]: value }));

  useEffect(() => {
    formRef.current?.querySelector<HTMLInputElement>('input')?.focus();
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const request = destinationRequest(fields);
    if ('error' in request) {
      setError(request.error);
      return;
    }
    setBusy(true);
    try {
      const added = await add(request.value);
      setFields((f) => ({ ...f, secretKey: '', ssh: { ...f.ssh, bastion: { ...f.ssh.bastion, secret: '' }, jumps: f.ssh.jumps.map((j) => ({ ...j, secret: '' })) } }));
      announce(`Added ${added.name}: every new backup of ${added.profileName} is copied there. Testing it…`);
      onClose();
      // Proved right away; an SFTP server's unknown host key is asked about in the host-key dialog.
      void testDestination(added);
    } catch (e) {
      setError(toErrorInfo(e));
    } finally {
      setBusy(false);
    }
  };

  const pickFile = async (title: string, filters: FileFilter[]) => {
    try {
      return await chooseFile(title, filters);
    } catch (e) {
      setError(toErrorInfo(e));
      return null;
    }
  };

  const field = (key: 'name' | 'endpoint' | 'region' | 'bucket' | 'prefix' | 'accessKeyId' | 'folder', label: string, extra: { placeholder?: string; hint?: ReactNode; className?: string } = {}) => (
    <div className={extra.className ? `field ${extra.className}` : 'field'}>
      <label htmlFor={`${uid}-${key}`}>{label}</label>
      <input
        id={`${uid}-${key}`}
        value={fields[key]}
        onChange={(e) => set(key, e.target.value)}
        placeholder={extra.placeholder}
        autoComplete="off"
        spellCheck={false}
        aria-describedby={extra.hint ? `${uid}-${key}-hint` : undefined}
      />
      {extra.hint ? (
        <p id={`${uid}-${key}-hint`} className="hint">
          {extra.hint}
        </p>
      ) : null}
    </div>
  );

  return (
    <form ref={formRef} className="destination-form" onSubmit={submit} noValidate aria-labelledby={`${uid}-title`} aria-describedby={error ? `${uid}-error` : undefined}>
      <h3 id={`${uid}-title`} className="settings-group-title">
        {KIND_TITLE[fields.kind]}
      </h3>
      <fieldset className="segmented" aria-describedby={`${uid}-kind-hint`}>
        <legend className="sr-only">Kind of destination</legend>
        {(['s3', 'sftp'] as const).map((kind) => (
          <label key={kind} className="segmented-option">
            <input type="radio" name={`${uid}-kind`} value={kind} checked={fields.kind === kind} onChange={() => set('kind', kind)} />
            <span>{kind === 's3' ? 'S3 bucket' : 'SFTP server'}</span>
          </label>
        ))}
      </fieldset>
      <p id={`${uid}-kind-hint`} className="hint">
        {fields.kind === 's3' ? 'AWS S3, Backblaze B2, Cloudflare R2, MinIO, Wasabi or any S3-compatible store.' : 'A folder on a server you can log in to over SSH, reached directly or through jump hosts.'}
      </p>
      <div className="field-grid">
        {field('name', 'Name', { placeholder: 'e.g. offsite', hint: 'Letters, digits, dots, dashes and underscores.' })}
        <div className="field">
          <label htmlFor={`${uid}-profile`}>Connection</label>
          <select id={`${uid}-profile`} value={fields.profileId} onChange={(e) => set('profileId', e.target.value)} aria-describedby={`${uid}-profile-hint`}>
            {profiles.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
          <p id={`${uid}-profile-hint`} className="hint">
            Every new backup of this connection is copied here.
          </p>
        </div>
        {fields.kind === 'sftp' ? (
          <>
            {field('folder', 'Folder on the server', { className: 'span-2', placeholder: '/srv/backups/lifeboat', hint: 'An absolute path that exists on the SSH host and that its user may write to.' })}
            <fieldset className="span-2 ssh-fieldset">
              <legend>SSH server</legend>
              <SshRouteFields value={fields.ssh} onChange={(ssh) => set('ssh', ssh)} savedHops={NO_SAVED_SECRETS} target={fields.folder.trim() || '/?'} chooseFile={pickFile} />
            </fieldset>
          </>
        ) : null}
        {fields.kind === 's3' ? (
          <>
            {field('endpoint', 'Endpoint', { className: 'span-2', placeholder: 'https://s3.eu-central-1.amazonaws.com', hint: 'https://, or http:// only to this computer or a private network address.' })}
            {field('region', 'Region', { placeholder: 'us-east-1', hint: '“auto” for Cloudflare R2.' })}
            {field('bucket', 'Bucket', { placeholder: 'my-backups' })}
            {field('prefix', 'Folder in the bucket', { placeholder: 'lifeboat/', hint: 'Empty: the top of the bucket.' })}
            <SwitchField id={`${uid}-path-style`} label="Path-style addresses" hint="endpoint/bucket instead of bucket.endpoint: MinIO and most S3-compatible stores." checked={fields.pathStyle} onChange={(on) => set('pathStyle', on)} />
            {field('accessKeyId', 'Access key id')}
            <div className="field">
              <label htmlFor={`${uid}-secret`}>Secret access key</label>
              <input id={`${uid}-secret`} type="password" value={fields.secretKey} onChange={(e) => set('secretKey', e.target.value)} autoComplete="new-password" spellCheck={false} aria-describedby={`${uid}-secret-hint`} />
              <p id={`${uid}-secret-hint`} className="hint">
                Kept in the OS keychain, used only for this endpoint and bucket; never shown again.
              </p>
            </div>
            <div className="field">
              <label htmlFor={`${uid}-class`}>Storage class (optional)</label>
              <input id={`${uid}-class`} list={`${uid}-classes`} value={fields.storageClass} onChange={(e) => set('storageClass', e.target.value)} placeholder="The bucket’s default" autoComplete="off" spellCheck={false} />
              <datalist id={`${uid}-classes`}>
                {STORAGE_CLASSES.map((c) => (
                  <option key={c} value={c} />
                ))}
              </datalist>
            </div>
            <div className="field">
              <label htmlFor={`${uid}-lock`}>Object Lock days (optional)</label>
              <input id={`${uid}-lock`} value={fields.objectLockDays} onChange={(e) => set('objectLockDays', e.target.value)} inputMode="numeric" autoComplete="off" aria-describedby={`${uid}-lock-hint`} />
              <p id={`${uid}-lock-hint`} className="hint">
                Each copy cannot be deleted or changed for this many days. The bucket must have Object Lock on.
              </p>
            </div>
            <SwitchField
              id={`${uid}-checksums`}
              label="Checksum every part"
              hint="The store checks each uploaded part’s SHA-256 as it arrives. Turn off only for a store that rejects checksum headers (not with Object Lock)."
              checked={fields.partChecksums}
              onChange={(on) => set('partChecksums', on)}
            />
          </>
        ) : null}
      </div>
      {error ? <ErrorMessage id={`${uid}-error`} error={error} title="The destination was not added" /> : null}
      <div className="form-actions">
        <button type="button" className="btn" onClick={onClose} disabled={busy}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy} aria-busy={busy}>
          <Icon name="plus" />
          Add destination
        </button>
      </div>
    </form>
  );
}

function SwitchField({ id, label, hint, checked, onChange }: { id: string; label: string; hint: string; checked: boolean; onChange: (on: boolean) => void }) {
  return (
    <div className="field switch-field">
      <div className="switch-line">
        <input id={id} type="checkbox" role="switch" className="switch" checked={checked} onChange={(e) => onChange(e.target.checked)} aria-describedby={`${id}-hint`} />
        <label htmlFor={id}>{label}</label>
      </div>
      <p id={`${id}-hint`} className="hint">
        {hint}
      </p>
    </div>
  );
}
