// Settings → Running in the background: the tray, starting at login, and the time zone schedules use.
import { useId, useMemo, useState, type FormEvent } from 'react';
import type { AppSettings } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { computerTimeZone } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { SettingRow } from '../../components/setting-row.tsx';
import { useSettingsStore } from '../../stores/settings-store.ts';
import { SettingSwitches, useSaveSetting, type SaveSetting, type SwitchSpec } from './setting-switches.tsx';

function knownTimeZones(): string[] {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return [];
  }
}

const SWITCHES: SwitchSpec[] = [
  {
    name: 'keepInTray',
    label: 'Keep running in the tray when the window is closed',
    help: 'Schedules keep running and failures are notified. Quit from the tray icon’s menu.',
    saidOn: 'Lifeboat will keep running in the tray.',
    saidOff: 'Closing the window will quit Lifeboat.',
  },
  {
    name: 'startAtLogin',
    label: 'Start Lifeboat at login',
    help: 'Starts hidden, in the tray, so schedules run without opening the window.',
    saidOn: 'Lifeboat will start at login.',
    saidOff: 'Lifeboat will not start at login.',
  },
];

export function BackgroundSettings() {
  const settings = useSettingsStore((s) => s.settings);
  const { save, error, busy } = useSaveSetting();
  const uid = useId();

  return (
    <section className="card" aria-labelledby={`${uid}-title`}>
      <h2 id={`${uid}-title`} className="card-title">
        Running in the background
      </h2>
      <p className="card-intro">Scheduled backups and drills run while Lifeboat runs — in a window or in the tray — and, if installed in Schedules, while it is closed.</p>
      {settings ? (
        <>
          <SettingSwitches switches={SWITCHES} settings={settings} busy={busy} save={save} />
          <TimeZoneField settings={settings} busy={busy} save={save} />
        </>
      ) : (
        <p className="muted">Reading the settings…</p>
      )}
      {error ? <ErrorMessage error={error} title="Could not save the setting" /> : null}
    </section>
  );
}

function TimeZoneField({ settings, busy, save }: { settings: AppSettings; busy: boolean; save: SaveSetting }) {
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
    <SettingRow
      label="Time zone for schedules"
      controlId={`${uid}-zone`}
      help={
        <>
          An IANA name such as Europe/Berlin or America/New_York. Empty: this computer’s, <strong>{computer}</strong>.
        </>
      }
      helpId={`${uid}-hint`}
      after={
        invalid ? (
          <p className="hint text-err" role="alert">
            <Icon name="alert" /> “{value}” is not a time zone this computer knows. Pick one from the list.
          </p>
        ) : null
      }
      className="time-zone-row"
      actionsClassName="input-row"
      onSubmit={submit}
    >
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
    </SettingRow>
  );
}
