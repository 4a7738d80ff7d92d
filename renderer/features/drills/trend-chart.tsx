// Recovery time per drill, oldest to newest: a small inline SVG (no chart library). The picture is
// summarised in its accessible name, and the numbers are in the history table next to it.
import type { DrillRecord } from '../../../main/ipc/contract.ts';
import { formatDate, formatDateTime, formatDuration } from '../../components/format.ts';

const W = 640;
const H = 168;
const PAD = { left: 52, right: 18, top: 16, bottom: 30 };

/** A round axis maximum above `value` (1, 2, 4, 5 × 10^n), so its half is round too. */
function niceCeil(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 4, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function seconds(ms: number): string {
  return ms === 0 ? '0 s' : formatDuration(ms);
}

export function trendSummary(drills: DrillRecord[]): string {
  if (drills.length === 0) return 'No drills yet.';
  const last = drills[drills.length - 1]!;
  const verdict = (d: DrillRecord) => (d.passed ? 'passed' : 'failed');
  if (drills.length === 1) return `Recovery time of the one drill so far: ${seconds(last.timings.totalMs)} (${verdict(last)}).`;
  const first = drills[0]!;
  const delta = last.timings.totalMs - first.timings.totalMs;
  const change = Math.abs(delta) < Math.max(50, first.timings.totalMs * 0.05) ? 'about the same as' : delta < 0 ? `${seconds(-delta)} faster than` : `${seconds(delta)} slower than`;
  const fastest = Math.min(...drills.map((d) => d.timings.totalMs));
  const slowest = Math.max(...drills.map((d) => d.timings.totalMs));
  const failed = drills.filter((d) => !d.passed).length;
  return `Recovery time of the last ${drills.length} drills, oldest to newest: ${drills.map((d) => seconds(d.timings.totalMs)).join(', ')}. The latest, ${seconds(last.timings.totalMs)}, is ${change} the first; fastest ${seconds(fastest)}, slowest ${seconds(slowest)}.${failed ? ` ${failed} failed.` : ' All passed.'}`;
}

/** `drills` oldest first. */
export function TrendChart({ drills }: { drills: DrillRecord[] }) {
  const max = niceCeil(Math.max(...drills.map((d) => d.timings.totalMs), 1) * 1.1);
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (drills.length === 1 ? innerW / 2 : (innerW * i) / (drills.length - 1));
  const y = (ms: number) => PAD.top + innerH - (innerH * ms) / max;
  const points = drills.map((d, i) => ({ d, cx: x(i), cy: y(d.timings.totalMs) }));
  const line = points.map((p) => `${p.cx.toFixed(1)},${p.cy.toFixed(1)}`).join(' ');
  const area = points.length > 1 ? `M${points[0]!.cx.toFixed(1)},${y(0).toFixed(1)} L${line.replaceAll(' ', ' L')} L${points[points.length - 1]!.cx.toFixed(1)},${y(0).toFixed(1)} Z` : null;
  const ticks = [0, max / 2, max];
  const summary = trendSummary(drills);
  // Dates at the ends of the axis; drills of one day are told apart by their time.
  const first = drills[0]!.startedAt;
  const last = drills[drills.length - 1]!.startedAt;
  const sameDay = formatDate(first) === formatDate(last);
  const firstLabel = sameDay && drills.length > 1 ? formatDateTime(first) : formatDate(first);
  const lastLabel = sameDay && drills.length > 1 ? formatDateTime(last) : formatDate(last);

  return (
    <figure className="trend">
      <svg className="trend-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary} preserveAspectRatio="xMidYMid meet">
        <title>{summary}</title>
        {ticks.map((t) => (
          <g key={t} className="trend-grid">
            <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} />
            <text x={PAD.left - 8} y={y(t) + 4} textAnchor="end">
              {seconds(t)}
            </text>
          </g>
        ))}
        {area ? <path className="trend-area" d={area} /> : null}
        {points.length > 1 ? <polyline className="trend-line" points={line} /> : null}
        {points.map(({ d, cx, cy }) => (
          <circle key={d.id} className={d.passed ? 'trend-point trend-pass' : 'trend-point trend-fail'} cx={cx} cy={cy} r={drills.length > 30 ? 3 : 4.5}>
            <title>{`${formatDate(d.startedAt)}: ${seconds(d.timings.totalMs)}, ${d.passed ? 'passed' : 'failed'}`}</title>
          </circle>
        ))}
        {firstLabel === lastLabel ? (
          <text className="trend-axis" x={PAD.left + innerW / 2} y={H - 8} textAnchor="middle">
            {drills.length === 1 ? firstLabel : `${firstLabel} (all ${drills.length})`}
          </text>
        ) : (
          <>
            <text className="trend-axis" x={PAD.left} y={H - 8} textAnchor="start">
              {firstLabel}
            </text>
            <text className="trend-axis" x={W - PAD.right} y={H - 8} textAnchor="end">
              {lastLabel}
            </text>
          </>
        )}
      </svg>
      <figcaption className="trend-legend" aria-hidden="true">
        <span className="legend-item">
          <span className="legend-dot legend-pass" />
          passed
        </span>
        <span className="legend-item">
          <span className="legend-dot legend-fail" />
          failed
        </span>
        <span className="muted">Recovery time: the whole drill, from reading the archive to cleaning up</span>
      </figcaption>
    </figure>
  );
}
