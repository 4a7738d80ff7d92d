// Backup size and duration over time, one line per connection (per connection and database when a
// connection backs up several), from the library's sidecars and following the library's filter. Each
// chart's accessible name says its trend in words; the archive list below has every number.
import { useCallback, useId, useMemo, useState } from 'react';
import type uPlot from 'uplot';
import type { ProfileColor } from '../../../main/engine/types.ts';
import type { ArchiveEntry } from '../../../main/ipc/contract.ts';
import { formatBytes, formatDate, formatDateTime, formatDuration } from '../../components/format.ts';
import { useLibraryStore } from '../../stores/library-store.ts';
import { useProfilesStore } from '../../stores/profiles-store.ts';
import { bytesAxis, durationAxis, timeAxis, timeScale, zeroBasedScale } from '../charts/chart-axes.ts';
import { ChartLegend } from '../charts/chart-legend.tsx';
import { hoverPlugin, markersPlugin } from '../charts/chart-plugins.ts';
import { alignSeries, assignColors, groupBy, type AlignedSeries, type ChartSeries } from '../charts/chart-series.ts';
import { useChartTheme, type ChartTheme } from '../charts/chart-theme.ts';
import { UPlotChart, type ChartOptions } from '../charts/uplot-chart.tsx';

const HEIGHT = 170;
/** One colour each: more lines than colours would be a tangle (the filter narrows it down). */
const MAX_SERIES = 8;
/** Both charts' crosshairs move together. */
const SYNC_KEY = 'lifeboat-backup-trend';

interface Metric {
  title: string;
  heading: string;
  valueOf: (e: ArchiveEntry) => number;
  format: (value: number) => string;
  axis: (theme: ChartTheme) => uPlot.Axis;
  /** Words for the lowest and the highest value. */
  words: [string, string];
}

const SIZE: Metric = { title: 'Backup size', heading: 'Size', valueOf: (e) => e.sidecar.bytes, format: formatBytes, axis: bytesAxis, words: ['smallest', 'largest'] };
const DURATION: Metric = { title: 'Backup duration', heading: 'Duration', valueOf: (e) => e.sidecar.durationMs, format: formatDuration, axis: durationAxis, words: ['fastest', 'slowest'] };

/** Archives whose sidecars hold real facts (not rebuilt from an unreadable file), oldest first. */
function chartable(entries: ArchiveEntry[]): ArchiveEntry[] {
  const real = entries.filter((e) => !e.problem && !e.sidecar.partial && Number.isFinite(Date.parse(e.sidecar.createdAt)) && e.sidecar.bytes >= 0 && e.sidecar.durationMs >= 0);
  return real.sort((a, b) => Date.parse(a.sidecar.createdAt) - Date.parse(b.sidecar.createdAt));
}

/** A connection's line; per database when the connection's archives hold more than one. */
function seriesKeyOf(entries: ArchiveEntry[]): (e: ArchiveEntry) => string {
  const databases = new Map<string, Set<string>>();
  for (const e of entries) databases.set(e.sidecar.profile, (databases.get(e.sidecar.profile) ?? new Set()).add(e.sidecar.database));
  return (e) => (databases.get(e.sidecar.profile)!.size > 1 ? `${e.sidecar.profile} · ${e.sidecar.database}` : e.sidecar.profile);
}

/** One series per line, with the size as the value (the duration chart reads its own value from the item). */
function buildSeries(entries: ArchiveEntry[], colorOf: (profile: string) => ProfileColor | undefined): { series: ChartSeries<ArchiveEntry>[]; hidden: number } {
  const groups = [...groupBy(entries, seriesKeyOf(entries))];
  // The lines with the newest backups, when there are more than colours.
  const newest = (group: ArchiveEntry[]) => Date.parse(group[group.length - 1]!.sidecar.createdAt);
  const shown = groups.length > MAX_SERIES ? [...groups].sort((a, b) => newest(b[1]) - newest(a[1])).slice(0, MAX_SERIES) : groups;
  const colors = assignColors(shown.map(([, group]) => colorOf(group[0]!.sidecar.profile)));
  const series = shown.map(([key, group], n) => ({ key, label: key, color: colors[n]!, points: group.map((e) => ({ at: Date.parse(e.sidecar.createdAt), value: e.sidecar.bytes, item: e })) }));
  return { series, hidden: groups.length - shown.length };
}

/** One line in words: "Shop: 3 backups from 12 Mar 2026 to 14 Mar 2026, latest 1.3 MB (first 1.2 MB); smallest …, largest …." */
function seriesSentence(s: ChartSeries<ArchiveEntry>, metric: Metric): string {
  const values = s.points.map((p) => metric.valueOf(p.item));
  const first = s.points[0]!.item;
  const last = s.points[s.points.length - 1]!.item;
  if (values.length === 1) return `${s.label}: one backup, ${formatDate(first.sidecar.createdAt)}: ${metric.format(values[0]!)}.`;
  const [low, high] = metric.words;
  return `${s.label}: ${values.length} backups from ${formatDate(first.sidecar.createdAt)} to ${formatDate(last.sidecar.createdAt)}, latest ${metric.format(values[values.length - 1]!)} (first ${metric.format(values[0]!)}); ${low} ${metric.format(Math.min(...values))}, ${high} ${metric.format(Math.max(...values))}.`;
}

