// Saving one settings change (busy, error, the announcement), and the on/off settings as switch rows.
import type { AppSettings, ErrorInfo } from '../../../main/ipc/contract.ts';
import { Toggle } from '../../components/toggle.tsx';
import { useAttempt } from '../../components/use-attempt.ts';
import { useAppStore } from '../../stores/app-store.ts';
import { useSettingsStore } from '../../stores/settings-store.ts';

export type SaveSetting = (patch: Partial<AppSettings>, said: string) => Promise<boolean>;

/** Saves one change and says so; the caller shows the error next to the control. */
export function useSaveSetting(): { save: SaveSetting; error: ErrorInfo | null; busy: boolean } {
  const update = useSettingsStore((s) => s.update);
  const announce = useAppStore((s) => s.announce);
  const { attempt, error, busy } = useAttempt();
  const save: SaveSetting = (patch, said) =>
    attempt(async () => {
      await update(patch);
      announce(said);
    });
  return { save, error, busy };
}

type OnOffSetting = { [K in keyof AppSettings]: AppSettings[K] extends boolean ? K : never }[keyof AppSettings];

export interface SwitchSpec {
  name: OnOffSetting;
  label: string;
  help: string;
  /** What is announced once turned on, and once turned off. */
  saidOn: string;
  saidOff: string;
}

/** One switch row per on/off setting, each saved (and announced) as it is flipped. */
export function SettingSwitches({ switches, settings, busy, save }: { switches: SwitchSpec[]; settings: AppSettings; busy: boolean; save: SaveSetting }) {
  return switches.map((s) => (
    <Toggle key={s.name} label={s.label} checked={settings[s.name]} disabled={busy} help={s.help} onChange={(on) => save({ [s.name]: on }, on ? s.saidOn : s.saidOff)} />
  ));
}
