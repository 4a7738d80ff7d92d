// The fields of one schedule (backup or drill): how often, at what time, which day, or a cron expression.
import type { ScheduleSpec } from '../../../main/ipc/contract.ts';

export type Preset = ScheduleSpec['preset'];

/** What the form holds: every field, so switching presets keeps what was typed. */
export interface SpecDraft {
  preset: Preset;
  time: string;
  weekday: number;
  dayOfMonth: number;
  cron: string;
  enabled: boolean;
}

export const DEFAULT_DRAFT: SpecDraft = { preset: 'daily', time: '01:00', weekday: 1, dayOfMonth: 1, cron: '30 2 * * 1-5', enabled: true };

export const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export const PRESET_LABEL: Record<Preset, string> = {
  hourly: 'Every hour',
  daily: 'Every day',
  weekly: 'Every week',
  monthly: 'Every month',
  cron: 'Custom (cron expression)',
};

export function toDraft(spec: ScheduleSpec | null, fallback: SpecDraft = DEFAULT_DRAFT): SpecDraft {
  if (!spec) return fallback;
  return {
    preset: spec.preset,
    time: spec.time ?? fallback.time,
    weekday: spec.weekday ?? fallback.weekday,
    dayOfMonth: spec.dayOfMonth ?? fallback.dayOfMonth,
    cron: spec.cron ?? fallback.cron,
    enabled: spec.enabled,
  };
}

/** The spec to save: only the fields its preset uses. */
export function fromDraft(draft: SpecDraft): ScheduleSpec {
  const base = { preset: draft.preset, enabled: draft.enabled };
  switch (draft.preset) {
    case 'hourly':
      return { ...base, time: `00:${draft.time.slice(3, 5) || '00'}` };
    case 'daily':
      return { ...base, time: draft.time };
    case 'weekly':
      return { ...base, time: draft.time, weekday: draft.weekday };
    case 'monthly':
      return { ...base, time: draft.time, dayOfMonth: draft.dayOfMonth };
    case 'cron':
      return { ...base, cron: draft.cron.trim() };
  }
}

/** The same spec in a comparable form (saved specs may carry fields their preset ignores). */
export function specKey(spec: ScheduleSpec | null): string {
  return spec ? JSON.stringify(fromDraft(toDraft(spec))) : 'null';
}

/** The schedule in words: "Hourly at :15", "Daily at 01:00", "Weekly on Monday at 02:30", "Cron 30 2 * * 1-5". */
export function describeSpec(spec: ScheduleSpec): string {
  const time = spec.time ?? '01:00';
  switch (spec.preset) {
    case 'hourly':
      return `Hourly at :${time.slice(-2)}`;
    case 'daily':
      return `Daily at ${time}`;
    case 'weekly':
      return `Weekly on ${WEEKDAYS[spec.weekday ?? 0]} at ${time}`;
    case 'monthly':
      return `Monthly on day ${spec.dayOfMonth ?? 1} at ${time}`;
    case 'cron':
      return `Cron ${spec.cron ?? ''}`;
  }
}

const DAYS_OF_MONTH = Array.from({ length: 28 }, (_, i) => i + 1);
const MINUTES = Array.from({ length: 12 }, (_, i) => i * 5);

/** A labelled select of numbers or names. */
function Choice<T extends string | number>(props: { id: string; label: string; value: T; options: readonly T[]; text: (option: T) => string; disabled: boolean; className?: string; onChange: (value: string) => void }) {
  const { id, label, value, options, text, disabled, className, onChange } = props;
  return (
    <div className={className ? `field ${className}` : 'field'}>
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} disabled={disabled} onChange={(e) => onChange(e.target.value)}>
        {options.map((option) => (
          <option key={option} value={option}>
            {text(option)}
          </option>
        ))}
      </select>
    </div>
  );
}

export function SpecFields({ uid, draft, presets, disabled, onChange }: { uid: string; draft: SpecDraft; presets: Preset[]; disabled: boolean; onChange: (draft: SpecDraft) => void }) {
  const update = (patch: Partial<SpecDraft>) => onChange({ ...draft, ...patch });
  const weekdays = WEEKDAYS.map((_, i) => i);
  return (
    <div className="spec-fields">
      <Choice id={`${uid}-preset`} label="Repeat" value={draft.preset} options={presets} text={(p) => PRESET_LABEL[p]} disabled={disabled} onChange={(v) => update({ preset: v as Preset })} />
      {draft.preset === 'weekly' ? <Choice id={`${uid}-weekday`} label="On" value={draft.weekday} options={weekdays} text={(i) => WEEKDAYS[i]!} disabled={disabled} onChange={(v) => update({ weekday: Number(v) })} /> : null}
      {draft.preset === 'monthly' ? <Choice id={`${uid}-day`} label="On day" value={draft.dayOfMonth} options={DAYS_OF_MONTH} text={String} disabled={disabled} onChange={(v) => update({ dayOfMonth: Number(v) })} /> : null}
      {draft.preset === 'daily' || draft.preset === 'weekly' || draft.preset === 'monthly' ? (
        <div className="field field-time">
          <label htmlFor={`${uid}-time`}>At</label>
          <input id={`${uid}-time`} type="time" value={draft.time} disabled={disabled} required onChange={(e) => update({ time: e.target.value })} />
        </div>
      ) : null}
      {draft.preset === 'hourly' ? (
        <Choice
          id={`${uid}-minute`}
          label="At minute"
          className="field-time"
          value={Number(draft.time.slice(3, 5)) || 0}
          options={MINUTES}
          text={(m) => `:${String(m).padStart(2, '0')}`}
          disabled={disabled}
          onChange={(v) => update({ time: `${draft.time.slice(0, 2) || '00'}:${v.padStart(2, '0')}` })}
        />
      ) : null}
      {draft.preset === 'cron' ? (
        <div className="field field-cron">
          <label htmlFor={`${uid}-cron`}>Cron expression</label>
          <input
            id={`${uid}-cron`}
            value={draft.cron}
            disabled={disabled}
            onChange={(e) => update({ cron: e.target.value })}
            spellCheck={false}
            autoComplete="off"
            placeholder="30 2 * * 1-5"
            aria-describedby={`${uid}-cron-hint`}
          />
          <p id={`${uid}-cron-hint`} className="hint">
            Five fields: minute hour day month weekday.
          </p>
        </div>
      ) : null}
    </div>
  );
}
