// A thin React home for a uPlot chart: made on mount (and again when its options change), fed new data
// with setData, resized with the container, destroyed on unmount. uPlot draws on a canvas and sizes
// its elements through element.style, which the CSP (style-src 'self') allows; its own stylesheet is
// bundled like ours.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './charts.css';

/** Narrower than this the axes eat the plot: a container squeezed further gets a scrolling chart. */
const MIN_WIDTH = 240;

export type ChartOptions = Omit<uPlot.Options, 'width' | 'height'>;

interface UPlotChartProps {
  /** Memoise it: a new object rebuilds the chart (needed when series, scales or colours change). */
  options: ChartOptions;
  data: uPlot.AlignedData;
  height: number;
}

function widthOf(el: HTMLElement): number {
  return Math.max(MIN_WIDTH, Math.floor(el.clientWidth));
}

export function UPlotChart({ options, data, height }: UPlotChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // The data at the time the chart is (re)built; later changes go through setData below.
  const latest = useRef(data);
  latest.current = data;

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const chart = new uPlot({ ...options, width: widthOf(el), height }, latest.current, el);
    plot.current = chart;
    let width = chart.width;
    const resized = new ResizeObserver(() => {
      const next = widthOf(el);
      if (next === width) return; // our own redraw also reports; only a new width matters
      width = next;
      chart.setSize({ width, height });
    });
    resized.observe(el);
    return () => {
      resized.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [options, height]);

  useEffect(() => {
    const chart = plot.current;
    if (chart && chart.data !== data) chart.setData(data);
  }, [data]);

  // The canvas says nothing to assistive technology: each chart's owner gives a text alternative.
  return <div ref={host} className="uplot-host" aria-hidden="true" />;
}
