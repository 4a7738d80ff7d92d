// Settings → Running in the background: the tray, starting at login, and the time zone schedules use.
import { useId, useMemo, useState, type FormEvent } from 'react';
import type { AppSettings, ErrorInfo } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { computerTimeZone } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { Toggle } from '../../components/toggle.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useSettingsStore } from '../../stores/settings-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';

function knownTimeZones(): string[] {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return [];
  }
}

export function BackgroundSettings() {
  const settings = useSettingsStore((s) => s.settings);
  const update = useSettingsStore((s) => s.update);
  const announce = useAppStore((s) => s.announce);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const uid = useId();

  const save = async (patch: Partial<AppSettings>, said: string): Promise<boolean> => {
    setError(null);
    setBusy(true);
    try {
      await update(patch);
      announce(said);
      return true;
    } catch (e) {
      setError(toErrorInfo(e));
      return false;
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby={`${uid}-title`}>
      <h2 id={`${uid}-title`} className="card-title">
        Running in the background
      </h2>
      <p className="card-intro">Scheduled backups and drills run while Lifeboat runs — in a window or in the tray — and, if installed in Schedules, while it is closed.</p>
      {settings ? (
        <>
          <Toggle
            label="Keep running in the tray when the window is closed"
            checked={settings.keepInTray}
            disabled={busy}
            onChange={(on) => save({ keepInTray: on }, on ? 'Lifeboat will keep running in the tray.' : 'Closing the window will quit Lifeboat.')}
            help="Schedules keep running and failures are notified. Quit from the tray icon’s menu."
          />
          <Toggle
            label="Start Lifeboat at login"
            checked={settings.startAtLogin}
            disabled={busy}
            onChange={(on) => save({ startAtLogin: on }, on ? 'Lifeboat will start at login.' : 'Lifeboat will not start at login.')}
            help="Starts hidden, in the tray, so schedules run without opening the window."
          />
          <TimeZoneField settings={settings} busy={busy} save={save} />
        </>
      ) : (
        <p className="muted">Reading the settings…</p>
      )}
      {error ? <ErrorMessage error={error} title="Could not save the setting" /> : null}
    </section>
  );
}

function TimeZoneField({ settings, busy, save }: { settings: AppSettings; busy: boolean; save: (patch: Partial<AppSettings>, said: string) => Promise<boolean> }) {
  const zones = useMemo(knownTimeZones, []);
  const computer = computerTimeZone();
  const [draft, setDraft] = useState<string | null>(null);
  const [invalid, setInvalid] = useState(false);
  const uid = useId();
  const value = draft ?? settings.timeZone ?? '';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const zone = value.trim();
    if (zone !== '' && zones.length > 0 && !zones.includes(zone) && zone !== 'UTC') {
      setInvalid(true);
      return;
    }
    setInvalid(false);
    if (await save({ timeZone: zone === '' ? null : zone }, zone === '' ? `Schedules use this computer’s time zone, ${computer}.` : `Schedules use ${zone}.`)) setDraft(null);
  };

  return (
    <form className="setting-row time-zone-row" onSubmit={submit} noValidate>
      <div className="setting-text">
        <label className="setting-label" htmlFor={`${uid}-zone`}>
          Time zone for schedules
        </label>
        <p className="hint" id={`${uid}-hint`}>
          An IANA name such as Europe/Berlin or America/New_York. Empty: this computer’s, <strong>{computer}</strong>.
        </p>
        {invalid ? (
          <p className="hint text-err" role="alert">
            <Icon name="alert" /> “{value}” is not a time zone this computer knows. Pick one from the list.
          </p>
        ) : null}
      </div>
      <div className="setting-actions input-row">
        <input
          id={`${uid}-zone`}
          list={`${uid}-zones`}
          value={value}
          placeholder={computer}
          disabled={busy}
          onChange={(e) => {
            setDraft(e.target.value);
            setInvalid(false);
          }}
          spellCheck={false}
          autoComplete="off"
          aria-describedby={`${uid}-hint`}
          aria-invalid={invalid}
        />
        <datalist id={`${uid}-zones`}>
          {zones.map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
        <button type="submit" className="btn" disabled={busy || draft === null || draft.trim() === (settings.timeZone ?? '')}>
          Save
        </button>
      </div>
    </form>
  );
}
