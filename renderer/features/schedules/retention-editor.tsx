// How long archives are kept: the rules, a live preview of what they keep and delete (before saving),
// automatic pruning, and "Prune now" with a confirmation that names how many archives go. The rules
// being typed are part of the card's draft (saved with the card); the preview and the prune live in
// the retention store.
import { useEffect, useId, useRef, useState } from 'react';
import type { ErrorInfo, RetentionPlan, RetentionPolicy, ScheduleView } from '../../../main/ipc/contract.ts';
import { ConfirmBar } from '../../components/confirm-bar.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { baseName, formatDateTime } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { IDLE_EDITOR, isPreviewing, useRetentionStore, type RetentionEditorState } from '../../stores/retention-store.ts';
import { useSchedulesStore } from '../../stores/schedules-store.ts';
import { isRetentionNumber, policyKey, policyOf, type RetentionDraft } from './card-draft.ts';
import { DraftSwitch } from './draft-switch.tsx';

const FIELDS: { key: keyof RetentionPolicy; label: string; help: string }[] = [
  { key: 'keepLast', label: 'Keep the last', help: 'newest archives' },
  { key: 'keepDaily', label: 'Daily', help: 'days, newest of each' },
  { key: 'keepWeekly', label: 'Weekly', help: 'weeks, newest of each' },
  { key: 'keepMonthly', label: 'Monthly', help: 'months, newest of each' },
  { key: 'keepYearly', label: 'Yearly', help: 'years, newest of each' },
  { key: 'keepMinimum', label: 'Never fewer than', help: 'archives in total' },
];

export interface RetentionEditorProps {
  view: ScheduleView;
  draft: RetentionDraft;
  autoPrune: boolean;
  disabled: boolean;
  refreshKey: number;
  onChange: (draft: RetentionDraft) => void;
  onAutoPrune: (on: boolean) => void;
}

export function RetentionEditor({ view, draft, autoPrune, disabled, refreshKey, onChange, onAutoPrune }: RetentionEditorProps) {
  const state = useRetentionStore((s) => s.editors[view.profileId] ?? IDLE_EDITOR);
  const attach = useRetentionStore((s) => s.attach);
  const forget = useRetentionStore((s) => s.forget);
  const preview = useRetentionStore((s) => s.preview);
  const loadRecent = useSchedulesStore((s) => s.loadRecent);

  const policy = policyOf(draft);
  const key = policyKey(policy);
  const dirty = key !== policyKey(view.retention);
  const previewing = isPreviewing(state, policy, refreshKey);

  useEffect(() => {
    attach(view.profileId);
    return () => forget(view.profileId);
  }, [view.profileId, attach, forget]);

  // A prune is a result of its own: the overview and "Last results" show it.
  useEffect(() => {
    if (state.pruneCount > 0) void loadRecent();
  }, [state.pruneCount, loadRecent]);

  // The preview follows the draft, debounced; answers for older drafts are dropped.
  useEffect(() => {
    preview(view.profileId, policy, refreshKey);
    // policy is derived from key.
  }, [key, refreshKey, view.profileId, preview]);

  return (
    <div className="retention">
      <RulesFields draft={draft} disabled={disabled || state.busy} onChange={onChange} />
      <RetentionPreview profile={view.profile} plan={state.plan} previewError={state.previewError} policy={policy} dirty={dirty} previewing={previewing} />
      <DraftSwitch
        label="Prune automatically after each scheduled backup"
        checked={autoPrune}
        disabled={disabled || state.busy}
        onChange={onAutoPrune}
        help="Deletes what the saved rules do not keep, right after a scheduled backup succeeds."
      />
      <PruneNow view={view} state={state} dirty={dirty} previewing={previewing} />
      {state.error ? <ErrorMessage error={state.error} title="Could not prune" /> : null}
    </div>
  );
}

function RulesFields({ draft, disabled, onChange }: { draft: RetentionDraft; disabled: boolean; onChange: (draft: RetentionDraft) => void }) {
  const uid = useId();
  return (
    <div className="retention-form">
      <fieldset>
        <legend className="schedule-part-title">Keep</legend>
        <div className="retention-fields">
          {FIELDS.map((f) => {
            const valid = isRetentionNumber(draft[f.key]);
            return (
              <div className="field" key={f.key}>
                <label htmlFor={`${uid}-${f.key}`}>{f.label}</label>
                <input
                  id={`${uid}-${f.key}`}
                  type="number"
                  inputMode="numeric"
                  min={0}
                  max={10_000}
                  step={1}
                  value={draft[f.key]}
                  disabled={disabled}
                  aria-invalid={!valid}
                  aria-describedby={`${uid}-${f.key}-hint`}
                  onChange={(e) => onChange({ ...draft, [f.key]: e.target.value })}
                />
                <p id={`${uid}-${f.key}-hint`} className={valid ? 'hint' : 'hint text-err'}>
                  {valid ? f.help : 'A whole number from 0 to 10000'}
                </p>
              </div>
            );
          })}
        </div>
      </fieldset>
      <p className="hint retention-note">
        <Icon name="shield" /> The newest backup that verified or drilled successfully is always kept, and nothing is deleted while backups are failing.
      </p>
    </div>
  );
}