export function metricSummary(series: ChartSeries<ArchiveEntry>[], metric: Metric, hidden: number): string {
  const more = hidden ? ` ${hidden} more ${hidden === 1 ? 'line is' : 'lines are'} not drawn: choose a connection in the library's filter.` : '';
  return `${metric.title}, oldest to newest. ${series.map((s) => seriesSentence(s, metric)).join(' ')}${more}`;
}

function chartOptions(theme: ChartTheme, series: ChartSeries<ArchiveEntry>[], metric: Metric, onPoint: (idx: number | null) => void): ChartOptions {
  return {
    legend: { show: false },
    cursor: { drag: { x: false, y: false, setScale: false }, sync: { key: SYNC_KEY }, points: { show: false } },
    scales: { x: timeScale(), y: zeroBasedScale() },
    axes: [timeAxis(theme), metric.axis(theme)],
    series: [{}, ...series.map((s) => ({ label: s.label, stroke: theme.palette[s.color], width: 2, spanGaps: true, points: { show: false } }))],
    // Every backup a circle (uPlot's own points hide when they crowd; these always show).
    plugins: [markersPlugin(theme, () => 'circle'), hoverPlugin(onPoint)],
  };
}

/** The same x column with the metric's values: the size chart's data, or the duration's from the items. */
function metricData(aligned: AlignedSeries<ArchiveEntry>, metric: Metric): AlignedSeries<ArchiveEntry>['data'] {
  return [aligned.data[0]!, ...aligned.items.map((column) => column.map((e) => (e ? metric.valueOf(e) : null)))];
}

interface MetricChartProps {
  metric: Metric;
  series: ChartSeries<ArchiveEntry>[];
  aligned: AlignedSeries<ArchiveEntry>;
  hidden: number;
  theme: ChartTheme;
  onPoint: (idx: number | null) => void;
}

function MetricChart({ metric, series, aligned, hidden, theme, onPoint }: MetricChartProps) {
  const shape = series.map((s) => `${s.key}:${s.color}`).join('|');
  // `shape` stands for `series`: more backups of the same lines only need setData.
  const options = useMemo(() => chartOptions(theme, series, metric, onPoint), [theme, shape, metric, onPoint]);
  const data = useMemo(() => metricData(aligned, metric), [aligned, metric]);
  return (
    <figure className="chart">
      <h3 className="chart-title">{metric.heading}</h3>
      <div role="img" aria-label={metricSummary(series, metric, hidden)} className="chart-frame">
        <UPlotChart options={options} data={data} height={HEIGHT} />
      </div>
    </figure>
  );
}

/** What the pointer is over: "12 Mar 2026, 14:03 · Shop · 1.2 MB in 2.1 s". */
function pointText(items: (ArchiveEntry | null)[][], idx: number | null): string | null {
  if (idx === null) return null;
  const here = items.map((column) => column[idx]).filter((e): e is ArchiveEntry => Boolean(e));
  return here.map((e) => `${formatDateTime(e.sidecar.createdAt)} · ${e.sidecar.profile} · ${formatBytes(e.sidecar.bytes)} in ${formatDuration(e.sidecar.durationMs)}`).join('; ') || null;
}

export function BackupTrend() {
  const entries = useLibraryStore((s) => s.entries);
  const filtered = useLibraryStore((s) => s.filter.profile !== '' || s.filter.database !== '');
  const profiles = useProfilesStore((s) => s.profiles);
  const theme = useChartTheme();
  const uid = useId();
  const [hovered, setHovered] = useState<number | null>(null);
  const onPoint = useCallback((idx: number | null) => setHovered(idx), []);
  const points = useMemo(() => chartable(entries), [entries]);
  const { series, hidden } = useMemo(() => buildSeries(points, (name) => profiles.find((p) => p.name === name)?.color), [points, profiles]);
  const aligned = useMemo(() => alignSeries(series), [series]);
  // One backup is a dot, not a trend.
  if (points.length < 2) return null;

  return (
    <section className="card backup-trend" aria-labelledby={`${uid}-title`}>
      <div className="card-header">
        <h2 id={`${uid}-title`}>Backup size and duration</h2>
      </div>
      <div className="chart-pair">
        <MetricChart metric={SIZE} series={series} aligned={aligned} hidden={hidden} theme={theme} onPoint={onPoint} />
        <MetricChart metric={DURATION} series={series} aligned={aligned} hidden={hidden} theme={theme} onPoint={onPoint} />
      </div>
      <ChartLegend as="div" series={series} note={pointText(aligned.items, hovered) ?? (filtered ? 'The archives the library’s filter shows' : 'Every archive in the library')} />
    </section>
  );
}
