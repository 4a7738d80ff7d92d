// A job that finished well (a backup, a restore): the check, its title, an action (Dismiss, Done) and
// its key figures, then whatever else the job has to say. The figures are shared with other results.
import { useEffect, useId, useRef, type ReactNode } from 'react';
import { Icon } from './icons.tsx';

export interface Fact {
  label: string;
  value: ReactNode;
  /** On the value (e.g. text-err for mismatches). */
  className?: string;
  /** The figure that matters most (a drill's recovery time). */
  strong?: boolean;
}

/** A row of labelled figures. */
export function Facts({ facts, className }: { facts: Fact[]; className?: string }) {
  return (
    <dl className={className ? `facts ${className}` : 'facts'}>
      {facts.map((fact) => (
        <div key={fact.label} className={fact.strong ? 'fact fact-strong' : 'fact'}>
          <dt>{fact.label}</dt>
          <dd className={fact.className}>{fact.value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function JobDone({ title, subtitle, action, facts, className, children }: { title: ReactNode; subtitle: ReactNode; action: ReactNode; facts: Fact[]; className?: string; children?: ReactNode }) {
  const ref = useRef<HTMLElement>(null);
  const uid = useId();

  // Bring the result into view: the button that started it may be far above.
  // Braces matter: in recent Chromium scrollIntoView returns a promise, which React takes for a cleanup.
  useEffect(() => {
    ref.current?.scrollIntoView({ block: 'nearest' });
  }, []);

  return (
    <section ref={ref} className={className ? `card job-panel job-done ${className}` : 'card job-panel job-done'} aria-labelledby={`${uid}-title`}>
      <header className="job-header">
        <Icon name="check" className="job-done-icon" />
        <div className="job-heading">
          <h2 id={`${uid}-title`}>{title}</h2>
          <p className="job-phase">{subtitle}</p>
        </div>
        {action}
      </header>
      <Facts facts={facts} />
      {children}
    </section>
  );
}
