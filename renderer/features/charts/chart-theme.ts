// The colours and fonts a chart draws with, read from styles.css's custom properties: a canvas cannot
// use var(--…), so the values are copied in, and copied again when the OS switches light and dark.
import { useEffect, useState } from 'react';
import { PROFILE_COLORS, type ProfileColor } from '../../../main/engine/types.ts';

export interface ChartTheme {
  /** Axis values and labels. */
  text: string;
  /** Secondary text (the target line's label). */
  muted: string;
  grid: string;
  surface: string;
  accent: string;
  ok: string;
  err: string;
  warn: string;
  font: string;
  /** Each profile colour's value in the current scheme. */
  palette: Record<ProfileColor, string>;
}

const DARK = '(prefers-color-scheme: dark)';

function readTheme(): ChartTheme {
  const style = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const palette = Object.fromEntries(PROFILE_COLORS.map((c) => [c, v(`--c-${c}`, '#64748b')])) as Record<ProfileColor, string>;
  return {
    text: v('--text-2', '#4b5260'),
    muted: v('--text-3', '#5f6673'),
    grid: v('--border', '#e2e5ea'),
    surface: v('--surface-2', '#f8f9fb'),
    accent: v('--accent', '#2563eb'),
    ok: v('--ok', '#15803d'),
    err: v('--err', '#b42318'),
    warn: v('--warn', '#a15c07'),
    font: v('--font', 'system-ui, sans-serif'),
    palette,
  };
}

/** The current theme; a new object (so charts rebuild) whenever prefers-color-scheme changes. */
export function useChartTheme(): ChartTheme {
  const [theme, setTheme] = useState(readTheme);
  useEffect(() => {
    const query = window.matchMedia(DARK);
    const reread = () => setTheme(readTheme());
    query.addEventListener('change', reread);
    return () => query.removeEventListener('change', reread);
  }, []);
  return theme;
}
