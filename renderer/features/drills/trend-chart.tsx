// Recovery time per drill on a time axis (uPlot): one line per connection, a circle for each passed
// drill and a cross for each failed one, and the recovery target as a dashed line. Recovery time is
// what a real recovery takes — restore plus verify; starting the throwaway scratch server is apart.
// The chart's accessible name says the trend in words; the history table next to it has every number.
import { useMemo, useRef, useState } from 'react';
import type { ProfileColor } from '../../../main/engine/types.ts';
import type { DrillRecord } from '../../../main/ipc/contract.ts';
import { formatDate, formatDateTime, formatDuration } from '../../components/format.ts';
import { durationAxis, timeAxis, timeScale, zeroBasedScale } from '../charts/chart-axes.ts';
import { ChartLegend } from '../charts/chart-legend.tsx';
import { hoverPlugin, markersPlugin, targetLinePlugin } from '../charts/chart-plugins.ts';
import { alignSeries, assignColors, groupBy, type ChartSeries } from '../charts/chart-series.ts';
import { useChartTheme, type ChartTheme } from '../charts/chart-theme.ts';
import { UPlotChart, type ChartOptions } from '../charts/uplot-chart.tsx';

const HEIGHT = 190;
/** Drills of a file with no connection name (dropped or imported) share one series. */
const NO_PROFILE = 'Other files';
/** Beyond this many drills the summary gives the range instead of every value. */
const LISTED = 10;

/** What a real recovery takes: restore and verify (the scratch server's start is shown apart). */
export function recoveryMs(drill: DrillRecord): number {
  return drill.timings.restoreMs + drill.timings.verifyMs;
}

/** "15 min", or "90 s" / "1 h 30 min" when not whole minutes. */
export function formatTarget(seconds: number): string {
  return seconds % 60 === 0 && seconds < 3600 * 24 ? `${seconds / 60} min` : formatDuration(seconds * 1000);
}

function seconds(ms: number): string {
  return ms === 0 ? '0 s' : formatDuration(ms);
}

const profileOf = (d: DrillRecord) => d.source.profile ?? NO_PROFILE;

/** One connection's drills (oldest first) in a sentence. */
function groupSentence(drills: DrillRecord[], named: string | null): string {
  const last = drills[drills.length - 1]!;
  const verdict = (d: DrillRecord) => (d.passed ? 'passed' : 'failed');
  const of = named ? ` of ${named}` : '';
  if (drills.length === 1) return `Recovery time (restore and verify) of the one drill${of} so far: ${seconds(recoveryMs(last))} (${verdict(last)}).`;
  const times = drills.map(recoveryMs);
  const first = times[0]!;
  const latest = times[times.length - 1]!;
  const delta = latest - first;
  const change = Math.abs(delta) < Math.max(50, first * 0.05) ? 'about the same as' : delta < 0 ? `${seconds(-delta)} faster than` : `${seconds(delta)} slower than`;
  const failed = drills.filter((d) => !d.passed).length;
  const listed = drills.length <= LISTED ? `, oldest to newest: ${times.map(seconds).join(', ')}` : `, from ${formatDate(drills[0]!.startedAt)} to ${formatDate(last.startedAt)}`;
  return `Recovery time (restore and verify) of the last ${drills.length} drills${of}${listed}. The latest, ${seconds(latest)}, is ${change} the first; fastest ${seconds(Math.min(...times))}, slowest ${seconds(Math.max(...times))}.${failed ? ` ${failed} failed.` : ' All passed.'}`;
}

/** Whether the drills met the target, in words: "Target 5 min: all within." */
export function targetSentence(drills: DrillRecord[], targetSeconds: number | null): string {
  if (targetSeconds === null || drills.length === 0) return '';
  const over = drills.filter((d) => recoveryMs(d) > targetSeconds * 1000);
  const label = `Target ${formatTarget(targetSeconds)}`;
  if (over.length === 0) return `${label}: all within.`;
  const latest = drills[drills.length - 1]!;
  const latestOver = recoveryMs(latest) > targetSeconds * 1000;
  return `${label}: ${over.length} of ${drills.length} over${latestOver ? ', the latest included' : ', not the latest'}.`;
}

function scratchSentence(drills: DrillRecord[]): string {
  const average = drills.reduce((sum, d) => sum + d.timings.startMs, 0) / drills.length;
  return `Not counted: starting the scratch server, ${seconds(Math.round(average))} on average.`;
}

