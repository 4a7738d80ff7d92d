// Axes and scales shared by Lifeboat's charts: a time axis in the user's locale, and value axes whose
// ticks fall on round durations (1 s, 30 s, 5 min) or round sizes (KB, MB in powers of 1024) rather
// than uPlot's decimal steps, which would put "1 min 40 s" on a duration axis.
import type uPlot from 'uplot';
import type { ChartTheme } from './chart-theme.ts';

const KIB = 1024;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

/** Tick steps for durations in milliseconds. */
const DURATION_INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, MINUTE_MS, 2 * MINUTE_MS, 5 * MINUTE_MS, 10 * MINUTE_MS, 15 * MINUTE_MS, 30 * MINUTE_MS, HOUR_MS, 2 * HOUR_MS, 6 * HOUR_MS, 12 * HOUR_MS, 24 * HOUR_MS];

const DAY_S = 86_400;
/**
 * Time tick steps in seconds: uPlot's own list without its sub-second steps, which would label two
 * ticks with the same second (drills a second apart are common). Its 30-day and 365-day steps make
 * it cut on month and year boundaries.
 */
const TIME_INCRS = [1, 5, 10, 15, 30, 60, 300, 600, 900, 1800, 3600, 7200, 10_800, 14_400, 21_600, 28_800, 43_200, ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15].map((d) => d * DAY_S), ...[1, 2, 3, 4, 6].map((m) => m * 30 * DAY_S), ...[1, 2, 5, 10, 25, 50, 100].map((y) => y * 365 * DAY_S)];

/** Tick steps for sizes in bytes: 1, 2, 5, 10, 20, 50, 100, 200, 500 of each binary unit. */
const BYTES_INCRS = [0, 1, 2, 3, 4, 5].flatMap((power) => [1, 2, 5, 10, 20, 50, 100, 200, 500].map((m) => m * KIB ** power));

function trim(value: number): string {
  return String(Number(value.toFixed(1)));
}

/** A tick label: "0", "500 ms", "1.5 s", "2 min", "1.5 h". */
export function shortDuration(ms: number): string {
  if (ms === 0) return '0';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < MINUTE_MS) return `${trim(ms / 1000)} s`;
  if (ms < HOUR_MS) return `${trim(ms / MINUTE_MS)} min`;
  return `${trim(ms / HOUR_MS)} h`;
}

/** A tick label: "0", "512 bytes", "1.5 MB". */
export function shortBytes(bytes: number): string {
  if (bytes === 0) return '0';
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let unit = 0;
  let value = bytes;
  while (value >= KIB && unit < units.length - 1) {
    value /= KIB;
    unit++;
  }
  return `${trim(value)} ${units[unit]}`;
}

function axisStyle(theme: ChartTheme): Partial<uPlot.Axis> {
  return {
    stroke: theme.text,
    // Whole pixels: uPlot reads the size with /(\d+)px/ (11.5px would read as 5px and stack multi-line labels).
    font: `12px ${theme.font}`,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.grid, width: 1, size: 4 },
  };
}

const dayFormat = new Intl.DateTimeFormat([], { day: 'numeric', month: 'short' });
const yearFormat = new Intl.DateTimeFormat([], { month: 'short', year: 'numeric' });
const timeFormat = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit' });
const secondsFormat = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/**
 * Time tick labels (splits in seconds): clock times within a day, with the date under the first tick
 * and under each tick that starts a new day; dates for longer steps; month and year beyond a month.
 */
function timeValues(_self: uPlot, splits: number[], _axisIdx: number, _space: number, incr: number): string[] {
  let lastDay = '';
  return splits.map((s) => {
    const date = new Date(s * 1000);
    if (incr >= 28 * 86_400) return yearFormat.format(date);
    const day = dayFormat.format(date);
    if (incr >= 86_400) return day;
    const clock = (incr < 60 ? secondsFormat : timeFormat).format(date);
    const label = day === lastDay ? clock : `${clock}\n${day}`;
    lastDay = day;
    return label;
  });
}

export function timeAxis(theme: ChartTheme): uPlot.Axis {
  return { ...axisStyle(theme), incrs: TIME_INCRS, values: timeValues, size: 48, space: 70 };
}

export function durationAxis(theme: ChartTheme): uPlot.Axis {
  return { ...axisStyle(theme), incrs: DURATION_INCRS, values: (_u, splits) => splits.map(shortDuration), size: 62, space: 28 };
}

export function bytesAxis(theme: ChartTheme): uPlot.Axis {
  return { ...axisStyle(theme), incrs: BYTES_INCRS, values: (_u, splits) => splits.map(shortBytes), size: 66, space: 28 };
}

/**
 * The time scale around the points: a little room at both ends so markers are not cut, and an hour
 * either side of a lone point (uPlot cannot range a scale of one value).
 */
export function timeScale(): uPlot.Scale {
  return {
    time: true,
    range: (_u, min, max) => {
      if (min === null || max === null) return [min, max];
      if (max - min < 1) return [min - 3600, max + 3600];
      const pad = (max - min) * 0.04;
      return [min - pad, max + pad];
    },
  };
}

/** How far above the data a reference value (a target line) may lie and still stretch the scale. */
const REACH = 3;

/**
 * A value scale from 0 to a little above the largest value. A reference value (e.g. a target line)
 * is brought into view when it is at most 3× the data: one far above would flatten every point
 * against the axis, so it is marked as off the scale instead (targetLinePlugin).
 */
export function zeroBasedScale(reference = 0): uPlot.Scale {
  return {
    range: (_u, _min, max) => {
      const top = Math.max(max ?? 0, 1);
      return [0, (reference > 0 && reference <= top * REACH ? Math.max(top, reference) : top) * 1.15];
    },
  };
}
