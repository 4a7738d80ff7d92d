// The library table's model (TanStack Table): its columns, how each sorts and filters, and the hook
// that builds the table from the archives and the filters. Markup stays in library-table.tsx and
// archive-row.tsx; the table only orders and filters rows.
import { useMemo, useState } from 'react';
import {
  columnFilteringFeature,
  columnVisibilityFeature,
  createColumnHelper,
  createFilteredRowModel,
  createSortedRowModel,
  globalFilteringFeature,
  rowSortingFeature,
  tableFeatures,
  useTable,
  type ColumnFiltersState,
  type Row,
  type SortingState,
} from '@tanstack/react-table';
import { visibleText } from '../../../main/engine/name-text.ts';
import type { ArchiveSidecar } from '../../../main/ipc/contract.ts';
import { baseName, ENCRYPTION_LABEL, formatBytes, hostPort } from '../../components/format.ts';
import { Icon, type IconName } from '../../components/icons.tsx';
import { CopyStates } from '../offsite/copy-states.tsx';
import { RowActions, StatusCell } from './archive-row.tsx';
import { exactTime, inDateRange, matchesSearch, shortTime, STATUS_RANK, type ArchiveStatus, type DateRange, type LibraryRow } from './library-model.ts';

export const libraryFeatures = tableFeatures({
  columnVisibilityFeature,
  columnFilteringFeature,
  globalFilteringFeature,
  rowSortingFeature,
  filteredRowModel: createFilteredRowModel(),
  sortedRowModel: createSortedRowModel(),
  // icon: drawn before the header's text, and alone where the column is narrow (library-table.tsx).
  columnMeta: {} as { className: string; icon?: IconName },
});

export type LibraryTableRow = Row<typeof libraryFeatures, LibraryRow>;

/** The filters the table applies on top of the store's connection/database filter. */
export interface LibraryView extends DateRange {
  status: ArchiveStatus | '';
  search: string;
}

export const EMPTY_VIEW: LibraryView = { status: '', from: '', to: '', search: '' };

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
// A date that does not parse sorts as the oldest.
const time = (row: LibraryTableRow) => (Number.isNaN(row.original.created) ? -Infinity : row.original.created);
const compare = (a: number, b: number) => (a === b ? 0 : a < b ? -1 : 1);

type EncryptionKind = ArchiveSidecar['encryption']['kind'];

const SHORT_ENCRYPTION: Record<EncryptionKind, string> = { x25519: 'age key', passphrase: 'Passphrase', none: 'None' };
const ENCRYPTION_ICON: Record<EncryptionKind, IconName> = { x25519: 'key', passphrase: 'lock', none: 'unlock' };

const helper = createColumnHelper<typeof libraryFeatures, LibraryRow>();

