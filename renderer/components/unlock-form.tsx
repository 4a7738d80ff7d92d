// What opens an encrypted file: a passphrase typed here, or an identity (recovery-key) file chosen in
// the native dialog. Used where a file would not open (Restore's identity card, a drill that could not
// read its archive); the keys go to the caller and are not kept here.
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import type { OpenKeys } from '../../main/ipc/contract.ts';
import { useAppStore } from '../stores/app-store.ts';
import { ErrorMessage } from './error-message.tsx';
import { Icon } from './icons.tsx';
import { useAttempt } from './use-attempt.ts';

const IDENTITY_FILTERS = [{ name: 'age identity files', extensions: ['txt', 'key'] }];

export interface UnlockFormProps {
  /** Names the group. */
  title: ReactNode;
  /** When given, the title heads a warning that says why a key is needed. */
  callout?: { message: string; note: string };
  submitLabel: string;
  /** Under "Choose identity file…": which files are meant. */
  identityHint?: string;
  className?: string;
  /** What is shown over an error of onUnlock (or of the dialog). */
  errorTitle: string;
  onUnlock(keys: OpenKeys): Promise<unknown>;
}

export function UnlockForm({ title, callout, submitLabel, identityHint, className, errorTitle, onUnlock }: UnlockFormProps) {
  const chooseFile = useAppStore((s) => s.chooseFile);
  const { attempt, error } = useAttempt();
  const [passphrase, setPassphrase] = useState('');
  const uid = useId();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!passphrase) return;
    void attempt(() => onUnlock({ passphrase }));
    setPassphrase('');
  };

  const chooseIdentity = () =>
    attempt(async () => {
      const identityFile = await chooseFile('Choose the identity (recovery key) file', IDENTITY_FILTERS);
      if (identityFile) await onUnlock({ identityFile });
    });

  return (
    <div className={className ? `unlock ${className}` : 'unlock'} role="group" aria-labelledby={`${uid}-title`}>
      {callout ? (
        <div className="callout callout-warn">
          <Icon name="lock" className="callout-icon" />
          <div className="callout-body">
            <p className="callout-title" id={`${uid}-title`}>
              {title}
            </p>
            <p>{callout.message}</p>
            <p className="muted">{callout.note}</p>
          </div>
        </div>
      ) : (
        <p className="unlock-label" id={`${uid}-title`}>
          {title}
        </p>
      )}
      <div className="unlock-ways">
        <form className="unlock-way" onSubmit={submit}>
          <label htmlFor={`${uid}-pass`}>Passphrase</label>
          <div className="input-row">
            <input id={`${uid}-pass`} type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} autoComplete="off" spellCheck={false} />
            <button type="submit" className="btn btn-primary" disabled={passphrase === ''}>
              {submitLabel}
            </button>
          </div>
        </form>
        <p className="unlock-or" aria-hidden="true">
          or
        </p>
        <div className="unlock-way">
          <p className="unlock-label" id={`${uid}-identity`}>
            Identity file
          </p>
          <button type="button" className="btn" onClick={() => void chooseIdentity()} aria-describedby={identityHint ? `${uid}-identity-hint` : undefined}>
            <Icon name="key" />
            Choose identity file…
          </button>
          {identityHint ? (
            <p className="hint" id={`${uid}-identity-hint`}>
              {identityHint}
            </p>
          ) : null}
        </div>
      </div>
      {error ? <ErrorMessage error={error} title={errorTitle} /> : null}
    </div>
  );
}