/** The chart in words. `drills` oldest first; drills that could not run are left out of the chart. */
export function trendSummary(drills: DrillRecord[], targetSeconds: number | null = null): string {
  if (drills.length === 0) return 'No drills yet.';
  const ran = drills.filter((d) => !d.couldNotRun);
  const skipped = drills.length - ran.length;
  const notCharted = skipped ? ` ${skipped} ${skipped === 1 ? 'drill' : 'drills'} could not run and ${skipped === 1 ? 'is' : 'are'} not charted.` : '';
  if (ran.length === 0) return `No drill has run to the end yet.${notCharted}`;
  const groups = groupBy(ran, profileOf);
  const sentences = groups.size === 1 ? [groupSentence(ran, null)] : [...groups].map(([name, group]) => groupSentence(group, name));
  return [...sentences, targetSentence(ran, targetSeconds), scratchSentence(ran)].filter(Boolean).join(' ') + notCharted;
}

function buildSeries(drills: DrillRecord[], colorOf: (profile: string) => ProfileColor | undefined): ChartSeries<DrillRecord>[] {
  const groups = [...groupBy(drills.filter((d) => !d.couldNotRun), profileOf)];
  const colors = assignColors(groups.map(([name]) => colorOf(name)));
  return groups.map(([name, group], n) => ({
    key: name,
    label: name,
    color: colors[n]!,
    points: group.map((d) => ({ at: Date.parse(d.startedAt), value: recoveryMs(d), item: d })),
  }));
}

function chartOptions(theme: ChartTheme, series: ChartSeries<DrillRecord>[], items: () => (DrillRecord | null)[][], targetSeconds: number | null, onPoint: (idx: number | null) => void): ChartOptions {
  const targetMs = targetSeconds === null ? null : targetSeconds * 1000;
  const plugins = [markersPlugin(theme, (s, i) => (items()[s - 1]?.[i]?.passed ? 'circle' : items()[s - 1]?.[i] ? 'cross' : null)), hoverPlugin(onPoint)];
  if (targetSeconds !== null) plugins.unshift(targetLinePlugin(theme, targetSeconds * 1000, `target ${formatTarget(targetSeconds)}`));
  return {
    legend: { show: false },
    cursor: { drag: { x: false, y: false, setScale: false }, points: { show: false } },
    scales: { x: timeScale(), y: zeroBasedScale(targetMs ?? 0) },
    axes: [timeAxis(theme), durationAxis(theme)],
    series: [{}, ...series.map((s) => ({ label: s.label, stroke: theme.palette[s.color], width: 2, spanGaps: true, points: { show: false } }))],
    plugins,
  };
}

/** What the pointer is over: "12 Mar 2026, 14:03 · Shop · 1.2 s · passed". */
function pointText(items: (DrillRecord | null)[][], idx: number | null): string | null {
  if (idx === null) return null;
  const here = items.map((column) => column[idx]).filter((d): d is DrillRecord => Boolean(d));
  return here.map((d) => `${formatDateTime(d.startedAt)} · ${profileOf(d)} · ${formatDuration(recoveryMs(d))} · ${d.passed ? 'passed' : 'failed'}`).join('; ') || null;
}

interface TrendChartProps {
  /** Oldest first. */
  drills: DrillRecord[];
  targetSeconds: number | null;
  colorOf: (profile: string) => ProfileColor | undefined;
}

export function TrendChart({ drills, targetSeconds, colorOf }: TrendChartProps) {
  const theme = useChartTheme();
  const [hovered, setHovered] = useState<number | null>(null);
  const series = useMemo(() => buildSeries(drills, colorOf), [drills, colorOf]);
  const aligned = useMemo(() => alignSeries(series), [series]);
  // The markers read the newest items; the chart is rebuilt only when its series or look change.
  const items = useRef(aligned.items);
  items.current = aligned.items;
  const shape = series.map((s) => `${s.key}:${s.color}`).join('|');
  // `shape` stands for `series` here: new drills of the same connections only need setData.
  const options = useMemo(() => chartOptions(theme, series, () => items.current, targetSeconds, setHovered), [theme, shape, targetSeconds]);
  const summary = trendSummary(drills, targetSeconds);
  // Only drills that could not run: nothing to draw, the words say why.
  if (series.length === 0) return <p className="chart-summary">{summary}</p>;

  return (
    <figure className="chart drill-trend">
      <div role="img" aria-label={summary} className="chart-frame">
        <UPlotChart options={options} data={aligned.data} height={HEIGHT} />
      </div>
      <ChartLegend
        series={series.length > 1 ? series : []}
        markers={[
          { shape: 'circle', label: 'passed' },
          { shape: 'cross', label: 'failed' },
        ]}
        target={targetSeconds === null ? null : `target ${formatTarget(targetSeconds)}`}
        note={pointText(aligned.items, hovered) ?? 'Recovery time: restore and verify, without starting the scratch server'}
      />
    </figure>
  );
}