const columns = helper.columns([
  helper.accessor('created', {
    header: 'Created',
    meta: { className: 'col-created' },
    sortDescFirst: true,
    sortFn: (a, b) => compare(time(a), time(b)),
    filterFn: (row, _id, range: DateRange) => inDateRange(row.original.created, range),
    cell: ({ row }) => <CreatedCell row={row.original} />,
  }),
  helper.accessor((row) => row.entry.sidecar.profile, {
    id: 'connection',
    header: 'Connection',
    meta: { className: 'col-connection' },
    enableSorting: false,
    cell: ({ row }) => <Clipped text={row.original.entry.sidecar.profile} title={`${row.original.entry.sidecar.profile} · ${hostPort(row.original.entry.sidecar.host, row.original.entry.sidecar.port)}`} />,
  }),
  helper.accessor((row) => row.entry.sidecar.database, {
    id: 'database',
    header: 'Database',
    meta: { className: 'col-database' },
    sortFn: (a, b) => collator.compare(a.original.entry.sidecar.database, b.original.entry.sidecar.database),
    cell: ({ row }) => <Clipped text={row.original.entry.sidecar.database} />,
  }),
  helper.accessor((row) => row.entry.sidecar.bytes, {
    id: 'size',
    header: 'Size',
    meta: { className: 'col-size num' },
    sortDescFirst: true,
    sortFn: (a, b) => compare(a.original.entry.sidecar.bytes, b.original.entry.sidecar.bytes),
    cell: ({ row }) => formatBytes(row.original.entry.sidecar.bytes),
  }),
  helper.accessor('status', {
    header: 'Status',
    meta: { className: 'col-status' },
    sortFn: (a, b) => compare(STATUS_RANK[a.original.status], STATUS_RANK[b.original.status]),
    filterFn: (row, _id, status: ArchiveStatus) => row.original.status === status,
    cell: ({ row }) => <StatusCell entry={row.original.entry} />,
  }),
  helper.accessor((row) => row.entry.sidecar.encryption.kind, {
    id: 'encryption',
    header: 'Encryption',
    meta: { className: 'col-encryption', icon: 'lock' },
    enableSorting: false,
    cell: ({ row }) => <EncryptionCell kind={row.original.entry.sidecar.encryption.kind} />,
  }),
  helper.display({ id: 'offsite', header: 'Offsite', meta: { className: 'col-offsite' }, cell: ({ row }) => <CopyStates file={row.original.entry.path} /> }),
  helper.display({ id: 'actions', header: 'Actions', meta: { className: 'col-actions' }, cell: () => <RowActions /> }),
]);

function CreatedCell({ row }: { row: LibraryRow }) {
  const { createdAt } = row.entry.sidecar;
  return (
    <time dateTime={createdAt} title={`${exactTime(createdAt)}\n${visibleText(baseName(row.entry.path))}`}>
      {shortTime(createdAt)}
    </time>
  );
}

/** A name from a sidecar, cut with an ellipsis when long; bidi and control characters show as escapes. */
function Clipped({ text, title }: { text: string; title?: string }) {
  const shown = visibleText(text);
  return (
    <span className="clip" title={title ? visibleText(title) : shown}>
      {shown}
    </span>
  );
}

/** An icon of its own shape per kind, and a short label (which only screen readers get where the column is narrow). */
function EncryptionCell({ kind }: { kind: EncryptionKind }) {
  return (
    <span className={kind === 'none' ? 'library-encryption text-warn' : 'library-encryption'} title={ENCRYPTION_LABEL[kind]}>
      <Icon name={ENCRYPTION_ICON[kind]} />
      <span className="library-label">{SHORT_ENCRYPTION[kind]}</span>
    </span>
  );
}

function columnFiltersOf(view: LibraryView): ColumnFiltersState {
  const filters: ColumnFiltersState = [];
  if (view.status) filters.push({ id: 'status', value: view.status });
  if (view.from || view.to) filters.push({ id: 'created', value: { from: view.from, to: view.to } satisfies DateRange });
  return filters;
}

const NEWEST_FIRST: SortingState = [{ id: 'created', desc: true }];

/**
 * The table over these archives: sorted by the header the user chose (newest first at the start),
 * filtered by `view`. Without any offsite destination or copy, the Offsite column would stay empty:
 * it is left out, and its width goes to the names.
 */
export function useLibraryTable(rows: LibraryRow[], view: LibraryView, offsite: boolean) {
  const [sorting, setSorting] = useState<SortingState>(NEWEST_FIRST);
  const columnFilters = useMemo(() => columnFiltersOf(view), [view]);
  return useTable({
    features: libraryFeatures,
    columns,
    data: rows,
    getRowId: (row) => row.entry.path,
    state: { sorting, columnFilters, globalFilter: view.search.trim(), columnVisibility: { offsite } },
    onSortingChange: setSorting,
    enableSortingRemoval: false,
    enableMultiSort: false,
    // The search looks at the file name, connection, database and host at once: once per row.
    globalFilterFn: (row, _id, query: string) => matchesSearch(row.original, query),
    getColumnCanGlobalFilter: (column) => column.id === 'created',
  });
}

export type LibraryTable = ReturnType<typeof useLibraryTable>;
