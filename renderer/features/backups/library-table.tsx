// The library as a dense, sortable table of thousands of archives. Only the rows near the visible
// part are in the page (TanStack Virtual); spacer rows above and below keep the scroll height, so
// the markup stays a real <table> and aria-rowcount / aria-rowindex tell screen readers the whole.
// Each archive is one <tbody> (its row, and its second row when open), measured as one item.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type FocusEvent, type ReactNode, type Ref } from 'react';
import { defaultRangeExtractor, useVirtualizer, type Range } from '@tanstack/react-virtual';
import type { ArchiveEntry } from '../../../main/ipc/contract.ts';
import { Icon } from '../../components/icons.tsx';
import { useJobsStore, type JobEntry } from '../../stores/jobs-store.ts';
import { ArchiveRow } from './archive-row.tsx';
import type { LibraryTable as Table, LibraryTableRow } from './library-columns.tsx';
import { hasDetailRow, rowIndexes, verifyJobsByFile, verifyView } from './library-model.ts';

// Estimates until a row is measured: a one-line row, and one with its second row open.
const ROW_HEIGHT = 43;
const DETAIL_HEIGHT = 64;
const OVERSCAN = 5;

interface Layout {
  verifyJobs: Map<string, JobEntry>;
  details: boolean[];
  first: number[];
  count: number;
}

/** Per row in display order: whether its second row shows, and its aria-rowindex. */
function useLayout(rows: LibraryTableRow[], expanded: ReadonlySet<string>): Layout {
  const jobs = useJobsStore((s) => s.jobs);
  const verifyJobs = useMemo(() => verifyJobsByFile(jobs), [jobs]);
  return useMemo(() => {
    const details = rows.map((row) => hasDetailRow(row.original.entry, verifyView(row.original.entry, verifyJobs.get(row.id)), expanded.has(row.id)));
    return { verifyJobs, details, ...rowIndexes(details) };
  }, [rows, verifyJobs, expanded]);
}

/**
 * Keeps the row holding the keyboard focus in the page while it is scrolled out of view: a row that
 * left the page would take the focus with it, back to the start of the document.
 */
function useFocusKeeper(rows: LibraryTableRow[]) {
  const focused = useRef<string | null>(null);
  const indexOf = useMemo(() => new Map(rows.map((row, i) => [row.id, i])), [rows]);
  const indexRef = useRef(indexOf);
  indexRef.current = indexOf;
  const rangeExtractor = useCallback((range: Range) => {
    const base = defaultRangeExtractor(range);
    const index = focused.current === null ? undefined : indexRef.current.get(focused.current);
    return index === undefined || base.includes(index) ? base : [...base, index].sort((a, b) => a - b);
  }, []);
  const onFocus = (event: FocusEvent<HTMLElement>) => {
    focused.current = event.target.closest<HTMLElement>('tbody[data-key]')?.dataset.key ?? null;
  };
  const onBlur = (event: FocusEvent<HTMLElement>) => {
    if (!event.currentTarget.contains(event.relatedTarget as Node | null)) focused.current = null;
  };
  return { rangeExtractor, onFocus, onBlur };
}

export function LibraryTable({ table, onDetails }: { table: Table; onDetails(entry: ArchiveEntry): void }) {
  const rows = table.getRowModel().rows;
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set());
  const layout = useLayout(rows, expanded);
  const scrollRef = useRef<HTMLDivElement>(null);
  const headRef = useRef<HTMLTableSectionElement>(null);
  const [headHeight, setHeadHeight] = useState(0);
  useLayoutEffect(() => setHeadHeight(headRef.current?.offsetHeight ?? 0), []);
  const keeper = useFocusKeeper(rows);
  const { details } = layout;
  const estimateSize = useCallback((i: number) => (details[i] ? ROW_HEIGHT + DETAIL_HEIGHT : ROW_HEIGHT), [details]);

  const virtualizer = useVirtualizer<HTMLDivElement, HTMLTableSectionElement>({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize,
    getItemKey: (i) => rows[i]?.id ?? i,
    overscan: OVERSCAN,
    // The sticky header sits above the first archive inside the scrolling box.
    scrollMargin: headHeight,
    rangeExtractor: keeper.rangeExtractor,
    // A <tbody> is one table-row-group box: its border box is the archive's rows together.
    measureElement: (element) => element.getBoundingClientRect().height,
  });

  // A new order or filter starts at its top, not somewhere in the middle of the old one's scroll.
  const { sorting, columnFilters, globalFilter } = table.state;
  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 });
  }, [sorting, columnFilters, globalFilter]);

  const onExpand = useCallback((id: string, open: boolean) => {
    setExpanded((now) => {
      if (now.has(id) === open) return now;
      const next = new Set(now);
      if (open) next.add(id);
      else next.delete(id);
      return next;
    });
  }, []);

  const columnCount = table.getVisibleLeafColumns().length;
  // With the Offsite column, Encryption narrows to its icons (has-offsite in styles.css).
  const offsite = table.getColumn('offsite')?.getIsVisible() === true;
  return (
    <div className="table-wrap library-scroll" ref={scrollRef} tabIndex={0} role="region" aria-label="Archives, scrollable" onFocus={keeper.onFocus} onBlur={keeper.onBlur}>
      <table className={offsite ? 'table library-table has-offsite' : 'table library-table'} aria-rowcount={layout.count}>
        <caption className="sr-only">Archives</caption>
        <LibraryHead table={table} headRef={headRef} />
        <LibraryBody rows={rows} layout={layout} virtualizer={virtualizer} headHeight={headHeight} columnCount={columnCount} expanded={expanded} onExpand={onExpand} onDetails={onDetails} />
      </table>
    </div>
  );
}

