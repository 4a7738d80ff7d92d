// How long archives are kept: the rules, a live preview of what they keep and delete (before saving),
// automatic pruning, and "Prune now" with a confirmation that names how many archives go.
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { ErrorInfo, RetentionPlan, RetentionPolicy, ScheduleView } from '../../../main/ipc/contract.ts';
import { ConfirmBar } from '../../components/confirm-bar.tsx';
import { ErrorMessage } from '../../components/error-message.tsx';
import { baseName, formatDateTime } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { Toggle } from '../../components/toggle.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useLibraryStore } from '../../stores/library-store.ts';
import { useSchedulesStore } from '../../stores/schedules-store.ts';
import { api, toErrorInfo, unwrap } from '../../stores/unwrap.ts';

const FIELDS: { key: keyof RetentionPolicy; label: string; help: string }[] = [
  { key: 'keepLast', label: 'Keep the last', help: 'newest archives' },
  { key: 'keepDaily', label: 'Daily', help: 'days, newest of each' },
  { key: 'keepWeekly', label: 'Weekly', help: 'weeks, newest of each' },
  { key: 'keepMonthly', label: 'Monthly', help: 'months, newest of each' },
  { key: 'keepYearly', label: 'Yearly', help: 'years, newest of each' },
  { key: 'keepMinimum', label: 'Never fewer than', help: 'archives in total' },
];

const DEBOUNCE_MS = 300;

type Draft = Record<keyof RetentionPolicy, string>;

const draftOf = (policy: RetentionPolicy): Draft => Object.fromEntries(FIELDS.map((f) => [f.key, String(policy[f.key])])) as Draft;

/** The policy the draft says, or null while a field is not a whole number from 0 to 10000. */
function policyOf(draft: Draft): RetentionPolicy | null {
  const entries = FIELDS.map((f) => [f.key, draft[f.key].trim()] as const);
  if (entries.some(([, v]) => !/^\d{1,5}$/.test(v) || Number(v) > 10_000)) return null;
  return Object.fromEntries(entries.map(([k, v]) => [k, Number(v)])) as unknown as RetentionPolicy;
}

const policyKey = (policy: RetentionPolicy | null) => (policy ? FIELDS.map((f) => policy[f.key]).join(',') : null);

