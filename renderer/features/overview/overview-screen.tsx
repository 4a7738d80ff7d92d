// The first screen: "is everything safe right now?" One row per connection with the age of its
// newest good backup against its limit, what runs next, the last verification and drill, its
// offsite copies, and one click to back up or drill. Read again whenever a job ends.
import { useEffect } from 'react';
import type { HealthOverview } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { Icon } from '../../components/icons.tsx';
import { ScreenHeader } from '../../components/screen-header.tsx';
import { UnreadableFolders } from '../../components/unreadable-folders.tsx';
import { useNow } from '../../components/use-now.ts';
import { useAppStore } from '../../stores/app-store.ts';
import { useHealthStore } from '../../stores/health-store.ts';
import { useJobsStore } from '../../stores/jobs-store.ts';
import { useProfilesStore } from '../../stores/profiles-store.ts';
import { DemoCard } from '../connections/demo-card.tsx';
import { HealthRow } from './health-row.tsx';
import './overview.css';

export function OverviewScreen() {
  const overview = useHealthStore((s) => s.overview);
  const error = useHealthStore((s) => s.error);
  const load = useHealthStore((s) => s.load);
  const attachActive = useJobsStore((s) => s.attachActive);
  const finishedCount = useJobsStore((s) => Object.values(s.jobs).filter((j) => j.outcome).length);
  const profilesVersion = useProfilesStore((s) => s.profiles);
  const navigate = useAppStore((s) => s.navigate);
  const openEditor = useProfilesStore((s) => s.openEditor);
  const tick = useNow(60_000);
  // Never before the overview was read, or a drill that just ended would be "in a few seconds".
  const now = Math.max(tick, overview ? Date.parse(overview.at) : 0);

  useEffect(() => {
    void attachActive().catch(() => {});
  }, [attachActive]);
  // A job that ends (or a connection added, say by the demo) changes a row: read it all again — and every
  // minute, since a backup can turn late with nothing happening here (or be made by the OS job).
  useEffect(() => {
    void load();
  }, [load, finishedCount, profilesVersion, tick]);

  const addConnection = () => {
    navigate('connections');
    openEditor({ mode: 'add' });
  };

  return (
    <div className="screen screen-wide">
      <ScreenHeader
        title="Overview"
        subtitle="Is everything safe right now? Each connection's newest good backup, its next run, and the proof it restores."
        actions={
          <button type="button" className="btn" onClick={() => void load()}>
            <Icon name="refresh" />
            Refresh
          </button>
        }
      />
      {error ? <ErrorMessage error={error} title="Could not read the overview" /> : null}
      {overview && overview.profiles.length === 0 ? (
        <>
          <DemoCard />
          <div className="card empty-state empty-state-compact">
            <Icon name="database" className="empty-icon" />
            <h2>Nothing to protect yet</h2>
            <p>Add the PostgreSQL server you are responsible for, or try the demo above.</p>
            <button type="button" className="btn btn-primary" onClick={addConnection}>
              <Icon name="plus" />
              Add connection
            </button>
          </div>
        </>
      ) : null}
      {overview && overview.profiles.length > 0 ? (
        <>
          <UnreadableFolders problems={overview.unreadableFolders} />
          <Summary attention={overview.attention} noLimit={overview.noLimit} total={overview.profiles.length} />
          <HealthTable overview={overview} now={now} />
        </>
      ) : null}
    </div>
  );
}

/** One row per connection; the cells say each state in words and with an icon of its own shape. */
function HealthTable({ overview, now }: { overview: HealthOverview; now: number }) {
  return (
    <div className="table-wrap health-table-wrap">
      <table className="table health-table">
        <caption className="sr-only">Health of each connection</caption>
        <thead>
          <tr>
            <th scope="col">Connection</th>
            <th scope="col">Newest good backup</th>
            <th scope="col">Next run</th>
            <th scope="col">Last verification</th>
            <th scope="col">Last drill</th>
            <th scope="col">Offsite</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {overview.profiles.map((row) => (
            <HealthRow key={row.profileId} row={row} now={now} target={overview.recoveryTargetSeconds} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** In words, never "within its limit" for a connection that has none. */
export function summaryText(attention: number, noLimit: number, total: number): string {
  if (attention) return attention === 1 ? '1 connection needs attention.' : `${attention} connections need attention.`;
  if (noLimit) return noLimit === total ? 'Backed up, but with no limit to judge by: set a backup schedule or a stale alert.' : `${noLimit} of ${total} connections have no limit to judge their backups by: set a backup schedule or a stale alert.`;
  return total === 1 ? 'Your connection is backed up within its limit.' : `All ${total} connections are backed up within their limits.`;
}

function Summary({ attention, noLimit, total }: { attention: number; noLimit: number; total: number }) {
  const tone = attention ? 'callout-warn' : noLimit ? 'callout-info' : 'callout-ok';
  return (
    <div className={`callout ${tone} health-summary`} role="status">
      <Icon name={attention ? 'alert' : noLimit ? 'info' : 'check'} className="callout-icon" />
      <div className="callout-body">
        <p className="callout-title">{summaryText(attention, noLimit, total)}</p>
      </div>
    </div>
  );
}
