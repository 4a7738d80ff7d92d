// The cells of a health row: each says its state in words and with an icon of its own shape
// (check, clock, alert), never by colour alone.
import type { ProfileHealth } from '../../../main/ipc/contract.ts';
import { formatBytes, formatDateTime, formatDuration, formatRelative } from '../../components/format.ts';
import { Icon, type IconName } from '../../components/icons.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useLibraryStore } from '../../stores/library-store.ts';

const FRESHNESS: Record<ProfileHealth['freshness'], { label: string; tone: string; icon: IconName }> = {
  ok: { label: 'On time', tone: 'badge-ok', icon: 'check' },
  amber: { label: 'Late', tone: 'badge-warn', icon: 'clock' },
  red: { label: 'Stale', tone: 'badge-err', icon: 'alert' },
  unknown: { label: 'No limit set', tone: '', icon: 'info' },
};

function limitText(row: ProfileHealth): string {
  if (!row.limit) return 'No limit: set a backup schedule or a stale alert.';
  return row.limit.from === 'stale-alert' ? `Limit ${row.limit.hours} h (the stale alert)` : `Limit: a backup since ${formatDateTime(row.limit.since)}, the scheduled run before the last`;
}

export function BackupCell({ row, now }: { row: ProfileHealth; now: number }) {
  const navigate = useAppStore((s) => s.navigate);
  const setFilter = useLibraryStore((s) => s.setFilter);
  const showInLibrary = () => {
    setFilter({ profile: row.profileName, database: '' });
    navigate('backups');
  };
  const state = row.lastBackup ? FRESHNESS[row.freshness] : { label: 'No backup yet', tone: 'badge-err', icon: 'alert' as IconName };
  return (
    <div className="health-cell">
      <span className={`badge ${state.tone}`}>
        <Icon name={state.icon} />
        {state.label}
      </span>
      {row.lastBackup ? (
        <span title={formatDateTime(row.lastBackup.finishedAt)}>
          {formatRelative(row.lastBackup.finishedAt, now)} · {formatBytes(row.lastBackup.bytes)}
        </span>
      ) : null}
      <span className="muted health-note">{limitText(row)}</span>
      {row.lastBackup ? (
        <button type="button" className="link-button" onClick={showInLibrary}>
          Its backups<span className="sr-only"> of {row.profileName}</span>
        </button>
      ) : null}
      {row.lastFailure ? (
        <span className="text-err health-note">
          <Icon name="alert" /> Last attempt failed {formatRelative(row.lastFailure.at, now)}
          {row.lastFailure.error ? `: ${row.lastFailure.error.message}` : ''}
        </span>
      ) : null}
    </div>
  );
}

export function NextCell({ row, now }: { row: ProfileHealth; now: number }) {
  const navigate = useAppStore((s) => s.navigate);
  if (!row.nextBackup) {
    return (
      <div className="health-cell">
        <span className="muted">Not scheduled</span>
        <button type="button" className="link-button" onClick={() => navigate('schedules')}>
          Schedule it
        </button>
      </div>
    );
  }
  return (
    <div className="health-cell">
      <span title={formatDateTime(row.nextBackup)}>Backup {formatRelative(row.nextBackup, now)}</span>
      {row.nextDrill ? <span className="muted health-note">Drill {formatRelative(row.nextDrill, now)}</span> : null}
    </div>
  );
}

export function VerifyCell({ row, now }: { row: ProfileHealth; now: number }) {
  const v = row.lastVerify;
  if (!v) return <span className="muted">Never verified</span>;
  return (
    <div className="health-cell">
      <span className={`badge ${v.ok ? 'badge-ok' : 'badge-err'}`}>
        <Icon name={v.ok ? 'check' : 'alert'} />
        {v.ok ? 'Intact' : 'Failed'}
      </span>
      <span title={formatDateTime(v.at)}>
        {v.level === 'full' ? 'Full' : 'Quick'} check {formatRelative(v.at, now)}
      </span>
    </div>
  );
}

export function DrillCell({ row, now, target, onReport }: { row: ProfileHealth; now: number; target: number | null; onReport: (drillId: string) => void }) {
  const d = row.lastDrill;
  if (!d) return <span className="muted">Never drilled</span>;
  const verdict = d.couldNotRun ? { label: 'Could not run', tone: 'badge-warn', icon: 'clock' as IconName } : d.passed ? { label: 'Passed', tone: 'badge-ok', icon: 'check' as IconName } : { label: 'Failed', tone: 'badge-err', icon: 'alert' as IconName };
  return (
    <div className="health-cell">
      <span className={`badge ${verdict.tone}`}>
        <Icon name={verdict.icon} />
        {verdict.label}
      </span>
      {d.overTarget && target !== null ? (
        <span className="text-warn">
          <Icon name="clock" /> Over the {formatDuration(target * 1000)} target
        </span>
      ) : null}
      {!d.couldNotRun ? (
        <span>
          Recovery <strong>{formatDuration(d.recoveryMs)}</strong>
          <span className="muted"> (+ {formatDuration(d.scratchStartMs)} to start the scratch server)</span>
        </span>
      ) : null}
      <span className="muted health-note" title={formatDateTime(d.at)}>
        {formatRelative(d.at, now)}
      </span>
      {d.hasReport ? (
        <button type="button" className="link-button" onClick={() => onReport(d.drillId)}>
          Open the report
        </button>
      ) : null}
    </div>
  );
}

export function OffsiteCell({ row, now }: { row: ProfileHealth; now: number }) {
  const navigate = useAppStore((s) => s.navigate);
  if (row.offsite.length === 0) {
    return (
      <div className="health-cell">
        <span className="muted">No offsite copy</span>
        <button type="button" className="link-button" onClick={() => navigate('settings')}>
          Add a destination
        </button>
      </div>
    );
  }
  return (
    <ul className="health-cell health-offsite">
      {row.offsite.map((o) => (
        <li key={o.destinationId}>
          <strong>{o.destination}</strong>{' '}
          {o.verifiedAt ? <span title={formatDateTime(o.verifiedAt)}>verified {formatRelative(o.verifiedAt, now)}</span> : <span className="text-warn">never verified</span>}
          {o.failed ? <span className="text-err"> · {o.failed} failed</span> : null}
          {o.pending ? <span className="muted"> · {o.pending} unfinished</span> : null}
        </li>
      ))}
    </ul>
  );
}
