// One schedule card's unsaved state: every field of the card as typed, and what saving it would
// change. The whole card becomes one SchedulePatch, so a card has one Save: the engine checks the
// patch as a whole (times, cron, retention numbers, webhook URL) before it writes any of it.
import type { RetentionPolicy, ScheduleSpec, ScheduleView, SchedulePatch } from '../../../main/ipc/contract.ts';
import { DEFAULT_DRAFT, fromDraft, specKey, toDraft, type SpecDraft } from './spec-fields.tsx';

type NotifyPatch = NonNullable<SchedulePatch['notify']>;

export const DRILL_DEFAULT: SpecDraft = { ...DEFAULT_DRAFT, preset: 'weekly', weekday: 0, time: '03:00' };

export const RETENTION_KEYS: readonly (keyof RetentionPolicy)[] = ['keepLast', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly', 'keepMinimum'];

export interface ScheduleDraft {
  backup: SpecDraft;
  drillOn: boolean;
  drill: SpecDraft;
  /** Per connection, set only by the CLI now: the UI offers Settings → "Drill after every backup". */
  drillAfterBackup: boolean;
}

/** The retention numbers as typed (a field may briefly be empty or not a number). */
export type RetentionDraft = Record<keyof RetentionPolicy, string>;

export interface NotifyDraft {
  /** A new webhook URL being pasted; empty keeps the saved one. */
  url: string;
  removeWebhook: boolean;
  /** Hours without a successful backup before an alert, as typed; empty: no alert. */
  stale: string;
  desktop: boolean;
  onSuccess: boolean;
}

export interface CardDraft {
  schedule: ScheduleDraft;
  retention: RetentionDraft;
  autoPrune: boolean;
  notify: NotifyDraft;
}

export type CardSection = 'schedule' | 'retention' | 'notifications';

export function draftOf(view: ScheduleView): CardDraft {
  return {
    schedule: {
      backup: toDraft(view.backup, { ...DEFAULT_DRAFT, enabled: false }),
      drillOn: view.drill !== null && view.drill.enabled,
      drill: toDraft(view.drill, DRILL_DEFAULT),
      drillAfterBackup: view.drillAfterBackup,
    },
    retention: Object.fromEntries(RETENTION_KEYS.map((k) => [k, String(view.retention[k])])) as RetentionDraft,
    autoPrune: view.autoPrune,
    notify: { url: '', removeWebhook: false, stale: view.notify.staleHours ? String(view.notify.staleHours) : '', desktop: view.notify.desktop, onSuccess: view.notify.onSuccess },
  };
}

/** What a card's fields show of a schedule: a new view with another key was changed elsewhere (or saved). */
export function viewKey(view: ScheduleView): string {
  const { backup, drill, drillAfterBackup, retention, autoPrune, notify } = view;
  return JSON.stringify({ backup, drill, drillAfterBackup, retention, autoPrune, notify });
}

export const isRetentionNumber = (value: string) => /^\d{1,5}$/.test(value.trim()) && Number(value) <= 10_000;

/** The policy the draft says, or null while a field is not a whole number from 0 to 10000. */
export function policyOf(draft: RetentionDraft): RetentionPolicy | null {
  if (RETENTION_KEYS.some((k) => !isRetentionNumber(draft[k]))) return null;
  return Object.fromEntries(RETENTION_KEYS.map((k) => [k, Number(draft[k].trim())])) as unknown as RetentionPolicy;
}

export const policyKey = (policy: RetentionPolicy | null) => (policy ? RETENTION_KEYS.map((k) => policy[k]).join(',') : null);

/** Empty (no alert) or a whole number of hours from 1 to a year. */
export function staleHoursOf(text: string): { valid: boolean; hours: number | null } {
  const value = text.trim();
  if (value === '') return { valid: true, hours: null };
  const valid = /^\d{1,4}$/.test(value) && Number(value) >= 1 && Number(value) <= 24 * 365;
  return { valid, hours: valid ? Number(value) : null };
}

/** The backup and drill specs as saving would store them. */
function schedulePatch(view: ScheduleView, draft: ScheduleDraft): SchedulePatch {
  const patch: SchedulePatch = {};
  // An untouched "not scheduled" stays null; otherwise the spec is kept, enabled or not.
  const backup: ScheduleSpec | null = view.backup === null && !draft.backup.enabled ? null : fromDraft(draft.backup);
  if (specKey(backup) !== specKey(view.backup)) patch.backup = backup;
  const drill: ScheduleSpec | null = draft.drillOn ? fromDraft({ ...draft.drill, enabled: true }) : view.drill ? { ...fromDraft(draft.drill), enabled: false } : null;
  if (specKey(drill) !== specKey(view.drill)) patch.drill = drill;
  if (draft.drillAfterBackup !== view.drillAfterBackup) patch.drillAfterBackup = draft.drillAfterBackup;
  return patch;
}

function notifyPatch(view: ScheduleView, draft: NotifyDraft): NotifyPatch {
  const patch: NotifyPatch = {};
  const url = draft.url.trim();
  if (url !== '') patch.webhookUrl = url;
  else if (draft.removeWebhook && view.notify.webhook) patch.webhookUrl = null;
  const stale = staleHoursOf(draft.stale);
  if (stale.valid && stale.hours !== view.notify.staleHours) patch.staleHours = stale.hours;
  if (draft.desktop !== view.notify.desktop) patch.desktop = draft.desktop;
  if (draft.onSuccess !== view.notify.onSuccess) patch.onSuccess = draft.onSuccess;
  return patch;
}

export interface CardChanges {
  patch: SchedulePatch;
  /** The sections with unsaved changes (a field that does not parse counts as a change). */
  changed: CardSection[];
  /** What must be fixed before the card can be saved. */
  problems: string[];
}

export function cardChanges(view: ScheduleView, draft: CardDraft): CardChanges {
  const patch = schedulePatch(view, draft.schedule);
  const changed: CardSection[] = [];
  const problems: string[] = [];
  if (Object.keys(patch).length) changed.push('schedule');

  const policy = policyOf(draft.retention);
  if (!policy) problems.push('Retention: each number must be a whole number from 0 to 10000.');
  else if (policyKey(policy) !== policyKey(view.retention)) patch.retention = policy;
  if (draft.autoPrune !== view.autoPrune) patch.autoPrune = draft.autoPrune;
  if (!policy || patch.retention || patch.autoPrune !== undefined) changed.push('retention');

  const notify = notifyPatch(view, draft.notify);
  const staleValid = staleHoursOf(draft.notify.stale).valid;
  if (!staleValid) problems.push('Notifications: the alert needs a whole number of hours from 1 to 8760, or nothing.');
  if (Object.keys(notify).length) patch.notify = notify;
  if (!staleValid || patch.notify) changed.push('notifications');
  return { patch, changed, problems };
}

/** "schedule", "schedule and retention", "schedule, retention and notifications". */
export function sectionList(sections: CardSection[]): string {
  const words: string[] = sections;
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}
