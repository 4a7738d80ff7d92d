// Activity: everything Lifeboat did (app, CLI and schedule), newest first, with outcome, duration
// and, for failures, the error and how to fix it. Refreshed whenever a job finishes in this window.
import { useEffect, useId, useState } from 'react';
import type { ActivityEntry, ActivityKind, ErrorInfo } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { baseName, formatDateTime, formatDuration, formatRelative } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { ScreenHeader } from '../../components/screen-header.tsx';
import { useActivityStore } from '../../stores/activity-store.ts';
import { useAppStore } from '../../stores/app-store.ts';
import { useJobsStore } from '../../stores/jobs-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';
import { ResultBadge, VIA_LABEL } from './result-badge.tsx';
import { FilterSelect } from '../../components/filter-select.tsx';

const KINDS: { value: ActivityKind; label: string }[] = [
  { value: 'backup', label: 'Backups' },
  { value: 'restore', label: 'Restores' },
  { value: 'drill', label: 'Drills' },
  { value: 'verify', label: 'Verifications' },
  { value: 'copy', label: 'Offsite copies' },
  { value: 'prune', label: 'Prunes' },
  { value: 'schedule', label: 'Schedule changes' },
  { value: 'settings', label: 'Settings changes' },
  { value: 'notification', label: 'Notifications' },
];

const RESULTS: { value: ActivityEntry['result']; label: string }[] = [
  { value: 'ok', label: 'Succeeded' },
  { value: 'failed', label: 'Failed' },
  { value: 'cancelled', label: 'Cancelled' },
  { value: 'info', label: 'Info' },
];

export function ActivityScreen() {
  const entries = useActivityStore((s) => s.entries);
  const loaded = useActivityStore((s) => s.loaded);
  const loading = useActivityStore((s) => s.loading);
  const error = useActivityStore((s) => s.error);
  const filter = useActivityStore((s) => s.filter);
  const profiles = useActivityStore((s) => s.profiles);
  const load = useActivityStore((s) => s.load);
  const setFilter = useActivityStore((s) => s.setFilter);
  const exportTo = useActivityStore((s) => s.exportTo);
  const announce = useAppStore((s) => s.announce);
  const finished = useJobsStore((s) => Object.values(s.jobs).reduce((max, j) => Math.max(max, j.finishedSeq), 0));
  const [exported, setExported] = useState<{ file: string; entries: number } | null>(null);
  const [exportError, setExportError] = useState<ErrorInfo | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const uid = useId();
  const filtered = filter.what !== '' || filter.profile !== '' || filter.result !== '';

  useEffect(() => {
    void load();
    setNow(Date.now());
  }, [load, finished]);

  // "5 minutes ago" stays true while the screen is open.
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(timer);
  }, []);

  const runExport = async () => {
    setExportError(null);
    setExported(null);
    try {
      const result = await exportTo();
      if (result) {
        setExported(result);
        announce(`Exported ${result.entries} entries to ${result.file}.`);
      }
    } catch (e) {
      setExportError(toErrorInfo(e));
    }
  };

  return (
    <div className="screen screen-wide">
      <ScreenHeader
        title="Activity"
        subtitle="Everything Lifeboat did — from the app, the command line or a schedule — and how it went."
        actions={
          <>
            <button type="button" className="btn" onClick={() => void load()} aria-busy={loading}>
              <Icon name="refresh" />
              Refresh
            </button>
            <button type="button" className="btn" onClick={() => void runExport()}>
              <Icon name="download" />
              Export…
            </button>
          </>
        }
      />
      {exported ? (
        <p className="status-ok saved-line">
          <Icon name="check" />
          <span>
            Exported {exported.entries} entries to <code>{exported.file}</code>.
          </span>
        </p>
      ) : null}
      {exportError ? <ErrorMessage error={exportError} title="The log was not exported" /> : null}

      <section className="card activity" aria-labelledby={`${uid}-title`}>
        <div className="card-header">
          <h2 id={`${uid}-title`}>Log</h2>
          <p className="muted" aria-live="polite">
            {loaded ? `${entries.length}${entries.length === 500 ? '+' : ''} ${entries.length === 1 ? 'entry' : 'entries'}${filtered ? ' match' : ''}` : ''}
          </p>
        </div>
        <div className="library-filters activity-filters" role="group" aria-label="Filters">
          <FilterSelect<ActivityKind> label="What" all="Everything" value={filter.what} choices={KINDS} onChange={(what) => setFilter({ what })} />
          <FilterSelect label="Connection" all="All connections" value={filter.profile} choices={profiles} onChange={(profile) => setFilter({ profile })} />
          <FilterSelect<ActivityEntry['result']> label="Result" all="Any result" value={filter.result} choices={RESULTS} onChange={(result) => setFilter({ result })} />
          {filtered ? (
            <button type="button" className="btn" onClick={() => setFilter({ what: '', profile: '', result: '' })}>
              Clear filters
            </button>
          ) : null}
        </div>

        {error ? <ErrorMessage error={error} title="Could not read the activity log" /> : null}

        {loaded && entries.length === 0 && !error ? (
          <div className="empty-state library-empty">
            <Icon name="activity" className="empty-icon" />
            <h3>{filtered ? 'Nothing matches these filters' : 'Nothing yet'}</h3>
            <p>{filtered ? 'Try another filter, or clear them.' : 'Backups, restores, drills, prunes and schedule changes are recorded here as they happen.'}</p>
          </div>
        ) : null}

        {entries.length ? (
          <div className="table-wrap">
            <table className="table activity-table">
              <caption className="sr-only">Activity, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">What</th>
                  <th scope="col">Connection</th>
                  <th scope="col">Result</th>
                  <th scope="col" className="num">
                    Duration
                  </th>
                  <th scope="col">Via</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((entry, i) => (
                  <tr key={`${entry.at}-${i}`} className={entry.result === 'failed' ? 'row-failed' : undefined}>
                    <th scope="row" className="activity-when">
                      <time dateTime={entry.at}>{formatRelative(entry.at, now)}</time>
                      <span className="muted activity-abs">{formatDateTime(entry.at)}</span>
                    </th>
                    <td className="wrap">
                      <span className="activity-title">{entry.title}</span>
                      {entry.archive ? (
                        <code className="activity-archive muted" title={entry.archive}>
                          {baseName(entry.archive)}
                        </code>
                      ) : null}
                      {entry.error ? (
                        <div className="activity-error">
                          <p className="error-message">{entry.error.message}</p>
                          {entry.error.fix ? (
                            <p className="error-fix">
                              <span className="error-fix-label">How to fix: </span>
                              {entry.error.fix}
                            </p>
                          ) : null}
                        </div>
                      ) : null}
                    </td>
                    <td>{entry.profile ?? <span className="muted">—</span>}</td>
                    <td>
                      <ResultBadge result={entry.result} />
                    </td>
                    <td className="num">{entry.durationMs === null ? <span className="muted">—</span> : formatDuration(entry.durationMs)}</td>
                    <td>{VIA_LABEL[entry.via]}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </div>
  );
}
