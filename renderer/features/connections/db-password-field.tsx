// The database password in the profile form: write-only (the saved one never reaches the page), with
// "forget it", and a warning when the edit moves the connection away from the server it was given for.
import { useId } from 'react';
import type { ProfileSummary } from '../../../main/ipc/contract.ts';
import { visibleText } from '../../../main/engine/name-text.ts';
import { bastionEndpoint, savedBastionEndpoint, type SshFields } from './ssh-form.ts';

export interface PasswordChoice {
  /** A new password; '' keeps the saved one. */
  text: string;
  forget: boolean;
  keepForNewServer: boolean;
}

/**
 * Whether saving would move the saved password to another server: the engine binds it to host, port,
 * user and (through SSH) the bastion, and forgets it on such a move unless told to keep it.
 */
export function passwordMoves(profile: ProfileSummary | undefined, fields: { host: string; port: string; user: string }, ssh: SshFields, choice: PasswordChoice): boolean {
  if (!profile || profile.passwordStorage === 'none' || choice.forget || choice.text !== '') return false;
  const port = fields.port.trim() === '' ? 5432 : Number(fields.port.trim());
  return fields.host.trim() !== profile.host || port !== profile.port || fields.user.trim() !== profile.user || bastionEndpoint(ssh) !== savedBastionEndpoint(profile);
}

export function DbPasswordField({ profile, value, onChange, moves }: { profile: ProfileSummary | undefined; value: PasswordChoice; onChange: (next: PasswordChoice) => void; moves: boolean }) {
  const uid = useId();
  const hasSaved = profile !== undefined && profile.passwordStorage !== 'none';
  const set = (patch: Partial<PasswordChoice>) => onChange({ ...value, ...patch });
  const hint = profile
    ? hasSaved
      ? 'Leave empty to keep the saved password.'
      : 'No password is saved for this connection.'
    : 'Optional. Stored in the OS keychain, never in Lifeboat’s files.';
  const via = profile?.ssh ? ` via ${profile.ssh.user}@${profile.ssh.host}:${profile.ssh.port}` : '';

  return (
    <div className="field span-2">
      <label htmlFor={`${uid}-password`}>Password</label>
      <input
        id={`${uid}-password`}
        type="password"
        value={value.text}
        onChange={(e) => set({ text: e.target.value })}
        autoComplete="new-password"
        disabled={value.forget}
        placeholder={hasSaved ? '••••••••  (saved)' : ''}
        aria-describedby={`${uid}-password-hint`}
      />
      <p id={`${uid}-password-hint`} className="hint">
        {hint}
      </p>
      {hasSaved ? (
        <label className="checkbox">
          <input type="checkbox" checked={value.forget} onChange={(e) => set({ forget: e.target.checked })} />
          Forget the saved password
        </label>
      ) : null}
      {moves && profile ? (
        <div className="callout callout-warn password-moves" role="note">
          <div className="callout-body">
            <p>
              The saved password was given for <code>{visibleText(`${profile.user}@${profile.host}:${profile.port}${via}`)}</code>. It is forgotten when you save, so that it never
              reaches another server — type the new server’s password above, or:
            </p>
            <label className="checkbox">
              <input type="checkbox" checked={value.keepForNewServer} onChange={(e) => set({ keepForNewServer: e.target.checked })} />
              Use the saved password for the new server
            </label>
          </div>
        </div>
      ) : null}
    </div>
  );
}
