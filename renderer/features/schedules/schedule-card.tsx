// One connection's schedule card: when it is backed up and drilled, how long archives are kept, and
// who hears about it — one form with one Save for all of it. Actions that do something at once
// (Prune now, the notification tests) stay buttons of their own and never save the draft.
import { useCallback, useId, useRef, useState, type FormEvent, type Ref } from 'react';
import type { ProfileSummary, ScheduleView } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { formatInZone } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { useAttempt } from '../../components/use-attempt.ts';
import { useAppStore } from '../../stores/app-store.ts';
import { useSchedulesStore } from '../../stores/schedules-store.ts';
import { cardChanges, draftOf, sectionList, viewKey, type CardChanges, type CardDraft } from './card-draft.ts';
import { NotificationsEditor } from './notifications-editor.tsx';
import { RetentionEditor } from './retention-editor.tsx';
import { ScheduleFields } from './schedule-form.tsx';
import { describeSpec } from './spec-fields.tsx';

export interface ScheduleCardProps {
  profile: ProfileSummary;
  view: ScheduleView;
  /** Grows when a job finished: the retention preview reads the archives again. */
  refreshKey: number;
  /** The card's heading, which the overview table focuses. */
  headingRef: Ref<HTMLHeadingElement>;
}

/**
 * The card's draft, made from the schedule it was read from. When the schedule changes elsewhere (read
 * again after a job, or changed by the CLI) an untouched draft follows it; one with changes is kept.
 */
function useCardDraft(view: ScheduleView): [CardDraft, (draft: CardDraft) => void] {
  const [state, setState] = useState(() => ({ base: view, key: viewKey(view), draft: draftOf(view) }));
  const setDraft = useCallback((draft: CardDraft) => setState((s) => ({ ...s, draft })), []);
  const key = viewKey(view);
  if (state.key === key) return [state.draft, setDraft];
  // Adjusting state while rendering (React's pattern for state derived from props): no extra pass.
  const untouched = cardChanges(state.base, state.draft).changed.length === 0;
  const next = { base: view, key, draft: untouched ? draftOf(view) : state.draft };
  setState(next);
  return [next.draft, setDraft];
}

export function ScheduleCard({ profile, view, refreshKey, headingRef }: ScheduleCardProps) {
  const save = useSchedulesStore((s) => s.save);
  const announce = useAppStore((s) => s.announce);
  const [draft, setDraft] = useCardDraft(view);
  const [savedAt, setSavedAt] = useState<string | null>(null);
  const { attempt, error, setError, busy } = useAttempt();
  const formRef = useRef<HTMLFormElement>(null);
  const uid = useId();
  const changes = cardChanges(view, draft);
  const dirty = changes.changed.length > 0;

  const edit = (next: Partial<CardDraft>) => {
    setSavedAt(null);
    setError(null);
    setDraft({ ...draft, ...next });
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!dirty) return;
    if (changes.problems.length) {
      // The field says what is wrong (aria-describedby): take the person there.
      formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
      return;
    }
    await attempt(async () => {
      const saved = await save(view.profileId, changes.patch);
      setDraft(draftOf(saved));
      setSavedAt(new Date().toISOString());
      const next = saved.backup?.enabled ? saved.next.backup[0] : undefined;
      announce(`Changes to ${saved.profile} saved.${next ? ` Next backup ${formatInZone(next, saved.timeZone)}.` : ''}`);
    });
  };

  return (
    <article className="card schedule-card" aria-labelledby={`${uid}-name`}>
      <CardHead profile={profile} view={view} headingId={`${uid}-name`} headingRef={headingRef} />
      <form ref={formRef} className="schedule-card-form" onSubmit={submit} noValidate>
        <section className="settings-group" aria-labelledby={`${uid}-when`}>
          <h3 id={`${uid}-when`} className="settings-group-title">
            Schedule
          </h3>
          <ScheduleFields
            uid={`${uid}-spec`}
            view={view}
            draft={draft.schedule}
            disabled={busy}
            stale={{ backup: changes.patch.backup !== undefined, drill: changes.patch.drill !== undefined }}
            onChange={(schedule) => edit({ schedule })}
          />
        </section>
        <section className="settings-group" aria-labelledby={`${uid}-keep`}>
          <h3 id={`${uid}-keep`} className="settings-group-title">
            Retention
          </h3>
          <p className="settings-group-intro">How many archives are kept, counted the way restic and borg do: the newest of each day, week, month and year.</p>
          <RetentionEditor
            view={view}
            draft={draft.retention}
            autoPrune={draft.autoPrune}
            disabled={busy}
            refreshKey={refreshKey}
            onChange={(retention) => edit({ retention })}
            onAutoPrune={(autoPrune) => edit({ autoPrune })}
          />
        </section>
        <section className="settings-group" aria-labelledby={`${uid}-notify`}>
          <h3 id={`${uid}-notify`} className="settings-group-title">
            Notifications
          </h3>
          <NotificationsEditor view={view} draft={draft.notify} disabled={busy} onChange={(notify) => edit({ notify })} />
        </section>
        {error ? <ErrorMessage error={error} title={`The changes to ${view.profile} were not saved`} /> : null}
        <SaveBar changes={changes} busy={busy} savedAt={savedAt} onRevert={() => edit(draftOf(view))} />
      </form>
    </article>
  );
}

function CardHead({ profile, view, headingId, headingRef }: { profile: ProfileSummary; view: ScheduleView; headingId: string; headingRef: Ref<HTMLHeadingElement> }) {
  const scheduled = Boolean(view.backup?.enabled);
  return (
    <header className="schedule-card-head">
      <span className={`color-dot color-${profile.color}`} aria-hidden="true" />
      {/* Focusable from the overview table (tabIndex -1: reached by the table's link, not by Tab). */}
      <h2 id={headingId} className="profile-name" ref={headingRef} tabIndex={-1}>
        {profile.name}
      </h2>
      <span className={scheduled ? 'badge badge-ok' : 'badge'}>
        <Icon name={scheduled ? 'clock' : 'info'} />
        {scheduled && view.backup ? describeSpec(view.backup) : 'Not scheduled'}
      </span>
    </header>
  );
}

/**
 * The card's one Save: what is unsaved (and where), what blocks saving, and that it was saved. It
 * sticks to the bottom of the window while there are changes, so Save is in reach from any section.
 */
function SaveBar({ changes, busy, savedAt, onRevert }: { changes: CardChanges; busy: boolean; savedAt: string | null; onRevert: () => void }) {
  const dirty = changes.changed.length > 0;
  return (
    <div className={dirty ? 'form-actions schedule-save-bar schedule-save-bar-dirty' : 'form-actions schedule-save-bar'}>
      <div className="schedule-save-state">
        {dirty ? (
          <p className="schedule-unsaved">
            <span className="unsaved-dot" aria-hidden="true" />
            Unsaved changes: {sectionList(changes.changed)}
          </p>
        ) : savedAt ? (
          <p className="status-ok">
            <Icon name="check" />
            <span>Saved</span>
          </p>
        ) : (
          <p className="muted">No unsaved changes</p>
        )}
        {dirty && changes.problems.length ? (
          <ul className="schedule-problems text-err">
            {changes.problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        ) : null}
      </div>
      <button type="button" className="btn" disabled={busy || !dirty} onClick={onRevert}>
        Revert
      </button>
      <button type="submit" className="btn btn-primary" disabled={busy || !dirty} aria-busy={busy}>
        Save changes
      </button>
    </div>
  );
}
