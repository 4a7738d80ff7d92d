// Every recorded drill, newest first, per connection if asked, with the recovery-time trend.
import { useId, useState } from 'react';
import type { DrillRecord, ErrorInfo } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { formatDateTime, formatDuration } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { useDrillsStore } from '../../stores/drills-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';
import { TrendChart } from './trend-chart.tsx';

const TREND_SIZE = 20;

export function DrillHistory() {
  const history = useDrillsStore((s) => s.history);
  const loaded = useDrillsStore((s) => s.historyLoaded);
  const profile = useDrillsStore((s) => s.historyProfile);
  const profiles = useDrillsStore((s) => s.historyProfiles);
  const view = useDrillsStore((s) => s.view);
  const setHistoryProfile = useDrillsStore((s) => s.setHistoryProfile);
  const show = useDrillsStore((s) => s.show);
  const openReport = useDrillsStore((s) => s.openReport);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const uid = useId();
  const trend = history.slice(0, TREND_SIZE).reverse();
  const shownId = view?.kind === 'record' ? view.record.id : null;

  const open = async (record: DrillRecord) => {
    setError(null);
    try {
      await openReport(record.id);
    } catch (e) {
      setError(toErrorInfo(e));
    }
  };

  return (
    <section className="card drill-history" aria-labelledby={`${uid}-title`}>
      <div className="card-header">
        <h2 id={`${uid}-title`}>Drill history</h2>
        {profiles.length ? (
          <div className="field history-filter">
            <label htmlFor={`${uid}-profile`} className="sr-only">
              Connection
            </label>
            <select id={`${uid}-profile`} value={profile} onChange={(e) => setHistoryProfile(e.target.value)}>
              <option value="">All connections</option>
              {profiles.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </div>
        ) : null}
      </div>

      {loaded && history.length === 0 ? (
        <div className="empty-state library-empty">
          <Icon name="flask" className="empty-icon" />
          <h3>{profile ? `No drills of ${profile} yet` : 'No drills yet'}</h3>
          <p>Each drill is recorded here with its verdict and measured recovery time, so you can see the trend and hand the evidence to an auditor.</p>
        </div>
      ) : null}

      {history.length ? (
        <>
          <TrendChart drills={trend} />
          <div className="table-wrap">
            <table className="table history-table">
              <caption className="sr-only">Drills, newest first, with their verdict and recovery time</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Source</th>
                  <th scope="col">Verdict</th>
                  <th scope="col" className="num">
                    Recovery time
                  </th>
                  <th scope="col" className="num">
                    Checks
                  </th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {history.map((record) => {
                  const matched = record.checks.filter((c) => c.passed).length;
                  return (
                    <tr key={record.id} className={record.id === shownId ? 'row-chosen' : undefined}>
                      <th scope="row">{formatDateTime(record.startedAt)}</th>
                      <td>
                        {record.source.profile ?? '—'} <span className="muted">· {record.source.database ?? '—'}</span>
                      </td>
                      <td>
                        {record.passed ? (
                          <span className="badge badge-ok">
                            <Icon name="check" />
                            passed
                          </span>
                        ) : (
                          <span className="badge badge-err">
                            <Icon name="alert" />
                            failed
                          </span>
                        )}
                      </td>
                      <td className="num">{formatDuration(record.timings.totalMs)}</td>
                      <td className="num">
                        {matched}/{record.checks.length}
                      </td>
                      <td className="row-actions">
                        <button type="button" className="btn btn-sm" onClick={() => show({ kind: 'record', record })} aria-label={`Show the drill of ${formatDateTime(record.startedAt)}`}>
                          Show
                        </button>
                        <button type="button" className="btn btn-icon" onClick={() => void open(record)} aria-label={`Open the report of ${formatDateTime(record.startedAt)}`} title="Open report">
                          <Icon name="external" />
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
      {error ? <ErrorMessage error={error} title="Could not open the report" /> : null}
    </section>
  );
}
