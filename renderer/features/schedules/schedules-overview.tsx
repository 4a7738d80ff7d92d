// The Schedules screen at a glance: one row per connection with its backup schedule in words, the
// next backup (relative and in the schedule's time zone), its drills and its last result. A row's
// name leads to that connection's card below.
import { useId } from 'react';
import type { ActivityEntry, ScheduleView } from '../../../main/ipc/contract.ts';
import { formatDateTime, formatInZone, formatRelative } from '../../components/format.ts';
import { useNow } from '../../components/use-now.ts';
import { useSchedulesStore } from '../../stores/schedules-store.ts';
import { useSettingsStore } from '../../stores/settings-store.ts';
import { ResultBadge } from '../activity/result-badge.tsx';
import { describeSpec } from './spec-fields.tsx';

export interface OverviewRow {
  profileId: string;
  name: string;
  color: string;
  view: ScheduleView;
}

const WHAT_LABEL: Record<string, string> = { backup: 'Backup', drill: 'Drill', prune: 'Prune' };

/** The current time, ticking every minute, so "in 5 hours" stays true while the screen is open. */
export function SchedulesOverview({ rows, onOpen }: { rows: OverviewRow[]; onOpen: (profileId: string) => void }) {
  const lastByProfile = useSchedulesStore((s) => s.lastByProfile);
  const everyBackupDrilled = useSettingsStore((s) => s.settings?.drillAfterBackup ?? false);
  const now = useNow();
  const uid = useId();
  return (
    <section className="card schedules-overview" aria-labelledby={`${uid}-title`}>
      <h2 id={`${uid}-title`} className="card-title">
        All connections
      </h2>
      <div className="table-wrap">
        <table className="table schedules-table">
          <caption className="sr-only">Each connection’s backup and drill schedule, its next backup and its last result</caption>
          <thead>
            <tr>
              <th scope="col">Connection</th>
              <th scope="col">Backups</th>
              <th scope="col">Next backup</th>
              <th scope="col">Drills</th>
              <th scope="col">Last result</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.profileId}>
                <th scope="row">
                  <span className={`color-dot color-${row.color}`} aria-hidden="true" />
                  <button type="button" className="link-button" onClick={() => onOpen(row.profileId)}>
                    {row.name}
                  </button>
                </th>
                <td>{row.view.backup?.enabled ? describeSpec(row.view.backup) : <span className="muted">Not scheduled</span>}</td>
                <td>
                  <NextRun iso={row.view.backup?.enabled ? row.view.next.backup[0] : undefined} timeZone={row.view.timeZone} now={now} />
                </td>
                <td>
                  <DrillCell view={row.view} everyBackup={everyBackupDrilled} now={now} />
                </td>
                <td>
                  <LastResult entry={lastByProfile[row.name.toLowerCase()]} now={now} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function NextRun({ iso, timeZone, now }: { iso: string | undefined; timeZone: string; now: number }) {
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} className="schedules-when">
      <span>{formatRelative(iso, now)}</span>
      <span className="muted">
        {formatInZone(iso, timeZone)} ({timeZone})
      </span>
    </time>
  );
}

function DrillCell({ view, everyBackup, now }: { view: ScheduleView; everyBackup: boolean; now: number }) {
  const scheduled = view.drill?.enabled ? view.drill : null;
  const next = scheduled ? view.next.drill[0] : undefined;
  const afterBackup = everyBackup || view.drillAfterBackup;
  if (!scheduled && !afterBackup) return <span className="muted">Not scheduled</span>;
  return (
    <span className="schedules-when">
      {scheduled ? <span>{describeSpec(scheduled)}</span> : null}
      {next ? (
        <span className="muted">
          next <time dateTime={next}>{formatRelative(next, now)}</time>
        </span>
      ) : null}
      {afterBackup ? <span className={scheduled ? 'muted' : undefined}>{`${scheduled ? 'and a' : 'A'}fter ${everyBackup ? 'every backup' : 'each scheduled backup'}`}</span> : null}
    </span>
  );
}

function LastResult({ entry, now }: { entry: ActivityEntry | undefined; now: number }) {
  if (!entry) return <span className="muted">Nothing yet</span>;
  return (
    <span className="schedules-last">
      <ResultBadge result={entry.result} />
      <span>{WHAT_LABEL[entry.what] ?? entry.title}</span>
      <time dateTime={entry.at} title={formatDateTime(entry.at)} className="muted">
        {formatRelative(entry.at, now)}
      </time>
    </span>
  );
}
