// Settings → "Encrypt backups with": choosing a mode is never applied on one click. The choice is held
// while a confirmation says what it means for new backups (who can open them, what is missing for it
// to work); only "Switch" saves it, and main then asks its own question (the renderer is untrusted).
import { useId, useRef, useState } from 'react';
import type { AppSettings, KeyStatus } from '../../../main/ipc/contract.ts';
import { ConfirmBar } from '../../components/confirm-bar.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { useKeysStore } from '../../stores/keys-store.ts';
import { useSaveSetting } from './setting-switches.tsx';

type Mode = AppSettings['encryptionMode'];

const MODES: { value: Mode; label: string; help: string; name: string }[] = [
  {
    value: 'key',
    label: 'Lifeboat’s key (recommended)',
    name: 'Lifeboat’s key',
    help: 'An age key made with the first backup and kept in the OS keychain: nothing to type or remember. Export its recovery key and keep it safe.',
  },
  {
    value: 'passphrase',
    label: 'Passphrase',
    name: 'the passphrase',
    help: 'A passphrase you choose, kept in the OS keychain. Anyone who knows it can open the backups; if it is forgotten, they are lost.',
  },
  {
    value: 'recipients',
    label: 'Your recipients only',
    name: 'your recipients only',
    help: 'No secret key on this computer; for unattended servers. Backups are encrypted only to the extra recipients below, and restored with a matching identity file.',
  },
];

/** What switching to `mode` means for new backups, and what would make them fail, in the user's words. */
function switchConsequence(mode: Mode, settings: AppSettings, keys: KeyStatus | null): string {
  const kept = 'Backups made so far keep the encryption they were made with.';
  if (mode === 'key') {
    const key = keys?.recipient ? 'Lifeboat’s key' : 'Lifeboat’s key (created with the next backup: export its recovery key then)';
    const extra = settings.extraRecipients.length ? ' and to your extra recipients' : '';
    const missing = keys && !keys.keychain ? ' No OS keychain is available, so backups will fail until there is one.' : '';
    return `New backups will be encrypted to ${key}${extra}: whoever has its recovery key file can open them. ${kept}${missing}`;
  }
  if (mode === 'passphrase') {
    const missing = keys && !keys.passphraseSaved ? ' No passphrase is saved yet: backups will fail until you save one below.' : '';
    return `New backups will be encrypted with the backup passphrase only: Lifeboat’s key and your extra recipients will not open them, anyone who knows the passphrase can, and if it is forgotten they are lost. ${kept}${missing}`;
  }
  const missing = settings.extraRecipients.length === 0 ? ' No recipient is set yet: backups will fail until you add one below.' : '';
  return `New backups will be encrypted only to your extra recipients: no key on this computer opens them, and restoring needs a matching identity file. ${kept}${missing}`;
}

export function EncryptionMode({ settings }: { settings: AppSettings }) {
  const keys = useKeysStore((s) => s.status);
  const { save, error, busy } = useSaveSetting();
  const [pending, setPending] = useState<Mode | null>(null);
  const radios = useRef(new Map<Mode, HTMLInputElement>());
  const uid = useId();
  const mode = pending ?? settings.encryptionMode;
  const chosen = MODES.find((m) => m.value === pending);

  const choose = (value: Mode) => setPending(value === settings.encryptionMode ? null : value);
  const cancel = () => {
    setPending(null);
    radios.current.get(settings.encryptionMode)?.focus();
  };
  const confirm = async () => {
    if (!chosen) return;
    await save({ encryptionMode: chosen.value }, `Backups will be encrypted with ${chosen.name}.`);
    setPending(null);
  };

  return (
    <fieldset className="settings-group" disabled={busy}>
      <legend className="settings-group-title">Encrypt backups with</legend>
      <div className="radio-cards radio-cards-3">
        {MODES.map((o) => (
          <label key={o.value} className="radio-card">
            <input
              type="radio"
              name={`${uid}-mode`}
              value={o.value}
              checked={mode === o.value}
              onChange={() => choose(o.value)}
              aria-describedby={`${uid}-${o.value}`}
              ref={(input) => {
                if (input) radios.current.set(o.value, input);
              }}
            />
            <span className="radio-card-text">
              <span className="radio-card-label">{o.label}</span>
              <span id={`${uid}-${o.value}`} className="hint">
                {o.help}
              </span>
            </span>
          </label>
        ))}
      </div>
      {chosen ? (
        <ConfirmBar
          labelId={`${uid}-confirm`}
          message={<>Encrypt new backups with {chosen.name}? {switchConsequence(chosen.value, settings, keys)}</>}
          confirmLabel={`Switch to ${chosen.name}`}
          onConfirm={() => void confirm()}
          onCancel={cancel}
          busy={busy}
        />
      ) : null}
      {error ? <ErrorMessage error={error} title="Could not change the encryption" /> : null}
    </fieldset>
  );
}