export function RetentionEditor({ view, refreshKey }: { view: ScheduleView; refreshKey: number }) {
  const save = useSchedulesStore((s) => s.save);
  const announce = useAppStore((s) => s.announce);
  const [draft, setDraft] = useState<Draft>(() => draftOf(view.retention));
  const [plan, setPlan] = useState<RetentionPlan | null>(null);
  const [planFor, setPlanFor] = useState<string | null>(null);
  const [previewError, setPreviewError] = useState<ErrorInfo | null>(null);
  const [saveError, setSaveError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [pruned, setPruned] = useState<{ deleted: number; blocked: string | null } | null>(null);
  // Bumped after a prune: the archives changed, the preview is read again.
  const [nonce, setNonce] = useState(0);
  const seq = useRef(0);
  const pruneRef = useRef<HTMLButtonElement>(null);
  const uid = useId();

  const policy = policyOf(draft);
  const key = policyKey(policy);
  const dirty = key !== policyKey(view.retention);
  const previewing = key !== null && planFor !== `${key}|${refreshKey}|${nonce}`;

  // The preview follows the draft, debounced; answers for older drafts are dropped.
  useEffect(() => {
    if (!policy) return;
    const mine = ++seq.current;
    const timer = setTimeout(() => {
      void (async () => {
        try {
          const next = unwrap(await api().schedules.previewRetention(view.profileId, policy));
          if (mine !== seq.current) return;
          setPlan(next);
          setPreviewError(null);
        } catch (e) {
          if (mine !== seq.current) return;
          setPreviewError(toErrorInfo(e));
        }
        if (mine === seq.current) setPlanFor(`${key}|${refreshKey}|${nonce}`);
      })();
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
    // policy is derived from key.
  }, [key, refreshKey, nonce, view.profileId]);

  const deletes = plan?.decisions.filter((d) => !d.keep) ?? [];
  const keeps = plan ? plan.decisions.length - deletes.length : 0;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!policy || !dirty) return;
    setSaveError(null);
    setBusy(true);
    try {
      const saved = await save(view.profileId, { retention: policy });
      setDraft(draftOf(saved.retention));
      announce(`Retention of ${saved.profile} saved.`);
    } catch (e) {
      setSaveError(toErrorInfo(e));
    } finally {
      setBusy(false);
    }
  };

  const prune = async () => {
    setBusy(true);
    setSaveError(null);
    try {
      const result = unwrap(await api().schedules.prune(view.profileId));
      setConfirming(false);
      setPruned({ deleted: result.deleted.length, blocked: result.blocked });
      announce(result.blocked ? `Nothing was deleted: ${result.blocked}` : `Deleted ${result.deleted.length} archive${result.deleted.length === 1 ? '' : 's'} of ${view.profile}.`);
      setNonce(nonce + 1);
      void useLibraryStore.getState().load();
      pruneRef.current?.focus();
    } catch (e) {
      setConfirming(false);
      setSaveError(toErrorInfo(e));
    } finally {
      setBusy(false);
    }
  };

  const pruneBlockedWhy = dirty
    ? 'Save the rules first: pruning uses the saved rules.'
    : plan?.blocked
      ? 'Pruning is paused while backups are failing.'
      : plan && deletes.length === 0
        ? 'Nothing to delete: the rules keep every archive.'
        : null;

  return (
    <div className="retention">
      <form className="retention-form" onSubmit={submit} noValidate>
        <fieldset>
          <legend className="schedule-part-title">Keep</legend>
          <div className="retention-fields">
            {FIELDS.map((f) => {
              const valid = /^\d{1,5}$/.test(draft[f.key].trim()) && Number(draft[f.key]) <= 10_000;
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
                    disabled={busy}
                    aria-invalid={!valid}
                    aria-describedby={`${uid}-${f.key}-hint`}
                    onChange={(e) => setDraft({ ...draft, [f.key]: e.target.value })}
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
        {saveError ? <ErrorMessage error={saveError} title="Could not save the retention" /> : null}
        <div className="form-actions schedule-actions">
          {dirty ? <span className="muted">Unsaved changes — the preview shows them</span> : null}
          <button type="button" className="btn" disabled={busy || !dirty} onClick={() => setDraft(draftOf(view.retention))}>
            Revert
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy || !dirty || !policy} aria-busy={busy}>
            Save retention
          </button>
        </div>
      </form>

      <section className="retention-preview" aria-labelledby={`${uid}-preview`} aria-busy={previewing}>
        <div className="retention-preview-head">
          <h4 id={`${uid}-preview`}>Preview</h4>
          <p className="muted" aria-live="polite">
            {!policy
              ? 'Fix the numbers above to see the preview.'
              : plan
                ? plan.decisions.length === 0
                  ? 'No archives of this connection yet.'
                  : `Keeps ${keeps}, deletes ${deletes.length}${dirty ? ' (with your changes)' : ''}`
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
        {plan && plan.decisions.length > 0 ? (
          <div className="table-wrap table-scroll retention-table">
            <table className="table">
              <caption className="sr-only">Every archive of {view.profile}, newest first, with what the rules do to it</caption>
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
        ) : null}
      </section>

      <Toggle
        label="Prune automatically after each scheduled backup"
        checked={view.autoPrune}
        disabled={busy}
        onChange={async (on) => {
          try {
            await save(view.profileId, { autoPrune: on });
            announce(on ? 'Archives will be pruned after each scheduled backup.' : 'Automatic pruning off.');
            return true;
          } catch (e) {
            setSaveError(toErrorInfo(e));
            return false;
          }
        }}
        help="Deletes what the saved rules do not keep, right after a scheduled backup succeeds."
      />

      <div className="prune-row">
        <button ref={pruneRef} type="button" className="btn" disabled={busy || pruneBlockedWhy !== null || previewing} onClick={() => setConfirming(true)} aria-expanded={confirming} aria-describedby={`${uid}-prune-why`}>
          <Icon name="trash" />
          Prune now…
        </button>
        <p id={`${uid}-prune-why`} className="hint">
          {pruneBlockedWhy ?? 'Deletes the archives marked “delete” above.'}
        </p>
      </div>
      {confirming ? (
        <ConfirmBar
          labelId={`${uid}-confirm`}
          message={(
            <>
              Delete <strong>{deletes.length} archive{deletes.length === 1 ? '' : 's'}</strong> of {view.profile} from disk? The {keeps} kept stay. This cannot be undone.
            </>
          )}
          confirmLabel={<>Delete {deletes.length} archive{deletes.length === 1 ? '' : 's'}</>}
          onConfirm={() => void prune()}
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
    </div>
  );
}
