// The key under a chart: which colour is which connection, what the marker shapes and the dashed line
// mean, and (while the pointer is over a point) that point's values. Hidden from assistive technology:
// the chart's text summary and the tables next to it say all of this in words.
import type { ReactNode } from 'react';
import type { ProfileColor } from '../../../main/engine/types.ts';
import type { MarkerShape } from './chart-plugins.ts';

export function MarkerGlyph({ shape }: { shape: MarkerShape }) {
  return (
    <svg className={`legend-glyph legend-glyph-${shape}`} viewBox="0 0 12 12" width="12" height="12" aria-hidden="true" focusable="false">
      {shape === 'circle' ? <circle cx="6" cy="6" r="4.5" /> : <path d="M2.5 2.5 9.5 9.5 M9.5 2.5 2.5 9.5" />}
    </svg>
  );
}

interface ChartLegendProps {
  series: { key: string; label: string; color: ProfileColor }[];
  /** Marker shapes and what they mean. */
  markers?: { shape: MarkerShape; label: string }[];
  target?: string | null;
  /** The hovered point's values, or a note on what the chart measures. */
  note?: ReactNode;
  /** A figcaption inside a chart's figure; a div when one key serves several charts. */
  as?: 'figcaption' | 'div';
}

export function ChartLegend({ series, markers = [], target, note, as: Tag = 'figcaption' }: ChartLegendProps) {
  return (
    <Tag className="chart-legend" aria-hidden="true">
      {series.map((s) => (
        <span key={s.key} className="legend-item">
          <span className={`legend-line color-${s.color}`} />
          {s.label}
        </span>
      ))}
      {markers.map((m) => (
        <span key={m.shape} className="legend-item">
          <MarkerGlyph shape={m.shape} />
          {m.label}
        </span>
      ))}
      {target ? (
        <span className="legend-item">
          <span className="legend-target" />
          {target}
        </span>
      ) : null}
      {note ? <span className="chart-note">{note}</span> : null}
    </Tag>
  );
}
