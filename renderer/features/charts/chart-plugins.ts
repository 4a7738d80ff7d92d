// Drawing uPlot does not do by itself: point markers whose shape carries a meaning (a circle for a
// passed drill, a cross for a failed one — told apart without colour), a dashed target line, and a
// hook that reports which point the pointer is over.
import uPlot from 'uplot';
import type { ChartTheme } from './chart-theme.ts';

export type MarkerShape = 'circle' | 'cross';

const CIRCLE_RADIUS = 4.5;
const CROSS_ARM = 4.5;

function drawCircle(ctx: CanvasRenderingContext2D, x: number, y: number, color: string, theme: ChartTheme, px: number): void {
  ctx.beginPath();
  ctx.arc(x, y, CIRCLE_RADIUS * px, 0, 2 * Math.PI);
  ctx.fillStyle = color;
  ctx.fill();
  // A ring of the background keeps the marker apart from its line.
  ctx.lineWidth = 2 * px;
  ctx.strokeStyle = theme.surface;
  ctx.stroke();
}

function drawCross(ctx: CanvasRenderingContext2D, x: number, y: number, theme: ChartTheme, px: number): void {
  const arm = CROSS_ARM * px;
  ctx.beginPath();
  ctx.moveTo(x - arm, y - arm);
  ctx.lineTo(x + arm, y + arm);
  ctx.moveTo(x + arm, y - arm);
  ctx.lineTo(x - arm, y + arm);
  ctx.lineCap = 'round';
  ctx.lineWidth = 6 * px;
  ctx.strokeStyle = theme.surface;
  ctx.stroke();
  ctx.lineWidth = 2.5 * px;
  ctx.strokeStyle = theme.err;
  ctx.stroke();
}

/**
 * Draws each visible series' points with the shape `shapeOf` gives (null: no marker), in the series'
 * colour for circles and the error colour for crosses.
 */
export function markersPlugin(theme: ChartTheme, shapeOf: (seriesIdx: number, idx: number) => MarkerShape | null): uPlot.Plugin {
  const draw = (u: uPlot) => {
    const { ctx } = u;
    const px = uPlot.pxRatio;
    const xs = u.data[0];
    ctx.save();
    for (let s = 1; s < u.series.length; s++) {
      const series = u.series[s]!;
      const ys = u.data[s];
      if (!series.show || !ys) continue;
      const color = typeof series.stroke === 'function' ? String(series.stroke(u, s)) : String(series.stroke ?? theme.accent);
      for (let i = 0; i < xs.length; i++) {
        const value = ys[i];
        const shape = value === null || value === undefined ? null : shapeOf(s, i);
        if (!shape) continue;
        const x = u.valToPos(xs[i]!, 'x', true);
        const y = u.valToPos(value!, 'y', true);
        if (shape === 'circle') drawCircle(ctx, x, y, color, theme, px);
        else drawCross(ctx, x, y, theme, px);
      }
    }
    ctx.restore();
  };
  return { hooks: { draw } };
}

/**
 * A dashed horizontal line at `value` on the y scale, labelled at its right end, under the series;
 * when the value is above the scale (zeroBasedScale), only the label, at the top, pointing up.
 */
export function targetLinePlugin(theme: ChartTheme, value: number, label: string): uPlot.Plugin {
  const drawAxes = (u: uPlot) => {
    const { ctx, bbox } = u;
    const px = uPlot.pxRatio;
    ctx.save();
    ctx.font = `${Math.round(12 * px)}px ${theme.font}`;
    ctx.fillStyle = theme.warn;
    ctx.textAlign = 'right';
    if (value > (u.scales['y']?.max ?? Infinity)) {
      ctx.textBaseline = 'top';
      ctx.fillText(`↑ ${label} (above)`, bbox.left + bbox.width - 4 * px, bbox.top + 2 * px);
      ctx.restore();
      return;
    }
    const y = Math.round(u.valToPos(value, 'y', true)) + 0.5;
    ctx.beginPath();
    ctx.setLineDash([6 * px, 4 * px]);
    ctx.moveTo(bbox.left, y);
    ctx.lineTo(bbox.left + bbox.width, y);
    ctx.lineWidth = 1.5 * px;
    ctx.strokeStyle = theme.warn;
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.textBaseline = 'bottom';
    ctx.fillText(label, bbox.left + bbox.width - 4 * px, y - 3 * px);
    ctx.restore();
  };
  return { hooks: { drawAxes } };
}

/** Calls `onPoint` with the x index under the pointer (null when it leaves the plot). */
export function hoverPlugin(onPoint: (idx: number | null) => void): uPlot.Plugin {
  return { hooks: { setCursor: (u: uPlot) => onPoint(u.cursor.idx ?? null) } };
}
