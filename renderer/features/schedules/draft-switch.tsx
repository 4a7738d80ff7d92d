// A switch row whose value is part of a card's draft: flipping it changes nothing until the card is
// saved (unlike components/toggle.tsx, which saves at once).
import { useId } from 'react';
import { SettingRow } from '../../components/setting-row.tsx';

export function DraftSwitch({ label, checked, disabled, onChange, help }: { label: string; checked: boolean; disabled: boolean; onChange: (on: boolean) => void; help: string }) {
  const uid = useId();
  return (
    <SettingRow label={label} controlId={uid} help={help} helpId={`${uid}-help`}>
      <input id={uid} type="checkbox" role="switch" className="switch" checked={checked} disabled={disabled} onChange={(e) => onChange(e.target.checked)} aria-describedby={`${uid}-help`} />
    </SettingRow>
  );
}
