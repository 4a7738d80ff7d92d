import { useEffect, useId, useMemo, useState } from 'react';
import type { ArchiveEntry, ErrorInfo } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Icon } from '../../components/icons.tsx';
import { UnreadableFolders } from '../../components/unreadable-folders.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useLibraryStore } from '../../stores/library-store.ts';
import { useOffsiteStore } from '../../stores/offsite-store.ts';
import { useRunsStore } from '../../stores/runs-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';
import { ArchiveDetailsDrawer } from './archive-details.tsx';
import { EMPTY_VIEW, useLibraryTable, type LibraryView } from './library-columns.tsx';
import { LibraryFilters } from './library-filters.tsx';
import { toLibraryRows, totalBytes } from './library-model.ts';
import { LibraryTable } from './library-table.tsx';
import { ServerRuns } from './server-runs.tsx';

/**
 * Every archive in the library folders as a table (library-table.tsx), newest first, with its filters
 * and what they leave shown; above it, the whole-server runs that grouped some of them (server-runs.tsx).
 */
export function ArchiveLibrary() {
  const entries = useLibraryStore((s) => s.entries);
  const all = useLibraryStore((s) => s.all);
  const filter = useLibraryStore((s) => s.filter);
  const loaded = useLibraryStore((s) => s.loaded);
  const loadError = useLibraryStore((s) => s.error);
  const unreadable = useLibraryStore((s) => s.unreadable);
  const loadDestinations = useOffsiteStore((s) => s.load);
  const loadCopyStates = useOffsiteStore((s) => s.loadStates);
  const [details, setDetails] = useState<ArchiveEntry | null>(null);
  const uid = useId();
  const [view, setView] = useState<LibraryView>(EMPTY_VIEW);
  const data = useMemo(() => toLibraryRows(entries), [entries]);
  const offsite = useOffsiteStore((s) => s.destinations.length > 0 || s.states.length > 0);
  const table = useLibraryTable(data, view, offsite);
  const rows = table.getRowModel().rows;
  const bytes = useMemo(() => totalBytes(rows.map((r) => r.original)), [rows]);

  // Each row's offsite copies, and the destinations "Copy to…" offers.
  useEffect(() => {
    void loadDestinations();
    void loadCopyStates();
  }, [loadDestinations, loadCopyStates]);

  return (
    <section className="card library" aria-labelledby={`${uid}-title`}>
      <LibraryHeading titleId={`${uid}-title`} />
      {all.length > 0 ? <LibraryFilters view={view} onView={setView} shown={rows.length} of={all.length} bytes={bytes} /> : null}
      {loadError ? <ErrorMessage error={loadError} title="Could not read the library" /> : null}
      <UnreadableFolders problems={unreadable} />

      <ServerRuns profile={filter.profile} />

      {loaded && entries.length === 0 && !loadError && unreadable.length === 0 ? <LibraryEmpty filtered={filter.profile !== '' || filter.database !== ''} /> : null}
      {loaded && entries.length > 0 && rows.length === 0 ? (
        <p className="library-none" role="status">
          No archive matches these filters.
        </p>
      ) : null}
      {rows.length > 0 ? <LibraryTable table={table} onDetails={setDetails} /> : null}

      {details ? <ArchiveDetailsDrawer key={details.path} entry={details} onClose={() => setDetails(null)} /> : null}
    </section>
  );
}

/** The card's title, Refresh and "Import archive…" (and why an import failed). */
function LibraryHeading({ titleId }: { titleId: string }) {
  const loading = useLibraryStore((s) => s.loading);
  const importArchive = useLibraryStore((s) => s.importArchive);
  const load = useLibraryStore((s) => s.load);
  const announce = useAppStore((s) => s.announce);
  const loadCopyStates = useOffsiteStore((s) => s.loadStates);
  const loadRuns = useRunsStore((s) => s.load);
  const [importError, setImportError] = useState<ErrorInfo | null>(null);
  const [importing, setImporting] = useState(false);

  const refresh = () => {
    void load();
    void loadCopyStates();
    void loadRuns();
  };

  const runImport = async () => {
    setImportError(null);
    setImporting(true);
    try {
      const entry = await importArchive();
      if (entry) announce(`Imported ${entry.sidecar.archive}.`);
    } catch (e) {
      setImportError(toErrorInfo(e));
    } finally {
      setImporting(false);
    }
  };

  return (
    <>
      <div className="card-header">
        <h2 id={titleId}>Archive library</h2>
        <div className="card-actions">
          <button type="button" className="btn btn-icon" aria-label="Refresh the library" title="Refresh" onClick={refresh} disabled={loading}>
            <Icon name="refresh" />
          </button>
          <button type="button" className="btn" onClick={runImport} disabled={importing} aria-busy={importing}>
            <Icon name="import" />
            Import archive…
          </button>
        </div>
      </div>
      {importError ? <ErrorMessage error={importError} title="Could not import the archive" /> : null}
    </>
  );
}

function LibraryEmpty({ filtered }: { filtered: boolean }) {
  const folders = useLibraryStore((s) => s.folders);
  return (
    <div className="empty-state library-empty">
      <Icon name="archive" className="empty-icon" />
      <h3>{filtered ? 'No archive matches this filter' : 'No archives yet'}</h3>
      {filtered ? (
        <p>Choose “All connections” and “All databases” to see every archive.</p>
      ) : (
        <p>
          Every backup you make appears here, newest first, with its source, size, encryption and verification status. Lifeboat lists the archives in{' '}
          {folders[0] ? <code>{folders[0]}</code> : 'the backup folder'}
          {folders.length > 1 ? ` and ${folders.length - 1} more folder${folders.length === 2 ? '' : 's'}` : ''}; use “Import archive…” to add one from elsewhere.
        </p>
      )}
    </div>
  );
}
