import { useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';
import type { AppSettings, ErrorInfo } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Icon } from '../../components/icons.tsx';
import { useRecoveryExport } from '../../components/use-recovery-export.ts';
import { SettingRow } from '../../components/setting-row.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useKeysStore } from '../../stores/keys-store.ts';
import { useLibraryStore } from '../../stores/library-store.ts';
import { useSettingsStore } from '../../stores/settings-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';
import { EncryptionMode } from './encryption-mode.tsx';
import { KeyImport } from './key-import.tsx';
import { SettingSwitches, useSaveSetting, type SwitchSpec } from './setting-switches.tsx';

const LEVELS: Record<AppSettings['compression'], { min: number; max: number; default: number; help: string }> = {
  zstd: { min: 1, max: 19, default: 3, help: 'Level 3 is fast and small; higher levels save a little space for much more time.' },
  gzip: { min: 0, max: 9, default: 6, help: 'For older PostgreSQL client tools (before 16) that cannot write zstd. 0 stores without compressing.' },
};

/** Databases dumped at a time by a whole-server run: the engine accepts 1–8. */
const RUN_CONCURRENCY_CHOICES = [1, 2, 3, 4, 5, 6, 7, 8];

const SWITCHES: SwitchSpec[] = [
  {
    name: 'exactRowCounts',
    label: 'Exact row counts',
    help: 'Counts every table’s rows in the backup’s own snapshot, so a drill can prove a restore is complete. Costs one extra read of each table.',
    saidOn: 'Exact row counts on.',
    saidOff: 'Exact row counts off.',
  },
  {
    name: 'drillAfterBackup',
    label: 'Drill after every backup',
    help: 'When a backup finishes, Lifeboat restores it into a throwaway local PostgreSQL 18 and compares every table with the backup: proof that it restores, with the recovery time. The verdict shows in Drills and as a badge in the library.',
    saidOn: 'Every backup will be drilled.',
    saidOff: 'Backups will not be drilled automatically.',
  },
  {
    name: 'includeRolePasswords',
    label: 'Include role passwords',
    help: 'Off by default: with the password hashes, anyone who can open an archive could log in as those roles on any server. Turn on only if restores must recreate roles with their passwords.',
    saidOn: 'Role passwords will be included.',
    saidOff: 'Role passwords will be left out.',
  },
];

/** Settings → Encryption & backups: how archives are encrypted, the key, and how backups are made. */
export function EncryptionSettings() {
  const settings = useSettingsStore((s) => s.settings);
  const keys = useKeysStore((s) => s.status);
  const keysError = useKeysStore((s) => s.error);
  const loadKeys = useKeysStore((s) => s.load);
  const loadFolders = useLibraryStore((s) => s.loadFolders);
  const uid = useId();

  useEffect(() => {
    void loadKeys();
    void loadFolders();
  }, [loadKeys, loadFolders]);

  return (
    <section className="card" aria-labelledby={`${uid}-title`}>
      <h2 id={`${uid}-title`} className="card-title">
        Encryption &amp; backups
      </h2>
      <p className="card-intro">How every new backup is encrypted and made. Archives already written keep the encryption they were made with.</p>
      {keysError ? <ErrorMessage error={keysError} title="Could not read the key status" /> : null}
      {settings && keys ? (
        <>
          <EncryptionMode settings={settings} />
          <KeyGroup />
          <PassphraseGroup />
          <RecipientsGroup settings={settings} />
          <BackupOptions settings={settings} />
        </>
      ) : (
        <p className="muted">Reading the settings…</p>
      )}
    </section>
  );
}

function Group({ title, id, children, intro }: { title: string; id: string; children: ReactNode; intro?: ReactNode }) {
  return (
    <div className="settings-group" role="group" aria-labelledby={id}>
      <h3 id={id} className="settings-group-title">
        {title}
      </h3>
      {intro ? <p className="settings-group-intro">{intro}</p> : null}
      {children}
    </div>
  );
}

function KeyGroup() {
  const keys = useKeysStore((s) => s.status)!;
  const { runExport, savedTo, error, busy } = useRecoveryExport();
  const uid = useId();

  return (
    <Group title="Lifeboat’s key" id={`${uid}-title`}>
      <dl className="kv">
        <div>
          <dt>Public key</dt>
          <dd>{keys.recipient ? <code className="hash">{keys.recipient}</code> : <span className="muted">Not created yet: the first backup with Lifeboat’s key creates it.</span>}</dd>
        </div>
        <div>
          <dt>Kept in</dt>
          {keys.keychain ? (
            <dd className="status-ok">
              <Icon name="check" />
              <span>The OS keychain</span>
            </dd>
          ) : (
            <dd className="status-warn">
              <Icon name="alert" />
              <span>No OS keychain is available, so Lifeboat cannot create or keep its key on this computer. Use a passphrase, or an extra recipient of your own.</span>
            </dd>
          )}
        </div>
        {keys.previousRecipients.length ? (
          <div>
            <dt>Earlier keys</dt>
            <dd>
              <ul className="recipient-list" aria-label="Earlier keys, kept to open the backups they made">
                {keys.previousRecipients.map((r) => (
                  <li key={r}>
                    <code className="hash">{r}</code>
                  </li>
                ))}
              </ul>
            </dd>
          </div>
        ) : null}
      </dl>
      <div className="export-row">
        <button type="button" className="btn" onClick={runExport} disabled={!keys.recipient || busy} aria-busy={busy} aria-describedby={`${uid}-warning`}>
          <Icon name="key" />
          Export recovery key…
        </button>
        <p id={`${uid}-warning`} className="export-warning">
          <Icon name="alert" />
          <span>Whoever has this file can open your backups; if you lose it and this computer, the backups are lost.</span>
        </p>
      </div>
      {savedTo ? (
        <p className="status-ok saved-line">
          <Icon name="check" />
          <span>
            Recovery key saved to <code>{savedTo}</code>.
          </span>
        </p>
      ) : null}
      {error ? <ErrorMessage error={error} title="The recovery key was not saved" /> : null}
      <KeyImport />
    </Group>
  );
}

