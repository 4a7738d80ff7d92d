import { useId, useState } from 'react';
import { SettingRow } from './setting-row.tsx';

/** A setting row with a switch: shows the new state at once, the saved value takes over when main answered (or refused). */
export function Toggle({ label, checked, disabled, onChange, help }: { label: string; checked: boolean; disabled: boolean; onChange: (on: boolean) => Promise<boolean>; help: string }) {
  const uid = useId();
  const [optimistic, setOptimistic] = useState<boolean | null>(null);
  return (
    <SettingRow label={label} controlId={uid} help={help} helpId={`${uid}-help`}>
      <input
        id={uid}
        type="checkbox"
        role="switch"
        className="switch"
        checked={optimistic ?? checked}
        disabled={disabled}
        onChange={(e) => {
          const on = e.target.checked;
          setOptimistic(on);
          void onChange(on).finally(() => setOptimistic(null));
        }}
        aria-describedby={`${uid}-help`}
      />
    </SettingRow>
  );
}
