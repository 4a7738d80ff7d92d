// A labelled filter menu: "All …" (the empty value) first, then the choices. The filters of the
// library, the activity log and the drill history are all this.
import { useId } from 'react';

export type FilterChoice<T extends string> = T | { value: T; label: string };

export function FilterSelect<T extends string>(props: {
  label: string;
  /** The first option, meaning "no filter" (value ''); absent when the choices bring their own. */
  all?: string;
  value: T | '';
  choices: readonly FilterChoice<T>[];
  onChange(value: T | ''): void;
  className?: string;
  /** The label is for screen readers only (the heading beside it says it). */
  hiddenLabel?: boolean;
}) {
  const id = useId();
  return (
    <div className={props.className ? `field ${props.className}` : 'field'}>
      <label htmlFor={id} className={props.hiddenLabel ? 'sr-only' : undefined}>
        {props.label}
      </label>
      <select id={id} value={props.value} onChange={(e) => props.onChange(e.target.value as T | '')}>
        {props.all !== undefined ? <option value="">{props.all}</option> : null}
        {props.choices.map((choice) => {
          const { value, label } = typeof choice === 'string' ? { value: choice, label: choice } : choice;
          return (
            <option key={value} value={value}>
              {label}
            </option>
          );
        })}
      </select>
    </div>
  );
}