function PassphraseGroup() {
  const keys = useKeysStore((s) => s.status)!;
  const setPassphrase = useKeysStore((s) => s.setPassphrase);
  const announce = useAppStore((s) => s.announce);
  // Typed text lives in this component only and is dropped once saved; a saved passphrase is never shown.
  const [first, setFirst] = useState('');
  const [second, setSecond] = useState('');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const [justSaved, setJustSaved] = useState(false);
  const uid = useId();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setJustSaved(false);
    if (first !== second) {
      setError({ code: 'INVALID_INPUT', message: 'The two passphrases differ.', fix: 'Type the same passphrase in both fields: a typo here would make the backups unreadable.' });
      return;
    }
    setBusy(true);
    try {
      await setPassphrase(first);
      setFirst('');
      setSecond('');
      setJustSaved(true);
      announce('Passphrase saved.');
    } catch (e) {
      setError(toErrorInfo(e));
    } finally {
      setBusy(false);
    }
  };

  const forget = async () => {
    setError(null);
    setJustSaved(false);
    try {
      await setPassphrase(null);
      announce('Passphrase removed.');
    } catch (e) {
      setError(toErrorInfo(e));
    }
  };

  return (
    <Group
      title="Backup passphrase"
      id={`${uid}-title`}
      intro="Used when backups are set to “Passphrase”. Long is what counts: four or five unrelated words work well."
    >
      <p className={keys.passphraseSaved ? 'status-ok' : 'status-none'} aria-live="polite">
        <Icon name={keys.passphraseSaved ? 'check' : 'info'} />
        <span>
          {keys.passphraseSaved
            ? justSaved
              ? 'Passphrase saved.'
              : `A passphrase is saved${keys.keychain ? ' in the OS keychain' : ' for this session only'}.`
            : 'No passphrase is saved.'}
        </span>
      </p>
      <form className="passphrase-form" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={`${uid}-pass`}>{keys.passphraseSaved ? 'New passphrase' : 'Passphrase'}</label>
          <input id={`${uid}-pass`} type="password" value={first} onChange={(e) => setFirst(e.target.value)} autoComplete="new-password" />
        </div>
        <div className="field">
          <label htmlFor={`${uid}-again`}>Repeat it</label>
          <input id={`${uid}-again`} type="password" value={second} onChange={(e) => setSecond(e.target.value)} autoComplete="new-password" />
        </div>
        <div className="passphrase-actions">
          <button type="submit" className="btn btn-primary" disabled={busy || first === ''} aria-busy={busy}>
            Save passphrase
          </button>
          {keys.passphraseSaved ? (
            <button type="button" className="btn" onClick={forget}>
              Remove passphrase
            </button>
          ) : null}
        </div>
      </form>
      {error ? <ErrorMessage error={error} title="The passphrase was not saved" /> : null}
    </Group>
  );
}