function LibraryHead({ table, headRef }: { table: Table; headRef: Ref<HTMLTableSectionElement> }) {
  return (
    <thead ref={headRef}>
      {table.getHeaderGroups().map((group) => (
        <tr key={group.id} aria-rowindex={1}>
          {group.headers.map((header) => {
            const { column } = header;
            const label = typeof column.columnDef.header === 'string' ? column.columnDef.header : column.id;
            const sorted = column.getIsSorted();
            const { className, icon } = column.columnDef.meta ?? {};
            if (!column.getCanSort()) {
              return (
                <th key={header.id} scope="col" className={className} title={icon ? label : undefined}>
                  {icon ? <Icon name={icon} /> : null}
                  <span className="library-label">{label}</span>
                </th>
              );
            }
            return (
              <th key={header.id} scope="col" className={className} aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none'}>
                <button type="button" className="library-sort" onClick={column.getToggleSortingHandler()} title={`Sort by ${label.toLowerCase()}`}>
                  {label}
                  <Icon name={sorted === 'asc' ? 'arrow-up' : 'arrow-down'} className={sorted ? 'library-sort-icon is-sorted' : 'library-sort-icon'} />
                </button>
              </th>
            );
          })}
        </tr>
      ))}
    </thead>
  );
}

interface BodyProps {
  rows: LibraryTableRow[];
  layout: Layout;
  virtualizer: ReturnType<typeof useVirtualizer<HTMLDivElement, HTMLTableSectionElement>>;
  headHeight: number;
  columnCount: number;
  expanded: ReadonlySet<string>;
  onExpand(id: string, open: boolean): void;
  onDetails(entry: ArchiveEntry): void;
}

/** The archives in the page, with spacers for those that are not (above, below, and around a kept focused row). */
function LibraryBody({ rows, layout, virtualizer, headHeight, columnCount, expanded, onExpand, onDetails }: BodyProps) {
  const parts: ReactNode[] = [];
  let cursor = headHeight;
  for (const item of virtualizer.getVirtualItems()) {
    const row = rows[item.index];
    if (!row) continue;
    if (item.start > cursor) parts.push(<Spacer key={`gap-${item.index}`} height={item.start - cursor} columnCount={columnCount} />);
    parts.push(
      <tbody key={row.id} data-index={item.index} data-key={row.id} ref={virtualizer.measureElement}>
        <ArchiveRow
          row={row}
          job={layout.verifyJobs.get(row.id)}
          rowIndex={layout.first[item.index]!}
          detail={layout.details[item.index]!}
          expanded={expanded.has(row.id)}
          columnCount={columnCount}
          onExpand={onExpand}
          onDetails={onDetails}
        />
      </tbody>,
    );
    cursor = item.end;
  }
  const end = virtualizer.getTotalSize() + headHeight;
  if (end > cursor) parts.push(<Spacer key="gap-end" height={end - cursor} columnCount={columnCount} />);
  return <>{parts}</>;
}

function Spacer({ height, columnCount }: { height: number; columnCount: number }) {
  return (
    <tbody aria-hidden="true" className="library-spacer">
      <tr>
        <td colSpan={columnCount} style={{ height }} />
      </tr>
    </tbody>
  );
}
