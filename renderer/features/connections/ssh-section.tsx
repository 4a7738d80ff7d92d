// "Connect through SSH" in the profile form: the SSH host (bastion), its login, keep-alive and the
// jump hosts before it (SshRouteFields, shared with the SFTP destination form). Secrets are write-only here, like the database password: the form only
// knows whether one is saved (sshSecretsSaved), never its value.
import { useId, useRef } from 'react';
import { SSH_AUTH_METHODS } from '../../../main/engine/types.ts';
import type { FileFilter, SshAuthMethod } from '../../../main/ipc/contract.ts';
import { Icon } from '../../components/icons.tsx';
import { emptyHop, hasSavedSecret, MAX_JUMPS, moveJump, type HopFields, type SavedSecrets, type SshFields } from './ssh-form.ts';

const AUTH_LABEL: Record<SshAuthMethod, string> = { key: 'Key file', agent: 'SSH agent', password: 'Password' };

// SSH keys usually have no extension (id_ed25519): all files first.
const SSH_KEY_FILTERS: FileFilter[] = [
  { name: 'All files', extensions: ['*'] },
  { name: 'PEM keys', extensions: ['pem', 'key'] },
];

export interface SshSectionProps {
  value: SshFields;
  onChange: (next: SshFields) => void;
  /** Hops (user@host:port) with a saved password or passphrase, and the login method it is for. */
  savedHops: SavedSecrets;
  /** The database as the form names it now, for the route preview. */
  target: string;
  /** Opens the native file dialog; resolves to the chosen path, or null when cancelled. */
  chooseFile: (title: string, filters: FileFilter[]) => Promise<string | null>;
}

export function SshSection({ value, onChange, savedHops, target, chooseFile }: SshSectionProps) {
  const uid = useId();
  const regionId = `${uid}-ssh`;
  const set = (patch: Partial<SshFields>) => onChange({ ...value, ...patch });

  return (
    <div className="span-2 ssh-section">
      <label className="checkbox ssh-toggle">
        <input type="checkbox" checked={value.enabled} onChange={(e) => set({ enabled: e.target.checked })} aria-expanded={value.enabled} aria-controls={value.enabled ? regionId : undefined} />
        Connect through SSH
      </label>
      <p className="hint">For a database that only a server you can SSH into (a bastion) may reach.</p>
      {value.enabled ? (
        <fieldset id={regionId} className="ssh-fieldset">
          <legend>SSH tunnel</legend>
          <p className="callout callout-info ssh-help">
            With SSH, <strong>Host</strong> and <strong>Port</strong> above are the database as the SSH host sees it (e.g. <code>localhost:5432</code>).
          </p>
          <SshRouteFields value={value} onChange={onChange} savedHops={savedHops} target={target} chooseFile={chooseFile} />
        </fieldset>
      ) : null}
    </div>
  );
}

/**
 * An SSH route as the user edits it: the SSH host and its login (key file from the native dialog,
 * agent or password), keep-alive, the jump hosts before it, and the route it makes. The profile
 * form's tunnel and an SFTP destination (whose SSH host holds the folder) share it.
 */
export function SshRouteFields({ value, onChange, savedHops, target, chooseFile }: Omit<SshSectionProps, 'value'> & { value: SshFields }) {
  const uid = useId();
  const set = (patch: Partial<SshFields>) => onChange({ ...value, ...patch });
  const hopProps = (hop: HopFields) => ({ saved: hasSavedSecret(savedHops, hop), chooseFile });
  return (
    <>
      <HopEditor name="SSH" hop={value.bastion} onChange={(bastion) => set({ bastion })} {...hopProps(value.bastion)} />
      <div className="field ssh-keepalive">
        <label htmlFor={`${uid}-keepalive`}>Keep-alive (seconds)</label>
        <input id={`${uid}-keepalive`} value={value.keepAlive} onChange={(e) => set({ keepAlive: e.target.value })} inputMode="numeric" autoComplete="off" aria-describedby={`${uid}-keepalive-hint`} />
        <p id={`${uid}-keepalive-hint`} className="hint">
          Keeps idle connections open through firewalls during long backups; 0 turns it off.
        </p>
      </div>
      <JumpList jumps={value.jumps} onChange={(jumps) => set({ jumps })} hopProps={hopProps} />
      <p className="ssh-route">
        <span className="ssh-route-label">Route:</span> this computer → {[...value.jumps, value.bastion].map((hop) => `${hop.host.trim() || '?'}:${hop.port.trim() || 22}`).join(' → ')} → {target}
      </p>
    </>
  );
}

function JumpList({ jumps, onChange, hopProps }: { jumps: HopFields[]; onChange: (jumps: HopFields[]) => void; hopProps: (hop: HopFields) => { saved: boolean; chooseFile: SshSectionProps['chooseFile'] } }) {
  const addRef = useRef<HTMLButtonElement>(null);
  const remove = (index: number) => {
    onChange(jumps.filter((_, i) => i !== index));
    // The removed hop's buttons are gone: focus would fall to the page.
    addRef.current?.focus();
  };
  return (
    <div className="ssh-jumps">
      <h3 className="ssh-jumps-title">Jump hosts</h3>
      <p className="hint">Connected to first, in this order, to reach the SSH host above (like ProxyJump). Most setups need none.</p>
      {jumps.length ? (
        <ol className="ssh-jump-list">
          {jumps.map((hop, index) => {
            const name = `Jump host ${index + 1}`;
            return (
              <li key={hop.key}>
                <fieldset className="ssh-hop">
                  <legend>{name}</legend>
                  <div className="ssh-hop-actions">
                    <button type="button" className="btn btn-icon" aria-label={`Move ${name.toLowerCase()} up`} title="Move up" disabled={index === 0} onClick={() => onChange(moveJump(jumps, index, -1))}>
                      <Icon name="arrow-up" />
                    </button>
                    <button type="button" className="btn btn-icon" aria-label={`Move ${name.toLowerCase()} down`} title="Move down" disabled={index === jumps.length - 1} onClick={() => onChange(moveJump(jumps, index, 1))}>
                      <Icon name="arrow-down" />
                    </button>
                    <button type="button" className="btn btn-icon btn-icon-danger" aria-label={`Remove ${name.toLowerCase()}`} title="Remove" onClick={() => remove(index)}>
                      <Icon name="trash" />
                    </button>
                  </div>
                  <HopEditor name={name} hop={hop} onChange={(next) => onChange(jumps.map((j, i) => (i === index ? next : j)))} {...hopProps(hop)} />
                </fieldset>
              </li>
            );
          })}
        </ol>
      ) : null}
      <button type="button" ref={addRef} className="btn btn-sm" onClick={() => onChange([...jumps, emptyHop()])} disabled={jumps.length >= MAX_JUMPS}>
        <Icon name="plus" />
        Add jump host
      </button>
    </div>
  );
}