function RecipientsGroup({ settings }: { settings: AppSettings }) {
  const { save, error, busy } = useSaveSetting();
  const [draft, setDraft] = useState('');
  const uid = useId();
  const list = settings.extraRecipients;

  const add = async (event: FormEvent) => {
    event.preventDefault();
    const key = draft.trim();
    if (key === '' || list.includes(key)) {
      setDraft('');
      return;
    }
    if (await save({ extraRecipients: [...list, key] }, 'Recipient added.')) setDraft('');
  };

  return (
    <Group
      title="Extra recipients"
      id={`${uid}-title`}
      intro={
        <>
          Backups made with Lifeboat’s key (or with “Your recipients only”) are encrypted to these age public keys (a team key, or one kept offline), so each holder can open them with{' '}
          <code>age -d -i</code>. Passphrase backups use the passphrase only.
        </>
      }
    >
      {list.length ? (
        <ul className="recipient-list" aria-label="Extra recipients">
          {list.map((key) => (
            <li key={key}>
              <Icon name="key" />
              <code className="hash">{key}</code>
              <button
                type="button"
                className="btn btn-icon btn-icon-danger"
                aria-label={`Remove recipient ${key}`}
                title="Remove"
                disabled={busy}
                onClick={() => void save({ extraRecipients: list.filter((k) => k !== key) }, 'Recipient removed.')}
              >
                <Icon name="trash" />
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No extra recipients.</p>
      )}
      <form className="input-row recipient-form" onSubmit={add}>
        <label htmlFor={`${uid}-add`} className="sr-only">
          Add a recipient
        </label>
        <input id={`${uid}-add`} value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="age1…" spellCheck={false} autoComplete="off" />
        <button type="submit" className="btn" disabled={busy || draft.trim() === ''}>
          <Icon name="plus" />
          Add recipient
        </button>
      </form>
      {error ? <ErrorMessage error={error} title="Could not save the recipients" /> : null}
    </Group>
  );
}

function BackupOptions({ settings }: { settings: AppSettings }) {
  const folders = useLibraryStore((s) => s.folders);
  const loadFolders = useLibraryStore((s) => s.loadFolders);
  const chooseFolder = useAppStore((s) => s.chooseFolder);
  const { save, error, busy } = useSaveSetting();
  const [pickError, setPickError] = useState<ErrorInfo | null>(null);
  const uid = useId();
  const levels = LEVELS[settings.compression];

  const chooseDefaultFolder = async () => {
    setPickError(null);
    try {
      const folder = await chooseFolder('Choose the default backup folder');
      if (folder && (await save({ backupFolder: folder }, `Backups will be saved to ${folder}.`))) await loadFolders();
    } catch (e) {
      setPickError(toErrorInfo(e));
    }
  };

  const useDefault = async () => {
    if (await save({ backupFolder: null }, 'Backups will be saved to the default folder.')) await loadFolders();
  };

  return (
    <Group title="Backups" id={`${uid}-title`}>
      <SettingRow
        label="Default backup folder"
        labelId={`${uid}-folder-label`}
        value={
          <p className="setting-value" aria-labelledby={`${uid}-folder-label`}>
            {settings.backupFolder ? (
              <code>{settings.backupFolder}</code>
            ) : (
              <>
                <span className="badge">default</span> {folders[0] ? <code>{folders[0]}</code> : null}
              </>
            )}
          </p>
        }
        help="Where backups go unless a connection names a folder of its own."
      >
        <button type="button" className="btn" onClick={chooseDefaultFolder} disabled={busy} aria-label="Choose the default backup folder">
          <Icon name="folder" />
          Choose…
        </button>
        <button type="button" className="btn" onClick={useDefault} disabled={busy || settings.backupFolder === null}>
          Use default
        </button>
      </SettingRow>

      <SettingSwitches switches={SWITCHES} settings={settings} busy={busy} save={save} />

      <SettingRow label="Compression" help={levels.help} helpId={`${uid}-level-help`} actionsClassName="compression-fields">
        <div className="field">
          <label htmlFor={`${uid}-method`}>Method</label>
          <select
            id={`${uid}-method`}
            value={settings.compression}
            disabled={busy}
            onChange={(e) => {
              const method = e.target.value as AppSettings['compression'];
              void save({ compression: method, compressionLevel: LEVELS[method].default }, `Compression: ${method} level ${LEVELS[method].default}.`);
            }}
          >
            <option value="zstd">zstd (recommended)</option>
            <option value="gzip">gzip</option>
          </select>
        </div>
        <div className="field field-level">
          <label htmlFor={`${uid}-level`}>Level</label>
          <select
            id={`${uid}-level`}
            value={settings.compressionLevel}
            disabled={busy}
            aria-describedby={`${uid}-level-help`}
            onChange={(e) => void save({ compressionLevel: Number(e.target.value) }, `Compression level ${e.target.value}.`)}
          >
            {Array.from({ length: levels.max - levels.min + 1 }, (_, i) => levels.min + i).map((level) => (
              <option key={level} value={level}>
                {level}
                {level === levels.default ? ' (default)' : ''}
              </option>
            ))}
          </select>
        </div>
      </SettingRow>

      <SettingRow label="Databases at a time" help="For connections that back up several databases of a server: how many are dumped at once. Each has its own snapshot either way." helpId={`${uid}-concurrency-help`}>
        <div className="field field-level">
          <label htmlFor={`${uid}-concurrency`} className="sr-only">
            Databases at a time
          </label>
          <select
            id={`${uid}-concurrency`}
            value={settings.serverRunConcurrency}
            disabled={busy}
            aria-describedby={`${uid}-concurrency-help`}
            onChange={(e) => void save({ serverRunConcurrency: Number(e.target.value) }, `Whole-server backups will dump ${e.target.value} ${e.target.value === '1' ? 'database' : 'databases'} at a time.`)}
          >
            {RUN_CONCURRENCY_CHOICES.map((n) => (
              <option key={n} value={n}>
                {n}
                {n === 2 ? ' (default)' : ''}
              </option>
            ))}
          </select>
        </div>
      </SettingRow>
      {error ? <ErrorMessage error={error} title="Could not save the setting" /> : null}
      {pickError ? <ErrorMessage error={pickError} title="Could not choose the folder" /> : null}
    </Group>
  );
}
