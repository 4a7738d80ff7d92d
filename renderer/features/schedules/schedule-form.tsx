// When a connection is backed up and drilled: the backup schedule (with its next runs), the drill
// schedule, and "drill after every backup". Saved together; the engine validates times and cron.
import { useId, useState, type FormEvent } from 'react';
import type { ErrorInfo, ScheduleSpec, ScheduleView, SchedulePatch } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { formatInZone, formatRelative } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useSchedulesStore } from '../../stores/schedules-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';
import { DEFAULT_DRAFT, describeSpec, fromDraft, specKey, SpecFields, toDraft, type Preset, type SpecDraft } from './spec-fields.tsx';

const BACKUP_PRESETS: Preset[] = ['hourly', 'daily', 'weekly', 'monthly', 'cron'];
const DRILL_PRESETS: Preset[] = ['daily', 'weekly', 'cron'];
const DRILL_DEFAULT: SpecDraft = { ...DEFAULT_DRAFT, preset: 'weekly', weekday: 0, time: '03:00' };

interface Drafts {
  backup: SpecDraft;
  drillOn: boolean;
  drill: SpecDraft;
  drillAfterBackup: boolean;
}

function draftsOf(view: ScheduleView): Drafts {
  return {
    backup: toDraft(view.backup, { ...DEFAULT_DRAFT, enabled: false }),
    drillOn: view.drill !== null && view.drill.enabled,
    drill: toDraft(view.drill, DRILL_DEFAULT),
    drillAfterBackup: view.drillAfterBackup,
  };
}

/** What saving the drafts would change (empty when nothing did). */
function patchOf(view: ScheduleView, drafts: Drafts): SchedulePatch {
  const patch: SchedulePatch = {};
  // An untouched "not scheduled" stays null; otherwise the spec is kept, enabled or not.
  const backup: ScheduleSpec | null = view.backup === null && !drafts.backup.enabled ? null : fromDraft(drafts.backup);
  if (specKey(backup) !== specKey(view.backup)) patch.backup = backup;
  const drill: ScheduleSpec | null = drafts.drillOn ? fromDraft({ ...drafts.drill, enabled: true }) : view.drill ? { ...fromDraft(drafts.drill), enabled: false } : null;
  if (specKey(drill) !== specKey(view.drill)) patch.drill = drill;
  if (drafts.drillAfterBackup !== view.drillAfterBackup) patch.drillAfterBackup = drafts.drillAfterBackup;
  return patch;
}

export function ScheduleForm({ view }: { view: ScheduleView }) {
  const save = useSchedulesStore((s) => s.save);
  const announce = useAppStore((s) => s.announce);
  const [drafts, setDrafts] = useState<Drafts>(() => draftsOf(view));
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const uid = useId();
  const patch = patchOf(view, drafts);
  const dirty = Object.keys(patch).length > 0;
  const update = (next: Partial<Drafts>) => {
    setError(null);
    setDrafts({ ...drafts, ...next });
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!dirty) return;
    setError(null);
    setBusy(true);
    try {
      const saved = await save(view.profileId, patch);
      setDrafts(draftsOf(saved));
      const next = saved.next.backup[0];
      announce(`Schedule of ${saved.profile} saved.${next ? ` Next backup ${formatInZone(next, saved.timeZone)}.` : ''}`);
    } catch (e) {
      setError(toErrorInfo(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="schedule-form" onSubmit={submit} noValidate>
      <fieldset className="schedule-part" aria-describedby={`${uid}-backup-state`}>
        <legend className="schedule-part-title">Backups</legend>
        <div className="schedule-switch">
          <input
            id={`${uid}-backup-on`}
            type="checkbox"
            role="switch"
            className="switch"
            checked={drafts.backup.enabled}
            disabled={busy}
            onChange={(e) => update({ backup: { ...drafts.backup, enabled: e.target.checked } })}
          />
          <label htmlFor={`${uid}-backup-on`}>Back up on a schedule</label>
        </div>
        <SpecFields uid={`${uid}-backup`} draft={drafts.backup} presets={BACKUP_PRESETS} disabled={busy || !drafts.backup.enabled} onChange={(backup) => update({ backup })} />
        <NextRuns id={`${uid}-backup-state`} spec={view.backup} runs={view.next.backup} timeZone={view.timeZone} what="backup" stale={patch.backup !== undefined} />
      </fieldset>

      <fieldset className="schedule-part">
        <legend className="schedule-part-title">Drills</legend>
        <div className="schedule-switch">
          <input
            id={`${uid}-drill-on`}
            type="checkbox"
            role="switch"
            className="switch"
            checked={drafts.drillOn}
            disabled={busy}
            onChange={(e) => update({ drillOn: e.target.checked })}
          />
          <label htmlFor={`${uid}-drill-on`}>Drill the latest backup on a schedule</label>
        </div>
        {drafts.drillOn ? <SpecFields uid={`${uid}-drill`} draft={drafts.drill} presets={DRILL_PRESETS} disabled={busy} onChange={(drill) => update({ drill })} /> : null}
        {drafts.drillOn ? <NextRuns spec={view.drill} runs={view.next.drill} timeZone={view.timeZone} what="drill" stale={patch.drill !== undefined} /> : null}
        <label className="checkbox">
          <input type="checkbox" checked={drafts.drillAfterBackup} disabled={busy} onChange={(e) => update({ drillAfterBackup: e.target.checked })} />
          Drill after every scheduled backup
        </label>
      </fieldset>

      {error ? <ErrorMessage error={error} title="The schedule was not saved" /> : null}
      <div className="form-actions schedule-actions">
        {dirty ? <span className="muted">Unsaved changes</span> : null}
        <button type="button" className="btn" disabled={busy || !dirty} onClick={() => setDrafts(draftsOf(view))}>
          Revert
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy || !dirty} aria-busy={busy}>
          Save schedule
        </button>
      </div>
    </form>
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
