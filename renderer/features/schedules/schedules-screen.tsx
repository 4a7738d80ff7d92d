// Schedules: backups and drills that run on their own, per connection, with retention and
// notifications; and whether they also run while Lifeboat is closed (the OS job). An overview table
// first, the status, then one card per connection, each saved with its one Save.
import { useCallback, useEffect, useRef } from 'react';
import type { ProfileSummary, ScheduleView } from '../../../main/ipc/contract.ts';
import { ErrorMessage } from '../../components/error-message.tsx';
import { computerTimeZone } from '../../components/format.ts';
import { Icon } from '../../components/icons.tsx';
import { ScreenHeader } from '../../components/screen-header.tsx';
import { useAppStore } from '../../stores/app-store.ts';
import { useJobsStore } from '../../stores/jobs-store.ts';
import { useProfilesStore } from '../../stores/profiles-store.ts';
import { useSchedulesStore } from '../../stores/schedules-store.ts';
import { useSettingsStore } from '../../stores/settings-store.ts';
import { ScheduleCard } from './schedule-card.tsx';
import { StatusPanel } from './schedule-status.tsx';
import { SchedulesOverview } from './schedules-overview.tsx';
import './schedules.css';

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

/** Reads what the screen shows when it opens, and the schedules and last results again when a job ends. */
function useSchedulesData(finished: number): void {
  const loadProfiles = useProfilesStore((s) => s.load);
  const loadSettings = useSettingsStore((s) => s.loadSettings);
  const load = useSchedulesStore((s) => s.load);
  const loadOsJob = useSchedulesStore((s) => s.loadOsJob);
  const loadRecent = useSchedulesStore((s) => s.loadRecent);
  useEffect(() => {
    void loadSettings();
    void loadOsJob();
    // The last result per connection needs the connections' names.
    void loadProfiles().then(() => loadRecent());
  }, [loadProfiles, loadSettings, loadOsJob, loadRecent]);
  useEffect(() => {
    void load();
    if (finished > 0) void loadRecent();
  }, [finished, loadRecent, load]);
}

export function SchedulesScreen() {
  const profiles = useProfilesStore((s) => s.profiles);
  const profilesLoaded = useProfilesStore((s) => s.loaded);
  const schedules = useSchedulesStore((s) => s.schedules);
  const loaded = useSchedulesStore((s) => s.loaded);
  const error = useSchedulesStore((s) => s.error);
  const settings = useSettingsStore((s) => s.settings);
  const navigate = useAppStore((s) => s.navigate);
  const finished = useFinishedCount();
  const headings = useRef(new Map<string, HTMLHeadingElement>());
  useSchedulesData(finished);

  const timeZone = schedules[0]?.timeZone ?? settings?.timeZone ?? computerTimeZone();
  const rows = profiles.map((profile) => ({ profile, view: schedules.find((s) => s.profileId === profile.id) ?? freshView(profile, timeZone) }));

  // The overview's link: to the card's heading, which a screen reader then reads.
  const openCard = useCallback((profileId: string) => {
    const heading = headings.current.get(profileId);
    heading?.scrollIntoView({ behavior: 'smooth', block: 'start' });
    heading?.focus({ preventScroll: true });
  }, []);

  return (
    <div className="screen screen-wide">
      <ScreenHeader title="Schedules" subtitle={<>Backups and drills that run on their own, how long archives are kept, and who hears about it. Times are in {timeZone}.</>} />
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
      {loaded && rows.length > 0 ? <SchedulesOverview rows={rows.map(({ profile, view }) => ({ profileId: profile.id, name: profile.name, color: profile.color, view }))} onOpen={openCard} /> : null}
      <StatusPanel />
      {loaded
        ? rows.map(({ profile, view }) => (
            <ScheduleCard
              key={profile.id}
              profile={profile}
              view={view}
              refreshKey={finished}
              headingRef={(el) => {
                if (el) headings.current.set(profile.id, el);
                else headings.current.delete(profile.id);
              }}
            />
          ))
        : null}
    </div>
  );
}
