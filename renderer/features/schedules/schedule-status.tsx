// The Schedules screen's status: whether schedules run while Lifeboat is closed (the OS job: a
// systemd user timer, a crontab line, a launchd agent or a Windows task), "Run due now", and the
// last results, each naming its connection.
import { useId, useState } from 'react';
import type { DueRun, ErrorInfo, OsJobStatus } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { baseName, formatDateTime, formatRelative } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { SettingRow } from '../../components/setting-row.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useSchedulesStore } from '../../stores/schedules-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';
import { ResultBadge, VIA_LABEL } from '../activity/result-badge.tsx';

const OS_JOB_LABEL = { systemd: 'systemd user timer', crontab: 'crontab entry', launchd: 'launchd agent', 'windows-task': 'Task Scheduler task' } as const;

const osJobName = (status: OsJobStatus) => (status.kind ? OS_JOB_LABEL[status.kind] : 'OS job');

type Failure = { title: string; info: ErrorInfo } | null;

export function StatusPanel() {
  const runDue = useSchedulesStore((s) => s.runDue);
  const announce = useAppStore((s) => s.announce);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<Failure>(null);
  const [runs, setRuns] = useState<DueRun[] | null>(null);
  const uid = useId();

  const runNow = async () => {
    setError(null);
    setRuns(null);
    setRunning(true);
    try {
      const done = await runDue();
      setRuns(done);
      announce(done.length ? `Ran ${done.length} due job${done.length === 1 ? '' : 's'}.` : 'Nothing was due.');
    } catch (e) {
      setError({ title: 'Could not run what is due', info: toErrorInfo(e) });
    } finally {
      setRunning(false);
    }
  };

  return (
    <section className="card schedule-status" aria-labelledby={`${uid}-title`}>
      <div className="card-header">
        <h2 id={`${uid}-title`}>Status</h2>
        <button type="button" className="btn" onClick={() => void runNow()} disabled={running} aria-busy={running}>
          {running ? <span className="spinner" aria-hidden="true" /> : <Icon name="play" />}
          Run due now
        </button>
      </div>
      <OsJobRow />
      <LastResults />
      {runs ? <RanNow runs={runs} /> : null}
      {error ? <ErrorMessage error={error.info} title={error.title} /> : null}
    </section>
  );
}

/** "Run schedules while Lifeboat is closed": a switch that installs or removes the OS job, and what is installed. */
function OsJobRow() {
  const osJob = useSchedulesStore((s) => s.osJob);
  const osJobError = useSchedulesStore((s) => s.osJobError);
  const setOsJob = useSchedulesStore((s) => s.setOsJob);
  const announce = useAppStore((s) => s.announce);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Failure>(null);
  const uid = useId();

  const change = async (on: boolean) => {
    setError(null);
    setBusy(true);
    try {
      const status = await setOsJob(on);
      announce(status.installed ? `Schedules will run while Lifeboat is closed (${osJobName(status)}).` : 'Schedules now run only while Lifeboat is open or in the tray.');
    } catch (e) {
      setError({ title: on ? 'Could not set up running while closed' : 'Could not stop running while closed', info: toErrorInfo(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <SettingRow label="Run schedules while Lifeboat is closed" controlId={`${uid}-os`} value={<OsJobState id={`${uid}-state`} status={osJob} failed={osJobError !== null} />} help={osJobHelp(osJob)} helpId={`${uid}-help`}>
        <input
          id={`${uid}-os`}
          type="checkbox"
          role="switch"
          className="switch"
          checked={osJob?.installed ?? false}
          disabled={busy || !osJob}
          aria-busy={busy}
          aria-describedby={`${uid}-state ${uid}-help`}
          onChange={(e) => void change(e.target.checked)}
        />
      </SettingRow>
      {osJobError ? <ErrorMessage error={osJobError} title="Could not tell whether schedules run while Lifeboat is closed" /> : null}
      {error ? <ErrorMessage error={error.info} title={error.title} /> : null}
    </>
  );
}

function osJobHelp(status: OsJobStatus | null): string {
  if (status?.installed) return 'The OS checks every 5 minutes for due backups and drills, and catches up once after the computer was off or asleep. Turn off to remove it.';
  return 'Schedules run only while Lifeboat is open or in the tray. Turned on, Lifeboat adds a job to the OS (a systemd user timer, a crontab entry, a launchd agent or a scheduled task) that runs due backups and drills every 5 minutes.';
}

function OsJobState({ id, status, failed }: { id: string; status: OsJobStatus | null; failed: boolean }) {
  if (!status) return failed ? null : <p className="muted" id={id}>Checking…</p>;
  if (!status.installed) {
    return (
      <p className="status-none os-job-state" id={id}>
        <Icon name="info" />
        <span>Off</span>
      </p>
    );
  }
  return (
    <p className="status-ok os-job-state" id={id}>
      <Icon name="check" />
      <span>
        On: <strong>{osJobName(status)}</strong>
        {status.where && status.where !== status.kind ? (
          <>
            {' '}
            · <code>{status.where}</code>
          </>
        ) : null}
      </span>
    </p>
  );
}

function LastResults() {
  const recent = useSchedulesStore((s) => s.recent);
  const navigate = useAppStore((s) => s.navigate);
  return (
    <div className="recent-results">
      <h3 className="settings-group-title">Last results</h3>
      {recent.length === 0 ? (
        <p className="muted">No backups, drills or prunes yet.</p>
      ) : (
        <ul className="recent-runs" aria-label="Last results">
          {recent.map((entry) => (
            <li key={`${entry.at}-${entry.what}-${entry.title}-${entry.archive ?? ''}`}>
              <ResultBadge result={entry.result} />
              <span className="recent-run-title">
                {entry.profile ? <strong className="recent-run-profile">{entry.profile}</strong> : null}
                {entry.profile ? ' · ' : null}
                {entry.title}
              </span>
              {entry.archive ? <code className="muted">{baseName(entry.archive)}</code> : null}
              <time dateTime={entry.at} title={formatDateTime(entry.at)} className="muted recent-run-time">
                {formatRelative(entry.at)} · {VIA_LABEL[entry.via]}
              </time>
            </li>
          ))}
        </ul>
      )}
      <button type="button" className="link-button" onClick={() => navigate('activity')}>
        All activity →
      </button>
    </div>
  );
}

function RanNow({ runs }: { runs: DueRun[] }) {
  return (
    <div className="due-runs" role="status">
      {runs.length === 0 ? (
        <p className="status-none">
          <Icon name="info" />
          <span>Nothing was due.</span>
        </p>
      ) : (
        <ul className="recent-runs" aria-label="Ran now">
          {runs.map((run, i) => (
            <li key={i}>
              <ResultBadge result={run.result === 'skipped' ? 'info' : run.result} label={run.result} />
              <span className="recent-run-title">
                <strong className="recent-run-profile">{run.profile}</strong> · {run.kind}
              </span>
              <span className="muted">{run.detail}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
