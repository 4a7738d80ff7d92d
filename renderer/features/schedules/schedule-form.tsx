// When a connection is backed up and drilled: the backup schedule (with its next runs) and the drill
// schedule. Part of the card's one form (schedule-card.tsx saves it); the engine validates times and cron.
import type { ScheduleSpec, ScheduleView } from '../../../main/ipc/contract.ts';
import { formatInZone, formatRelative } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useSettingsStore } from '../../stores/settings-store.ts';
import type { ScheduleDraft } from './card-draft.ts';
import { describeSpec, SpecFields, type Preset } from './spec-fields.tsx';

const BACKUP_PRESETS: Preset[] = ['hourly', 'daily', 'weekly', 'monthly', 'cron'];
const DRILL_PRESETS: Preset[] = ['daily', 'weekly', 'cron'];

export interface ScheduleFieldsProps {
  uid: string;
  view: ScheduleView;
  draft: ScheduleDraft;
  disabled: boolean;
  /** Which saved specs the draft changes: their next runs are those of the saved schedule. */
  stale: { backup: boolean; drill: boolean };
  onChange: (draft: ScheduleDraft) => void;
}

export function ScheduleFields({ uid, view, draft, disabled, stale, onChange }: ScheduleFieldsProps) {
  const update = (next: Partial<ScheduleDraft>) => onChange({ ...draft, ...next });
  return (
    <div className="schedule-form">
      <fieldset className="schedule-part" aria-describedby={`${uid}-backup-state`}>
        <legend className="schedule-part-title">Backups</legend>
        <div className="schedule-switch">
          <input
            id={`${uid}-backup-on`}
            type="checkbox"
            role="switch"
            className="switch"
            checked={draft.backup.enabled}
            disabled={disabled}
            onChange={(e) => update({ backup: { ...draft.backup, enabled: e.target.checked } })}
          />
          <label htmlFor={`${uid}-backup-on`}>Back up on a schedule</label>
        </div>
        <SpecFields uid={`${uid}-backup`} draft={draft.backup} presets={BACKUP_PRESETS} disabled={disabled || !draft.backup.enabled} onChange={(backup) => update({ backup })} />
        <NextRuns id={`${uid}-backup-state`} spec={view.backup} runs={view.next.backup} timeZone={view.timeZone} what="backup" stale={stale.backup} />
      </fieldset>

      <fieldset className="schedule-part">
        <legend className="schedule-part-title">Drills</legend>
        <div className="schedule-switch">
          <input id={`${uid}-drill-on`} type="checkbox" role="switch" className="switch" checked={draft.drillOn} disabled={disabled} onChange={(e) => update({ drillOn: e.target.checked })} />
          <label htmlFor={`${uid}-drill-on`}>Drill the latest backup on a schedule</label>
        </div>
        {draft.drillOn ? <SpecFields uid={`${uid}-drill`} draft={draft.drill} presets={DRILL_PRESETS} disabled={disabled} onChange={(drill) => update({ drill })} /> : null}
        {draft.drillOn ? <NextRuns spec={view.drill} runs={view.next.drill} timeZone={view.timeZone} what="drill" stale={stale.drill} /> : null}
        <DrillAfterBackup view={view} draft={draft} disabled={disabled} onChange={(drillAfterBackup) => update({ drillAfterBackup })} />
      </fieldset>
    </div>
  );
}

/**
 * "Drill after every backup" has one place in the app: Settings (every backup, whoever starts it).
 * The card says whether it is on and leads there. A connection the CLI set to drill after its
 * scheduled backups (`schedule set --drill-after-backup`) shows that too, and can be turned off here.
 */
function DrillAfterBackup({ view, draft, disabled, onChange }: { view: ScheduleView; draft: ScheduleDraft; disabled: boolean; onChange: (on: boolean) => void }) {
  const everyBackup = useSettingsStore((s) => s.settings?.drillAfterBackup ?? false);
  const navigate = useAppStore((s) => s.navigate);
  return (
    <>
      <p className={everyBackup ? 'status-ok drill-after-line' : 'status-none drill-after-line'}>
        <Icon name={everyBackup ? 'check' : 'info'} />
        <span>
          {everyBackup ? (
            <>Every backup is also drilled as soon as it is made, scheduled or not (Settings → “Drill after every backup”).</>
          ) : (
            <>To drill every backup as soon as it is made, turn on “Drill after every backup” in Settings.</>
          )}{' '}
          <button type="button" className="link-button" onClick={() => navigate('settings')}>
            Open Settings
          </button>
        </span>
      </p>
      {view.drillAfterBackup ? (
        <label className="checkbox">
          <input type="checkbox" checked={draft.drillAfterBackup} disabled={disabled} onChange={(e) => onChange(e.target.checked)} />
          Also drill after each scheduled backup of {view.profile} (set from the command line)
        </label>
      ) : null}
    </>
  );
}

function NextRuns({ id, spec, runs, timeZone, what, stale }: { id?: string; spec: ScheduleSpec | null; runs: string[]; timeZone: string; what: string; stale: boolean }) {
  const title = `Next ${what} runs`;
  if (!spec || !spec.enabled || runs.length === 0) {
    return (
      <p id={id} className="status-none next-none">
        <Icon name="info" />
        <span>{stale ? `Save to schedule the ${what}s.` : `No scheduled ${what}s.`}</span>
      </p>
    );
  }
  return (
    <div id={id} className={stale ? 'next-runs next-runs-stale' : 'next-runs'}>
      <p className="next-runs-title">
        <Icon name="clock" />
        <span>
          {describeSpec(spec)} <span className="muted">({timeZone})</span>
          {stale ? <span className="muted"> · saved schedule; save to apply your changes</span> : null}
        </span>
      </p>
      <ol className="next-runs-list" aria-label={title}>
        {runs.map((iso) => (
          <li key={iso}>
            <time dateTime={iso}>{formatInZone(iso, timeZone)}</time>
            <span className="muted"> · {formatRelative(iso)}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}
