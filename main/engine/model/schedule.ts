// Schedules per profile, their notifications, the catch-up runner's report and the OS job's state.
// Plain data, no behaviour: the model layer imports nothing but other model types.
import type { RetentionPolicy } from './retention.ts';

export type SchedulePreset = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'cron';

export interface ScheduleSpec {
  preset: SchedulePreset;
  /** HH:MM for daily, weekly and monthly. */
  time?: string;
  /** 0 = Sunday … 6 = Saturday, for weekly. */
  weekday?: number;
  /** 1–28, for monthly. */
  dayOfMonth?: number;
  /** A 5-field cron expression, for preset "cron". */
  cron?: string;
  enabled: boolean;
}

export type WebhookStorage = 'keychain' | 'file';

/** The notification settings people see: the webhook only redacted, and where its URL is kept. */
export interface NotifySettings {
  /** "https://hooks.slack.com/services/…": enough to recognise it, nothing to reuse. */
  webhook: string | null;
  webhookStorage: WebhookStorage | null;
  onSuccess: boolean;
  desktop: boolean;
  staleHours: number | null;
}

/** A change of the notification settings: `webhookUrl` a new URL, null to remove, absent to keep. */
export interface NotifyPatch {
  webhookUrl?: string | null;
  onSuccess?: boolean;
  desktop?: boolean;
  staleHours?: number | null;
}

export interface ProfileSchedule {
  profileId: string;
  backup: ScheduleSpec | null;
  drill: ScheduleSpec | null;
  /** Drill every backup right after it is made. */
  drillAfterBackup: boolean;
  /**
   * What the drill schedule drills: the newest local backup (default), or the newest copy in the
   * profile's destinations — the copy that survives the loss of this computer.
   */
  drillSource?: 'local' | 'offsite';
  retention: RetentionPolicy;
  /** Prune automatically after each scheduled backup. */
  autoPrune: boolean;
  notify: NotifySettings;
  /** The last scheduled slot handled per kind (ISO), so missed slots run once, not once each. */
  /** staleOffsite: per destination id, when the "no verified offsite copy" alert last went out. */
  handled: { backup: string; drill: string; staleAlert: string | null; staleOffsite?: Record<string, string> };
}

export interface ScheduleView extends ProfileSchedule {
  profile: string;
  timeZone: string;
  next: { backup: string[]; drill: string[] };
}

export interface DueRun {
  profile: string;
  kind: 'backup' | 'drill' | 'prune' | 'stale-alert' | 'copy';
  result: 'ok' | 'failed' | 'skipped';
  detail: string;
  archive?: string | null;
  /** copy / prune of a destination: its name. */
  destination?: string;
}

export type SchedulePatch = Partial<Pick<ProfileSchedule, 'backup' | 'drill' | 'drillAfterBackup' | 'drillSource' | 'retention' | 'autoPrune'>> & { notify?: NotifyPatch };

export interface OsJobStatus {
  installed: boolean;
  kind: 'systemd' | 'crontab' | 'launchd' | 'windows-task' | null;
  where: string | null;
}
