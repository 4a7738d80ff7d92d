// The card of a running job (backup, verification, restore, drill): spinner, title, phase, percent,
// Cancel, the bar, and its figures: current item, bytes, speed and one figure of the job's own.
import { useId, type ReactNode } from 'react';
import { visibleText } from '../../main/engine/name-text.ts';
import { useJobsStore, type JobEntry } from '../stores/jobs-store.ts';
import { formatBytes, formatRate } from './format.ts';
import { Icon } from './icons.tsx';
import { percentOf, ProgressBar } from './progress-bar.tsx';

export interface JobStat {
  label: string;
  value: ReactNode;
}

export interface JobProgressCardProps {
  job: JobEntry;
  title: string;
  /** The phase to show; "Cancelling…" replaces it once Cancel was pressed. */
  phase: string;
  /** Said after the phase, muted ("· 5 tables"). */
  detail?: ReactNode;
  /** What the current item is called: "Current table", "Current object". */
  itemLabel: string;
  /** What the byte count is: "Written", "Read". */
  bytesLabel: string;
  /** The fourth figure, the job's own (time left, server, phase n of m). */
  extra: JobStat;
  className?: string;
  /** Between the header and the bar (a drill's phase steps). */
  children?: ReactNode;
  /** Below the figures. */
  footer?: ReactNode;
}

export function JobProgressCard({ job, title, phase: jobPhase, detail, itemLabel, bytesLabel, extra, className, children, footer }: JobProgressCardProps) {
  const cancel = useJobsStore((s) => s.cancel);
  const uid = useId();
  const p = job.progress;
  const fraction = p?.fraction ?? null;
  const phase = job.cancelling ? 'Cancelling…' : jobPhase;
  const stats: JobStat[] = [
    // The current table or object name comes from the file being read.
    { label: itemLabel, value: p?.currentItem ? <code>{visibleText(p.currentItem)}</code> : '—' },
    { label: bytesLabel, value: formatBytes(p?.bytes ?? 0) },
    { label: 'Speed', value: formatRate(p?.bytesPerSecond ?? null) },
    extra,
  ];

  return (
    <section className={className ? `card job-panel ${className}` : 'card job-panel'} aria-labelledby={`${uid}-title`} aria-busy="true">
      <header className="job-header">
        <span className="spinner" aria-hidden="true" />
        <div className="job-heading">
          <h2 id={`${uid}-title`}>{title}</h2>
          <p className="job-phase" aria-live="polite">
            {phase}
            {detail ? <span className="muted"> · {detail}</span> : null}
          </p>
        </div>
        <span className="job-percent" aria-hidden="true">
          {percentOf(fraction)}
        </span>
        <button type="button" className="btn" onClick={() => void cancel(job.jobId)} disabled={job.cancelling} aria-busy={job.cancelling}>
          <Icon name="x" />
          Cancel
        </button>
      </header>
      {children}
      <ProgressBar fraction={fraction} label={`${title}: progress`} valueText={fraction === null ? phase : `${percentOf(fraction)}, ${phase}`} />
      <dl className="job-stats">
        {stats.map((stat) => (
          <div key={stat.label}>
            <dt>{stat.label}</dt>
            <dd>{stat.value}</dd>
          </div>
        ))}
      </dl>
      {footer}
    </section>
  );
}
