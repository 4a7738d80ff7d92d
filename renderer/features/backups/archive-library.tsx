import { useEffect, useId, useState } from 'react';
import type { ArchiveEntry, ErrorInfo } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Icon } from '../../components/icons.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useLibraryStore } from '../../stores/library-store.ts';
import { useOffsiteStore } from '../../stores/offsite-store.ts';
import { useRunsStore } from '../../stores/runs-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';
import { ArchiveDetailsDrawer } from './archive-details.tsx';
import { ArchiveRow } from './archive-row.tsx';
import { ServerRuns } from './server-runs.tsx';

/**
 * Every archive in the library folders, newest first, with verify, details, offsite copies, reveal and
 * delete; above them, the whole-server runs that grouped some of them (server-runs.tsx).
 */
export function ArchiveLibrary() {
  const entries = useLibraryStore((s) => s.entries);
  const choices = useLibraryStore((s) => s.choices);
  const filter = useLibraryStore((s) => s.filter);
  const folders = useLibraryStore((s) => s.folders);
  const loaded = useLibraryStore((s) => s.loaded);
  const loading = useLibraryStore((s) => s.loading);
  const loadError = useLibraryStore((s) => s.error);
  const setFilter = useLibraryStore((s) => s.setFilter);
  const importArchive = useLibraryStore((s) => s.importArchive);
  const load = useLibraryStore((s) => s.load);
  const announce = useAppStore((s) => s.announce);
  const loadDestinations = useOffsiteStore((s) => s.load);
  const loadCopyStates = useOffsiteStore((s) => s.loadStates);
  const loadRuns = useRunsStore((s) => s.load);
  const [details, setDetails] = useState<ArchiveEntry | null>(null);
  const [importError, setImportError] = useState<ErrorInfo | null>(null);
  const [importing, setImporting] = useState(false);
  const uid = useId();
  const filtered = filter.profile !== '' || filter.database !== '';

  // Each row's offsite copies, and the destinations "Copy to…" offers.
  useEffect(() => {
    void loadDestinations();
    void loadCopyStates();
  }, [loadDestinations, loadCopyStates]);

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
    <section className="card library" aria-labelledby={`${uid}-title`}>
      <div className="card-header">
        <h2 id={`${uid}-title`}>Archive library</h2>
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

      {choices.profiles.length > 0 ? (
        <div className="library-filters" role="group" aria-label="Filter the archives">
          <div className="field">
            <label htmlFor={`${uid}-profile`}>Connection</label>
            <select id={`${uid}-profile`} value={filter.profile} onChange={(e) => setFilter({ profile: e.target.value })}>
              <option value="">All connections</option>
              {choices.profiles.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${uid}-database`}>Database</label>
            <select id={`${uid}-database`} value={filter.database} onChange={(e) => setFilter({ database: e.target.value })}>
              <option value="">All databases</option>
              {choices.databases.map((d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </select>
          </div>
          <p className="library-count" aria-live="polite">
            {entries.length} archive{entries.length === 1 ? '' : 's'}
            {filtered ? ' match' : ''}
          </p>
        </div>
      ) : null}

      {importError ? <ErrorMessage error={importError} title="Could not import the archive" /> : null}
      {loadError ? <ErrorMessage error={loadError} title="Could not read the library" /> : null}

      <ServerRuns profile={filter.profile} />

      {loaded && entries.length === 0 && !loadError ? (
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
      ) : null}

      {entries.length > 0 ? (
        <ul className="archive-list" aria-label="Archives">
          {entries.map((entry) => (
            <ArchiveRow key={entry.path} entry={entry} onDetails={() => setDetails(entry)} />
          ))}
        </ul>
      ) : null}

      {details ? <ArchiveDetailsDrawer key={details.path} entry={details} onClose={() => setDetails(null)} /> : null}
    </section>
  );
}
