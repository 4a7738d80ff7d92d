// From "points per series" (one series per connection) to uPlot's aligned columns: one shared x
// column of times and, per series, a column that is null where another series has its point.
import type uPlot from 'uplot';
import { PROFILE_COLORS, type ProfileColor } from '../../../main/engine/types.ts';

export interface ChartPoint<T> {
  /** Milliseconds since the epoch. */
  at: number;
  value: number;
  item: T;
}

export interface ChartSeries<T> {
  key: string;
  label: string;
  color: ProfileColor;
  points: ChartPoint<T>[];
}

export interface AlignedSeries<T> {
  data: uPlot.AlignedData;
  /** items[s][i]: the item behind series s's value at x index i (null where it has none). */
  items: (T | null)[][];
}

/** Seconds (uPlot's time unit) of each distinct time, oldest first, and every series' column. */
export function alignSeries<T>(series: ChartSeries<T>[]): AlignedSeries<T> {
  const times = [...new Set(series.flatMap((s) => s.points.map((p) => p.at / 1000)))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const columns: (number | null)[][] = [];
  const items: (T | null)[][] = [];
  for (const s of series) {
    const column = new Array<number | null>(times.length).fill(null);
    const behind = new Array<T | null>(times.length).fill(null);
    for (const p of s.points) {
      const i = index.get(p.at / 1000)!;
      column[i] = p.value;
      behind[i] = p.item;
    }
    columns.push(column);
    items.push(behind);
  }
  return { data: [times, ...columns], items };
}

/**
 * Series colours: each connection's own colour when it is free, else the next unused one (red and
 * green last: they are also the colours of failed and passed).
 */
export function assignColors(wanted: (ProfileColor | undefined)[]): ProfileColor[] {
  const order: ProfileColor[] = [...PROFILE_COLORS.filter((c) => c !== 'red' && c !== 'green'), 'green', 'red'];
  const used = new Set<ProfileColor>();
  return wanted.map((want, n) => {
    const color = want && !used.has(want) ? want : (order.find((c) => !used.has(c)) ?? order[n % order.length]!);
    used.add(color);
    return color;
  });
}

/** Groups items by a key, keeping the first-seen order of the keys. */
export function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
