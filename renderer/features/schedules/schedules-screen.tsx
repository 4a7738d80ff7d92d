// Schedules: backups and drills that run on their own, per connection, with retention and
// notifications; and whether they also run while Lifeboat is closed (the OS job).
import { useEffect, useId, useState } from 'react';
import type { DueRun, ErrorInfo, ProfileSummary, ScheduleView } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { baseName, computerTimeZone, formatDateTime, formatRelative } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { ScreenHeader } from '../../components/screen-header.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useJobsStore } from '../../stores/jobs-store.ts';
import { useProfilesStore } from '../../stores/profiles-store.ts';
import { useSchedulesStore } from '../../stores/schedules-store.ts';
import { useSettingsStore } from '../../stores/settings-store.ts';
import { toErrorInfo } from '../../stores/unwrap.ts';
import { ResultBadge, VIA_LABEL } from '../activity/result-badge.tsx';
import { NotificationsEditor } from './notifications-editor.tsx';
import { RetentionEditor } from './retention-editor.tsx';
import { ScheduleForm } from './schedule-form.tsx';
import { describeSpec } from './spec-fields.tsx';

const OS_JOB_LABEL = { systemd: 'systemd user timer', crontab: 'crontab', launchd: 'launchd agent', 'windows-task': 'Task Scheduler' } as const;

/** A connection without a saved schedule: what the engine starts from. */
function freshView(profile: ProfileSummary, timeZone: string): ScheduleView {
  const now = new Date().toISOString();
  return {
    profileId: profile.id,
    profile: profile.name,
    timeZone,
    backup: null,
    drill: null,
    drillAfterBackup: false,
    retention: { keepLast: 0, keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 0, keepMinimum: 3 },
    autoPrune: false,
    notify: { webhook: null, webhookStorage: null, onSuccess: false, desktop: true, staleHours: null },
    handled: { backup: now, drill: now, staleAlert: null },
    next: { backup: [], drill: [] },
  };
}

/** Grows whenever a job finishes in this window: archives changed, previews are read again. */
function useFinishedCount(): number {
  return useJobsStore((s) => Object.values(s.jobs).reduce((max, j) => Math.max(max, j.finishedSeq), 0));
}

export function SchedulesScreen() {
  const profiles = useProfilesStore((s) => s.profiles);
  const profilesLoaded = useProfilesStore((s) => s.loaded);
  const schedules = useSchedulesStore((s) => s.schedules);
  const loaded = useSchedulesStore((s) => s.loaded);
  const error = useSchedulesStore((s) => s.error);
  const settings = useSettingsStore((s) => s.settings);
  const navigate = useAppStore((s) => s.navigate);
  const loadProfiles = useProfilesStore((s) => s.load);
  const loadSettings = useSettingsStore((s) => s.loadSettings);
  const load = useSchedulesStore((s) => s.load);
  const loadOsJob = useSchedulesStore((s) => s.loadOsJob);
  const loadRecent = useSchedulesStore((s) => s.loadRecent);
  const finished = useFinishedCount();

  useEffect(() => {
    void loadProfiles();
    void loadSettings();
    void load();
    void loadOsJob();
  }, [loadProfiles, loadSettings, load, loadOsJob]);

  useEffect(() => {
    void loadRecent();
    void load();
  }, [finished, loadRecent, load]);

  const timeZone = schedules[0]?.timeZone ?? settings?.timeZone ?? computerTimeZone();

  return (
    <div className="screen">
      <ScreenHeader title="Schedules" subtitle={<>Backups and drills that run on their own, how long archives are kept, and who hears about it. Times are in {timeZone}.</>} />
      <StatusPanel />
      {error ? <ErrorMessage error={error} title="Could not read the schedules" /> : null}
      {profilesLoaded && profiles.length === 0 ? (
        <div className="card empty-state">
          <Icon name="calendar" className="empty-icon" />
          <h2>No connections to schedule</h2>
          <p>Add a connection first; then schedule its backups and drills here.</p>
          <button type="button" className="btn btn-primary" onClick={() => navigate('connections')}>
            Go to Connections
          </button>
        </div>
      ) : null}
      {loaded
        ? profiles.map((profile) => {
            const view = schedules.find((s) => s.profileId === profile.id) ?? freshView(profile, timeZone);
            return <ScheduleCard key={profile.id} profile={profile} view={view} refreshKey={finished} />;
          })
        : null}
    </div>
  );
}

