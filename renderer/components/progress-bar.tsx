/** A determinate bar (0..1) or, while the fraction is unknown, an indeterminate one. */
export function ProgressBar({ fraction, label, valueText }: { fraction: number | null; label: string; valueText?: string }) {
  const percent = fraction === null ? null : Math.round(Math.min(Math.max(fraction, 0), 1) * 100);
  return (
    <div
      className={percent === null ? 'progress progress-indeterminate' : 'progress'}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent ?? undefined}
      aria-valuetext={valueText}
    >
      {/* The style prop is applied through the CSSOM, which the CSP (style-src 'self') allows. */}
      <div className="progress-fill" style={percent === null ? undefined : { width: `${percent}%` }} />
    </div>
  );
}

export function percentOf(fraction: number | null): string {
  return fraction === null ? '' : `${Math.round(Math.min(Math.max(fraction, 0), 1) * 100)}%`;
}
