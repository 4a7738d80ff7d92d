import { useId, type ReactNode } from 'react';
import { Icon } from './icons.tsx';

/**
 * A job the user cancelled (backup, verification, restore, drill): said calmly, not as an error —
 * what was (not) kept, and a way on. Named by `label`, or else by its title.
 */
export function CancelledCallout({ title, detail, action, label, className }: { title: string; detail: ReactNode; action: ReactNode; label?: string; className?: string }) {
  const uid = useId();
  const naming = label ? { 'aria-label': label } : { 'aria-labelledby': `${uid}-title` };
  return (
    <section className={className ? `callout callout-calm ${className}` : 'callout callout-calm'} {...naming}>
      <Icon name="info" className="callout-icon" />
      <div className="callout-body">
        <p className="callout-title" id={`${uid}-title`}>
          {title}
        </p>
        <p className="muted">{detail}</p>
      </div>
      {action}
    </section>
  );
}
