// The library's filters: connection and database (the store's filter, which the Overview sets too),
// then status, a date range and a text search applied by the table, and what they leave shown.
import { useId } from 'react';
import { FilterSelect } from '../../components/filter-select.tsx';
import { formatBytes, formatCount } from '../../components/format.ts';
import { useLibraryStore } from '../../stores/library-store.ts';
import { EMPTY_VIEW, type LibraryView } from './library-columns.tsx';
import { STATUS_CHOICES, type ArchiveStatus } from './library-model.ts';

interface FiltersProps {
  view: LibraryView;
  onView(view: LibraryView): void;
  /** Archives shown, archives the connection/database filter lets through, and the bytes of those shown. */
  shown: number;
  of: number;
  bytes: number;
}

export function LibraryFilters({ view, onView, shown, of, bytes }: FiltersProps) {
  const choices = useLibraryStore((s) => s.choices);
  const filter = useLibraryStore((s) => s.filter);
  const setFilter = useLibraryStore((s) => s.setFilter);
  const uid = useId();
  const set = (patch: Partial<LibraryView>) => onView({ ...view, ...patch });
  const any = filter.profile !== '' || filter.database !== '' || view.status !== '' || view.from !== '' || view.to !== '' || view.search.trim() !== '';

  return (
    <div className="library-filters" role="group" aria-label="Filter the archives">
      <FilterSelect label="Connection" all="All connections" value={filter.profile} choices={choices.profiles} onChange={(profile) => setFilter({ profile })} />
      <FilterSelect label="Database" all="All databases" value={filter.database} choices={choices.databases} onChange={(database) => setFilter({ database })} />
      <FilterSelect<ArchiveStatus> label="Status" all="All" value={view.status} choices={STATUS_CHOICES} onChange={(status) => set({ status })} />
      <div className="field library-date">
        <label htmlFor={`${uid}-from`}>From</label>
        <input id={`${uid}-from`} type="date" value={view.from} max={view.to || undefined} onChange={(e) => set({ from: e.target.value })} />
      </div>
      <div className="field library-date">
        <label htmlFor={`${uid}-to`}>To</label>
        <input id={`${uid}-to`} type="date" value={view.to} min={view.from || undefined} onChange={(e) => set({ to: e.target.value })} />
      </div>
      <div className="field library-search">
        <label htmlFor={`${uid}-search`}>Search</label>
        <input id={`${uid}-search`} type="search" value={view.search} placeholder="File, connection, database, host" spellCheck={false} onChange={(e) => set({ search: e.target.value })} />
      </div>
      <div className="library-summary">
        <p className="library-count" aria-live="polite">
          {shown === of ? formatCount(shown) : `${formatCount(shown)} of ${formatCount(of)}`} archive{of === 1 ? '' : 's'} · total {formatBytes(bytes)}
        </p>
        {any ? (
          <button
            type="button"
            className="link-button"
            onClick={() => {
              setFilter({ profile: '', database: '' });
              onView(EMPTY_VIEW);
            }}
          >
            Clear filters
          </button>
        ) : null}
      </div>
    </div>
  );
}
