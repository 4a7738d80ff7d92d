import type { FormEvent, ReactNode } from 'react';

export interface SettingRowProps {
  /** A <label> for `controlId` when given; otherwise a caption (with `labelId` for aria-labelledby). */
  label: ReactNode;
  controlId?: string;
  labelId?: string;
  /** Under the label: the current value (a folder, …). */
  value?: ReactNode;
  help?: ReactNode;
  helpId?: string;
  /** Under the help: a validation message. */
  after?: ReactNode;
  /** The controls, on the right. */
  children: ReactNode;
  className?: string;
  actionsClassName?: string;
  /** Makes the row a form (Enter saves). */
  onSubmit?: (event: FormEvent) => void;
}

/** One settings row: what it is and a hint on the left, its controls on the right. */
export function SettingRow({ label, controlId, labelId, value, help, helpId, after, children, className, actionsClassName, onSubmit }: SettingRowProps) {
  const rowClass = className ? `setting-row ${className}` : 'setting-row';
  const content = (
    <>
      <div className="setting-text">
        {controlId ? (
          <label className="setting-label" htmlFor={controlId} id={labelId}>
            {label}
          </label>
        ) : (
          <p className="setting-label" id={labelId}>
            {label}
          </p>
        )}
        {value}
        {help ? (
          <p className="hint" id={helpId}>
            {help}
          </p>
        ) : null}
        {after}
      </div>
      <div className={actionsClassName ? `setting-actions ${actionsClassName}` : 'setting-actions'}>{children}</div>
    </>
  );
  return onSubmit ? (
    <form className={rowClass} onSubmit={onSubmit} noValidate>
      {content}
    </form>
  ) : (
    <div className={rowClass}>{content}</div>
  );
}