/** What the rules keep and delete, with each archive's reasons. */
function RetentionPreview(props: { profile: string; plan: RetentionPlan | null; previewError: ErrorInfo | null; policy: RetentionPolicy | null; dirty: boolean; previewing: boolean }) {
  const { profile, plan, previewError, policy, dirty, previewing } = props;
  const uid = useId();
  const deletes = plan?.decisions.filter((d) => !d.keep).length ?? 0;
  const keeps = plan ? plan.decisions.length - deletes : 0;

  return (
    <section className="retention-preview" aria-labelledby={`${uid}-preview`} aria-busy={previewing}>
      <div className="retention-preview-head">
        <h4 id={`${uid}-preview`}>Preview</h4>
        <p className="muted" aria-live="polite">
          {!policy
            ? 'Fix the numbers above to see the preview.'
            : plan
              ? plan.decisions.length === 0
                ? 'No archives of this connection yet.'
                : `Keeps ${keeps}, deletes ${deletes}${dirty ? ' (with your changes)' : ''}`
              : 'Reading the archives…'}
        </p>
        {previewing ? <span className="spinner" aria-hidden="true" /> : null}
      </div>
      {plan?.blocked ? (
        <div className="callout callout-warn" role="note">
          <Icon name="alert" className="callout-icon" />
          <div className="callout-body">
            <p className="callout-title">Pruning is paused</p>
            <p>{plan.blocked}</p>
          </div>
        </div>
      ) : null}
      {previewError ? <ErrorMessage error={previewError} title="Could not preview the rules" /> : null}
      {plan && plan.decisions.length > 0 ? <DecisionsTable profile={profile} plan={plan} /> : null}
    </section>
  );
}

function DecisionsTable({ profile, plan }: { profile: string; plan: RetentionPlan }) {
  return (
    // Focusable, so a keyboard user can scroll a long list of archives.
    <div className="table-wrap table-scroll retention-table" tabIndex={0} role="region" aria-label={`Archives of ${profile}`}>
      <table className="table">
        <caption className="sr-only">Every archive of {profile}, newest first, with what the rules do to it</caption>
        <thead>
          <tr>
            <th scope="col">Archive</th>
            <th scope="col">Made</th>
            <th scope="col">Decision</th>
          </tr>
        </thead>
        <tbody>
          {plan.decisions.map((d) => (
            <tr key={d.path} className={d.keep ? undefined : 'row-delete'}>
              <th scope="row">
                <code title={d.path}>{baseName(d.path)}</code>
              </th>
              <td>{formatDateTime(d.createdAt)}</td>
              <td>
                {d.keep ? (
                  <span className="decision">
                    <span className="badge badge-ok">keep</span> <span className="muted">{d.reasons.join(', ')}</span>
                  </span>
                ) : (
                  <span className="badge badge-err">delete</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** "Prune now…", its confirmation naming the count, and what the last prune did. */
function PruneNow({ view, state, dirty, previewing }: { view: ScheduleView; state: RetentionEditorState; dirty: boolean; previewing: boolean }) {
  const prune = useRetentionStore((s) => s.prune);
  const [confirming, setConfirming] = useState(false);
  const pruneRef = useRef<HTMLButtonElement>(null);
  const uid = useId();
  const { plan, busy, pruned } = state;
  const deletes = plan?.decisions.filter((d) => !d.keep).length ?? 0;
  const keeps = plan ? plan.decisions.length - deletes : 0;

  const blockedWhy = dirty
    ? 'Save your changes first: pruning uses the saved rules.'
    : plan?.blocked
      ? 'Pruning is paused while backups are failing.'
      : plan && deletes === 0
        ? 'Nothing to delete: the rules keep every archive.'
        : null;

  const runPrune = async () => {
    const done = await prune(view.profileId, view.profile);
    setConfirming(false);
    if (done) pruneRef.current?.focus();
  };

  return (
    <>
      <div className="prune-row">
        <button ref={pruneRef} type="button" className="btn" disabled={busy || blockedWhy !== null || previewing} onClick={() => setConfirming(true)} aria-expanded={confirming} aria-describedby={`${uid}-prune-why`}>
          <Icon name="trash" />
          Prune now…
        </button>
        <p id={`${uid}-prune-why`} className="hint">
          {blockedWhy ?? 'Deletes the archives marked “delete” above.'}
        </p>
      </div>
      {confirming ? (
        <ConfirmBar
          labelId={`${uid}-confirm`}
          message={(
            <>
              Delete <strong>{deletes} archive{deletes === 1 ? '' : 's'}</strong> of {view.profile} from disk? The {keeps} kept stay. This cannot be undone.
            </>
          )}
          confirmLabel={<>Delete {deletes} archive{deletes === 1 ? '' : 's'}</>}
          onConfirm={() => void runPrune()}
          onCancel={() => {
            setConfirming(false);
            pruneRef.current?.focus();
          }}
          busy={busy}
        />
      ) : null}
      {pruned ? (
        <p className="status-ok saved-line">
          <Icon name="check" />
          <span>{pruned.blocked ? `Nothing was deleted: ${pruned.blocked}` : `Deleted ${pruned.deleted} archive${pruned.deleted === 1 ? '' : 's'}.`}</span>
        </p>
      ) : null}
    </>
  );
}