interface HopEditorProps {
  /** Prefix of every field's accessible name ("SSH", "Jump host 2"): the form has several Host fields. */
  name: string;
  hop: HopFields;
  onChange: (hop: HopFields) => void;
  saved: boolean;
  chooseFile: SshSectionProps['chooseFile'];
}

function HopEditor({ name, hop, onChange, saved, chooseFile }: HopEditorProps) {
  const uid = useId();
  const set = (patch: Partial<HopFields>) => onChange({ ...hop, ...patch });
  const label = (text: string) => (
    <>
      <span className="sr-only">{name} </span>
      {text}
    </>
  );
  const choose = async () => {
    const chosen = await chooseFile(`Choose the private key for ${name === 'SSH' ? 'the SSH host' : name.toLowerCase()}`, SSH_KEY_FILTERS);
    if (chosen) set({ keyFile: chosen });
  };

  return (
    <div className="field-grid ssh-hop-grid">
      <div className="field">
        <label htmlFor={`${uid}-host`}>{label('Host')}</label>
        <input id={`${uid}-host`} value={hop.host} onChange={(e) => set({ host: e.target.value })} placeholder="bastion.example.com" autoComplete="off" spellCheck={false} />
      </div>
      <div className="field">
        <label htmlFor={`${uid}-port`}>{label('Port')}</label>
        <input id={`${uid}-port`} value={hop.port} onChange={(e) => set({ port: e.target.value })} inputMode="numeric" autoComplete="off" />
      </div>
      <div className="field">
        <label htmlFor={`${uid}-user`}>{label('User')}</label>
        <input id={`${uid}-user`} value={hop.user} onChange={(e) => set({ user: e.target.value })} autoComplete="off" spellCheck={false} />
      </div>
      <div className="field">
        <label htmlFor={`${uid}-auth`}>{label('Login method')}</label>
        <select id={`${uid}-auth`} value={hop.auth} onChange={(e) => set({ auth: e.target.value as SshAuthMethod, secret: '', forgetSecret: false })}>
          {SSH_AUTH_METHODS.map((method) => (
            <option key={method} value={method}>
              {AUTH_LABEL[method]}
            </option>
          ))}
        </select>
      </div>
      {hop.auth === 'key' ? (
        <div className="field span-2 path-field">
          <label htmlFor={`${uid}-key`}>{label('Key file')}</label>
          <div className="input-row">
            {/* Read-only: main reads a new key file only when the user picked it in the native dialog. */}
            <input id={`${uid}-key`} value={hop.keyFile} readOnly placeholder="Choose the private key, e.g. ~/.ssh/id_ed25519" spellCheck={false} />
            <button type="button" className="btn" onClick={() => void choose()} aria-label={`Choose ${name} key file`}>
              <Icon name="folder" />
              Choose…
            </button>
          </div>
        </div>
      ) : null}
      {hop.auth === 'agent' ? <p className="hint span-2">Uses the keys loaded in your running SSH agent (ssh-add); nothing is stored.</p> : <HopSecret name={name} hop={hop} saved={saved} onChange={set} />}
    </div>
  );
}

/** The hop's password or key passphrase: write-only, like the database password. */
function HopSecret({ name, hop, saved, onChange }: { name: string; hop: HopFields; saved: boolean; onChange: (patch: Partial<HopFields>) => void }) {
  const uid = useId();
  const what = hop.auth === 'password' ? 'password' : 'passphrase';
  const hint = saved
    ? `Leave empty to keep the saved ${what}.`
    : hop.auth === 'password'
      ? 'Stored in the OS keychain, never in Lifeboat’s files.'
      : 'Only if the key is encrypted. Stored in the OS keychain.';
  return (
    <div className="field span-2">
      <label htmlFor={`${uid}-secret`}>
        <span className="sr-only">{name} </span>
        {hop.auth === 'password' ? 'Password' : 'Key passphrase'}
      </label>
      <input
        id={`${uid}-secret`}
        type="password"
        value={hop.secret}
        onChange={(e) => onChange({ secret: e.target.value })}
        autoComplete="new-password"
        disabled={hop.forgetSecret}
        placeholder={saved ? '••••••••  (saved)' : ''}
        aria-describedby={`${uid}-secret-hint`}
      />
      <p id={`${uid}-secret-hint`} className="hint">
        {hint}
      </p>
      {saved ? (
        <label className="checkbox">
          <input type="checkbox" checked={hop.forgetSecret} onChange={(e) => onChange({ forgetSecret: e.target.checked, secret: '' })} />
          Forget the saved {what}
        </label>
      ) : null}
    </div>
  );
}