function ScheduleCard({ profile, view, refreshKey }: { profile: ProfileSummary; view: ScheduleView; refreshKey: number }) {
  const uid = useId();
  const summary = view.backup?.enabled ? describeSpec(view.backup) : 'Not scheduled';
  return (
    <article className="card schedule-card" aria-labelledby={`${uid}-name`}>
      <header className="schedule-card-head">
        <span className={`color-dot color-${profile.color}`} aria-hidden="true" />
        <h2 id={`${uid}-name`} className="profile-name">
          {profile.name}
        </h2>
        <span className={view.backup?.enabled ? 'badge badge-ok' : 'badge'}>
          <Icon name={view.backup?.enabled ? 'clock' : 'info'} />
          {summary}
        </span>
      </header>
      <section className="settings-group" aria-labelledby={`${uid}-when`}>
        <h3 id={`${uid}-when`} className="settings-group-title">
          Schedule
        </h3>
        <ScheduleForm view={view} />
      </section>
      <section className="settings-group" aria-labelledby={`${uid}-keep`}>
        <h3 id={`${uid}-keep`} className="settings-group-title">
          Retention
        </h3>
        <p className="settings-group-intro">How many archives are kept, counted the way restic and borg do: the newest of each day, week, month and year.</p>
        <RetentionEditor view={view} refreshKey={refreshKey} />
      </section>
      <section className="settings-group" aria-labelledby={`${uid}-notify`}>
        <h3 id={`${uid}-notify`} className="settings-group-title">
          Notifications
        </h3>
        <NotificationsEditor view={view} />
      </section>
    </article>
  );
}

function StatusPanel() {
  const osJob = useSchedulesStore((s) => s.osJob);
  const osJobError = useSchedulesStore((s) => s.osJobError);
  const recent = useSchedulesStore((s) => s.recent);
  const setOsJob = useSchedulesStore((s) => s.setOsJob);
  const runDue = useSchedulesStore((s) => s.runDue);
  const announce = useAppStore((s) => s.announce);
  const navigate = useAppStore((s) => s.navigate);
  const [busy, setBusy] = useState<'os' | 'run' | null>(null);
  const [error, setError] = useState<{ title: string; info: ErrorInfo } | null>(null);
  const [runs, setRuns] = useState<DueRun[] | null>(null);
  const uid = useId();

  const changeOsJob = async (install: boolean) => {
    setError(null);
    setBusy('os');
    try {
      const status = await setOsJob(install);
      announce(status.installed ? `Lifeboat will run while closed (${status.kind ? OS_JOB_LABEL[status.kind] : 'OS job'}).` : 'Schedules now run only while Lifeboat is running.');
    } catch (e) {
      setError({ title: install ? 'Could not install the OS job' : 'Could not remove the OS job', info: toErrorInfo(e) });
    } finally {
      setBusy(null);
    }
  };

  const runNow = async () => {
    setError(null);
    setRuns(null);
    setBusy('run');
    try {
      const done = await runDue();
      setRuns(done);
      announce(done.length ? `Ran ${done.length} due job${done.length === 1 ? '' : 's'}.` : 'Nothing was due.');
    } catch (e) {
      setError({ title: 'Could not run what is due', info: toErrorInfo(e) });
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="card schedule-status" aria-labelledby={`${uid}-title`}>
      <div className="card-header">
        <h2 id={`${uid}-title`}>Status</h2>
        <button type="button" className="btn" onClick={() => void runNow()} disabled={busy !== null} aria-busy={busy === 'run'}>
          {busy === 'run' ? <span className="spinner" aria-hidden="true" /> : <Icon name="play" />}
          Run due now
        </button>
      </div>
      <div className="setting-row">
        <div className="setting-text">
          {osJob ? (
            <p className={osJob.installed ? 'status-ok' : 'status-none'}>
              <Icon name={osJob.installed ? 'check' : 'info'} />
              <span>
                Runs while Lifeboat is closed:{' '}
                <strong>{osJob.installed ? `yes (${osJob.kind ? OS_JOB_LABEL[osJob.kind] : 'OS job'})` : 'no'}</strong>
                {osJob.installed && osJob.where && osJob.where !== osJob.kind ? (
                  <>
                    {' '}
                    · <code>{osJob.where}</code>
                  </>
                ) : null}
              </span>
            </p>
          ) : osJobError ? null : (
            <p className="muted">Checking whether Lifeboat runs while closed…</p>
          )}
          <p className="hint">
            {osJob?.installed
              ? 'The OS checks every 5 minutes for due backups and drills, and catches up once after the computer was off or asleep.'
              : 'Without it, schedules run only while Lifeboat is open or in the tray. Install it to have the OS run due backups every 5 minutes.'}
          </p>
        </div>
        <div className="setting-actions">
          {osJob?.installed ? (
            <button type="button" className="btn" onClick={() => void changeOsJob(false)} disabled={busy !== null} aria-busy={busy === 'os'}>
              Uninstall
            </button>
          ) : (
            <button type="button" className="btn btn-primary" onClick={() => void changeOsJob(true)} disabled={busy !== null || !osJob} aria-busy={busy === 'os'}>
              Install
            </button>
          )}
        </div>
      </div>
      {osJobError ? <ErrorMessage error={osJobError} title="Could not tell whether the OS job is installed" /> : null}

      <div className="recent-results">
        <h3 className="settings-group-title">Last results</h3>
        {recent.length === 0 ? (
          <p className="muted">No backups, drills or prunes yet.</p>
        ) : (
          <ul className="recent-runs" aria-label="Last results">
            {recent.map((entry) => (
              <li key={`${entry.at}-${entry.title}`}>
                <ResultBadge result={entry.result} />
                <span className="recent-run-title">{entry.title}</span>
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

      {runs ? (
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
                    {run.kind} of {run.profile}
                  </span>
                  <span className="muted">{run.detail}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
      ) : null}
      {error ? <ErrorMessage error={error.info} title={error.title} /> : null}
    </section>
  );
}
