import type { ActivityEntry } from '../../../main/ipc/contract.ts';
import { Icon } from '../../components/icons.tsx';

const LOOK: Record<ActivityEntry['result'], { className: string; icon: 'check' | 'alert' | 'x' | 'info'; label: string }> = {
  ok: { className: 'badge badge-ok', icon: 'check', label: 'succeeded' },
  failed: { className: 'badge badge-err', icon: 'alert', label: 'failed' },
  cancelled: { className: 'badge badge-warn', icon: 'x', label: 'cancelled' },
  info: { className: 'badge', icon: 'info', label: 'info' },
};

/** The outcome of one run as a coloured badge with its word (never colour alone). */
export function ResultBadge({ result, label }: { result: ActivityEntry['result']; label?: string }) {
  const look = LOOK[result];
  return (
    <span className={look.className}>
      <Icon name={look.icon} />
      {label ?? look.label}
    </span>
  );
}

export const VIA_LABEL: Record<ActivityEntry['via'], string> = { app: 'App', cli: 'CLI', schedule: 'Schedule' };
